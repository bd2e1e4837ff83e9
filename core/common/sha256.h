// core/common/sha256.h: SHA-256 of files and buffers, as lower-case hex.
#pragma once

#include "core/common/result.h"

#include <string>
#include <string_view>

namespace gale {

std::string Sha256Hex(std::string_view data);
// Streams the file; an error names it when it cannot be read.
Result<std::string> Sha256File(const std::string& path);
// 64 lower-case hex digits.
bool IsSha256Hex(std::string_view s);

}  // namespace gale
