// core/common/sha256.h: SHA-256 of files and buffers, as lower-case hex.
#pragma once

#include "core/common/result.h"

#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace gale {

// SHA-256 of bytes given piece by piece (a download as it arrives).
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  void Update(std::string_view data);
  // The digest as lower-case hex; an error if OpenSSL failed on the way.
  Result<std::string> HexDigest();

 private:
  struct Free {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, Free> ctx_;
  bool ok_ = false;
};

std::string Sha256Hex(std::string_view data);
// Streams the file; an error names it when it cannot be read.
Result<std::string> Sha256File(const std::string& path);
// 64 lower-case hex digits.
bool IsSha256Hex(std::string_view s);

}  // namespace gale
