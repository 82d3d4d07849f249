// What `berth fsck` reports: one problem per damaged or inconsistent object, and the progress of a run.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>

namespace berth::fsck {

struct Problem {
  std::string object;             // "blob sha256:…", "snapshot overlayfs/<key>", "content record sha256:…"
  std::string ns;
  std::string path;
  std::string what;               // what is wrong
  std::string repair;             // what --repair does (or did)
  std::set<std::string> holders;  // "image <name>", "container <id>", ...
  bool repaired = false;
  std::string repair_error;       // why a repair failed or was not attempted
};

struct Progress {
  std::string phase;  // blobs, records, orphans
  int64_t done = 0;
  int64_t total = 0;
};

struct Summary {
  int64_t blobs_checked = 0;
  int64_t snapshots_checked = 0;
  int64_t problems = 0;
  int64_t repaired = 0;
  int64_t remaining = 0;
  std::string text;
};

// Called one call at a time (never concurrently), possibly from the blob-hashing threads.
struct Sink {
  std::function<void(const Progress&)> progress;
  std::function<void(const Problem&)> problem;
};

}  // namespace berth::fsck
