// The malicious-layer corpus: containerd's archive TestBreakouts cases plus berth's own (sentinel paths,
// overlay mode). Each case asserts containerd's sanitised result or a clean error, and the fixture asserts
// that the sentinel directory beside the root is untouched.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>

#include "plugins/diff/apply_test_fixture.h"

namespace berth::diff::testing {
namespace {

namespace fs = std::filesystem;
using Check = std::function<::testing::AssertionResult(const std::string& root)>;

::testing::AssertionResult FileIs(const std::string& root, const std::string& rel, const std::string& want) {
  std::string got = ReadFileOrEmpty(root + "/" + rel);
  if (!fs::exists(fs::symlink_status(root + "/" + rel))) return ::testing::AssertionFailure() << rel << " missing";
  if (got != want) return ::testing::AssertionFailure() << rel << " holds " << got << ", want " << want;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult SameInode(const std::string& root, const std::string& a, const std::string& b) {
  struct stat sa, sb;
  if (lstat((root + "/" + a).c_str(), &sa) != 0) return ::testing::AssertionFailure() << a << " missing";
  if (lstat((root + "/" + b).c_str(), &sb) != 0) return ::testing::AssertionFailure() << b << " missing";
  if (sa.st_ino != sb.st_ino) return ::testing::AssertionFailure() << a << " and " << b << " differ";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Missing(const std::string& root, const std::string& rel) {
  if (fs::exists(fs::symlink_status(root + "/" + rel))) return ::testing::AssertionFailure() << rel << " exists";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsSymlinkTo(const std::string& root, const std::string& rel, const std::string& target) {
  if (!fs::is_symlink(fs::symlink_status(root + "/" + rel))) {
    return ::testing::AssertionFailure() << rel << " is not a symlink";
  }
  if (!target.empty() && fs::read_symlink(root + "/" + rel) != target) {
    return ::testing::AssertionFailure() << rel << " points elsewhere";
  }
  return ::testing::AssertionSuccess();
}

struct Breakout {
  std::string name;
  // Builds the pre-existing tree in root (an earlier layer) and the tar; `outside` is the sentinel dir.
  std::function<void(const std::string& root)> before;
  std::function<std::string(const std::string& outside)> tar;
  absl::StatusCode code = absl::StatusCode::kOk;
  Check check;
};

void EtcPasswd(const std::string& root) { MakeTree(root, {{"etc/passwd", "all users"}}); }

void PrintTo(const Breakout& b, std::ostream* os) { *os << b.name; }

std::vector<Breakout> Corpus() {
  const std::string u = "unbroken";
  auto unbroken = [u](const std::string& root) { return FileIs(root, "etc/unbroken", u); };
  return {
      {"SymlinkAbsolute", nullptr,
       [u](auto) { return TarBuilder().Dir("etc").Symlink("localetc", "/etc").File("/localetc/unbroken", u).Build(); },
       absl::StatusCode::kOk, unbroken},
      {"SymlinkUpAndOut", nullptr,
       [u](auto) {
         return TarBuilder().Dir("etc").Dir("dummy").Symlink("localetc", "/dummy/../etc")
             .File("/localetc/unbroken", u).Build();
       },
       absl::StatusCode::kOk, unbroken},
      {"SymlinkMultipleAbsolute", nullptr,
       [u](auto) {
         return TarBuilder().Dir("etc").Dir("dummy").Symlink("/dummy/etc", "/etc").Symlink("localetc", "/dummy/etc")
             .File("/dummy/etc/unbroken", u).Build();
       },
       absl::StatusCode::kOk, unbroken},
      {"SymlinkMultipleRelative", nullptr,
       [u](auto) {
         return TarBuilder().Dir("etc").Dir("dummy").Symlink("/dummy/etc", "/etc").Symlink("localetc", "./dummy/etc")
             .File("/dummy/etc/unbroken", u).Build();
       },
       absl::StatusCode::kOk, unbroken},
      {"SymlinkEmptyFile", nullptr,
       [](auto) {
         return TarBuilder().Dir("etc").File("etc/emptied", "notempty").Symlink("localetc", "/etc")
             .File("/localetc/emptied", "").Build();
       },
       absl::StatusCode::kOk, [](auto root) { return FileIs(root, "etc/emptied", ""); }},
      {"HardlinkRelative", nullptr,
       [](auto) {
         return TarBuilder().Dir("etc").File("/etc/passwd", "inside").Dir("breakouts")
             .Symlink("breakouts/d1", "../../etc").Hardlink("breakouts/mypasswd", "/breakouts/d1/passwd").Build();
       },
       absl::StatusCode::kOk, [](auto root) { return SameInode(root, "breakouts/mypasswd", "etc/passwd"); }},
      {"HardlinkDownAndOut", nullptr,
       [](auto) {
         return TarBuilder().Dir("etc").File("/etc/passwd", "inside").Dir("breakouts").Dir("downandout")
             .Symlink("breakouts/d1", "../downandout/../../etc")
             .Hardlink("breakouts/mypasswd", "/breakouts/d1/passwd").Build();
       },
       absl::StatusCode::kOk, [](auto root) { return SameInode(root, "breakouts/mypasswd", "etc/passwd"); }},
      {"HardlinkAbsolute", nullptr,
       [](auto) {
         return TarBuilder().Dir("etc").File("/etc/passwd", "inside").Symlink("localetc", "/etc")
             .Hardlink("localpasswd", "/localetc/passwd").Build();
       },
       absl::StatusCode::kOk, [](auto root) { return SameInode(root, "localpasswd", "etc/passwd"); }},
      {"HardlinkRelativeLong", nullptr,
       [](auto) {
         return TarBuilder().Dir("etc").File("/etc/passwd", "inside").Symlink("localetc", "../../../../../../../etc")
             .Hardlink("localpasswd", "/localetc/passwd").Build();
       },
       absl::StatusCode::kOk, [](auto root) { return SameInode(root, "localpasswd", "etc/passwd"); }},
      {"HardlinkRelativeUpAndOut", nullptr,
       [](auto) {
         return TarBuilder().Dir("etc").File("/etc/passwd", "inside").Symlink("localetc", "upandout/../../../etc")
             .Hardlink("localpasswd", "/localetc/passwd").Build();
       },
       absl::StatusCode::kOk, [](auto root) { return SameInode(root, "localpasswd", "etc/passwd"); }},
      {"HardlinkDirectRelative", nullptr,
       [](auto) {
         return TarBuilder().Dir("etc").File("/etc/passwd", "inside").Hardlink("localpasswd", "../../../../../etc/passwd")
             .Build();
       },
       absl::StatusCode::kOk, [](auto root) { return SameInode(root, "localpasswd", "etc/passwd"); }},
      {"HardlinkDirectAbsolute", nullptr,
       [](auto) {
         return TarBuilder().Dir("etc").File("/etc/passwd", "inside").Hardlink("localpasswd", "/etc/passwd").Build();
       },
       absl::StatusCode::kOk, [](auto root) { return SameInode(root, "localpasswd", "etc/passwd"); }},
      {"HardlinkSymlinkBeforeCreateTarget", nullptr,
       [](auto) {
         return TarBuilder().Dir("etc").Symlink("localpasswd", "/etc/passwd").Hardlink("localpasswd-dup", "localpasswd")
             .File("/etc/passwd", "after").Build();
       },
       absl::StatusCode::kOk,
       [](auto root) {
         auto r = SameInode(root, "localpasswd-dup", "localpasswd");
         return r ? IsSymlinkTo(root, "localpasswd-dup", "/etc/passwd") : r;
       }},
      {"HardlinkSymlinkRelative", nullptr,
       [](auto) {
         return TarBuilder().Dir("etc").File("/etc/passwd", "inside").Symlink("passwdlink", "../../../../../etc/passwd")
             .Hardlink("localpasswd", "/passwdlink").Build();
       },
       absl::StatusCode::kOk,
       [](auto root) { return IsSymlinkTo(root, "localpasswd", "../../../../../etc/passwd"); }},
      {"HardlinkSymlinkAbsolute", nullptr,
       [](auto) {
         return TarBuilder().Dir("etc").File("/etc/passwd", "inside").Symlink("passwdlink", "/etc/passwd")
             .Hardlink("localpasswd", "/passwdlink").Build();
       },
       absl::StatusCode::kOk, [](auto root) { return IsSymlinkTo(root, "localpasswd", "/etc/passwd"); }},
      {"SymlinkParentDirectory", nullptr,
       [](auto) {
         return TarBuilder().Dir("etc").File("/etc/passwd", "inside").Symlink("..", "/etc/")
             .Hardlink("localpasswd", "/etc/passwd").Build();
       },
       absl::StatusCode::kOk, [](auto root) { return SameInode(root, "localpasswd", "etc/passwd"); }},
      {"SymlinkParentRelative", nullptr,
       [](auto) {
         return TarBuilder().Dir("etc").File("/etc/passwd", "inside").Symlink("localetc/sub/..", "/etc/")
             .Hardlink("/localetc/localpasswd", "/etc/passwd").Build();
       },
       absl::StatusCode::kOk, [](auto root) { return SameInode(root, "etc/localpasswd", "etc/passwd"); }},
      {"SymlinkSlashEnded", nullptr,
       [](auto) {
         return TarBuilder().Dir("etc").File("/etc/passwd", "inside").Dir("localetc/")
             .Hardlink("/localetc/localpasswd", "/etc/passwd").Build();
       },
       absl::StatusCode::kOk, [](auto root) { return SameInode(root, "localetc/localpasswd", "etc/passwd"); }},
      {"SymlinkOverrideDirectory",
       [](auto root) { MakeTree(root, {{"etc/passwd", "inside"}, {"localetc/", ""}}); },
       [](auto) { return TarBuilder().Symlink("localetc", "/etc").Hardlink("/localetc/localpasswd", "/etc/passwd").Build(); },
       absl::StatusCode::kOk, [](auto root) { return SameInode(root, "etc/localpasswd", "etc/passwd"); }},
      {"SymlinkOverrideDirectoryRelative",
       [](auto root) { MakeTree(root, {{"etc/passwd", "inside"}, {"localetc/", ""}}); },
       [](auto) {
         return TarBuilder().Symlink("localetc", "../../etc").Hardlink("/localetc/localpasswd", "/etc/passwd").Build();
       },
       absl::StatusCode::kOk, [](auto root) { return SameInode(root, "etc/localpasswd", "etc/passwd"); }},
      {"DirectoryOverrideSymlink",
       [](auto root) {
         MakeTree(root, {{"etc/passwd", "inside"}});
         fs::create_symlink("/etc", root + "/localetc");
       },
       [](auto) { return TarBuilder().Dir("/localetc/").Hardlink("/localetc/localpasswd", "/etc/passwd").Build(); },
       absl::StatusCode::kOk,
       [](auto root) {
         auto r = SameInode(root, "localetc/localpasswd", "etc/passwd");
         return r && fs::is_directory(fs::symlink_status(root + "/localetc")) ? r
                                                                               : ::testing::AssertionFailure() << "not a dir";
       }},
      {"DirectoryOverrideSymlinkAndHardlink",
       [](auto root) {
         MakeTree(root, {{"etc/passwd", "inside"}});
         fs::create_symlink("etc", root + "/localetc");
         fs::create_hard_link(root + "/etc/passwd", root + "/etc/localpasswd");
       },
       [](auto) { return TarBuilder().Dir("/localetc/").File("/localetc/localpasswd", "different").Build(); },
       absl::StatusCode::kOk,
       [](auto root) {
         auto r = FileIs(root, "etc/passwd", "inside");
         return r ? FileIs(root, "localetc/localpasswd", "different") : r;
       }},
      {"WhiteoutRootParent", EtcPasswd, [](auto) { return TarBuilder().Whiteout(".wh...").Build(); },
       absl::StatusCode::kInvalidArgument, [](auto root) { return FileIs(root, "etc/passwd", "all users"); }},
      {"WhiteoutParent", EtcPasswd, [](auto) { return TarBuilder().Whiteout("etc/.wh...").Build(); },
       absl::StatusCode::kInvalidArgument, [](auto root) { return FileIs(root, "etc/passwd", "all users"); }},
      {"WhiteoutRoot", EtcPasswd, [](auto) { return TarBuilder().Whiteout(".wh..").Build(); },
       absl::StatusCode::kInvalidArgument, [](auto root) { return FileIs(root, "etc/passwd", "all users"); }},
      {"WhiteoutCurrentDirectory", EtcPasswd, [](auto) { return TarBuilder().Whiteout("etc/.wh..").Build(); },
       absl::StatusCode::kInvalidArgument, [](auto root) { return FileIs(root, "etc/passwd", "all users"); }},
      {"WhiteoutEmptyName", EtcPasswd, [](auto) { return TarBuilder().Whiteout("etc/.wh.").Build(); },
       absl::StatusCode::kInvalidArgument, [](auto root) { return FileIs(root, "etc/passwd", "all users"); }},
      {"WhiteoutSymlink",
       [](auto root) {
         EtcPasswd(root);
         fs::create_symlink("/etc", root + "/localetc");
       },
       [](auto) { return TarBuilder().Whiteout(".wh.localetc").Build(); }, absl::StatusCode::kOk,
       [](auto root) {
         auto r = FileIs(root, "etc/passwd", "all users");
         return r ? Missing(root, "localetc") : r;
       }},
      {"WhiteoutSymlinkPath",
       [](auto root) {
         MakeTree(root, {{"etc/passwd", "all users"}, {"etc/whitedout", "ahhh"}});
         fs::create_symlink("/etc", root + "/localetc");
       },
       [](auto) { return TarBuilder().Whiteout("localetc/.wh.whitedout").Build(); }, absl::StatusCode::kOk,
       [](auto root) {
         auto r = FileIs(root, "etc/passwd", "all users");
         return r ? Missing(root, "etc/whitedout") : r;
       }},
      {"WhiteoutDirectoryName",
       [](auto root) {
         EtcPasswd(root);
         fs::create_symlink("/etc", root + "/localetc");
       },
       [](auto) { return TarBuilder().File(".wh.etc/somefile", "non-empty").Build(); }, absl::StatusCode::kOk,
       [](auto root) {
         auto r = FileIs(root, "etc/passwd", "all users");
         return r ? FileIs(root, ".wh.etc/somefile", "non-empty") : r;
       }},
      {"WhiteoutDeadSymlinkParent",
       [](auto root) {
         EtcPasswd(root);
         fs::create_symlink("/dne", root + "/localetc");
       },
       [](auto) { return TarBuilder().Whiteout("localetc/.wh.etc").Build(); }, absl::StatusCode::kOk,
       [](auto root) { return FileIs(root, "etc/passwd", "all users"); }},
      {"WhiteoutRelativePath",
       [](auto root) {
         EtcPasswd(root);
         fs::create_symlink("/dne", root + "/localetc");
       },
       [](auto) { return TarBuilder().Whiteout("dne/../.wh.etc").Build(); }, absl::StatusCode::kOk,
       [](auto root) { return Missing(root, "etc/passwd"); }},
      {"HardlinkSymlinkChmod", nullptr,
       [](auto outside) {
         // A symlink at an absolute host path pointing at a host file, then a hardlink to it: the hardlink's
         // chmod must not reach the host file (it is the sentinel's, checked by the fixture).
         return TarBuilder().Symlink(outside + "/also", outside + "/secret")
             .Hardlink("sketchylink", outside + "/also", {.mode = 0777}).Build();
       },
       absl::StatusCode::kOk, [](auto root) { return ::testing::AssertionSuccess(); }},
      // berth's own cases, aimed at the sentinel directory beside the root.
      {"DotDotNames", nullptr,
       [](auto) {
         return TarBuilder().File("../sentinel/secret", "overwritten").File("../../../../tmp/x", "x")
             .Whiteout("../sentinel/.wh.secret").Build();
       },
       absl::StatusCode::kOk,
       [](auto root) {
         // "../sentinel/secret" is root/sentinel/secret; the whiteout then removes it again.
         auto r = Missing(root, "sentinel/secret");
         return r ? FileIs(root, "tmp/x", "x") : r;
       }},
      {"AbsoluteSentinelNames", nullptr,
       [](auto outside) {
         return TarBuilder().File(outside + "/secret", "overwritten").Whiteout(outside + "/etc/.wh.passwd")
             .Dir(outside + "/empty/").Whiteout(outside + "/empty/.wh..wh..opq").Build();
       },
       absl::StatusCode::kOk, [](auto) { return ::testing::AssertionSuccess(); }},
      {"SymlinkToSentinelThenWrite", nullptr,
       [](auto outside) {
         return TarBuilder().Symlink("out", outside).File("out/secret", "overwritten").File("out/new", "n")
             .Symlink("rel", "../sentinel").File("rel/secret", "overwritten").Build();
       },
       absl::StatusCode::kOk,
       [](auto root) {
         auto r = IsSymlinkTo(root, "out", "");
         return r ? FileIs(root, "sentinel/secret", "overwritten") : r;
       }},
      {"SymlinkToRootSlash", nullptr,
       [](auto outside) {
         return TarBuilder().Symlink("slash", "/").File("slash" + outside + "/secret", "overwritten")
             .Whiteout("slash" + outside + "/.wh.etc").Build();
       },
       absl::StatusCode::kOk, [](auto) { return ::testing::AssertionSuccess(); }},
      {"HardlinkToSentinel", nullptr,
       [](auto outside) {
         return TarBuilder().Hardlink("stolen", outside + "/secret").Build();
       },
       absl::StatusCode::kNotFound, [](auto root) { return Missing(root, "stolen"); }},
      {"HardlinkToSymlinkPointingOut", nullptr,
       [](auto outside) {
         return TarBuilder().Symlink("ptr", outside + "/secret").Hardlink("stolen", "ptr", {.mode = 0777}).Build();
       },
       absl::StatusCode::kOk, [](auto root) { return IsSymlinkTo(root, "stolen", ""); }},
      {"WhiteoutThroughSymlinkToSentinel", nullptr,
       [](auto outside) {
         return TarBuilder().Symlink("out", outside).Whiteout("out/.wh.secret").Whiteout("out/.wh.etc")
             .Symlink("rel", "../sentinel").Whiteout("rel/.wh.secret").Build();
       },
       absl::StatusCode::kOk, [](auto) { return ::testing::AssertionSuccess(); }},
      {"OpaqueThroughSymlinkToSentinel", nullptr,
       [](auto outside) {
         return TarBuilder().Symlink("out", outside).Whiteout("out/.wh..wh..opq").Symlink("rel", "..")
             .Whiteout("rel/.wh..wh..opq").Build();
       },
       absl::StatusCode::kOk, [](auto) { return ::testing::AssertionSuccess(); }},
      {"SymlinkPlantedByLowerLayer",
       [](auto root) { fs::create_symlink("../sentinel", root + "/lowerlink"); },
       [](auto) {
         return TarBuilder().File("lowerlink/secret", "overwritten").Whiteout("lowerlink/.wh.etc")
             .File("lowerlink/empty/x", "x").Build();
       },
       absl::StatusCode::kOk, [](auto) { return ::testing::AssertionSuccess(); }},
      {"DeviceThroughSymlink", nullptr,
       [](auto outside) {
         return TarBuilder().Symlink("d", outside + "/empty").Device("d/null", false, 1, 3).Fifo("d/fifo").Build();
       },
       absl::StatusCode::kOk, [](auto) { return ::testing::AssertionSuccess(); }},
      {"DirectoryReplacingSymlinkToSentinel",
       [](auto root) { fs::create_symlink("../sentinel", root + "/s"); },
       [](auto) {
         return TarBuilder().Dir("s/", {.mode = 0700}).File("s/secret", "mine").Build();
       },
       absl::StatusCode::kOk, [](auto root) { return FileIs(root, "s/secret", "mine"); }},
      {"XattrOnSymlinkToSentinel", nullptr,
       [](auto outside) {
         return TarBuilder().Symlink("ln", outside + "/secret", {.xattrs = {{"user.evil", "1"}}}).Build();
       },
       absl::StatusCode::kOk, [](auto) { return ::testing::AssertionSuccess(); }},
  };
}

class BreakoutTest : public ApplyFixture, public ::testing::WithParamInterface<Breakout> {};

TEST_P(BreakoutTest, StaysInsideTheRoot) {
  const Breakout& b = GetParam();
  if (b.before) b.before(root());
  const std::string outside = tmp_.Sub("sentinel");
  std::string tar = b.tar(outside);
  auto applied = ApplyTarToRoot(tar);
  EXPECT_EQ(applied.status().code(), b.code) << applied.status();
  EXPECT_TRUE(b.check(root()));
  // The daemon stays healthy: a clean layer applies right after.
  EXPECT_TRUE(ApplyTarToRoot(TarBuilder().File("after", "ok").Build()).ok());
}

INSTANTIATE_TEST_SUITE_P(Corpus, BreakoutTest, ::testing::ValuesIn(Corpus()),
                         [](const auto& info) { return info.param.name; });

// The same corpus in overlay mode: the upper dir is the root, and a lower dir with a symlink pointing out.
class OverlayBreakoutTest : public ApplyFixture, public ::testing::WithParamInterface<Breakout> {};

TEST_P(OverlayBreakoutTest, StaysInsideTheUpperDir) {
  const Breakout& b = GetParam();
  const std::string lower = tmp_.Sub("lower"), work = tmp_.Sub("work");
  fs::create_directories(lower);
  fs::create_directories(work);
  if (b.before) b.before(lower);
  fs::create_symlink(tmp_.Sub("sentinel"), lower + "/escape");
  std::string tar = b.tar(tmp_.Sub("sentinel"));
  mount::Mount m{.type = "overlay", .source = "overlay",
                 .options = {"workdir=" + work, "upperdir=" + root(), "lowerdir=" + lower}};
  auto applied = ApplyBlob(tar, "application/vnd.oci.image.layer.v1.tar", {m});
  // Errors are allowed here (e.g. a hardlink to a file that only a lower layer has); escapes are not.
  if (b.code == absl::StatusCode::kInvalidArgument) {
    EXPECT_EQ(applied.status().code(), b.code);
  }
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(lower + "/escape")));
}

INSTANTIATE_TEST_SUITE_P(Corpus, OverlayBreakoutTest, ::testing::ValuesIn(Corpus()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace berth::diff::testing
