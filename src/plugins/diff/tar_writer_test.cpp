#include "plugins/diff/tar_writer.h"

#include <gtest/gtest.h>

#include "plugins/diff/byte_reader.h"
#include "plugins/diff/tar_reader.h"

namespace berth::diff {
namespace {

class StringReader final : public ByteReader {
 public:
  explicit StringReader(std::string s) : s_(std::move(s)) {}
  absl::StatusOr<size_t> Read(std::span<char> buf) override {
    size_t n = std::min(buf.size(), s_.size() - pos_);
    std::memcpy(buf.data(), s_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string s_;
  size_t pos_ = 0;
};

// Our writer's output parses back (through libarchive) to the same headers, PAX records included.
TEST(TarWriterTest, LongNamesBigIdsAndXattrsRoundTrip) {
  std::string out;
  TarWriter tw([&](std::string_view d) {
    out.append(d);
    return absl::OkStatus();
  });
  const std::string long_name = std::string(150, 'n') + "/" + std::string(120, 'f');
  ASSERT_TRUE(tw.WriteHeader({.name = long_name, .mode = 04755, .uid = 100000000, .gid = 7, .size = 3,
                              .mtime = 1700000000, .xattrs = {{"user.a", std::string("b\nc\0d", 5)}}})
                  .ok());
  ASSERT_TRUE(tw.WriteData("abc").ok());
  ASSERT_TRUE(tw.WriteHeader({.name = "l", .typeflag = '2', .mode = 0777, .linkname = std::string(200, 't')}).ok());
  ASSERT_TRUE(tw.WriteHeader({.name = "dev", .typeflag = '3', .mode = 0600, .devmajor = 4, .devminor = 5}).ok());
  ASSERT_TRUE(tw.Close().ok());
  EXPECT_EQ(out.size() % 512, 0u);

  StringReader in(out);
  auto tr = TarReader::Open(&in, "test");
  ASSERT_TRUE(tr.ok());
  TarEntry e;
  ASSERT_TRUE(*(*tr)->Next(&e));
  EXPECT_EQ(e.name, long_name);
  EXPECT_EQ(e.mode, 04755u);
  EXPECT_EQ(e.uid, 100000000);
  EXPECT_EQ(e.mtime.tv_sec, 1700000000);
  ASSERT_EQ(e.xattrs.size(), 1u);
  EXPECT_EQ(e.xattrs[0].second, std::string("b\nc\0d", 5));
  std::string data;
  ASSERT_TRUE((*tr)->ReadData([&](int64_t, std::string_view d) {
                     data.append(d);
                     return absl::OkStatus();
                   }).ok());
  EXPECT_EQ(data, "abc");
  ASSERT_TRUE(*(*tr)->Next(&e));
  EXPECT_EQ(e.type, EntryType::kSymlink);
  EXPECT_EQ(e.linkname, std::string(200, 't'));
  ASSERT_TRUE(*(*tr)->Next(&e));
  EXPECT_EQ(e.type, EntryType::kCharDevice);
  EXPECT_EQ(e.devmajor, 4u);
  EXPECT_EQ(e.devminor, 5u);
  EXPECT_FALSE(*(*tr)->Next(&e));
}

}  // namespace
}  // namespace berth::diff
