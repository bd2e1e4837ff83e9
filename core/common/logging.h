// core/common/logging.h
//
// Minimal leveled logging to stderr: GALE_LOG(kInfo) << "started". Lines are
// written whole, so threads do not interleave within a line. A process can
// send its stderr (and stdout) to a file rotated by size (LogToFile: the
// workers do, so a noisy plugin cannot fill the disk).
#pragma once

#include "core/common/status.h"

#include <gale/log.h>

#include <sstream>
#include <string>
#include <string_view>

namespace gale {

enum class LogLevel { kDebug = 0, kInfo, kWarn, kError };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warn", "error"; false when unknown.
bool ParseLogLevel(const std::string& text, LogLevel* level);

// From now on stdout and stderr go to `path` (appended), and when it grows
// past `max_bytes` it is renamed to path.1 (path.1 to path.2, ..., the
// oldest of `max_files` files in all removed) and a new one started.
// Errors: the file cannot be opened.
Status LogToFile(const std::string& path, int64_t max_bytes, int max_files);

// Writes one whole line (with its newline) to the log, rotating when due.
void WriteLogLine(std::string_view line);

// The sink plugin loggers (gale/log.h) write through: this process's level
// and WriteLogLine.
const LogSink& EngineLogSink();

namespace internal {
class LogLine {
 public:
  LogLine(LogLevel level, const char* file, int line);
  ~LogLine();
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};
}  // namespace internal
}  // namespace gale

// A for-loop rather than an if, so that `if (x) GALE_LOG(kInfo) << y; else`
// binds as it reads.
#define GALE_LOG(level)                                                                    \
  for (bool gale_log_on_ = ::gale::LogLevel::level >= ::gale::GetLogLevel(); gale_log_on_; \
       gale_log_on_ = false)                                                               \
  ::gale::internal::LogLine(::gale::LogLevel::level, __FILE__, __LINE__).stream()
