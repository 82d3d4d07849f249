#include "df/analyzer.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "base/status.h"
#include "core/snapshots/disk_layout.h"
#include "df/holders.h"
#include "df/tree_size.h"
#include "fmt/format.h"
#include "metadata/keys.h"
#include "metadata/records.h"
#include "metadata/snapshot_record.h"

namespace berth::df {

namespace {

namespace fs = std::filesystem;
using gc::Node;
using gc::ResourceType;
using metadata::Table;

constexpr std::string_view kGcFrees = "nothing holds it: berth gc removes it";

// What the metadata records say, read in the same transaction as the holders.
struct Records {
  HolderMap holders;
  std::map<std::string, std::set<std::string>> blob_namespaces;  // digest → namespaces with a record
  struct Snapshot {
    std::string ns, key;
  };
  std::map<std::pair<std::string, std::string>, Snapshot> snapshots;  // (snapshotter, backend key) → record
  struct Ingest {
    std::string ns, ref, lease;
  };
  std::map<std::string, Ingest> ingests;  // backend ref → record
};

absl::StatusOr<Records> ReadRecords(const metadata::Db& db) {
  Records r;
  RETURN_IF_ERROR(db.View([&](const metadata::Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(r.holders, FindHolders(txn, absl::Now()));
    RETURN_IF_ERROR(txn.Scan(Table::kBlobRefs, "", [&](std::string_view key, std::string_view) {
      std::vector<std::string> parts = metadata::SplitKey(key);
      if (parts.size() == 2) r.blob_namespaces[parts[0]].insert(parts[1]);
      return true;
    }));
    absl::Status error;
    RETURN_IF_ERROR(txn.Scan(Table::kSnapshots, "", [&](std::string_view key, std::string_view value) {
      std::vector<std::string> parts = metadata::SplitKey(key);
      absl::StatusOr<metadata::SnapshotRecord> rec = metadata::DecodeSnapshot(parts.back(), value);
      if (!rec.ok()) {
        error = rec.status();
        return false;
      }
      r.snapshots[{parts[1], rec->backend_key}] = {parts[0], rec->key};
      return true;
    }));
    RETURN_IF_ERROR(error);
    RETURN_IF_ERROR(txn.Scan(Table::kIngests, "", [&](std::string_view key, std::string_view value) {
      std::vector<std::string> parts = metadata::SplitKey(key);
      absl::StatusOr<metadata::IngestRecord> rec = metadata::DecodeIngest(parts.back(), value);
      if (!rec.ok()) {
        error = rec.status();
        return false;
      }
      r.ingests[rec->backend_ref] = {parts[0], rec->ref, rec->lease};
      return true;
    }));
    return error;
  }));
  return r;
}

// Paths compare as strings: "/a/b", "/a/b/" and "/a/./b" must be one.
fs::path Norm(const fs::path& p) {
  fs::path n = p.lexically_normal();
  return n.has_filename() ? n : n.parent_path();
}

std::vector<fs::path> ListEntries(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) out.push_back(Norm(it->path()));
  std::sort(out.begin(), out.end());
  return out;
}

// Builds the report; one per Analyze call.
class Walk {
 public:
  Walk(const AnalyzerDeps& deps, Records records) : deps_(deps), records_(std::move(records)) {}

