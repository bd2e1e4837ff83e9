#include "supervisor/plugin_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/common/logging.h"

namespace gale::supervisor {
namespace {

// OpenSSL's EVP digest context, freed on every path.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    ok_ = ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1;
  }
  void Update(const char* data, size_t n) {
    ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), data, n) == 1;
  }
  Result<std::string> HexDigest() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) {
      return Status::Internal("SHA-256 failed in OpenSSL");
    }
    static const char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < len; ++i) {
      hex += kHex[md[i] >> 4];
      hex += kHex[md[i] & 0xf];
    }
    return hex;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
  bool ok_ = false;
};

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

bool IsSha256Hex(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> Sha256OfFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound(ErrnoText("cannot open", path));
  Sha256 sha;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Status::Internal(ErrnoText("cannot read", path));
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    sha.Update(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return sha.HexDigest();
}

Status PluginStore::Ensure(const std::string& sha256, const ChunkReader& read_chunk) {
  if (!IsSha256Hex(sha256)) {
    return Status::InvalidArgument("plugin hash '" + sha256 + "' is not 64 lower-case hex digits");
  }
  if (verified_.count(sha256)) return Status::Ok();
  const std::string path = PathOf(sha256);
  if (::access(path.c_str(), F_OK) == 0) {
    auto have = Sha256OfFile(path);
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
  Sha256 sha;
  int64_t offset = 0;
  for (;;) {
    auto chunk = read_chunk(offset, kChunkBytes);
    if (!chunk.ok()) return fail(chunk.status());
    if (chunk->empty()) break;
    if (offset + static_cast<int64_t>(chunk->size()) > kMaxPluginBytes) {
      return fail(
          Status::InvalidArgument("larger than " + std::to_string(kMaxPluginBytes) + " bytes"));
    }
    sha.Update(chunk->data(), chunk->size());
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
