// Issue 2 acceptance: `ctr leases create/ls/rm`.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/util/fixture.h"

namespace berth::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

class LeasesTest : public DaemonTest {
 protected:
  std::vector<std::string> LeaseIds(const Ctr& c, const std::vector<std::string>& filters = {}) {
    std::vector<std::string> args = {"leases", "ls", "-q"};
    args.insert(args.end(), filters.begin(), filters.end());
    auto r = c.Run(args);
    EXPECT_CTR_OK(r);
    return Lines(r.out);
  }
};

TEST_F(LeasesTest, CreateListRemove) {
  Ctr c = ctr();
  auto created = c.Run({"leases", "create", "--id", "build-1", "owner=ci", "job=42"});
  ASSERT_CTR_OK(created);
  EXPECT_THAT(Lines(created.out), ElementsAre("build-1"));
  ASSERT_CTR_OK(c.Run({"leases", "create", "--id", "forever", "--expires", "0"}));

  auto ls = c.Run({"leases", "ls"});
  ASSERT_CTR_OK(ls);
  EXPECT_EQ(Fields(Lines(ls.out).at(0)), (std::vector<std::string>{"ID", "CREATED", "AT", "LABELS"}));
  auto row = Fields(RowWithKey(ls.out, "build-1"));
  ASSERT_EQ(row.size(), 3u) << ls.out;
  EXPECT_THAT(row[1], HasSubstr("T")) << "CREATED AT should be an RFC 3339 time: " << row[1];
  // The default expiry (24h) is a label, next to the user's labels.
  EXPECT_THAT(row[2], HasSubstr("containerd.io/gc.expire="));
  EXPECT_THAT(row[2], HasSubstr("job=42,owner=ci"));
  EXPECT_EQ(Fields(RowWithKey(ls.out, "forever")).back(), "-") << ls.out;

  // A duplicate id is refused; the original is unchanged.
  auto dup = c.Run({"leases", "create", "--id", "build-1", "owner=other"});
  EXPECT_CTR_FAILS(dup);
  EXPECT_THAT(dup.err, HasSubstr("already exists")) << dup.Describe();

  // Without --id the server generates one.
  auto generated = c.Run({"leases", "create"});
  ASSERT_CTR_OK(generated);
  auto gen_lines = Lines(generated.out);
  ASSERT_EQ(gen_lines.size(), 1u) << generated.Describe();
  std::string gen_id = gen_lines[0];
  EXPECT_FALSE(gen_id.empty());
  EXPECT_THAT(LeaseIds(c), UnorderedElementsAre("build-1", "forever", gen_id));

  // Filters as ctr passes them.
  EXPECT_THAT(LeaseIds(c, {"labels.\"owner\"==ci"}), ElementsAre("build-1"));
  EXPECT_THAT(LeaseIds(c, {"id==forever"}), ElementsAre("forever"));

  auto rm = c.Run({"leases", "rm", "build-1", gen_id});
  ASSERT_CTR_OK(rm);
  EXPECT_THAT(LeaseIds(c), ElementsAre("forever"));
  ls = c.Run({"leases", "ls"});
  ASSERT_CTR_OK(ls);
  EXPECT_THAT(ls.out, Not(HasSubstr("owner=ci")));
}

TEST_F(LeasesTest, RemovingUnknownLeaseFails) {
  auto r = ctr().Run({"leases", "rm", "no-such-lease"});
  EXPECT_CTR_FAILS(r);
  EXPECT_THAT(r.err, HasSubstr("not found")) << r.Describe();
}

TEST_F(LeasesTest, LeasesAreScopedByNamespace) {
  Ctr a = ctr("lease-a");
  Ctr b = ctr("lease-b");
  ASSERT_CTR_OK(a.Run({"leases", "create", "--id", "shared-name"}));
  ASSERT_CTR_OK(b.Run({"namespaces", "create", "lease-b"}));
  EXPECT_THAT(LeaseIds(b), Not(Contains("shared-name")));
  // The same id may exist in another namespace; removing it there leaves the first.
  ASSERT_CTR_OK(b.Run({"leases", "create", "--id", "shared-name"}));
  ASSERT_CTR_OK(b.Run({"leases", "rm", "shared-name"}));
  EXPECT_THAT(LeaseIds(a), ElementsAre("shared-name"));
  EXPECT_THAT(LeaseIds(b), Not(Contains("shared-name")));
}

}  // namespace
}  // namespace berth::testing
