#include "ttrpc/protowire.h"

#include <gtest/gtest.h>

#include "ttrpc/messages.h"

namespace berth::protowire {
namespace {

TEST(ProtowireTest, RoundTripsScalarsStringsAndNestedMessages) {
  Writer inner;
  inner.String(1, "overlay");
  Writer w;
  w.Uint(1, 300);
  w.String(2, "hello");
  w.Bool(3, true);
  w.Message(4, inner.data());
  w.Uint(5, 0);    // default: not written
  w.String(6, "");  // default: not written
  w.Int(7, -1);     // negative int64: ten bytes of varint

  Reader r(w.data());
  std::vector<uint32_t> fields;
  while (r.Next()) {
    fields.push_back(r.field());
    if (r.field() == 1) {
      EXPECT_EQ(r.varint(), 300u);
    }
    if (r.field() == 2) {
      EXPECT_EQ(r.bytes(), "hello");
    }
    if (r.field() == 3) {
      EXPECT_TRUE(r.boolean());
    }
    if (r.field() == 4) {
      Reader ir(r.bytes());
      ASSERT_TRUE(ir.Next());
      EXPECT_EQ(ir.string(), "overlay");
    }
    if (r.field() == 7) {
      EXPECT_EQ(static_cast<int64_t>(r.varint()), -1);
    }
  }
  EXPECT_TRUE(r.status().ok()) << r.status();
  EXPECT_EQ(fields, (std::vector<uint32_t>{1, 2, 3, 4, 7}));
}

TEST(ProtowireTest, MatchesProtobufEncodingOfAKnownMessage) {
  // DeleteResponse{pid: 13157, exit_status: 137} as containerd's runc shim wrote it (reference, section 1.4).
  Writer w;
  w.Uint(1, 13157);
  w.Uint(2, 137);
  EXPECT_EQ(w.data(), std::string("\x08\xe5\x66\x10\x89\x01", 6));
}

TEST(ProtowireTest, RejectsTruncatedAndOverlongInput) {
  for (std::string bad : {std::string("\x0a\x05hi", 4), std::string("\x08", 1), std::string("\x08\xff\xff", 3),
                          std::string("\x0b", 1) /* group wire type */, std::string("\x00\x01", 2)}) {
    Reader r(bad);
    while (r.Next()) {
    }
    EXPECT_FALSE(r.status().ok()) << "accepted malformed input of " << bad.size() << " bytes";
  }
}

TEST(ProtowireTest, SkipsFixedWidthFields) {
  std::string data("\x09\x01\x02\x03\x04\x05\x06\x07\x08\x15\x01\x02\x03\x04\x18\x07", 16);
  Reader r(data);
  int count = 0;
  uint64_t last = 0;
  while (r.Next()) {
    ++count;
    last = r.varint();
  }
  EXPECT_TRUE(r.status().ok()) << r.status();
  EXPECT_EQ(count, 3);
  EXPECT_EQ(last, 7u);
}

TEST(TtrpcMessagesTest, RequestAndResponseRoundTrip) {
  ttrpc::Request req{.service = "containerd.task.v2.Task", .method = "State", .payload = std::string("\x0a\x01x", 3),
                     .timeout_nano = 2000000000, .metadata = {{"containerd-namespace-ttrpc", "default"}}};
  auto decoded = ttrpc::Request::Decode(req.Encode());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->service, req.service);
  EXPECT_EQ(decoded->method, req.method);
  EXPECT_EQ(decoded->payload, req.payload);
  EXPECT_EQ(decoded->timeout_nano, req.timeout_nano);
  EXPECT_EQ(ttrpc::MetadataValue(decoded->metadata, "containerd-namespace-ttrpc"), "default");

  ttrpc::Response ok{.payload = "abc"};
  auto r1 = ttrpc::Response::Decode(ok.Encode());
  ASSERT_TRUE(r1.ok());
  EXPECT_TRUE(r1->status.ok());
  EXPECT_EQ(r1->payload, "abc");

  ttrpc::Response err{.status = absl::NotFoundError("container not created: not found")};
  auto r2 = ttrpc::Response::Decode(err.Encode());
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r2->status.message(), "container not created: not found");
  // An empty OK response is an empty body, as observed from containerd's shim.
  EXPECT_EQ(ttrpc::Response{}.Encode(), "");
}

}  // namespace
}  // namespace berth::protowire
