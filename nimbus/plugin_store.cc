#include "nimbus/plugin_store.h"

#include "core/common/sha256.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace gale::nimbus {

namespace fs = std::filesystem;

Status PluginStore::Init() {
  std::error_code ec;
  fs::create_directories(dir_ + "/plugins", ec);
  if (ec) return Status::Internal("cannot create '" + dir_ + "/plugins': " + ec.message());
  fs::create_directories(dir_ + "/uploads", ec);
  if (ec) return Status::Internal("cannot create '" + dir_ + "/uploads': " + ec.message());
  // Uploads a previous nimbus left unfinished are of no use now.
  for (const auto& e : fs::directory_iterator(dir_ + "/uploads", ec)) fs::remove(e.path(), ec);
  return Status::Ok();
}

bool PluginStore::Has(const std::string& sha256) const {
  struct stat st;
  return IsSha256Hex(sha256) && ::stat(PathOf(sha256).c_str(), &st) == 0;
}

Result<std::string> PluginStore::Begin(const std::string& sha256, int64_t size, Nanos now) {
  std::lock_guard lock(mu_);
  if (!IsSha256Hex(sha256)) {
    return Status::InvalidArgument("'" + sha256 + "' is not a SHA-256 (64 lower-case hex digits)");
  }
  if (size <= 0 || size > kMaxPluginBytes) {
    return Status::InvalidArgument("plugin size " + std::to_string(size) +
                                   " is out of range (1 byte to 1 GiB)");
  }
  if (Has(sha256)) return std::string();
  std::random_device rd;
  const std::string id = std::to_string(next_upload_++) + "-" + std::to_string(rd());
  std::ofstream(dir_ + "/uploads/" + id + ".part", std::ios::binary | std::ios::trunc);
  uploads_[id] = Upload{sha256, size, 0, now};
  return id;
}

Status PluginStore::Append(const std::string& upload_id, const std::string& chunk, Nanos now) {
  std::lock_guard lock(mu_);
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end()) return Status::InvalidArgument("unknown upload id '" + upload_id + "'");
  Upload& u = it->second;
  const std::string part = dir_ + "/uploads/" + upload_id + ".part";
  std::error_code ec;
  if (chunk.size() > kMaxChunkBytes) {
    uploads_.erase(it);
    fs::remove(part, ec);
    return Status::InvalidArgument("chunk of " + std::to_string(chunk.size()) +
                                   " bytes exceeds the 4 MiB limit; upload cancelled");
  }
  if (u.written + static_cast<int64_t>(chunk.size()) > u.size) {
    const int64_t declared = u.size;  // `u` goes with the entry
    uploads_.erase(it);
    fs::remove(part, ec);
    return Status::InvalidArgument("upload '" + upload_id + "' exceeds its declared size of " +
                                   std::to_string(declared) + " bytes; upload cancelled");
  }
  std::ofstream out(part, std::ios::binary | std::ios::app);
  out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  if (!out) return Status::Internal("cannot write upload '" + upload_id + "'");
  u.written += static_cast<int64_t>(chunk.size());
  u.last_activity = now;
  return Status::Ok();
}

Result<std::string> PluginStore::Finish(const std::string& upload_id) {
  Upload u;
  {
    // The upload is ours alone from here: hashing (up to 1 GiB) holds up
    // no other upload.
    std::lock_guard lock(mu_);
    auto it = uploads_.find(upload_id);
    if (it == uploads_.end()) {
      return Status::InvalidArgument("unknown upload id '" + upload_id + "'");
    }
    u = it->second;
    uploads_.erase(it);
  }
  const std::string part = dir_ + "/uploads/" + upload_id + ".part";
  std::error_code ec;
  if (u.written != u.size) {
    fs::remove(part, ec);
    return Status::InvalidArgument("upload has " + std::to_string(u.written) + " bytes, but " +
                                   std::to_string(u.size) + " were declared");
  }
  GALE_ASSIGN_OR_RETURN(std::string actual, Sha256File(part));
  if (actual != u.sha256) {
    fs::remove(part, ec);
    return Status::InvalidArgument("uploaded file has SHA-256 " + actual + ", not " + u.sha256);
  }
  fs::rename(part, PathOf(u.sha256), ec);
  if (ec) return Status::Internal("cannot store plugin " + u.sha256 + ": " + ec.message());
  return u.sha256;
}

Result<int64_t> PluginStore::Size(const std::string& sha256) const {
  std::error_code ec;
  const auto size = Has(sha256) ? fs::file_size(PathOf(sha256), ec) : 0;
  if (!Has(sha256) || ec) return Status::NotFound("no plugin with SHA-256 '" + sha256 + "'");
  return static_cast<int64_t>(size);
}

Status PluginStore::Store(const std::string& sha256, const std::string& bytes, Nanos now) {
  GALE_ASSIGN_OR_RETURN(const std::string id,
                        Begin(sha256, static_cast<int64_t>(bytes.size()), now));
  if (id.empty()) return Status::Ok();
  for (size_t at = 0; at < bytes.size(); at += kMaxChunkBytes) {
    GALE_RETURN_IF_ERROR(Append(id, bytes.substr(at, kMaxChunkBytes), now));
  }
  return Finish(id).status();
}

Result<std::string> PluginStore::Read(const std::string& sha256, int64_t offset,
                                      int32_t length) const {
  if (!Has(sha256)) return Status::NotFound("no plugin with SHA-256 '" + sha256 + "'");
  if (offset < 0 || length < 0) return Status::InvalidArgument("negative offset or length");
  const int32_t n = std::min<int32_t>(length, static_cast<int32_t>(kMaxChunkBytes));
  std::ifstream in(PathOf(sha256), std::ios::binary);
  in.seekg(offset);
  std::string out(static_cast<size_t>(n), '\0');
  in.read(out.data(), n);
  out.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return out;
}

void PluginStore::ExpireUploads(Nanos now, Nanos idle) {
  std::lock_guard lock(mu_);
  for (auto it = uploads_.begin(); it != uploads_.end();) {
    if (now - it->second.last_activity > idle) {
      std::error_code ec;
      fs::remove(dir_ + "/uploads/" + it->first + ".part", ec);
      it = uploads_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace gale::nimbus
