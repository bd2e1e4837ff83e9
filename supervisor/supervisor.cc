#include "supervisor/supervisor.h"

#include "supervisor/log_server.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <system_error>

#include "core/common/logging.h"
#include "core/topology/topology_name.h"
#include "supervisor/worker_launcher.h"
#include "supervisor/worker_record.h"

namespace gale::supervisor {
namespace {

namespace asio = boost::asio;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

std::string JoinPorts(const std::vector<int>& ports) {
  std::ostringstream out;
  for (size_t i = 0; i < ports.size(); ++i) out << (i ? "," : "") << ports[i];
  return out.str();
}

std::string Seconds(milliseconds d) {
  std::ostringstream out;
  out.precision(1);
  out << std::fixed << static_cast<double>(d.count()) / 1000 << " s";
  return out.str();
}

}  // namespace

// One worker port of this supervisor and the worker process on it.
struct Supervisor::Slot {
  enum class State {
    kIdle,            // no process
    kRunning,         // pid runs the assignment topology_id / version
    kStopping,        // pid was sent SIGTERM; timer sends SIGKILL
    kRestartPending,  // the worker died; timer starts it again
  };

  Slot(asio::io_context& io, int p) : port(p), timer(io) {}

  const int port;
  State state = State::kIdle;
  pid_t pid = 0;            // > 0 until reaped: only then may it be signalled
  std::string topology_id;  // what runs, or ran last, here
  int64_t version = 0;
  Nanos started_at{0};
  RestartBackoff backoff;
  asio::steady_timer timer;
  // Bumped whenever the timer is re-armed or cancelled, so that a handler
  // already queued from an earlier arming does nothing.
  uint64_t timer_generation = 0;
  std::string death_note;  // where the running worker leaves why it died
  // A worker a previous supervisor started (not our child: no SIGCHLD, no
  // exit status). Its exit is seen through a pidfd that becomes readable.
  bool adopted = false;
  std::unique_ptr<asio::posix::stream_descriptor> exit_watch;

