// Integration tests: the real gale-supervisor process against a fake nimbus
// in this process, with a shell script standing in for gale-worker. The
// script appends "<pid> <cwd> <args...>" to workers.txt and then becomes
// `sleep`, renamed so that its command line names this test's directory:
// that is how cleanup makes sure a pid is still one of ours before
// signalling it.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "core/common/sha256.h"
#include "supervisor/plugin_store.h"
#include "test/supervisor/fake_nimbus.h"
#include "test/support/ports.h"
#include "test/support/process.h"

extern char** environ;

namespace gale::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// One line of workers.txt.
struct WorkerStart {
  pid_t pid = 0;
  std::string cwd;
  std::vector<std::string> args;
  std::string Arg(const std::string& flag) const {
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == flag) return args[i + 1];
    }
    return "";
  }
};

// The test's directory: the fake worker, its record, the supervisor's state
// and log. Knows which processes are ours.
class Sandbox {
 public:
  Sandbox() {
    worker_bin_ = dir_.Write("fake-worker",
                             "#!/bin/bash\n"
                             // Topology 'stubborn' ignores SIGTERM, and so does sleep.
                             "case \"$*\" in *'--topology-id stubborn '*) trap '' TERM;; esac\n"
                             "echo \"$$ $(pwd) $*\" >> '" +
                                 dir_.path() +
                                 "/workers.txt'\n"
                                 "echo \"fake worker $$ says hello\"\n"
                                 // Topology 'clean' stops on SIGTERM and exits 0, as
                                 // gale-worker does.
                                 "case \"$*\" in *'--topology-id clean '*) "
                                 "trap 'kill $! 2>/dev/null; exit 0' TERM; sleep 1000 & wait; "
                                 "exit 0;; esac\n"
                                 "exec -a '" +
                                 dir_.path() + "/fake-worker' sleep 1000\n");
    ::chmod(worker_bin_.c_str(), 0755);
    std::filesystem::create_directories(state_dir());
  }
  // Whatever a failed test left running is stopped with the directory.
  ~Sandbox() {
    for (const WorkerStart& w : Workers()) {
      if (IsOurs(w.pid)) ::kill(w.pid, SIGKILL);
    }
  }

  const std::string& path() const { return dir_.path(); }
  std::string Write(const std::string& name, const std::string& content) const {
    return dir_.Write(name, content);
  }
  const std::string& worker_bin() const { return worker_bin_; }
  std::string state_dir() const { return dir_.path() + "/state"; }

  std::vector<WorkerStart> Workers() const {
    std::vector<WorkerStart> out;
    std::istringstream lines(ReadFile(dir_.path() + "/workers.txt"));
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      WorkerStart w;
      words >> w.pid >> w.cwd;
      for (std::string a; words >> a;) w.args.push_back(a);
      out.push_back(w);
    }
    return out;
  }

  // A live (not zombie) process whose command line names this sandbox.
  bool IsOurs(pid_t pid) const {
    if (pid <= 0) return false;
    const std::string proc = "/proc/" + std::to_string(pid);
    const std::string stat = ReadFile(proc + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] == 'Z') {
      return false;
    }
    return ReadFile(proc + "/cmdline").find(dir_.path()) != std::string::npos;
  }

  std::set<pid_t> LiveWorkers() const {
    std::set<pid_t> live;
    for (const WorkerStart& w : Workers()) {
      if (IsOurs(w.pid)) live.insert(w.pid);
    }
    return live;
  }

 private:
  TempDir dir_;
  std::string worker_bin_;
};

