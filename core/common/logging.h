// core/common/logging.h
//
// Minimal leveled logging to stderr: GALE_LOG(kInfo) << "started". Lines are
// written whole, so threads do not interleave within a line.
#pragma once

#include <sstream>
#include <string>

namespace gale {

enum class LogLevel { kDebug = 0, kInfo, kWarn, kError };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warn", "error"; false when unknown.
bool ParseLogLevel(const std::string& text, LogLevel* level);

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