  std::string Describe() const {
    return "worker " + std::to_string(pid) + " of topology " + topology_id + " (version " +
           std::to_string(version) + ") on port " + std::to_string(port);
  }
};

Supervisor::Supervisor(SupervisorConfig config, const Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      stop_signals_(io_, SIGTERM, SIGINT),
      child_signal_(io_, SIGCHLD),
      heartbeat_timer_(io_),
      log_cleanup_timer_(io_),
      rpc_work_(rpc_io_.get_executor()) {}

Supervisor::~Supervisor() {
  stopping_ = true;
  state_exporter_.reset();
  rpc_work_.reset();
  rpc_io_.stop();
  if (rpc_thread_.joinable()) rpc_thread_.join();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status Supervisor::PrepareStateDir() {
  namespace fs = std::filesystem;
  const fs::path root(config_.state_dir);
  for (const fs::path& dir : {root, root / "plugins", root / "workers", root / "logs"}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Status::Internal("cannot create " + dir.string() + ": " + ec.message());
  }
  // Two supervisors on one state dir would share plugin files, worker
  // directories and the id; the lock is held until this process ends.
  const std::string lock = (root / "supervisor.lock").string();
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return Status::Internal("cannot open " + lock + ": " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::AlreadyExists("another supervisor is using " + config_.state_dir);
  }
  plugin_dir_ = (root / "plugins").string();
  if (!config_.id.empty()) {
    id_ = config_.id;
    return Status::Ok();
  }
  auto id = LoadOrCreateSupervisorId(config_.state_dir);
  if (!id.ok()) return id.status();
  id_ = *id;
  return Status::Ok();
}

Status Supervisor::Run() {
  GALE_RETURN_IF_ERROR(PrepareStateDir());
  // Thrift sends with MSG_NOSIGNAL; this covers everything else.
  ::signal(SIGPIPE, SIG_IGN);
  session_ = std::make_unique<NimbusSession>(config_.nimbus, kRpcTimeout);
  plugins_ = std::make_unique<PluginStore>(plugin_dir_);
  for (int port : config_.ports) slots_.emplace(port, std::make_unique<Slot>(io_, port));
  AdoptWorkers();

  // The threads that talk to nimbus block the signals the io thread
  // handles, so that they never interrupt a Thrift call.
  sigset_t handled, old;
  sigemptyset(&handled);
  for (int sig : {SIGTERM, SIGINT, SIGCHLD}) sigaddset(&handled, sig);
  pthread_sigmask(SIG_BLOCK, &handled, &old);
  rpc_thread_ = std::thread([this] { rpc_io_.run(); });
  // Where workers keep RocksDB state (worker/cluster_worker.cc); its thread
  // talks to nimbus too.
  state_exporter_ =
      std::make_unique<StateExporter>(config_.nimbus, id_, config_.state_dir + "/state");
  pthread_sigmask(SIG_SETMASK, &old, nullptr);

  // The log server runs on threads of its own: reading a big log never
  // delays the io thread.
  const std::string logs_dir = config_.state_dir + "/logs";
  auto start_log_server = [&] {
    return http::BackgroundServer::Start(
        config_.host, config_.logviewer_port, 2,
        [logs_dir](const http::HttpRequest& r) { return ServeLogRequest(logs_dir, r); });
  };
  auto server = start_log_server();
  // With --logviewer-port 0 the kernel picks from its ephemeral range, where
  // worker ports may lie too: given one of this supervisor's, the log server
  // would keep that slot's workers from binding it (seen in CI). It asks
  // again, holding what it was given so that the kernel picks another.
  const auto is_slot = [&](int port) {
    return std::find(config_.ports.begin(), config_.ports.end(), port) != config_.ports.end();
  };
  std::vector<std::unique_ptr<http::BackgroundServer>> slot_ports;
  while (server.ok() && config_.logviewer_port == 0 && is_slot((*server)->port())) {
    if (slot_ports.size() == 8) {
      server = Status::Unavailable("every free port picked was a worker port");
      break;
    }
    slot_ports.push_back(std::move(server).value());
    server = start_log_server();
  }
  slot_ports.clear();
  if (server.ok()) {
    log_server_ = std::move(server).value();
    logviewer_port_ = log_server_->port();
    GALE_LOG(kInfo) << "log server on " << config_.host << ":" << logviewer_port_;
  } else {
    // Logs stay readable on this machine; the cluster does not depend on it.
    GALE_LOG(kWarn) << "no log server: " << server.status().message()
                    << " (set --logviewer-port or logviewer.port)";
  }
  StartLogCleanupTimer();

  GALE_LOG(kInfo) << "supervisor " << id_ << " on " << config_.host << ", ports "
                  << JoinPorts(config_.ports) << ", nimbus " << config_.nimbus.ToString()
                  << ", state in " << config_.state_dir << ", worker " << config_.worker_bin;
  WaitForStopSignal();
  WaitForChildSignal();
  StartHeartbeatTimer(milliseconds(0));
  io_.run();

  stopping_ = true;
  rpc_work_.reset();
  rpc_io_.stop();
  rpc_thread_.join();
  GALE_LOG(kInfo) << "supervisor " << id_ << " stopped";
  return Status::Ok();
}

// ------------------------------------------------------------- io thread

void Supervisor::AdoptWorkers() {
  for (auto& [port, slot] : slots_) {
    const auto record = ReadWorkerRecord(config_.state_dir, port);
    if (!record) continue;
    if (!StillRunning(*record)) {
      RemoveWorkerRecord(config_.state_dir, port);
      continue;
    }
    // glibc 2.36's <sys/pidfd.h> lacks extern "C": the system call itself.
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, record->pid, 0));
    // The pidfd names the process now; if the pid was reused meanwhile, the
    // start time no longer matches.
    if (fd < 0 || !StillRunning(*record)) {
      if (fd >= 0) ::close(fd);
      if (fd < 0) {
        GALE_LOG(kWarn) << "cannot watch worker " << record->pid << " on port " << port << ": "
                        << std::strerror(errno) << "; stopping it";
        ::kill(record->pid, SIGKILL);
      }
      RemoveWorkerRecord(config_.state_dir, port);
      continue;
    }
    slot->state = Slot::State::kRunning;
    slot->pid = record->pid;
    slot->topology_id = record->topology_id;
    slot->version = record->version;
    slot->started_at = clock_.Now();
    slot->adopted = true;
    slot->death_note = config_.state_dir + "/workers/" + record->topology_id + "-" +
                       std::to_string(port) + "/death-note";
    slot->exit_watch = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
    WatchAdoptedExit(*slot);
    GALE_LOG(kInfo) << "adopted " << slot->Describe()
                    << ", started by an earlier run of this supervisor";
  }
}

void Supervisor::WatchAdoptedExit(Slot& slot) {
  const pid_t pid = slot.pid;
  slot.exit_watch->async_wait(asio::posix::stream_descriptor::wait_read,
                              [this, &slot, pid](const boost::system::error_code& ec) {
                                if (ec || slot.pid != pid || !slot.adopted) return;
                                OnWorkerExit(slot, std::nullopt);
                              });
}

void Supervisor::WaitForStopSignal() {
  stop_signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    GALE_LOG(kInfo) << "got " << ::strsignal(sig);
    BeginShutdown();
    WaitForStopSignal();
  });
}