  absl::StatusOr<Report> Run() {
    report_.root = deps_.root;
    TreeSizer total;
    ASSIGN_OR_RETURN(report_.total_bytes, total.Size(deps_.root));
    std::map<fs::path, metadata::SnapshotStore*> snapshotter_roots;
    for (metadata::SnapshotStore* store : deps_.snapshotters) {
      if (auto* layout = dynamic_cast<snapshots::DiskLayout*>(store->backend().get())) {
        snapshotter_roots[Norm(layout->RootDir())] = store;
      }
    }
    const fs::path content_root = Norm(deps_.blobs->root());
    for (const fs::path& p : ListEntries(Norm(deps_.root))) {
      const std::string name = p.filename().string();
      if (p == content_root) {
        RETURN_IF_ERROR(Content(p));
      } else if (auto it = snapshotter_roots.find(p); it != snapshotter_roots.end()) {
        RETURN_IF_ERROR(Snapshotter(*it->second, p));
      } else if (name == "metadata" || name == "berthd.lock" || name == "uuid") {
        RETURN_IF_ERROR(Add({.category = kMetadata, .kind = name == "metadata" ? "lmdb" : "file", .path = p}));
      } else {
        RETURN_IF_ERROR(Orphan(p, false, "not berthd's: gc leaves it; remove it by hand if nothing needs it"));
      }
    }
    int64_t attributed = 0;
    for (const Entry& e : report_.entries) attributed += e.bytes;
    // The directories that hold the entries above (content/, blobs/, snapshots/ ...).
    if (report_.total_bytes > attributed) {
      report_.entries.push_back({.category = kMetadata,
                                 .kind = "directories",
                                 .key = ".",
                                 .path = deps_.root,
                                 .bytes = report_.total_bytes - attributed,
                                 .note = "the directories that hold the entries above"});
    }
    for (const Entry& e : report_.entries) {
      if (e.reclaimable) report_.reclaimable_bytes += e.bytes;
    }
    return std::move(report_);
  }

 private:
  absl::Status Add(Entry e) {
    absl::StatusOr<int64_t> size = sizer_.Size(e.path);
    if (absl::IsNotFound(size.status())) return absl::OkStatus();  // removed meanwhile
    RETURN_IF_ERROR(size.status());
    e.bytes = *size;
    if (e.key.empty()) e.key = fs::path(e.path).lexically_relative(deps_.root).string();
    report_.entries.push_back(std::move(e));
    return absl::OkStatus();
  }

  absl::Status Orphan(const fs::path& p, bool gc_removes, std::string note) {
    std::error_code ec;
    return Add({.category = kOrphans,
                .kind = fs::is_directory(fs::symlink_status(p, ec)) ? "dir" : "file",
                .path = p,
                .reclaimable = gc_removes,
                .note = std::move(note)});
  }

  std::set<std::string> HoldersOf(ResourceType type, const std::set<std::string>& namespaces,
                                  const std::string& key) const {
    std::set<std::string> out;
    for (const std::string& ns : namespaces) {
      auto it = records_.holders.find(Node{type, ns, key});
      if (it != records_.holders.end()) out.insert(it->second.begin(), it->second.end());
    }
    return out;
  }