// A gale-supervisor process; stopped (SIGTERM, then SIGKILL) when it goes
// out of scope, so that a failing test leaves nothing running.
class SupervisorProcess {
 public:
  SupervisorProcess(const Sandbox& box, int nimbus_port, std::vector<std::string> extra = {})
      : log_(box.path() + "/supervisor.log") {
    std::vector<std::string> args = {BinDir() + "/gale-supervisor",
                                     "--nimbus",
                                     "127.0.0.1:" + std::to_string(nimbus_port),
                                     "--state-dir",
                                     box.state_dir(),
                                     "--worker-bin",
                                     box.worker_bin(),
                                     "--heartbeat-ms",
                                     "100"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    const int rc = ::posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    REQUIRE(rc == 0);
  }

  ~SupervisorProcess() {
    if (pid_ <= 0) return;
    if (!Terminate(10s)) {
      ::kill(pid_, SIGKILL);
      int status;
      ::waitpid(pid_, &status, 0);
    }
  }

  pid_t pid() const { return pid_; }
  std::string Log() const { return ReadFile(log_); }

  // SIGKILL, as a crash or the OOM killer would: its workers are orphaned.
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
  }

  // SIGTERM, then waits; the wait status, or nothing after `timeout`.
  std::optional<int> Terminate(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return exit_status_;
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        exit_status_ = status;
        return status;
      }
      if (Clock::now() > deadline) return std::nullopt;
      std::this_thread::sleep_for(20ms);
    }
  }

 private:
  std::string log_;
  pid_t pid_ = 0;
  std::optional<int> exit_status_;
};

// Fails the test with `what` and the supervisor's log.
void Require(bool ok, const std::string& what, const SupervisorProcess& sup) {
  if (!ok) FAIL(what << "\n--- supervisor log ---\n" << sup.Log());
}

// A plugin blob, stored by the fake nimbus under its true hash.
std::string ServePlugin(FakeNimbus& nimbus, const std::string& bytes) {
  auto sha = gale::Sha256File(TempDir().Write("blob", bytes));
  REQUIRE(sha.ok());
  nimbus.AddPlugin(*sha, bytes);
  return *sha;
}

bool HeartbeatReports(const FakeNimbus& nimbus, const std::vector<int>& running) {
  auto beats = nimbus.Heartbeats();
  return !beats.empty() && beats.back().running_ports == running;
}

TEST_CASE(
    "The supervisor heartbeats its ports, fetches the plugin and starts one worker per "
    "assigned slot",
    "[supervisor][integration]") {
  Sandbox box;
  FakeNimbus nimbus;
  const std::string sha = ServePlugin(nimbus, "plugin bytes \x01\x02\x03");
  SupervisorProcess sup(box, nimbus.port(), {"--ports", "6700,6701,6702", "--id", "sup-1"});

  Require(WaitFor([&] { return !nimbus.Heartbeats().empty(); }, 5s), "no heartbeat", sup);
  const auto first = nimbus.Heartbeats().front();
  CHECK(first.supervisor_id == "sup-1");
  CHECK(first.host == "127.0.0.1");
  CHECK(first.ports == std::vector<int>{6700, 6701, 6702});
  CHECK(first.running_ports.empty());

  // 9999 is not one of its ports: ignored, with an error in the log.
  nimbus.SetAssignments({MakeSlot(6700, "wc-1", 1, sha), MakeSlot(6701, "wc-1", 1, sha),
                         MakeSlot(9999, "wc-1", 1, sha)});
  Require(WaitFor([&] { return box.LiveWorkers().size() == 2; }, 5s), "two workers expected", sup);
  Require(WaitFor(
              [&] {
                return HeartbeatReports(nimbus, {6700, 6701});
              },
              5s),
          "heartbeats should report both ports running", sup);

  CHECK(ReadFile(box.state_dir() + "/plugins/" + sha + ".so") == "plugin bytes \x01\x02\x03");
  const auto workers = box.Workers();
  REQUIRE(workers.size() == 2);
  std::set<std::string> ports;
  for (const WorkerStart& w : workers) {
    const std::string port = w.Arg("--port");
    ports.insert(port);
    const std::string dir = box.state_dir();
    CHECK(w.args == std::vector<std::string>{
                        "--nimbus",        "127.0.0.1:" + std::to_string(nimbus.port()),
                        "--topology-id",   "wc-1",
                        "--supervisor-id", "sup-1",
                        "--host",          "127.0.0.1",
                        "--port",          port,
                        "--plugin-dir",    dir + "/plugins",
                        "--log-file",      dir + "/logs/worker-wc-1-" + port + ".log",
                        "--log-max-bytes", "104857600",
                        "--log-max-files", "5",
                        "--death-note",    dir + "/workers/wc-1-" + port + "/death-note"});
    CHECK(w.cwd == box.state_dir() + "/workers/wc-1-" + port);
    const std::string log = box.state_dir() + "/logs/worker-wc-1-" + port + ".log";
    Require(WaitFor([&] { return ReadFile(log).find("says hello") != std::string::npos; }, 5s),
            "the worker's output goes to " + log, sup);
  }
  CHECK(ports == std::set<std::string>{"6700", "6701"});
  std::this_thread::sleep_for(300ms);  // a few more heartbeats
  CHECK(box.Workers().size() == 2);
  CHECK(CountOf(sup.Log(), "port 9999 (topology wc-1), which is not a port of this supervisor") ==
        1);
}

