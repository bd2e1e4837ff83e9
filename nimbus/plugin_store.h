// nimbus/plugin_store.h
//
// Plugin files stored by their SHA-256 in <state-dir>/plugins/<sha256>.
// Uploads go to <state-dir>/uploads/<id>.part in chunks and are moved into
// place only after their size and hash check out, so a stored plugin is
// always complete and what its name says.
//
// Threading: thread-safe (uploads under one mutex; reads of stored files
// need none: a stored file never changes).
#pragma once

#include "core/common/clock.h"
#include "core/common/result.h"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace gale::nimbus {

class PluginStore {
 public:
  static constexpr int64_t kMaxPluginBytes = int64_t{1} << 30;
  static constexpr size_t kMaxChunkBytes = 4 << 20;

  explicit PluginStore(std::string dir) : dir_(std::move(dir)) {}
  Status Init();  // creates the folders

  bool Has(const std::string& sha256) const;
  std::string PathOf(const std::string& sha256) const { return dir_ + "/plugins/" + sha256; }

  // "" when the hash is stored already. Errors for a malformed hash or size.
  Result<std::string> Begin(const std::string& sha256, int64_t size, Nanos now);
  Status Append(const std::string& upload_id, const std::string& chunk, Nanos now);
  // The stored plugin's SHA-256.
  Result<std::string> Finish(const std::string& upload_id);
  Result<std::string> Read(const std::string& sha256, int64_t offset, int32_t length) const;
  // The stored plugin's size in bytes; kNotFound when it is not stored.
  Result<int64_t> Size(const std::string& sha256) const;
  // Stores `bytes` as the plugin `sha256` (an upload in one piece: checked
  // the same way). Fine when it is stored already.
  Status Store(const std::string& sha256, const std::string& bytes, Nanos now);
  // Drops uploads idle for longer than `idle`.
  void ExpireUploads(Nanos now, Nanos idle);

 private:
  struct Upload {
    std::string sha256;
    int64_t size = 0;
    int64_t written = 0;
    Nanos last_activity{0};
  };
  std::string dir_;
  std::mutex mu_;
  std::map<std::string, Upload> uploads_;
  uint64_t next_upload_ = 1;
};

}  // namespace gale::nimbus