void Supervisor::WaitForChildSignal() {
  child_signal_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    ReapChildren();
    WaitForChildSignal();
  });
}

void Supervisor::StartHeartbeatTimer(milliseconds delay) {
  heartbeat_timer_.expires_after(delay);
  heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || shutting_down_) return;
    BeginSync();
    StartHeartbeatTimer(config_.heartbeat);
  });
}

void Supervisor::BeginSync() {
  // A round still running (a slow nimbus, a big plugin) makes us skip a beat
  // rather than queue heartbeats behind it.
  if (sync_in_flight_) return;
  sync_in_flight_ = true;
  HeartbeatReport report{id_, config_.host, config_.ports, {}, {}};
  for (const auto& [port, slot] : slots_) {
    if (slot->state == Slot::State::kRunning) report.running_ports.push_back(port);
  }
  for (const auto& [key, d] : deaths_) report.deaths.push_back(d);
  report.logviewer_port = logviewer_port_;
  asio::post(rpc_io_, [this, report = std::move(report)] {
    SyncResult result = SyncWithNimbus(report);
    asio::post(io_, [this, result = std::move(result)]() mutable { OnSynced(std::move(result)); });
  });
}

void Supervisor::OnSynced(SyncResult result) {
  sync_in_flight_ = false;
  if (shutting_down_) return;
  if (!result.status.ok()) {
    // Storm semantics: without nimbus, keep running what we were told to run.
    if (nimbus_reachable_) {
      GALE_LOG(kWarn) << "nimbus is unreachable (" << result.status
                      << "); keeping the workers running, retrying every "
                      << Seconds(config_.heartbeat);
    }
    nimbus_reachable_ = false;
    return;
  }
  if (!nimbus_reachable_) { GALE_LOG(kInfo) << "reached nimbus at " << config_.nimbus.ToString(); }
  nimbus_reachable_ = true;
  wanted_ = std::move(result.runnable);
  Reconcile();
}

void Supervisor::Reconcile() {
  for (auto& [port, slot] : slots_) ReconcileSlot(*slot);
}

bool Supervisor::Matches(const Slot& slot, const SlotPlan& plan) const {
  return slot.topology_id == plan.topology_id && slot.version == plan.version;
}

void Supervisor::ReconcileSlot(Slot& slot) {
  if (shutting_down_) return;
  auto it = wanted_.find(slot.port);
  const SlotPlan* want = it == wanted_.end() ? nullptr : &it->second;
  switch (slot.state) {
    case Slot::State::kIdle:
      if (want) StartWorker(slot, *want);
      break;
    case Slot::State::kRunning:
      if (!want) {
        GALE_LOG(kInfo) << "stopping " << slot.Describe() << ": no longer assigned";
        StopWorker(slot);
      } else if (!Matches(slot, *want)) {
        GALE_LOG(kInfo) << "stopping " << slot.Describe() << ": the port now runs topology "
                        << want->topology_id << " (version " << want->version << ")";
        StopWorker(slot);
      }
      break;
    case Slot::State::kStopping: break;  // OnWorkerExit() looks again once it is gone
    case Slot::State::kRestartPending:
      if (!want || !Matches(slot, *want)) {
        ResetTimer(slot);
        slot.state = Slot::State::kIdle;
        if (want) StartWorker(slot, *want);
      }
      break;
  }
}

