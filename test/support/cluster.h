// test/support/cluster.h
//
// A real cluster on loopback for integration tests: gale-nimbus and
// supervisors as processes on free ports, their state under a TempDir.
// Everything started is stopped (SIGTERM, then SIGKILL, by pid) when the
// object goes away, also when the test fails.
#pragma once

#include "test/support/ports.h"
#include "test/support/process.h"

#include <sys/types.h>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gale::testing {

// The assertions that failed so far in this process (counted by test/main.cc).
int FailedAssertions();

// Polls `done` every 100 ms until it is true or `timeout` passes.
bool WaitFor(const std::function<bool()>& done, std::chrono::seconds timeout);

class Daemon {
 public:
  Daemon(std::vector<std::string> argv, const std::string& log);
  ~Daemon();
  Daemon(Daemon&& o) noexcept : pid_(o.pid_), log_(std::move(o.log_)) { o.pid_ = -1; }
  pid_t pid() const { return pid_; }
  // SIGTERM, wait up to `grace`, then SIGKILL; returns the exit status.
  int Stop(std::chrono::seconds grace = std::chrono::seconds(10));
  void Kill(int signal);  // sends `signal` (the daemon stays tracked)
  // Waits up to `timeout` for the daemon to exit by itself, sending it
  // nothing; its exit status as Stop() returns it, or -1 while it still runs.
  int Wait(std::chrono::seconds timeout);
  bool Running();
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string log_;
};

// A gale-worker process started by one of a TestCluster's supervisors.
struct WorkerProcess {
  pid_t pid;
  int port;
  std::string supervisor;  // "sup1", ...
};

class TestCluster {
 public:
  // Nimbus and `supervisors` supervisors with `slots` slots each, each
  // supervisor started with `supervisor_args` added to its command line.
  explicit TestCluster(int supervisors = 2, int slots = 2,
                       std::vector<std::string> supervisor_args = {});
  // The same, with `nimbus_args` added to nimbus's command line and
  // `gale_args` to every Gale() call (before the test's own options, which
  // win), e.g. a --config with gale.auth.* keys and an --auth file.
  TestCluster(int supervisors, int slots, std::vector<std::string> supervisor_args,
              std::vector<std::string> nimbus_args, std::vector<std::string> gale_args);
  // HA: `nimbuses` nimbuses (the first started first, so it leads), each
  // with its own port, state directory and log (nimbus.log, nimbus2.log,
  // ...), all with `nimbus_args` (which name the ZooKeeper servers);
  // supervisors and Gale() get every nimbus as seeds, and
  // `supervisor_args` and `gale_args` as above.
  TestCluster(int supervisors, int slots, std::vector<std::string> nimbus_args, int nimbuses,
              const std::vector<std::string>& supervisor_args = {},
              std::vector<std::string> gale_args = {});
  // When an assertion failed while the cluster ran (a REQUIRE's unwinding
  // included), or an exception is on its way out of the test, first prints the cluster as it is
  // then on stderr (ctest shows it for failed tests): Diagnosis().
  ~TestCluster();

  // The workers running now, found in /proc by their --plugin-dir, which
  // lies in this cluster's own directory.
  std::vector<WorkerProcess> Workers() const;
  // Starts nimbus `i` again on the same port and state directory (after a
  // test killed it) and waits until it answers.
  void RestartNimbus(size_t i = 0);

  // Every nimbus, "127.0.0.1:p1,127.0.0.1:p2,...".
  std::string nimbus() const;
  int nimbus_port(size_t i) const { return nimbus_ports_.at(i); }
  size_t nimbus_count() const { return nimbus_ports_.size(); }
  const TempDir& dir() const { return dir_; }
  // Runs `gale ARGS --nimbus <this nimbus>`.
  ProcessResult Gale(std::vector<std::string> args,
                     std::chrono::seconds timeout = std::chrono::seconds(60));
  Daemon& nimbus_daemon(size_t i = 0) { return *nimbus_daemons_.at(i); }
  Daemon& supervisor(size_t i) { return *supervisors_[i]; }
  // A machine lost: SIGKILLs supervisor `id` ("sup1", ...) and its workers.
  void LoseSupervisor(const std::string& id);
  // Starts supervisor `id` again, as it was started, on the same state
  // directory (after a test killed it).
  void RestartSupervisor(const std::string& id);
  std::string Logs() const;  // every daemon's log, for failure messages
  // Every worker log under the supervisors' state folders, rotated ones too.
  std::string WorkerLogs() const;
  // The cluster now: `gale list`, `gale info` of each topology (which names
  // the workers' deaths and their causes), every daemon's log and the end of
  // every worker log.
  std::string Diagnosis();

 private:
  void StartNimbus(size_t i);
  // The paths of every worker log under the supervisors' state folders.
  std::vector<std::string> WorkerLogFiles() const;
  void StartSupervisors(int supervisors, int slots, const std::vector<std::string>& args);
  std::string NimbusName(size_t i) const {
    return i == 0 ? "nimbus" : "nimbus" + std::to_string(i + 1);
  }

  TempDir dir_;
  std::vector<int> nimbus_ports_;
  std::vector<std::string> nimbus_args_, gale_args_;
  std::vector<std::unique_ptr<Daemon>> nimbus_daemons_;
  std::vector<std::unique_ptr<Daemon>> supervisors_;
  std::vector<std::vector<std::string>> supervisor_argv_;
  const int failures_at_start_ = FailedAssertions();
  const int unwinding_at_start_ = std::uncaught_exceptions();
};

}  // namespace gale::testing