TEST_CASE("Topology ids are checked by the rule nimbus checks names by",
          "[supervisor][integration]") {
  Sandbox box;
  FakeNimbus nimbus;
  const std::string sha = ServePlugin(nimbus, "plugin bytes");
  SupervisorProcess sup(box, nimbus.port(), {"--ports", "6700,6701,6702"});
  // What the rule allows runs, whatever the punctuation; what it refuses is
  // logged once, escaped, so a line break cannot forge a log line.
  nimbus.SetAssignments({MakeSlot(6700, "x y-1-1", 1, sha), MakeSlot(6701, "a\nb-1-1", 1, sha),
                         MakeSlot(6702, "wc+odd@x~1-1-1", 1, sha)});
  Require(WaitFor([&] { return box.LiveWorkers().size() == 1; }, 5s), "one worker expected", sup);
  Require(WaitFor([&] { return HeartbeatReports(nimbus, {6702}); }, 5s),
          "heartbeats should report the one port running", sup);
  REQUIRE(box.Workers().size() == 1);
  CHECK(box.Workers()[0].Arg("--topology-id") == "wc+odd@x~1-1-1");
  const std::string log = sup.Log();
  CHECK(CountOf(log,
                "nimbus assigned port 6700 (topology x y-1-1): invalid topology id 'x "
                "y-1-1': it contains a space; a topology name is 1 to 128 printable ASCII "
                "characters") == 1);
  CHECK(CountOf(log,
                "nimbus assigned port 6701 (topology a\\nb-1-1): invalid topology id "
                "'a\\nb-1-1': it contains a line break ('\\n')") == 1);
  CHECK(log.find("a\nb") == std::string::npos);
}

TEST_CASE("A plugin whose bytes do not match its sha256 starts no worker",
          "[supervisor][integration]") {
  Sandbox box;
  FakeNimbus nimbus;
  const std::string wrong_sha = ServePlugin(nimbus, "what nimbus claims to serve");
  nimbus.AddPlugin(wrong_sha, "different bytes");
  SupervisorProcess sup(box, nimbus.port(), {"--ports", "6700"});
  nimbus.SetAssignments({MakeSlot(6700, "bad-1", 1, wrong_sha)});

  Require(WaitFor([&] { return nimbus.DownloadCalls() > 0; }, 5s), "no download", sup);
  Require(WaitFor([&] { return sup.Log().find("SHA-256") != std::string::npos; }, 5s),
          "the mismatch should be logged", sup);
  const size_t beats = nimbus.Heartbeats().size();
  Require(WaitFor([&] { return nimbus.Heartbeats().size() >= beats + 5; }, 5s),
          "heartbeats should go on", sup);
  CHECK(box.Workers().empty());
  CHECK(nimbus.Heartbeats().back().running_ports.empty());
  CHECK(std::filesystem::is_empty(box.state_dir() + "/plugins"));
  // Not fetched again on every heartbeat.
  CHECK(nimbus.DownloadCalls() <= 2);
}

