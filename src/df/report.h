// What `berth df` reports: every byte under the daemon's root, attributed.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace berth::df {

// Categories of bytes, as the CLI prints them.
inline constexpr char kContent[] = "content";      // blobs (kind "blob")
inline constexpr char kSnapshots[] = "snapshots";  // kind "layer" (committed), "active", "view"
inline constexpr char kIngests[] = "ingests";      // writes in progress
inline constexpr char kMetadata[] = "metadata";    // LMDB environments, lock and uuid files, directories
inline constexpr char kOrphans[] = "orphans";      // files and directories no metadata knows

struct Entry {
  std::string category;
  std::string kind;
  std::string ns;                  // namespaces holding records of it, comma-separated; empty if none
  std::string key;                 // digest, snapshot key, ingest ref, or the path relative to the root
  std::set<std::string> holders;   // "image <name>", "container <id>", "lease <id>", ...; empty if none
  std::string path;                // absolute
  int64_t bytes = 0;
  bool reclaimable = false;        // `berth gc` would remove it
  std::string note;                // why it is reclaimable, or what it is
};

struct Report {
  std::string root;
  int64_t total_bytes = 0;  // everything under root, as `du -sb root`
  int64_t reclaimable_bytes = 0;
  std::vector<Entry> entries;
};

}  // namespace berth::df
