// supervisor/plugin_store.h
//
// The plugin libraries of this machine's workers: <dir>/<sha256>.so, one
// file per content hash, so topologies that share a plugin share its file.
// A file appears under its final name only after its bytes were checked
// against the hash, so a worker never loads a partial or corrupt download.
//
// Threading: not thread-safe; the supervisor uses it on its nimbus thread.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "core/common/result.h"

namespace gale::supervisor {

// Hashes are checked and computed with core/common/sha256.h (IsSha256Hex:
// 64 lower-case hex digits, safe as a file name).

// Returns up to `length` bytes of the plugin from `offset`; empty at the end.
using ChunkReader = std::function<Result<std::string>(int64_t offset, int32_t length)>;

class PluginStore {
 public:
  static constexpr int32_t kChunkBytes = 1 << 20;
  // Larger downloads are abandoned: no plugin library is this big.
  static constexpr int64_t kMaxPluginBytes = int64_t{2} << 30;

  // `dir` must exist.
  explicit PluginStore(std::string dir) : dir_(std::move(dir)) {}
  PluginStore(const PluginStore&) = delete;
  PluginStore& operator=(const PluginStore&) = delete;

  std::string PathOf(const std::string& sha256) const { return dir_ + "/" + sha256 + ".so"; }

  // Makes sure PathOf(sha256) holds bytes with that hash: a file already
  // there is checked (once per process), a missing or wrong one is
  // downloaded in kChunkBytes chunks with `read_chunk` into a temporary file
  // that is renamed into place once its hash matches. On a mismatch nothing
  // is left behind and the error says which hash arrived.
  Status Ensure(const std::string& sha256, const ChunkReader& read_chunk);

 private:
  Status Download(const std::string& sha256, const ChunkReader& read_chunk);

  const std::string dir_;
  std::set<std::string> verified_;
};

}  // namespace gale::supervisor
