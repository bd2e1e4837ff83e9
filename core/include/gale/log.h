// core/include/gale/log.h
//
// Logging for plugin code: context.logger().Info("read ", n, " lines").
// Every line names its component and task and is written whole with the
// engine's own lines, into the worker's log (rotated by size, readable with
// `gale logs` and in the UI):
//
//   12:03:07.412 INFO [4242] split:3] read 12 lines
//
// Arguments are joined with operator<<. A level below the worker's
// (GALE_LOG_LEVEL, default info) costs one call and no formatting.
//
// Threading: a Logger may be used from any thread.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <string>
#include <string_view>

namespace gale {

enum class LogSeverity : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Where a Logger's lines go; the worker provides one. Both functions are
// thread-safe.
struct LogSink {
  bool (*enabled)(LogSeverity severity);
  // `line` is whole, newline included.
  void (*write)(std::string_view line);
};

class Logger {
 public:
  // Without a sink: lines go to stderr (a test that builds a context itself).
  Logger() = default;
  Logger(std::string component, int32_t task, const LogSink* sink)
      : tag_(component + ":" + std::to_string(task)), sink_(sink) {}

  template <typename... Args>
  void Debug(const Args&... args) const {
    Log(LogSeverity::kDebug, args...);
  }
  template <typename... Args>
  void Info(const Args&... args) const {
    Log(LogSeverity::kInfo, args...);
  }
  template <typename... Args>
  void Warn(const Args&... args) const {
    Log(LogSeverity::kWarn, args...);
  }
  template <typename... Args>
  void Error(const Args&... args) const {
    Log(LogSeverity::kError, args...);
  }

  template <typename... Args>
  void Log(LogSeverity severity, const Args&... args) const {
    if (!Enabled(severity)) return;
    std::ostringstream message;
    (message << ... << args);
    Write(severity, message.str());
  }

  bool Enabled(LogSeverity severity) const {
    return sink_ ? sink_->enabled(severity) : severity >= LogSeverity::kInfo;
  }

  // "component:task", as the lines show it.
  const std::string& tag() const { return tag_; }

 private:
  void Write(LogSeverity severity, const std::string& message) const {
    static const char* const kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    const int ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000);
    std::tm tm;
    gmtime_r(&t, &tm);
    char prefix[64];
    std::snprintf(prefix, sizeof prefix, "%02d:%02d:%02d.%03d %s [%d] ", tm.tm_hour, tm.tm_min,
                  tm.tm_sec, ms, kNames[static_cast<int>(severity) & 3],
                  static_cast<int>(::getpid()));
    std::string line = prefix;
    line += tag_.empty() ? std::string("plugin") : tag_;
    line += "] ";
    // A message of several lines stays one entry: later lines indented.
    for (char c : message) {
      line += c;
      if (c == '\n') line += "    ";
    }
    line += '\n';
    if (sink_) {
      sink_->write(line);
    } else {
      ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
      (void)ignored;
    }
  }

  std::string tag_;
  const LogSink* sink_ = nullptr;
};

}  // namespace gale