// Ends the slot's worker (the last started) with `signal` and waits, up to
// `limit`, for the next of `topology` to run: how long that took.
Clock::duration EndWorker(Sandbox& box, const SupervisorProcess& sup, int signal,
                          std::chrono::seconds limit, const std::string& topology) {
  const size_t started = box.Workers().size() + 1;
  const pid_t victim = box.Workers().back().pid;
  REQUIRE(box.IsOurs(victim));
  const auto at = Clock::now();
  ::kill(victim, signal);
  Require(WaitFor([&] { return box.Workers().size() == started && box.LiveWorkers().size() == 1; },
                  limit),
          "a new worker should start within " + std::to_string(limit.count()) + " s", sup);
  CHECK(box.Workers().back().pid != victim);
  CHECK(box.Workers().back().Arg("--topology-id") == topology);
  return Clock::now() - at;
}

// A supervisor with one slot (6700) running one worker of `topology`.
struct OneWorker {
  explicit OneWorker(const std::string& topology)
      : sha(ServePlugin(nimbus, "plugin")), sup(box, nimbus.port(), {"--ports", "6700"}) {
    nimbus.SetAssignments({MakeSlot(6700, topology, 3, sha)});
    Require(WaitFor([&] { return box.LiveWorkers().size() == 1; }, 5s), "no worker", sup);
  }
  Sandbox box;
  FakeNimbus nimbus;
  std::string sha;
  SupervisorProcess sup;
};

TEST_CASE("A killed worker is restarted at once and one that crashes again quickly with backoff",
          "[supervisor][integration]") {
  OneWorker one("t-1");
  Sandbox& box = one.box;
  SupervisorProcess& sup = one.sup;

  // Killed from outside (SIGKILL, SIGTERM), again and again within 10 s of
  // its start: restarted at once each time (restart_backoff.h).
  for (int signal : {SIGKILL, SIGTERM, SIGKILL}) EndWorker(box, sup, signal, 2s, "t-1");
  CHECK_THAT(sup.Log(), Catch::Contains("killed by signal 9"));
  // Crashes of its own (SIGUSR1 here: a signal that ends it without a core
  // dump to wait for): the first is restarted at once, the second within 10 s
  // of its start waits 1 s.
  EndWorker(box, sup, SIGUSR1, 5s, "t-1");
  CHECK(EndWorker(box, sup, SIGUSR1, 5s, "t-1") >= 900ms);
  CHECK(box.LiveWorkers().count(box.Workers().back().pid) == 1);
}

// gale-worker traps SIGTERM, stops and exits 0: not a crash, so not backed
// off however often it happens (restart_backoff.h).
TEST_CASE("A worker that stops cleanly on SIGTERM is restarted at once each time",
          "[supervisor][integration]") {
  OneWorker one("clean");
  Sandbox& box = one.box;
  SupervisorProcess& sup = one.sup;
  // At once: a crash counted here would wait 1 s, then 2 s.
  for (int i = 0; i < 3; ++i) CHECK(EndWorker(box, sup, SIGTERM, 5s, "clean") < 900ms);
  CHECK_THAT(sup.Log(), Catch::Contains("exited with status 0"));
}

