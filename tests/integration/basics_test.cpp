// Issue 2 acceptance: `ctr version`, `ctr plugins ls`, `ctr namespaces create/ls/label/rm`.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/util/fixture.h"

namespace berth::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class BasicsTest : public DaemonTest {};

TEST_F(BasicsTest, VersionReportsClientAndServer) {
  auto r = ctr().Run({"version"});
  ASSERT_CTR_OK(r);
  // Client: Version/Revision/Go version, then Server: Version/Revision/UUID.
  auto server = r.out.find("Server:");
  ASSERT_NE(server, std::string::npos) << r.out;
  std::string server_part = r.out.substr(server);
  EXPECT_THAT(server_part, HasSubstr("Version:"));
  EXPECT_THAT(server_part, HasSubstr("UUID:"));
  // The server's version string is not empty.
  for (const auto& line : Lines(server_part)) {
    auto fields = Fields(line);
    if (!fields.empty() && fields[0] == "Version:") {
      EXPECT_GE(fields.size(), 2u) << line;
    }
  }
}

TEST_F(BasicsTest, VersionUuidIsStableAcrossCalls) {
  auto uuid = [&] {
    auto r = ctr().Run({"version"});
    EXPECT_CTR_OK(r);
    for (const auto& line : Lines(r.out)) {
      auto f = Fields(line);
      if (f.size() == 2 && f[0] == "UUID:") return f[1];
    }
    return std::string();
  };
  std::string first = uuid();
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(uuid(), first);
}

TEST_F(BasicsTest, PluginsLsListsPlugins) {
  auto r = ctr().Run({"plugins", "ls"});
  ASSERT_CTR_OK(r);
  auto lines = Lines(r.out);
  ASSERT_GE(lines.size(), 2u) << r.out;
  EXPECT_EQ(Fields(lines[0]), (std::vector<std::string>{"TYPE", "ID", "PLATFORMS", "STATUS"}));
  int ok = 0;
  bool content = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    auto f = Fields(lines[i]);
    ASSERT_EQ(f.size(), 4u) << lines[i];
    EXPECT_THAT(f[0], HasSubstr("."));  // a type such as io.containerd.content.v1
    EXPECT_THAT((std::vector<std::string>{"ok", "skip", "error"}), Contains(f[3])) << lines[i];
    if (f[3] == "ok") ++ok;
    if (f[0].find("content") != std::string::npos || f[1] == "content") content = true;
  }
  EXPECT_GE(ok, 1) << r.out;
  EXPECT_TRUE(content) << "no content plugin listed\n" << r.out;

  auto detailed = ctr().Run({"plugins", "ls", "-d"});
  ASSERT_CTR_OK(detailed);
  EXPECT_THAT(detailed.out, HasSubstr("Type:"));
}

TEST_F(BasicsTest, NamespacesCreateLabelListRemove) {
  Ctr c = ctr();
  ASSERT_CTR_OK(c.Run({"namespaces", "create", "team-a", "owner=alice", "tier=gold"}));
  ASSERT_CTR_OK(c.Run({"namespaces", "create", "team-b"}));

  auto ls = c.Run({"namespaces", "ls"});
  ASSERT_CTR_OK(ls);
  EXPECT_EQ(Fields(RowWithKey(ls.out, "team-a")),
            (std::vector<std::string>{"team-a", "owner=alice,tier=gold"}))
      << ls.out;
  EXPECT_EQ(Fields(RowWithKey(ls.out, "team-b")), (std::vector<std::string>{"team-b"})) << ls.out;
  auto quiet = c.Run({"namespaces", "ls", "-q"});
  ASSERT_CTR_OK(quiet);
  EXPECT_THAT(Lines(quiet.out), Contains("team-a"));
  EXPECT_THAT(Lines(quiet.out), Contains("team-b"));

  // Creating an existing namespace fails.
  auto again = c.Run({"namespaces", "create", "team-a"});
  EXPECT_CTR_FAILS(again);
  EXPECT_THAT(again.err, HasSubstr("already exists")) << again.Describe();

  // Labels: add one, change one, delete one (`k=`).
  ASSERT_CTR_OK(c.Run({"namespaces", "label", "team-a", "zone=eu", "tier=silver", "owner="}));
  ls = c.Run({"namespaces", "ls"});
  ASSERT_CTR_OK(ls);
  EXPECT_EQ(Fields(RowWithKey(ls.out, "team-a")),
            (std::vector<std::string>{"team-a", "tier=silver,zone=eu"}))
      << ls.out;

  // Remove the empty one; it is gone.
  ASSERT_CTR_OK(c.Run({"namespaces", "rm", "team-b"}));
  quiet = c.Run({"namespaces", "ls", "-q"});
  ASSERT_CTR_OK(quiet);
  EXPECT_THAT(Lines(quiet.out), Not(Contains("team-b")));
  EXPECT_THAT(Lines(quiet.out), Contains("team-a"));
}

TEST_F(BasicsTest, RemovingNonEmptyNamespaceFails) {
  Ctr c = ctr("busy");
  ASSERT_CTR_OK(c.Run({"namespaces", "create", "busy"}));
  std::string digest = IngestOrFail(c, "busy-blob", RandomBytes(4096, 11));

  auto rm = c.Run({"namespaces", "rm", "busy"});
  EXPECT_CTR_FAILS(rm);
  EXPECT_THAT(rm.err, HasSubstr("busy")) << rm.Describe();
  auto ls = c.Run({"namespaces", "ls", "-q"});
  ASSERT_CTR_OK(ls);
  EXPECT_THAT(Lines(ls.out), Contains("busy"));
  EXPECT_THAT(c.ContentDigests(), Contains(digest));

  // Once empty, it can be removed.
  ASSERT_CTR_OK(c.Run({"content", "rm", digest}));
  ASSERT_CTR_OK(c.Run({"namespaces", "rm", "busy"}));
  ls = c.Run({"namespaces", "ls", "-q"});
  ASSERT_CTR_OK(ls);
  EXPECT_THAT(Lines(ls.out), Not(Contains("busy")));
}

TEST_F(BasicsTest, NamespaceIsCreatedImplicitlyByFirstWrite) {
  Ctr c = ctr("implicit");
  auto before = c.Run({"namespaces", "ls", "-q"});
  ASSERT_CTR_OK(before);
  EXPECT_THAT(Lines(before.out), Not(Contains("implicit")));
  IngestOrFail(c, "implicit-blob", RandomBytes(1000, 12));
  auto after = c.Run({"namespaces", "ls", "-q"});
  ASSERT_CTR_OK(after);
  EXPECT_THAT(Lines(after.out), Contains("implicit"));
}

TEST_F(BasicsTest, RemovingUnknownNamespaceIsNotAnError) {
  // ctr logs NotFound and exits 0 (it treats a missing namespace as already removed).
  auto r = ctr().Run({"namespaces", "rm", "no-such-namespace"});
  EXPECT_CTR_OK(r);
}

}  // namespace
}  // namespace berth::testing
