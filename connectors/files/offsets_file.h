// connectors/files/offsets_file.h
//
// FileSpout's durable state: per file of the watched directory, how far its
// lines are acked (a byte offset) and which file that was (its inode, so a
// new file under an old name starts from 0). A small text file:
//
//   # gale FileSpout offsets v1
//   <committed offset> <inode> <file name>
//
// replaced atomically: written to <path>.tmp, fsynced, renamed over <path>,
// and the directory fsynced, so that a crash leaves either the old or the new
// file, whole.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace gale::connectors::files {

struct FileOffset {
  uint64_t inode = 0;
  uint64_t committed = 0;
  bool operator==(const FileOffset&) const = default;
};

// File name (within the directory) -> its offset.
using Offsets = std::map<std::string, FileOffset>;

// Reads `path`. A missing file is an empty map. False, with `error` saying
// what and where ("<path>:3: ..."), when it cannot be read or parsed.
bool ReadOffsets(const std::string& path, Offsets* out, std::string* error);

// The file's text, as WriteOffsets writes it.
std::string FormatOffsets(const Offsets& offsets);
// Parses that text; `where` names it in errors.
bool ParseOffsets(const std::string& text, const std::string& where, Offsets* out,
                  std::string* error);

// Replaces `path` atomically (temp file, fsync, rename, fsync of the
// directory). False, with `error` naming the file and the system's message.
bool WriteOffsets(const std::string& path, const Offsets& offsets, std::string* error);

}  // namespace gale::connectors::files