TEST_CASE("A worker whose slot is unassigned or reassigned is stopped",
          "[supervisor][integration]") {
  Sandbox box;
  FakeNimbus nimbus;
  const std::string sha = ServePlugin(nimbus, "plugin");
  SupervisorProcess sup(box, nimbus.port(), {"--ports", "6700,6701"});
  nimbus.SetAssignments({MakeSlot(6700, "t-1", 1, sha), MakeSlot(6701, "t-1", 1, sha)});
  Require(WaitFor([&] { return box.LiveWorkers().size() == 2; }, 5s), "two workers", sup);

  SECTION("an unassigned slot's worker stops, the other keeps running") {
    const auto before = box.Workers();
    nimbus.SetAssignments({MakeSlot(6701, "t-1", 1, sha)});
    Require(WaitFor([&] { return box.LiveWorkers().size() == 1; }, 5s),
            "the worker on 6700 should stop", sup);
    const pid_t left = *box.LiveWorkers().begin();
    for (const WorkerStart& w : before) {
      if (w.pid == left) CHECK(w.Arg("--port") == "6701");
    }
    Require(WaitFor([&] { return HeartbeatReports(nimbus, {6701}); }, 5s),
            "heartbeats should report only 6701", sup);
    nimbus.SetAssignments({});
    Require(WaitFor([&] { return box.LiveWorkers().empty(); }, 5s), "all workers should stop", sup);
    std::this_thread::sleep_for(300ms);
    CHECK(box.Workers().size() == 2);  // nothing restarted
  }
  SECTION("a new assignment version replaces the worker") {
    nimbus.SetAssignments({MakeSlot(6700, "t-1", 2, sha), MakeSlot(6701, "t-1", 1, sha)});
    Require(WaitFor([&] { return box.Workers().size() == 3 && box.LiveWorkers().size() == 2; }, 5s),
            "the worker on 6700 should be replaced", sup);
    CHECK(box.Workers().back().Arg("--port") == "6700");
  }
}

TEST_CASE("SIGTERM stops the supervisor's workers and exits 0", "[supervisor][integration]") {
  Sandbox box;
  FakeNimbus nimbus;
  const std::string sha = ServePlugin(nimbus, "plugin");
  SupervisorProcess sup(box, nimbus.port(), {"--ports", "6700,6701"});
  nimbus.SetAssignments({MakeSlot(6700, "t-1", 1, sha), MakeSlot(6701, "t-2", 1, sha)});
  Require(WaitFor([&] { return box.LiveWorkers().size() == 2; }, 5s), "two workers", sup);

  const auto status = sup.Terminate(10s);
  Require(status.has_value(), "the supervisor should exit", sup);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(WaitFor([&] { return box.LiveWorkers().empty(); }, 2s));
  CHECK(box.Workers().size() == 2);
}

TEST_CASE("A worker that ignores SIGTERM is killed after supervisor.worker.shutdown.secs",
          "[supervisor][integration]") {
  Sandbox box;
  FakeNimbus nimbus;
  const std::string sha = ServePlugin(nimbus, "plugin");
  const std::string config = box.Write("cluster.yaml", "supervisor.worker.shutdown.secs: 0.5\n");
  SupervisorProcess sup(box, nimbus.port(), {"--config", config, "--ports", "6700"});
  nimbus.SetAssignments({MakeSlot(6700, "stubborn", 1, sha)});
  Require(WaitFor([&] { return box.LiveWorkers().size() == 1; }, 5s), "no worker", sup);

  const auto asked = Clock::now();
  const auto status = sup.Terminate(10s);
  Require(status.has_value(), "the supervisor should exit", sup);
  CHECK(Clock::now() - asked >= 450ms);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK_THAT(sup.Log(), Catch::Contains("sending SIGKILL"));
  CHECK_THAT(sup.Log(), Catch::Contains("killed by signal 9"));
  CHECK(box.LiveWorkers().empty());
}

