// core/common/files.h: whole-file reads, crash-safe writes, and where this
// program lives.
#pragma once

#include "core/common/result.h"

#include <string>

namespace gale {

Result<std::string> ReadWholeFile(const std::string& path);

// Writes `content` to a temporary file beside `path`, fsyncs it, renames it
// over `path` and fsyncs the directory: after a crash at any moment the file
// holds either the old content or the new, never a mix.
Status WriteFileAtomically(const std::string& path, const std::string& content);

// fsyncs a file or a directory (a directory: the names in it, after a
// rename or a create).
Status SyncPath(const std::string& path);

// The absolute path of the running executable (/proc/self/exe), or `argv0`
// when that cannot be read. Daemons find their sibling programs by it.
std::string SelfExecutable(const char* argv0);

}  // namespace gale
