#include "core/multilang/shell_process.h"

#include "core/common/logging.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace gale::multilang {

namespace {

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (") + name + ")" : "");
  }
  return "ended with status " + std::to_string(status);
}

Result<std::unique_ptr<ShellProcess>> ShellProcess::Start(const ShellCommand& command) {
  if (command.argv.empty()) return Status::InvalidArgument("empty command");
  std::unique_ptr<ShellProcess> p(new ShellProcess(command));
  // stdin: a socket, so that writing to a dead subprocess is EPIPE (MSG_NOSIGNAL), not SIGPIPE.
  int in_pair[2], out_pipe[2], err_pipe[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0) {
    return Status::Internal(std::string("socketpair: ") + std::strerror(errno));
  }
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ::close(in_pair[0]);
    ::close(in_pair[1]);
    return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    for (int fd : {in_pair[0], in_pair[1], out_pipe[0], out_pipe[1]}) ::close(fd);
    return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  }
  // The subprocess's end of stdin only reads, ours only writes.
  ::shutdown(in_pair[1], SHUT_WR);
  ::shutdown(in_pair[0], SHUT_RD);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pair[1], 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  if (!command.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, command.cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group (Kill takes its children too), and default
  // signal handling and an empty mask whatever the worker set up.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGTERM, SIGINT, SIGCHLD, SIGPIPE, SIGHUP, SIGQUIT}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv;
  for (const auto& a : command.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(in_pair[1]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(in_pair[0]);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return Status::InvalidArgument("cannot run '" + command.argv[0] + "'" +
                                   (command.cwd.empty() ? "" : " in " + command.cwd) + ": " +
                                   std::strerror(rc));
  }
  p->pid_ = pid;
  p->in_fd_ = in_pair[0];
  p->out_fd_ = out_pipe[0];
  p->err_fd_ = err_pipe[0];
  ::fcntl(p->in_fd_, F_SETFL, ::fcntl(p->in_fd_, F_GETFL) | O_NONBLOCK);
  p->last_message_.store(Clock::now().time_since_epoch().count(), std::memory_order_release);
  p->out_reader_ = std::thread([raw = p.get()] { raw->ReadStdout(); });
  p->err_reader_ = std::thread([raw = p.get()] { raw->ReadStderr(); });
  return p;
}

void ShellProcess::JoinReaders() {
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
}

ShellProcess::~ShellProcess() {
  Kill();
  JoinReaders();
  CloseFd(in_fd_);
  CloseFd(out_fd_);
  CloseFd(err_fd_);
}

void ShellProcess::SetWaker(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mu_);
  wake_ = std::move(wake);
}

void ShellProcess::Break(std::string reason) {
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!broken_.load(std::memory_order_relaxed)) {
      broken_reason_ = std::move(reason);
      broken_.store(true, std::memory_order_release);
    }
    wake = wake_;
  }
  cv_.notify_all();
  if (wake) wake();
}

std::string ShellProcess::broken_reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return broken_reason_;
}

void ShellProcess::ReadStdout() {
  FrameReader reader(command_.serializer);
  std::vector<char> buf(1 << 16);
  std::vector<Node> got;
  while (true) {
    const ssize_t n = ::read(out_fd_, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Break(n == 0 ? "its stdout closed"
                   : std::string("reading its stdout: ") + std::strerror(errno));
      return;
    }
    reader.Feed(std::string_view(buf.data(), static_cast<size_t>(n)));
    while (true) {
      Node msg;
      auto r = reader.Next(msg);
      if (!r.ok()) {
        Break("it wrote a malformed " + std::string(SerializerName(command_.serializer)) +
              " message: " + r.status().message());
        return;
      }
      if (!*r) break;
      got.push_back(std::move(msg));
    }
    if (got.empty()) continue;
    last_message_.store(Clock::now().time_since_epoch().count(), std::memory_order_release);
    std::function<void()> wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const bool was_empty = queue_.empty();
      if (was_empty) {
        queue_.swap(got);
        wake = wake_;
      } else {
        for (auto& m : got) queue_.push_back(std::move(m));
      }
      got.clear();
    }
    cv_.notify_all();
    if (wake) wake();
  }
}

void ShellProcess::ReadStderr() {
  std::string pending;
  std::vector<char> buf(1 << 14);
  auto line = [&](std::string text) {
    GALE_LOG(kInfo) << "[" << command_.tag << " pid " << pid_ << " stderr] " << text;
    std::lock_guard<std::mutex> lock(mu_);
    stderr_tail_.push_back(std::move(text));
    if (stderr_tail_.size() > kStderrLines) stderr_tail_.pop_front();
  };
  while (true) {
    const ssize_t n = ::read(err_fd_, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf.data(), static_cast<size_t>(n));
    size_t start = 0, nl;
    while ((nl = pending.find('\n', start)) != std::string::npos) {
      line(pending.substr(start, nl - start));
      start = nl + 1;
    }
    pending.erase(0, start);
    if (pending.size() > 64 * 1024) {  // a very long line: log it in pieces
      line(pending);
      pending.clear();
    }
  }
  if (!pending.empty()) line(pending);
}

Status ShellProcess::Send(const Node& message, const std::function<Status()>& keep_waiting) {
  std::string bytes;
  AppendFrame(command_.serializer, message, bytes);
  return SendRaw(bytes, keep_waiting);
}

Status ShellProcess::SendRaw(std::string_view bytes, const std::function<Status()>& keep_waiting) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(in_fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd pfd{in_fd_, POLLOUT, 0};
      ::poll(&pfd, 1, 100);
      if (keep_waiting) GALE_RETURN_IF_ERROR(keep_waiting());
      continue;
    }
    return Status::Unavailable(std::string("writing to its stdin: ") + std::strerror(errno));
  }
  return Status::Ok();
}

void ShellProcess::Take(std::vector<Node>& out) {
  std::lock_guard<std::mutex> lock(mu_);
  if (out.empty()) {
    out.swap(queue_);
    return;
  }
  for (auto& m : queue_) out.push_back(std::move(m));
  queue_.clear();
}

void ShellProcess::WaitUntil(Clock::time_point until) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_until(lock, until,
                 [&] { return !queue_.empty() || broken_.load(std::memory_order_relaxed); });
}

std::string ShellProcess::ExitStatus() {
  std::lock_guard<std::mutex> lock(mu_);
  if (reaped_) return exit_status_;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    exit_status_ = DescribeExit(status);
    ::kill(-pid_, SIGKILL);  // whatever it left running in its group
  }
  return exit_status_;
}

std::string ShellProcess::WaitExit(std::chrono::milliseconds grace) {
  const auto until = Clock::now() + grace;
  std::string how = ExitStatus();
  while (how.empty() && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    how = ExitStatus();
  }
  return how;
}

std::string ShellProcess::Kill() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (reaped_ || pid_ <= 0) return exit_status_;
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
    reaped_ = true;
    exit_status_ = DescribeExit(status);
  }
  return exit_status_;
}

std::string ShellProcess::StderrTail() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& l : stderr_tail_) out += "\n  " + l;
  return out;
}

}  // namespace gale::multilang