  absl::Status Content(const fs::path& content_root) {
    const fs::path blobs_dir = Norm(deps_.blobs->BlobsDir());
    const fs::path ingests_dir = Norm(deps_.blobs->IngestsDir());
    std::map<fs::path, const Records::Ingest*> ingest_dirs;
    for (const auto& [backend_ref, rec] : records_.ingests) ingest_dirs[Norm(deps_.blobs->IngestDir(backend_ref))] = &rec;
    for (const fs::path& p : ListEntries(content_root)) {
      if (p == blobs_dir.parent_path()) {
        for (const fs::path& algo : ListEntries(p)) {
          if (algo != blobs_dir) {
            RETURN_IF_ERROR(Orphan(algo, false, "not a blob directory berthd writes"));
            continue;
          }
          for (const fs::path& blob : ListEntries(algo)) RETURN_IF_ERROR(Blob(blob));
        }
      } else if (p == ingests_dir) {
        for (const fs::path& dir : ListEntries(p)) {
          auto it = ingest_dirs.find(dir);
          if (it == ingest_dirs.end()) {
            RETURN_IF_ERROR(Orphan(dir, false, "an ingest no namespace records (ctr content active cannot see it)"));
            continue;
          }
          const Records::Ingest& rec = *it->second;
          std::set<std::string> holders = HoldersOf(ResourceType::kIngest, {rec.ns}, rec.ref);
          RETURN_IF_ERROR(Add({.category = kIngests,
                               .kind = "ingest",
                               .ns = rec.ns,
                               .key = rec.ref,
                               .holders = holders,
                               .path = dir,
                               .reclaimable = holders.empty(),
                               .note = holders.empty() ? std::string(kGcFrees) : ""}));
        }
      } else {
        RETURN_IF_ERROR(Orphan(p, false, "not part of the content store's layout"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Blob(const fs::path& p) {
    absl::StatusOr<Digest> digest = Digest::Parse(fmt::format("{}:{}", Digest::kAlgorithm, p.filename().string()));
    if (!digest.ok()) return Orphan(p, false, "not named by a digest");
    std::set<std::string> namespaces;
    if (auto it = records_.blob_namespaces.find(digest->str()); it != records_.blob_namespaces.end()) {
      namespaces = it->second;
    }
    std::set<std::string> holders = HoldersOf(ResourceType::kContent, namespaces, digest->str());
    std::string note;
    if (namespaces.empty()) {
      note = "no namespace records it: berth gc removes it";
    } else if (holders.empty()) {
      note = std::string(kGcFrees);
    }
    return Add({.category = kContent,
                .kind = "blob",
                .ns = absl::StrJoin(namespaces, ","),
                .key = digest->str(),
                .holders = std::move(holders),
                .path = p,
                .reclaimable = !note.empty(),
                .note = std::move(note)});
  }

  absl::Status Snapshotter(metadata::SnapshotStore& store, const fs::path& root) {
    auto* layout = dynamic_cast<snapshots::DiskLayout*>(store.backend().get());
    // Backend snapshots by directory.
    struct Known {
      std::string backend_key;
      snapshots::Kind kind;
    };
    std::map<fs::path, Known> known;
    RETURN_IF_ERROR(store.backend()->Walk(Context{}, {}, [&](const snapshots::Info& info) {
      absl::StatusOr<fs::path> dir = layout->SnapshotDir(info.name);
      if (dir.ok()) known[Norm(*dir)] = {info.name, info.kind};
      return absl::OkStatus();  // removed meanwhile: its directory shows as an orphan at most
    }));
    for (const fs::path& p : ListEntries(root)) {
      if (p.filename() == "metadata") {
        RETURN_IF_ERROR(Add({.category = kMetadata, .kind = "lmdb", .path = p, .note = store.snapshotter()}));
      } else if (p == Norm(layout->SnapshotsDir())) {
        for (const fs::path& dir : ListEntries(p)) {
          auto it = known.find(dir);
          if (it == known.end()) {
            RETURN_IF_ERROR(Orphan(dir, true, "no snapshot owns it: berth gc removes it"));
          } else {
            RETURN_IF_ERROR(Snapshot(store.snapshotter(), it->second.backend_key, it->second.kind, dir));
          }
        }
      } else {
        RETURN_IF_ERROR(Orphan(p, false, "not part of the snapshotter's layout"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Snapshot(const std::string& snapshotter, const std::string& backend_key, snapshots::Kind kind,
                        const fs::path& dir) {
    const char* kind_name = kind == snapshots::Kind::kCommitted ? "layer"
                            : kind == snapshots::Kind::kView    ? "view"
                                                                : "active";
    auto rec = records_.snapshots.find({snapshotter, backend_key});
    if (rec == records_.snapshots.end()) {
      return Add({.category = kSnapshots,
                  .kind = kind_name,
                  .key = snapshotter + "/" + backend_key,
                  .path = dir,
                  .reclaimable = true,
                  .note = "no namespace records it: berth gc removes it"});
    }
    std::set<std::string> holders =
        HoldersOf(ResourceType::kSnapshot, {rec->second.ns}, gc::SnapshotNodeKey(snapshotter, rec->second.key));
    return Add({.category = kSnapshots,
                .kind = kind_name,
                .ns = rec->second.ns,
                .key = snapshotter + "/" + rec->second.key,
                .holders = holders,
                .path = dir,
                .reclaimable = holders.empty(),
                .note = holders.empty() ? std::string(kGcFrees) : ""});
  }

  const AnalyzerDeps& deps_;
  Records records_;
  TreeSizer sizer_;
  Report report_;
};

}  // namespace

absl::StatusOr<Report> Analyzer::Analyze() const {
  ASSIGN_OR_RETURN(Records records, ReadRecords(*deps_.db));
  return Walk(deps_, std::move(records)).Run();
}

}  // namespace berth::df
