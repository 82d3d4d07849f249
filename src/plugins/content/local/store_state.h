// What LocalStore shares with the writers it hands out. Writers hold it by shared_ptr, so a writer
// stays valid (and keeps its ref locked) even if the store object is destroyed first.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "plugins/content/local/fs.h"
#include "plugins/content/local/ingest.h"
#include "plugins/content/local/ref_locks.h"

namespace berth::content {

struct StoreState {
  StoreState(Layout layout, std::shared_ptr<Fs> fs, int64_t writeback_bytes)
      : layout(std::move(layout)), fs(std::move(fs)), writeback_bytes(writeback_bytes) {}

  const Layout layout;
  const std::shared_ptr<Fs> fs;
  const int64_t writeback_bytes;
  RefLocks locks;
};

}  // namespace berth::content
