#include "tests/util/tree.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/util/subprocess.h"

#ifndef BERTH_PYTHON3
#error "BERTH_PYTHON3 must be defined by the build"
#endif
#ifndef BERTH_TEST_UTIL_DIR
#error "BERTH_TEST_UTIL_DIR must be defined by the build"
#endif

namespace berth::testing {

const TreeEntry* Tree::Find(const std::string& path) const {
  auto it = entries.find(path);
  return it == entries.end() ? nullptr : &it->second;
}

std::string OctalMode(uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04o", mode);
  return buf;
}

::testing::AssertionResult SnapshotTree(const std::string& root, Tree* tree) {
  RunOptions options;
  options.timeout = std::chrono::minutes(2);
  auto r = RunCommand({BERTH_PYTHON3, std::string(BERTH_TEST_UTIL_DIR) + "/tree_snapshot.py", root}, options);
  if (!r.ok()) return ::testing::AssertionFailure() << "tree snapshot of " << root << " failed\n" << r.Describe();
  try {
    auto j = nlohmann::json::parse(r.out);
    tree->root = j.at("root");
    tree->entries.clear();
    for (const auto& je : j.at("entries")) {
      TreeEntry e;
      e.path = je.at("path");
      e.type = je.at("type");
      e.mode = je.at("mode");
      e.uid = je.at("uid");
      e.gid = je.at("gid");
      e.nlink = je.at("nlink");
      e.mtime_ns = je.at("mtime_ns");
      e.size = je.value("size", uint64_t{0});
      e.sha256 = je.value("sha256", "");
      e.target = je.value("target", "");
      e.major = je.value("major", -1);
      e.minor = je.value("minor", -1);
      e.xattrs = je.at("xattrs").get<std::map<std::string, std::string>>();
      e.link_group = je.value("link_group", "");
      tree->entries.emplace(e.path, std::move(e));
    }
  } catch (const nlohmann::json::exception& e) {
    return ::testing::AssertionFailure() << "cannot parse tree snapshot of " << root << ": " << e.what();
  }
  return ::testing::AssertionSuccess();
}

std::string DescribeEntry(const TreeEntry& e) {
  std::ostringstream s;
  s << e.type << " " << OctalMode(e.mode) << " " << e.uid << ":" << e.gid;
  if (e.type == "file") s << " size=" << e.size << " sha256=" << e.sha256.substr(0, 12);
  if (e.type == "symlink") s << " -> " << e.target;
  if (e.major >= 0) s << " dev=" << e.major << ":" << e.minor;
  if (!e.link_group.empty()) s << " link_group=" << e.link_group << " nlink=" << e.nlink;
  if (!e.xattrs.empty()) {
    s << " xattrs{";
    bool first = true;
    for (const auto& [k, v] : e.xattrs) {
      s << (first ? "" : ",") << k << "=" << v;
      first = false;
    }
    s << "}";
  }
  return s.str();
}

std::string DiffTrees(const Tree& expected, const Tree& actual, const TreeCompareOptions& options) {
  std::ostringstream out;
  auto field = [&](const std::string& path, const char* name, const auto& want, const auto& got) {
    if (want != got) out << path << ": " << name << " " << want << " (expected) != " << got << "\n";
  };
  for (const auto& [path, want] : expected.entries) {
    if (path == "." && !options.root_entry) continue;
    const TreeEntry* got = actual.Find(path);
    if (got == nullptr) {
      out << "only in expected (" << expected.root << "): " << path << "  " << DescribeEntry(want) << "\n";
      continue;
    }
    field(path, "type", want.type, got->type);
    if (want.type != got->type) continue;
    field(path, "mode", OctalMode(want.mode), OctalMode(got->mode));
    field(path, "uid", want.uid, got->uid);
    field(path, "gid", want.gid, got->gid);
    field(path, "size", want.size, got->size);
    field(path, "sha256", want.sha256, got->sha256);
    field(path, "target", want.target, got->target);
    field(path, "major", want.major, got->major);
    field(path, "minor", want.minor, got->minor);
    field(path, "link_group", want.link_group, got->link_group);
    if (options.nlink && want.type != "dir") field(path, "nlink", want.nlink, got->nlink);
    bool check_mtime = want.type == "dir" ? options.dir_mtimes : options.file_mtimes;
    if (check_mtime) field(path, "mtime_ns", want.mtime_ns, got->mtime_ns);
    if (want.xattrs != got->xattrs) {
      TreeEntry a = want, b = *got;
      out << path << ": xattrs differ: " << DescribeEntry(a) << " (expected) != " << DescribeEntry(b) << "\n";
    }
  }
  for (const auto& [path, got] : actual.entries) {
    if (path == "." && !options.root_entry) continue;
    if (!expected.Has(path)) {
      out << "only in actual (" << actual.root << "): " << path << "  " << DescribeEntry(got) << "\n";
    }
  }
  return out.str();
}

}  // namespace berth::testing