void Supervisor::StartWorker(Slot& slot, const SlotPlan& plan) {
  if (!Matches(slot, plan)) slot.backoff.Reset();
  slot.topology_id = plan.topology_id;
  slot.version = plan.version;
  const std::string name = plan.topology_id + "-" + std::to_string(slot.port);
  WorkerLaunch launch;
  launch.program = config_.worker_bin;
  launch.args = {"--nimbus",        config_.nimbus.ToString(),
                 "--topology-id",   plan.topology_id,
                 "--supervisor-id", id_,
                 "--host",          config_.host,
                 "--port",          std::to_string(slot.port),
                 "--plugin-dir",    plugin_dir_};
  launch.cwd = config_.state_dir + "/workers/" + name;
  slot.death_note = launch.cwd + "/death-note";
  std::remove(slot.death_note.c_str());  // a note of an earlier worker is not this one's
  launch.log_file = config_.state_dir + "/logs/" + WorkerLogName(plan.topology_id, slot.port);
  // The worker writes its log itself from then on, rotated by size; what
  // it prints before (a loader error) lands in the same file.
  for (const std::string& a :
       {std::string("--log-file"), launch.log_file, std::string("--log-max-bytes"),
        std::to_string(config_.worker_log_max_bytes), std::string("--log-max-files"),
        std::to_string(config_.worker_log_max_files), std::string("--death-note"),
        slot.death_note}) {
    launch.args.push_back(a);
  }
  auto pid = SpawnWorker(launch);
  if (!pid.ok()) {
    GALE_LOG(kError) << "topology " << plan.topology_id << " on port " << slot.port << ": "
                     << pid.status();
    RestartLater(slot, slot.backoff.OnDeath(RestartBackoff::Duration::zero()));
    return;
  }
  slot.state = Slot::State::kRunning;
  slot.pid = *pid;
  slot.started_at = clock_.Now();
  // For a later run of this supervisor, should this one be killed.
  if (const auto ticks = ProcessStartTicks(*pid)) {
    const Status s = WriteWorkerRecord(config_.state_dir, slot.port,
                                       {*pid, *ticks, plan.version, plan.topology_id});
    if (!s.ok()) GALE_LOG(kWarn) << "worker " << *pid << ": " << s;
  }
  GALE_LOG(kInfo) << "started " << slot.Describe() << " (" << plan.topology_name << "), log "
                  << launch.log_file;
}

void Supervisor::StopWorker(Slot& slot) {
  GALE_CHECK(slot.state == Slot::State::kRunning && slot.pid > 0) << slot.Describe();
  ::kill(slot.pid, SIGTERM);
  slot.state = Slot::State::kStopping;
  ResetTimer(slot);
  const uint64_t generation = slot.timer_generation;
  slot.timer.expires_after(config_.worker_shutdown);
  slot.timer.async_wait([this, &slot, generation](const boost::system::error_code& ec) {
    if (ec || generation != slot.timer_generation || slot.state != Slot::State::kStopping) return;
    GALE_LOG(kWarn) << slot.Describe() << " did not stop within "
                    << Seconds(config_.worker_shutdown) << " of SIGTERM; sending SIGKILL";
    ::kill(slot.pid, SIGKILL);
  });
}

void Supervisor::ReapChildren() {
  // Only our own pids are waited for; SIGCHLDs coalesce, so look at all.
  for (auto& [port, slot] : slots_) {
    if (slot->pid <= 0 || slot->adopted) continue;
    int status = 0;
    pid_t r;
    do { r = ::waitpid(slot->pid, &status, WNOHANG); } while (r < 0 && errno == EINTR);
    if (r == slot->pid) {
      OnWorkerExit(*slot, status);
    } else if (r < 0) {
      GALE_LOG(kError) << "waitpid for " << slot->Describe() << ": " << std::strerror(errno)
                       << "; treating it as gone";
      OnWorkerExit(*slot, 0);
    }
  }
}

