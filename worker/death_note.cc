#include "worker/death_note.h"

#include "core/runtime/running_task.h"

#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gale::worker {
namespace {

int g_fd = -1;
const int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

// Async-signal-safe output: write(2) of fixed strings and numbers.
void Put(const char* s) {
  size_t n = std::strlen(s);
  while (n > 0) {
    const ssize_t w = ::write(g_fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

void PutNumber(long v) {
  char buf[24];
  char* p = buf + sizeof buf;
  *--p = '\0';
  const bool negative = v < 0;
  unsigned long u = negative ? 0UL - static_cast<unsigned long>(v) : static_cast<unsigned long>(v);
  do {
    *--p = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u);
  if (negative) *--p = '-';
  Put(p);
}

const char* SignalName(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    default: return "signal";
  }
}

void OnCrash(int sig, siginfo_t*, void*) {
  if (g_fd >= 0) {
    const char* const component = runtime::tls_running_component;
    const int32_t task = runtime::tls_running_task;
    ::ftruncate(g_fd, 0);
    ::lseek(g_fd, 0, SEEK_SET);
    Put("cause: ");
    Put(SignalName(sig));
    Put(" (signal ");
    PutNumber(sig);
    Put(")");
    if (component && task >= 0) {
      Put(" in component '");
      Put(component);
      Put("' task ");
      PutNumber(task);
      Put("\ncomponent: ");
      Put(component);
      Put("\ntask: ");
      PutNumber(task);
    } else {
      Put(" outside plugin code");
    }
    Put("\nstack:\n");
    void* frames[64];
    const int n = ::backtrace(frames, 64);
    // Frame 0 is this handler, 1 the signal trampoline.
    if (n > 2) ::backtrace_symbols_fd(frames + 2, n - 2, g_fd);
    ::fsync(g_fd);
  }
  // Die of the signal, as without the handler (SA_RESETHAND restored the
  // default action): the exit status and any core dump stay the same.
  ::raise(sig);
}

}  // namespace

Status InstallDeathNote(const std::string& path) {
  g_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (g_fd < 0) {
    return Status::Internal("cannot open death note " + path + ": " + std::strerror(errno));
  }
  // backtrace() loads libgcc on its first call, which allocates: do it now,
  // not in the handler.
  void* warm[1];
  ::backtrace(warm, 1);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = OnCrash;
  sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (int sig : kSignals) ::sigaction(sig, &sa, nullptr);
  return Status::Ok();
}

void WriteDeathNote(const std::string& cause, const std::string& component, int32_t task) {
  if (g_fd < 0) return;
  std::string note = "cause: " + cause + "\n";
  if (!component.empty()) note += "component: " + component + "\n";
  if (task >= 0) note += "task: " + std::to_string(task) + "\n";
  ::ftruncate(g_fd, 0);
  ::lseek(g_fd, 0, SEEK_SET);
  Put(note.c_str());
  ::fsync(g_fd);
}

}  // namespace gale::worker
