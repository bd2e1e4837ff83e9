#include "supervisor/plugin_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/common/logging.h"
#include "core/common/sha256.h"

namespace gale::supervisor {
namespace {

std::string ErrnoText(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

Status WriteAll(int fd, const std::string& bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Internal(ErrnoText("cannot write", path));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Status PluginStore::Ensure(const std::string& sha256, const ChunkReader& read_chunk) {
  if (!IsSha256Hex(sha256)) {
    return Status::InvalidArgument("plugin hash '" + sha256 + "' is not 64 lower-case hex digits");
  }
  if (verified_.count(sha256)) return Status::Ok();
  const std::string path = PathOf(sha256);
  if (::access(path.c_str(), F_OK) == 0) {
    auto have = Sha256File(path);
    if (have.ok() && *have == sha256) {
      verified_.insert(sha256);
      return Status::Ok();
    }
    // Someone changed the file under us: fetch it again.
    std::remove(path.c_str());
  }
  GALE_RETURN_IF_ERROR(Download(sha256, read_chunk));
  verified_.insert(sha256);
  return Status::Ok();
}

Status PluginStore::Download(const std::string& sha256, const ChunkReader& read_chunk) {
  const std::string tmp = PathOf(sha256) + ".part";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Internal(ErrnoText("cannot create", tmp));
  // Every early return below removes the partial file.
  auto fail = [&](Status s) {
    ::close(fd);
    std::remove(tmp.c_str());
    return s.WithContext("plugin " + sha256);
  };
  Sha256Stream sha;
  int64_t offset = 0;
  for (;;) {
    auto chunk = read_chunk(offset, kChunkBytes);
    if (!chunk.ok()) return fail(chunk.status());
    if (chunk->empty()) break;
    if (offset + static_cast<int64_t>(chunk->size()) > kMaxPluginBytes) {
      return fail(
          Status::InvalidArgument("larger than " + std::to_string(kMaxPluginBytes) + " bytes"));
    }
    sha.Update(*chunk);
    Status w = WriteAll(fd, *chunk, tmp);
    if (!w.ok()) return fail(w);
    offset += static_cast<int64_t>(chunk->size());
  }
  auto got = sha.HexDigest();
  if (!got.ok()) return fail(got.status());
  if (*got != sha256) {
    return fail(Status::InvalidArgument("downloaded " + std::to_string(offset) +
                                        " bytes whose SHA-256 is " + *got));
  }
  if (::fsync(fd) != 0) return fail(Status::Internal(ErrnoText("cannot fsync", tmp)));
  ::close(fd);
  if (std::rename(tmp.c_str(), PathOf(sha256).c_str()) != 0) {
    Status s = Status::Internal(ErrnoText("cannot rename", tmp));
    std::remove(tmp.c_str());
    return s.WithContext("plugin " + sha256);
  }
  GALE_LOG(kInfo) << "downloaded plugin " << sha256 << " (" << offset << " bytes)";
  return Status::Ok();
}

}  // namespace gale::supervisor
