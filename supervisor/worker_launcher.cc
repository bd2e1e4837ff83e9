#include "supervisor/worker_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

extern char** environ;

namespace gale::supervisor {
namespace {

// posix_spawn's attributes and file actions, destroyed on every path.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

Status MakeDirs(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Internal("cannot create " + dir.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

Result<pid_t> SpawnWorker(const WorkerLaunch& launch) {
  GALE_RETURN_IF_ERROR(MakeDirs(launch.cwd));
  GALE_RETURN_IF_ERROR(MakeDirs(std::filesystem::path(launch.log_file).parent_path()));

  SpawnSetup s;
  // The supervisor handles SIGTERM, SIGINT and SIGCHLD itself (Boost.Asio
  // installs handlers) and may ignore SIGPIPE; a worker starts clean.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGTERM, SIGINT, SIGCHLD, SIGPIPE, SIGHUP, SIGQUIT}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&s.attr, &none);
  posix_spawnattr_setsigdefault(&s.attr, &defaults);
  posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&s.actions, 1, launch.log_file.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&s.actions, 1, 2);
  posix_spawn_file_actions_addchdir_np(&s.actions, launch.cwd.c_str());
  // Thrift's sockets are not close-on-exec: without this a worker would
  // hold the supervisor's nimbus connection open.
  posix_spawn_file_actions_addclosefrom_np(&s.actions, 3);

  std::vector<std::string> argv_strings;
  argv_strings.push_back(launch.program);
  argv_strings.insert(argv_strings.end(), launch.args.begin(), launch.args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = 0;
  const int rc =
      ::posix_spawn(&pid, launch.program.c_str(), &s.actions, &s.attr, argv.data(), environ);
  if (rc != 0) {
    return Status::Internal("cannot start " + launch.program + ": " + std::strerror(rc));
  }
  return pid;
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status))
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    const char* name = ::strsignal(sig);
    return "killed by signal " + std::to_string(sig) + " (" + (name ? name : "?") + ")" +
           (WCOREDUMP(wait_status) ? ", core dumped" : "");
  }
  return "ended with wait status " + std::to_string(wait_status);
}

namespace {

// The first line addr2line prints for `offset` in `object`: "function" and
// "file:line", or empty.
std::pair<std::string, std::string> Addr2Line(const std::string& object,
                                              const std::string& offset) {
  std::string quoted = "'";
  for (char c : object) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  const std::string command = "addr2line -C -f -e " + quoted + " " + offset + " 2>/dev/null";
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return {};
  char buf[4096];
  std::string out;
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  ::pclose(p);
  std::istringstream lines(out);
  std::string function, place;
  std::getline(lines, function);
  std::getline(lines, place);
  if (function.empty() || function == "??") return {};
  if (place.rfind("??", 0) == 0) place.clear();
  return {function, place};
}

}  // namespace

std::string SymbolizeStack(const std::string& stack,
                           const std::map<std::string, std::string>& names) {
  std::istringstream in(stack);
  std::string out;
  int resolved = 0;
  for (std::string frame; std::getline(in, frame);) {
    // backtrace_symbols: "/path/obj(+0x2946) [0x7f..]" or "/path/obj(sym+0x2a) [0x..]".
    const size_t open = frame.find('('), plus = frame.find("+0x", open),
                 close = frame.find(')', plus);
    if (open == std::string::npos || plus == std::string::npos || close == std::string::npos) {
      out += frame + "\n";
      continue;
    }
    const std::string object = frame.substr(0, open);
    const std::string symbol = frame.substr(open + 1, plus - open - 1);
    const std::string offset = frame.substr(plus + 1, close - plus - 1);
    std::string shown = object;
    if (auto it = names.find(object); it != names.end()) shown = it->second;
    std::pair<std::string, std::string> where;
    // Object-relative offsets only (no symbol); at most 24 lookups a note.
    // Frames after the first are return addresses: the call is the byte
    // before (else addr2line names the line after the call).
    if (symbol.empty() && ++resolved <= 24) {
      unsigned long long at = std::strtoull(offset.c_str(), nullptr, 16);
      if (resolved > 1 && at > 0) --at;
      char hex[32];
      std::snprintf(hex, sizeof hex, "0x%llx", at);
      where = Addr2Line(object, hex);
    }
    if (!where.first.empty()) {
      out += where.first + (where.second.empty() ? "" : " at " + where.second) + " (" + shown +
             "+" + offset + ")\n";
    } else {
      out += shown + frame.substr(open) + "\n";
    }
  }
  return out;
}

DeathNote ReadDeathNote(const std::string& path) {
  DeathNote note;
  std::ifstream in(path);
  if (!in) return note;
  std::string text(64 * 1024, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  std::remove(path.c_str());
  std::istringstream lines(text);
  bool stack = false;
  int frames = 0;
  for (std::string line; std::getline(lines, line);) {
    if (stack) {
      if (++frames <= 64) note.stack += line + "\n";
    } else if (line.rfind("cause: ", 0) == 0) {
      note.cause = line.substr(7);
    } else if (line.rfind("component: ", 0) == 0) {
      note.component = line.substr(11);
    } else if (line.rfind("task: ", 0) == 0) {
      note.task = std::atoi(line.c_str() + 6);
    } else if (line == "stack:") {
      stack = true;
    }
  }
  return note;
}

}  // namespace gale::supervisor
