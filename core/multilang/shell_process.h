// core/multilang/shell_process.h
//
// One multilang subprocess: spawned with its stdin, stdout and stderr
// connected to us, in a process group of its own (so killing it takes its
// children too). Two threads of ours read from it:
//
//  - the stdout reader cuts what it writes into messages (FrameReader) and
//    queues them; any message counts as a sign of life (`last_message()`),
//    whatever the executor thread is doing at the time, so a subprocess
//    that answers late because it is busy is never judged by how fast the
//    worker polls it;
//  - the stderr reader logs each line, tagged "[component:task pid N]",
//    and keeps the last `kStderrLines` for error reports.
//
// Writes (`Send`) happen on the caller's thread through a socket with
// MSG_NOSIGNAL (no SIGPIPE when it died), waiting while its buffer is full
// for as long as `alive()` allows.
//
// Threading: Send/Take/Wait/Kill from one thread (the executor's); the
// readers are internal. `SetWaker` before the first message.
#pragma once

#include "core/common/result.h"
#include "core/multilang/codec.h"

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gale::multilang {

struct ShellCommand {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH when it has no '/'
  std::string cwd;                // empty: the worker's
  std::string tag;                // "component:task", for log lines and errors
  Serializer serializer = Serializer::kJson;
};

class ShellProcess {
 public:
  static constexpr size_t kStderrLines = 20;
  using Clock = std::chrono::steady_clock;

  // Spawns it. Errors: the program cannot be started (named, with errno's text).
  static Result<std::unique_ptr<ShellProcess>> Start(const ShellCommand& command);
  ~ShellProcess();  // kills the process group, joins the readers, reaps it
  ShellProcess(const ShellProcess&) = delete;
  ShellProcess& operator=(const ShellProcess&) = delete;

  pid_t pid() const { return pid_; }
  const ShellCommand& command() const { return command_; }

  // Called (from a reader thread) when a message arrives to an empty queue,
  // or the subprocess's stdout closes.
  void SetWaker(std::function<void()> wake);

  // Writes one framed message. `keep_waiting()` is asked every 100 ms while
  // the subprocess does not read: it returns an error to give up with.
  Status Send(const Node& message, const std::function<Status()>& keep_waiting);
  // Writes bytes already framed.
  Status SendRaw(std::string_view bytes, const std::function<Status()>& keep_waiting);

  // Moves every queued message into `out` (appending).
  void Take(std::vector<Node>& out);
  // Waits until a message is queued, stdout closed, or `until`.
  void WaitUntil(Clock::time_point until);

  // When the last message arrived (the spawn time before any).
  Clock::time_point last_message() const {
    return Clock::time_point(Clock::duration(last_message_.load(std::memory_order_acquire)));
  }
  // Set once stdout closed or a message could not be parsed: the reason.
  bool broken() const { return broken_.load(std::memory_order_acquire); }
  std::string broken_reason() const;

  // Kills the process group (SIGKILL) and reaps; idempotent. Returns how it
  // ended ("exited with code 1", "killed by signal 9", ...).
  std::string Kill();
  // Waits for the two reader threads to end (after Kill(), or once it exited
  // and closed its output).
  void JoinReaders();
  // If it has exited, how ("" while it runs). Reaps it.
  std::string ExitStatus();
  // ExitStatus(), waiting up to `grace` for it to exit (a process whose
  // output closed is usually on its way out).
  std::string WaitExit(std::chrono::milliseconds grace);
  // The last lines it wrote to stderr, oldest first, each on its own line.
  std::string StderrTail() const;

 private:
  explicit ShellProcess(ShellCommand command) : command_(std::move(command)) {}
  void ReadStdout();
  void ReadStderr();
  void Break(std::string reason);

  const ShellCommand command_;
  pid_t pid_ = -1;
  int in_fd_ = -1, out_fd_ = -1, err_fd_ = -1;
  std::thread out_reader_, err_reader_;
  std::atomic<Clock::rep> last_message_{0};
  std::atomic<bool> broken_{false};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Node> queue_;
  std::string broken_reason_;
  std::function<void()> wake_;
  std::deque<std::string> stderr_tail_;
  std::string exit_status_;  // once reaped
  bool reaped_ = false;
};

// How `status` (from waitpid) reads: "exited with code 1", "killed by signal 9 (Killed)".
std::string DescribeExit(int status);

}  // namespace gale::multilang
