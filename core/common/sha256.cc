#include "core/common/sha256.h"

#include <openssl/evp.h>

#include <cstring>
#include <fstream>
#include <memory>

namespace gale {
namespace {

std::string Hex(const unsigned char* d, unsigned n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(kDigits[d[i] >> 4]);
    out.push_back(kDigits[d[i] & 15]);
  }
  return out;
}

}  // namespace

void Sha256Stream::Free::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  ok_ = ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1;
}

Sha256Stream::~Sha256Stream() = default;

void Sha256Stream::Update(std::string_view data) {
  ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) == 1;
}

Result<std::string> Sha256Stream::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), digest, &len) != 1) {
    return Status::Internal("SHA-256 failed in OpenSSL");
  }
  return Hex(digest, len);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  return Hex(digest, len);
}

Result<std::string> Sha256File(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read '" + path + "'");
  Sha256Stream sha;
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    sha.Update(std::string_view(buf, static_cast<size_t>(in.gcount())));
  }
  if (in.bad()) return Status::Internal("error reading '" + path + "'");
  return sha.HexDigest();
}

bool IsSha256Hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace gale
