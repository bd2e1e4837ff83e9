// core/common/files.h: whole-file reads and crash-safe writes.
#pragma once

#include "core/common/result.h"

#include <string>

namespace gale {

Result<std::string> ReadWholeFile(const std::string& path);

// Writes `content` to a temporary file beside `path`, fsyncs it, renames it
// over `path` and fsyncs the directory: after a crash at any moment the file
// holds either the old content or the new, never a mix.
Status WriteFileAtomically(const std::string& path, const std::string& content);

}  // namespace gale