void Supervisor::OnWorkerExit(Slot& slot, std::optional<int> wait_status) {
  const auto ran = duration_cast<milliseconds>(clock_.Now() - slot.started_at);
  const std::string what = slot.Describe();
  // An adopted worker is not our child: how it ended is not known.
  const std::string how = wait_status ? DescribeWaitStatus(*wait_status)
                                      : std::string("exited (adopted: exit status not known)");
  slot.pid = 0;
  slot.adopted = false;
  slot.exit_watch.reset();
  RemoveWorkerRecord(config_.state_dir, slot.port);
  ResetTimer(slot);
  if (slot.state == Slot::State::kStopping) {
    GALE_LOG(kInfo) << what << " stopped: " << how;
    slot.state = Slot::State::kIdle;
    if (shutting_down_) return FinishIfIdle();
    return ReconcileSlot(slot);
  }
  slot.state = Slot::State::kIdle;
  GALE_LOG(kWarn) << what << " died after " << Seconds(ran) << ": " << how;
  // Counted for nimbus, so that a worker that keeps dying (a poison tuple
  // that crashes it on every replay) shows in `gale info`, not only here.
  // A worker that exits 0 left on purpose (its assignment changed); it is
  // restarted like any other, but it did not die.
  // An adopted worker counts when it left a death note.
  const DeathNote note = ReadDeathNote(slot.death_note);
  const bool died = wait_status ? !WIFEXITED(*wait_status) || WEXITSTATUS(*wait_status) != 0
                                : !note.cause.empty();
  if (died) {
    WorkerDeathCount& d = deaths_[{slot.topology_id, slot.port}];
    d.topology_id = slot.topology_id;
    d.port = slot.port;
    ++d.count;
    d.last_reason = how;
    d.last_time_secs = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    const auto it_plan = wanted_.find(slot.port);
    d.last_cause = note.cause;
    d.last_component = note.component;
    d.last_task = note.task;
    // Plugins are stored by hash: frames name them by their file name.
    std::map<std::string, std::string> names;
    if (it_plan != wanted_.end()) {
      for (const auto& p : it_plan->second.plugins) {
        names[plugin_dir_ + "/" + p.sha256 + ".so"] = p.name;
      }
    }
    d.last_stack = SymbolizeStack(note.stack, names);
    if (!note.cause.empty()) GALE_LOG(kWarn) << what << ": " << note.cause;
  }
  if (shutting_down_) return FinishIfIdle();
  auto it = wanted_.find(slot.port);
  if (it == wanted_.end() || !Matches(slot, it->second)) return ReconcileSlot(slot);
  // Killed from outside, or stopped cleanly (a worker stops on SIGTERM and
  // exits 0): not a crash of its own, restarted at once (restart_backoff.h).
  const bool killed = wait_status && note.cause.empty() &&
                      ((WIFSIGNALED(*wait_status) &&
                        (WTERMSIG(*wait_status) == SIGKILL || WTERMSIG(*wait_status) == SIGTERM)) ||
                       (WIFEXITED(*wait_status) && WEXITSTATUS(*wait_status) == 0));
  const auto delay = slot.backoff.OnDeath(
      ran, killed ? RestartBackoff::Death::kKilled : RestartBackoff::Death::kCrash);
  if (delay == RestartBackoff::Duration::zero()) return StartWorker(slot, it->second);
  RestartLater(slot, delay);
}

void Supervisor::RestartLater(Slot& slot, RestartBackoff::Duration delay) {
  GALE_LOG(kInfo) << "restarting topology " << slot.topology_id << " on port " << slot.port
                  << " in " << Seconds(delay) << " (" << slot.backoff.deaths()
                  << " deaths in a row, each within " << Seconds(RestartBackoff::kHealthyRun)
                  << " of starting)";
  slot.state = Slot::State::kRestartPending;
  ResetTimer(slot);
  const uint64_t generation = slot.timer_generation;
  slot.timer.expires_after(delay);
  slot.timer.async_wait([this, &slot, generation](const boost::system::error_code& ec) {
    if (ec || generation != slot.timer_generation) return;
    if (slot.state != Slot::State::kRestartPending) return;
    slot.state = Slot::State::kIdle;
    ReconcileSlot(slot);  // starts it if it is still assigned
  });
}

void Supervisor::ResetTimer(Slot& slot) {
  ++slot.timer_generation;
  slot.timer.cancel();
}