TEST_CASE("A supervisor started again after SIGKILL adopts the workers still running",
          "[supervisor][integration]") {
  Sandbox box;
  FakeNimbus nimbus;
  const std::string sha = ServePlugin(nimbus, "plugin");
  auto first = std::make_unique<SupervisorProcess>(
      box, nimbus.port(), std::vector<std::string>{"--ports", "6700,6701"});
  nimbus.SetAssignments({MakeSlot(6700, "t-1", 1, sha), MakeSlot(6701, "t-1", 1, sha)});
  Require(WaitFor([&] { return box.LiveWorkers().size() == 2; }, 5s), "two workers", *first);
  const std::set<pid_t> workers = box.LiveWorkers();
  first->Kill();
  REQUIRE(box.LiveWorkers() == workers);  // orphaned, still running

  SupervisorProcess second(box, nimbus.port(), {"--ports", "6700,6701"});
  Require(WaitFor([&] { return CountOf(second.Log(), "adopted worker") == 2; }, 5s),
          "both workers should be adopted", second);
  const size_t beats = nimbus.Heartbeats().size();
  Require(WaitFor([&] { return nimbus.Heartbeats().size() > beats + 3; }, 5s), "heartbeats",
          second);
  // Nothing replaced them: no second process fighting for the ports.
  CHECK(box.LiveWorkers() == workers);
  CHECK(box.Workers().size() == 2);
  CHECK(HeartbeatReports(nimbus, {6700, 6701}));

  // An adopted worker that dies is replaced at once, as a child would be.
  const pid_t victim = *workers.begin();
  const pid_t other = *std::next(workers.begin());
  ::kill(victim, SIGKILL);
  Require(WaitFor([&] { return box.Workers().size() == 3 && box.LiveWorkers().size() == 2; }, 2s),
          "the dead adopted worker should be replaced within 2 s", second);
  CHECK_THAT(second.Log(), Catch::Contains("exit status not known"));

  // A new assignment version stops the other adopted worker and replaces it.
  nimbus.SetAssignments({MakeSlot(6700, "t-1", 2, sha), MakeSlot(6701, "t-1", 2, sha)});
  Require(WaitFor(
              [&] {
                return !box.IsOurs(other) && box.Workers().size() == 5 &&
                       box.LiveWorkers().size() == 2;
              },
              5s),
          "both slots should run version 2", second);

  // And SIGTERM stops all of them.
  const auto status = second.Terminate(10s);
  Require(status.has_value(), "the supervisor should exit", second);
  CHECK(WaitFor([&] { return box.LiveWorkers().empty(); }, 2s));
}

TEST_CASE("A record of a worker that is gone, or whose pid now runs something else, adopts nothing",
          "[supervisor][integration]") {
  Sandbox box;
  FakeNimbus nimbus;
  // A record naming this test process (alive) with another start time, and
  // one naming a pid that is not running.
  std::filesystem::create_directories(box.state_dir() + "/slots");
  box.Write("state/slots/6700", std::to_string(::getpid()) + " 1 1 t-1\n");
  box.Write("state/slots/6701", "999999999 5 1 t-1\n");
  SupervisorProcess sup(box, nimbus.port(), {"--ports", "6700,6701"});
  Require(WaitFor([&] { return !nimbus.Heartbeats().empty(); }, 5s), "no heartbeat", sup);
  CHECK(CountOf(sup.Log(), "adopted") == 0);
  CHECK(HeartbeatReports(nimbus, {}));
  CHECK_FALSE(std::filesystem::exists(box.state_dir() + "/slots/6700"));
  CHECK_FALSE(std::filesystem::exists(box.state_dir() + "/slots/6701"));
}

TEST_CASE("A second supervisor on the same state dir refuses to start",
          "[supervisor][integration]") {
  Sandbox box;
  FakeNimbus nimbus;
  SupervisorProcess sup(box, nimbus.port(), {"--ports", "6700"});
  Require(WaitFor([&] { return !nimbus.Heartbeats().empty(); }, 5s), "no heartbeat", sup);
  auto second = RunProcess(
      {BinDir() + "/gale-supervisor", "--nimbus", "127.0.0.1:" + std::to_string(nimbus.port()),
       "--state-dir", box.state_dir(), "--worker-bin", box.worker_bin(), "--ports", "6701"},
      10s);
  CHECK(second.exit_code == 1);
  CHECK_THAT(second.err, Catch::Contains("another supervisor is using " + box.state_dir()));
}

