// Test helpers for the diff plugin: layer tars built with libarchive's writer (independent of our parser and
// of our own Diff writer), compression, temp dirs, and a canonical listing of a tree to compare.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/content/content.h"
#include "oci/descriptor.h"

struct archive;

namespace berth::diff::testing {

struct EntryOpts {
  uint32_t mode = 0644;
  int64_t uid = 0;
  int64_t gid = 0;
  int64_t mtime = 1700000000;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

// Builds a tar in memory (PAX, via libarchive). Names are written exactly as given.
class TarBuilder {
 public:
  TarBuilder();
  ~TarBuilder();
  TarBuilder& File(const std::string& name, const std::string& data, EntryOpts o = {});
  TarBuilder& Dir(const std::string& name, EntryOpts o = {.mode = 0755});
  TarBuilder& Symlink(const std::string& name, const std::string& target, EntryOpts o = {.mode = 0777});
  TarBuilder& Hardlink(const std::string& name, const std::string& target, EntryOpts o = {});
  TarBuilder& Device(const std::string& name, bool block, uint32_t major, uint32_t minor, EntryOpts o = {});
  TarBuilder& Fifo(const std::string& name, EntryOpts o = {});
  TarBuilder& Whiteout(const std::string& name) { return File(name, ""); }
  // Finishes the archive (end-of-archive blocks and block padding) and returns it.
  std::string Build();

 private:
  void Add(const std::string& name, unsigned type, const EntryOpts& o, const std::string& data,
           const std::string& symlink, const std::string& hardlink, uint32_t major = 0, uint32_t minor = 0);
  struct archive* a_;
  std::string out_;
};

std::string Gzip(const std::string& data);
std::string Zstd(const std::string& data);

// A directory under /tmp removed (after unmounting anything left on it) at scope exit.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// path → "type mode uid:gid size content-digest link rdev xattrs[ mtime]" for every entry under `dir`
// (the root itself as "."). Never follows symlinks.
std::map<std::string, std::string> ListTree(const std::string& dir, bool with_mtime = false);

void MakeTree(const std::string& dir, const std::map<std::string, std::string>& files);
std::string ReadFileOrEmpty(const std::string& path);

// Writes `blob` into `store` and returns its descriptor with `media_type`.
absl::StatusOr<oci::Descriptor> PutBlob(content::Store& store, const std::string& blob,
                                        const std::string& media_type);

}  // namespace berth::diff::testing