void Supervisor::StartLogCleanupTimer() {
  std::set<std::string> here;
  for (const auto& [port, slot] : slots_) {
    if (!slot->topology_id.empty()) here.insert(slot->topology_id);
  }
  for (const auto& [port, plan] : wanted_) here.insert(plan.topology_id);
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(config_.log_retention);
  for (const std::string& name : RemoveOldLogs(config_.state_dir + "/logs", here, age)) {
    GALE_LOG(kInfo) << "removed " << name << " (its topology is no longer here; older than "
                    << config_.log_retention.count() << " min)";
  }
  log_cleanup_timer_.expires_after(std::chrono::minutes(1));
  log_cleanup_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !shutting_down_) StartLogCleanupTimer();
  });
}

void Supervisor::BeginShutdown() {
  if (shutting_down_) {
    GALE_LOG(kWarn) << "stop signal again: killing the workers now";
    for (auto& [port, slot] : slots_) {
      if (slot->pid > 0) ::kill(slot->pid, SIGKILL);
    }
    return;
  }
  shutting_down_ = true;
  heartbeat_timer_.cancel();
  log_cleanup_timer_.cancel();
  int running = 0;
  for (auto& [port, slot] : slots_) {
    if (slot->state == Slot::State::kRunning) {
      StopWorker(*slot);
      ++running;
    } else if (slot->state == Slot::State::kRestartPending) {
      ResetTimer(*slot);
      slot->state = Slot::State::kIdle;
    }
  }
  GALE_LOG(kInfo) << "stopping " << running << " worker(s), then exiting";
  FinishIfIdle();
}

void Supervisor::FinishIfIdle() {
  for (const auto& [port, slot] : slots_) {
    if (slot->pid > 0) return;
  }
  io_.stop();
}

// --------------------------------------------------------- nimbus thread

Supervisor::SyncResult Supervisor::SyncWithNimbus(const HeartbeatReport& report) {
  SyncResult result;
  auto plans = session_->Heartbeat(report);
  if (!plans.ok()) {
    result.status = plans.status();
    return result;
  }
  // Problems are logged when they first appear, not on every heartbeat.
  std::set<std::string> problems;
  std::set<int> seen_ports;
  for (const SlotPlan& plan : *plans) {
    std::string problem;
    const std::string where = "port " + std::to_string(plan.port) + " (topology " +
                              topology::PrintableForMessage(plan.topology_id) + ")";
    // Topology ids become parts of file names (work directory, log file).
    // Nimbus makes them from names checked by the same rule, so this only
    // fires for a nimbus that does not check.
    const auto bad_id = topology::ValidateTopologyId(plan.topology_id);
    if (std::find(config_.ports.begin(), config_.ports.end(), plan.port) == config_.ports.end()) {
      problem = "nimbus assigned " + where + ", which is not a port of this supervisor; ignored";
    } else if (!seen_ports.insert(plan.port).second) {
      problem = "nimbus assigned " + where + " more than once; using the first";
    } else if (bad_id) {
      problem = "nimbus assigned " + where + ": " + *bad_id + "; ignored";
    }
    if (!problem.empty()) {
      if (!reported_.count(problem)) { GALE_LOG(kError) << problem; }
      problems.insert(problem);
      continue;
    }
    if (PluginsReady(plan)) result.runnable.emplace(plan.port, plan);
  }
  reported_ = std::move(problems);
  return result;
}

bool Supervisor::PluginsReady(const SlotPlan& plan) {
  for (const PluginFile& plugin : plan.plugins) {
    auto failed = plugin_failed_at_.find(plugin.sha256);
    if (failed != plugin_failed_at_.end() && clock_.Now() - failed->second < kPluginRetryDelay) {
      return false;
    }
    Status s = plugins_->Ensure(plugin.sha256, [&](int64_t offset, int32_t length) {
      if (stopping_) return Result<std::string>(Status::Unavailable("supervisor is stopping"));
      return session_->DownloadChunk(plugin.sha256, offset, length);
    });
    if (!s.ok()) {
      GALE_LOG(kError) << "topology " << plan.topology_id << " on port " << plan.port << ": plugin "
                       << plugin.name << ": " << s << "; its worker is not started (retry in "
                       << kPluginRetryDelay.count() << " s)";
      plugin_failed_at_[plugin.sha256] = clock_.Now();
      return false;
    }
    plugin_failed_at_.erase(plugin.sha256);
  }
  return true;
}

}  // namespace gale::supervisor
