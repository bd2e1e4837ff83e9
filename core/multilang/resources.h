// core/multilang/resources.h
//
// Shipping a topology's multilang code: `gale submit` packs the
// `resources/` folder next to the YAML into one tar archive (sorted names,
// zero times and owners, links followed: the same folder always gives the
// same bytes, hence the same SHA-256), uploads it like a plugin, and puts
// its hash in the topology config (multilang.resources.sha256). A worker
// downloads it by that hash and unpacks it once per machine; the shell
// components run with the unpacked folder as their working directory.
// Uses the system's `tar` (GNU tar, Debian's base system).
#pragma once

#include "core/common/result.h"

#include <string>

namespace gale::multilang {

// Packs the contents of `dir` into the archive `tar_path`. Errors name the
// folder and what tar said.
Status PackResources(const std::string& dir, const std::string& tar_path);

// Unpacks `tar_path` into `dest` unless `dest` exists already: into a
// temporary folder beside it first, renamed into place, so a concurrent
// worker never sees half a folder.
Status UnpackResources(const std::string& tar_path, const std::string& dest);

}  // namespace gale::multilang