TEST_CASE("Without nimbus the supervisor keeps its workers running and says so once",
          "[supervisor][integration]") {
  Sandbox box;
  // A port of its own (test/support/ports.h), not port 0's: nimbus comes
  // back on it after an outage, and meanwhile no other process may get it.
  auto nimbus = std::make_unique<FakeNimbus>(FreePort());
  const int port = nimbus->port();
  const std::string sha = ServePlugin(*nimbus, "plugin");
  SupervisorProcess sup(box, port, {"--ports", "6700"});
  nimbus->SetAssignments({MakeSlot(6700, "t-1", 1, sha)});
  Require(WaitFor([&] { return box.LiveWorkers().size() == 1; }, 5s), "no worker", sup);
  const pid_t worker = *box.LiveWorkers().begin();

  nimbus.reset();
  Require(WaitFor([&] { return sup.Log().find("nimbus is unreachable") != std::string::npos; }, 5s),
          "the outage should be logged", sup);
  std::this_thread::sleep_for(1s);  // about ten heartbeat intervals
  CHECK(CountOf(sup.Log(), "nimbus is unreachable") == 1);
  CHECK(box.LiveWorkers() == std::set<pid_t>{worker});

  // A worker that dies meanwhile still comes back: the last assignment holds.
  ::kill(worker, SIGKILL);
  Require(WaitFor([&] { return box.Workers().size() == 2 && box.LiveWorkers().size() == 1; }, 2s),
          "the worker should be restarted without nimbus", sup);

  FakeNimbus back(port);
  back.SetAssignments({});
  Require(WaitFor([&] { return box.LiveWorkers().empty(); }, 5s),
          "once nimbus is back its empty assignment should stop the worker", sup);
  CHECK_THAT(sup.Log(), Catch::Contains("reached nimbus"));
}

// --logviewer-port 0 lets the kernel pick from its ephemeral range, where
// worker ports may lie too. In a network namespace of its own with a range
// of two ports, of which the worker port is the one the kernel hands out
// first (a bind to port 0 tries odd ports first), the log server must take
// the other. Needs root, for the namespace (CI runs as root).
TEST_CASE("With --logviewer-port 0 the log server never takes one of the supervisor's worker ports",
          "[supervisor][integration]") {
  if (::geteuid() != 0) {
    WARN("not root: no network namespace, not run");
    return;
  }
  TempDir dir;
  auto run = [&](const std::string& ports) {
    const std::string script =
        "ip link set lo up && echo '40000 40001' > /proc/sys/net/ipv4/ip_local_port_range && "
        "exec timeout --preserve-status -s TERM 2 " +
        BinDir() + "/gale-supervisor --nimbus 127.0.0.1:1 --id s --state-dir " + dir.path() +
        "/state-" + ports + " --ports " + ports + " --logviewer-port 0";
    return RunProcess({"unshare", "-n", "sh", "-c", script}, 30s);
  };
  const auto one = run("40001");
  INFO(one.out << one.err);
  CHECK(one.exit_code == 0);
  CHECK_THAT(one.err, Catch::Contains("log server on 127.0.0.1:40000"));
  CHECK_THAT(one.err, !Catch::Contains("127.0.0.1:40001"));
  // Every port of the range a worker port: no log server, said as a warning,
  // and the supervisor runs on.
  const auto both = run("40000,40001");
  INFO(both.out << both.err);
  CHECK(both.exit_code == 0);
  CHECK_THAT(both.err, Catch::Contains("no log server"));
  CHECK_THAT(both.err, Catch::Contains("supervisor s on 127.0.0.1, ports 40000,40001"));
}

}  // namespace
}  // namespace gale::testing
