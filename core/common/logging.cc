#include "core/common/logging.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>

namespace gale {
namespace {
LogLevel InitialLevel() {
  LogLevel level = LogLevel::kInfo;
  if (const char* env = std::getenv("GALE_LOG_LEVEL")) ParseLogLevel(env, &level);
  return level;
}
std::atomic<LogLevel> g_level{InitialLevel()};
const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}
// The rotating file, when LogToFile was called.
struct LogFile {
  std::mutex mu;
  std::string path;
  int64_t max_bytes = 0;
  int max_files = 0;
};
LogFile& TheLogFile() {
  static LogFile* file = new LogFile;  // never destroyed: threads may log at exit
  return *file;
}

int OpenOnto(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return -errno;
  ::dup2(fd, STDOUT_FILENO);
  ::dup2(fd, STDERR_FILENO);
  ::close(fd);
  return 0;
}

// REQUIRES: f.mu held.
void RotateIfDue(LogFile& f) {
  struct stat st;
  if (f.max_bytes <= 0 || ::fstat(STDERR_FILENO, &st) != 0 || st.st_size < f.max_bytes) return;
  for (int i = f.max_files - 1; i >= 1; --i) {
    const std::string from = i == 1 ? f.path : f.path + "." + std::to_string(i - 1);
    ::rename(from.c_str(), (f.path + "." + std::to_string(i)).c_str());
  }
  if (f.max_files <= 1) ::unlink(f.path.c_str());
  OpenOnto(f.path);  // on failure the old descriptor stays: lines go to the renamed file
}

}  // namespace

Status LogToFile(const std::string& path, int64_t max_bytes, int max_files) {
  LogFile& f = TheLogFile();
  std::lock_guard<std::mutex> lock(f.mu);
  if (const int rc = OpenOnto(path); rc < 0) {
    return Status::Internal("cannot open log file " + path + ": " + std::strerror(-rc));
  }
  f.path = path;
  f.max_bytes = max_bytes;
  f.max_files = max_files < 1 ? 1 : max_files;
  RotateIfDue(f);
  return Status::Ok();
}

void WriteLogLine(std::string_view line) {
  LogFile& f = TheLogFile();
  std::lock_guard<std::mutex> lock(f.mu);
  // One write(2) per line keeps lines whole across threads and processes.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
  RotateIfDue(f);
}

const LogSink& EngineLogSink() {
  static const LogSink sink{
      [](LogSeverity s) { return static_cast<int>(s) >= static_cast<int>(GetLogLevel()); },
      [](std::string_view line) { WriteLogLine(line); }};
  return sink;
}

void SetLogLevel(LogLevel level) { g_level.store(level); }
LogLevel GetLogLevel() { return g_level.load(); }

bool ParseLogLevel(const std::string& text, LogLevel* level) {
  if (text == "debug") *level = LogLevel::kDebug;
  else if (text == "info") *level = LogLevel::kInfo;
  else if (text == "warn") *level = LogLevel::kWarn;
  else if (text == "error") *level = LogLevel::kError;
  else return false;
  return true;
}

namespace internal {
LogLine::LogLine(LogLevel level, const char* file, int line) {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  int ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  const char* base = file;
  for (const char* p = file; *p; ++p) {
    if (*p == '/') base = p + 1;
  }
  char prefix[64];
  std::snprintf(prefix, sizeof prefix, "%s.%03d", buf, ms);
  stream_ << prefix << " " << LevelName(level) << " [" << getpid() << "] " << base << ":" << line
          << "] ";
}
LogLine::~LogLine() {
  stream_ << '\n';
  WriteLogLine(stream_.str());
}
}  // namespace internal
}  // namespace gale
