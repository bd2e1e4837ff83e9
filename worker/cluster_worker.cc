#include "worker/cluster_worker.h"

#include "worker/death_note.h"

#include "worker/cluster_transfer.h"
#include "worker/shutdown.h"
#include "worker/state_import.h"

#include "core/common/logging.h"
#include "core/common/sha256.h"
#include "core/multilang/resources.h"
#include "core/multilang/shell_component.h"
#include "core/plugin/loader.h"
#include "core/runtime/topology_plan.h"
#include "core/runtime/worker_runtime.h"
#include "core/state/checkpoint.h"
#include "core/transport/zmq_transport.h"
#include "thrift/client.h"
#include "thrift/convert.h"

#include <signal.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>

#include <atomic>
#include <chrono>
#include <mutex>
#include <sstream>
#include <thread>

namespace gale::worker {
namespace {

// SIGTERM and SIGINT received so far.
std::atomic<int> g_signals{0};
static_assert(std::atomic<int>::is_always_lock_free);
extern "C" void OnStopSignal(int) { g_signals.fetch_add(1); }

class RuntimeReceiver final : public transport::Receiver {
 public:
  void set_runtime(runtime::WorkerRuntime* r) { runtime_ = r; }
  size_t Deliver(std::span<tuple::WireTuple> tuples) override {
    return runtime_->DeliverRemote(tuples);
  }

 private:
  runtime::WorkerRuntime* runtime_ = nullptr;
};

thrift::ExecutorStats ToThrift(const runtime::StatsSnapshot& s) {
  thrift::ExecutorStats out;
  out.emitted = static_cast<int64_t>(s.emitted);
  out.transferred = static_cast<int64_t>(s.transferred);
  out.acked = static_cast<int64_t>(s.acked);
  out.failed = static_cast<int64_t>(s.failed);
  out.executed = static_cast<int64_t>(s.executed);
  out.execute_ms_avg = s.execute_latency_ms();
  out.complete_ms_avg = s.complete_latency_ms();
  out.__set_transferred_remote(static_cast<int64_t>(s.transferred_remote));
  out.__set_error_count(static_cast<int64_t>(s.error_count));
  out.__set_execute_nanos(static_cast<int64_t>(s.execute_nanos));
  out.__set_complete_nanos(static_cast<int64_t>(s.complete_nanos));
  out.__set_complete_samples(static_cast<int64_t>(s.complete_samples));
  out.__set_process_nanos(static_cast<int64_t>(s.process_nanos));
  out.__set_process_samples(static_cast<int64_t>(s.process_samples));
  out.__set_backpressure_nanos(static_cast<int64_t>(s.backpressure_nanos));
  out.__set_queue_depth(static_cast<int64_t>(s.queue_depth));
  auto streams = [](const std::vector<runtime::StreamSnapshot>& from) {
    std::vector<thrift::ExecutorStreamStats> to;
    for (const auto& f : from) {
      thrift::ExecutorStreamStats t;
      t.component = f.component;
      t.stream = f.stream;
      t.__set_emitted(static_cast<int64_t>(f.emitted));
      t.__set_transferred(static_cast<int64_t>(f.transferred));
      t.__set_acked(static_cast<int64_t>(f.acked));
      t.__set_failed(static_cast<int64_t>(f.failed));
      t.__set_executed(static_cast<int64_t>(f.executed));
      t.__set_execute_nanos(static_cast<int64_t>(f.execute_nanos));
      to.push_back(std::move(t));
    }
    return to;
  };
  if (!s.outputs.empty()) out.__set_outputs(streams(s.outputs));
  if (!s.inputs.empty()) out.__set_inputs(streams(s.inputs));
  auto hist = [](const runtime::LatencyCounts& c) {
    return std::vector<int64_t>(c.begin(), c.end());
  };
  out.__set_execute_histogram(hist(s.execute_histogram));
  out.__set_complete_histogram(hist(s.complete_histogram));
  return out;
}

std::vector<thrift::UserMetricValue> ToThrift(const std::vector<runtime::UserMetricSample>& ms) {
  using Kind = runtime::UserMetricSample::Kind;
  std::vector<thrift::UserMetricValue> out;
  for (const auto& m : ms) {
    thrift::UserMetricValue v;
    v.name = m.name;
    v.kind = m.kind == Kind::kCounter ? thrift::UserMetricKind::COUNTER
             : m.kind == Kind::kGauge ? thrift::UserMetricKind::GAUGE
                                      : thrift::UserMetricKind::HISTOGRAM;
    v.__set_value(m.value);
    if (m.kind == Kind::kHistogram) {
      v.__set_bounds(m.bounds);
      v.__set_counts(m.counts);
      v.__set_sum(m.sum);
    }
    out.push_back(std::move(v));
  }
  return out;
}

// Connects to nimbus, retrying for up to `patience`.
Result<std::unique_ptr<rpc::NimbusConnection>> ConnectWithRetry(const rpc::HostPort& nimbus,
                                                                std::chrono::seconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    auto c = rpc::NimbusConnection::Connect(nimbus, std::chrono::seconds(5));
    if (c.ok() || std::chrono::steady_clock::now() > deadline || g_signals.load() > 0) return c;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// Logs why this worker cannot go on and leaves it in the death note for the
// supervisor (worker/death_note.h); the exit code.
template <typename T>
int GiveUp(const std::string& me, const T& why, const std::string& component = "",
           int32_t task = -1) {
  std::ostringstream text;
  text << why;
  GALE_LOG(kError) << "worker " << me << ": " << text.str();
  WriteDeathNote(text.str(), component, task);
  return 1;
}

// The resources archive of the topology's shell components (gale submit
// uploaded it like a plugin: core/multilang/resources.h), downloaded from
// nimbus and unpacked next to the plugins once per machine; its folder.
Result<std::string> FetchResources(rpc::NimbusConnection& conn, const std::string& sha,
                                   const std::string& plugin_dir) {
  namespace fs = std::filesystem;
  if (!IsSha256Hex(sha)) {
    return Status::InvalidArgument("bad " + std::string(multilang::kResourcesShaKey) + " '" + sha +
                                   "'");
  }
  const std::string dest = plugin_dir + "/" + sha + ".resources";
  if (fs::is_directory(dest)) return dest;
  const std::string tar = plugin_dir + "/" + sha + ".tar";
  const std::string part = tar + ".part-" + std::to_string(::getpid());
  {
    std::ofstream out(part, std::ios::binary | std::ios::trunc);
    int64_t offset = 0;
    while (true) {
      std::string chunk;
      Status s = conn.Call(
          [&](thrift::NimbusClient& c) { c.downloadPluginChunk(chunk, sha, offset, 1 << 20); });
      if (!s.ok()) return Status(s.code(), "downloading resources " + sha + ": " + s.message());
      if (chunk.empty()) break;
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      offset += static_cast<int64_t>(chunk.size());
    }
    if (!out) return Status::Internal("cannot write " + part);
  }
  auto got = Sha256File(part);
  std::error_code ec;
  if (!got.ok() || *got != sha) {
    fs::remove(part, ec);
    return Status::Internal("resources " + sha + " downloaded with another hash");
  }
  fs::rename(part, tar, ec);
  GALE_RETURN_IF_ERROR(multilang::UnpackResources(tar, dest));
  return dest;
}

}  // namespace

int RunClusterWorker(const ClusterWorkerOptions& options) {
  auto nimbus_addr = rpc::ParseHostPort(options.nimbus);
  if (!nimbus_addr.ok() || options.topology_id.empty() || options.supervisor_id.empty() ||
      options.port <= 0 || options.plugin_dir.empty()) {
    GALE_LOG(kError) << "worker: need --nimbus HOST:PORT, --topology-id, --supervisor-id, "
                        "--port and --plugin-dir";
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  const std::string me = options.host + ":" + std::to_string(options.port);

  auto conn = ConnectWithRetry(*nimbus_addr, std::chrono::seconds(30));
  if (!conn.ok()) { return GiveUp(me, conn.status()); }
  thrift::WorkerPlan wp;
  Status s = (*conn)->Call([&](thrift::NimbusClient& c) {
    c.getWorkerPlan(wp, options.topology_id, options.supervisor_id, options.port);
  });
  if (!s.ok()) {
    GALE_LOG(kError) << "worker " << me << ": " << s;
    return s.code() == StatusCode::kNotFound ? 0 : 1;
  }

  // The plan, from the topology as nimbus has it, with our plugin copies.
  auto spec = convert::FromThrift(wp.topology);
  if (!spec.ok()) { return GiveUp(me, spec.status()); }
  for (size_t i = 0; i < spec->plugins.size(); ++i) {
    spec->plugins[i].path = options.plugin_dir + "/" + wp.topology.plugins[i].sha256 + ".so";
  }
  // RocksDB state lives in the supervisor's directory.
  const std::string rocksdb_dir =
      (std::filesystem::path(options.plugin_dir).parent_path() / "state").string();
  state::SetRunDefaults(spec->config, options.topology_id, rocksdb_dir);
  if (const Value* sha = spec->config.Find(multilang::kResourcesShaKey)) {
    auto dir = FetchResources(**conn, sha->ToString(), options.plugin_dir);
    if (!dir.ok()) { return GiveUp(me, dir.status()); }
    spec->config.Set(std::string(multilang::kResourcesDirKey), Value(*dir));
  }
  auto classes = plugin::ClassRegistry::Load(spec->plugins);
  if (!classes.ok()) { return GiveUp(me, classes.status()); }
  auto plan = runtime::TopologyPlan::Build(*spec);
  if (!plan.ok()) { return GiveUp(me, plan.status()); }

  // Who runs what.
  const thrift::Assignment& a = wp.assignment;
  int my_index = -1;
  for (size_t w = 0; w < a.workers.size(); ++w) {
    if (a.workers[w].supervisor_id == options.supervisor_id && a.workers[w].port == options.port) {
      my_index = static_cast<int>(w);
    }
  }
  if (my_index < 0) {
    GALE_LOG(kWarn) << "worker " << me << ": not in assignment " << a.version << "; exiting";
    return 0;
  }
  std::vector<int> worker_peer(a.workers.size(), -1);
  std::vector<std::string> peers;
  for (size_t w = 0; w < a.workers.size(); ++w) {
    if (static_cast<int>(w) == my_index) continue;
    worker_peer[w] = static_cast<int>(peers.size());
    peers.push_back(a.workers[w].host + ":" + std::to_string(a.workers[w].port));
  }
  std::vector<int> task_peer(static_cast<size_t>((*plan)->task_count()) + 1, -1);
  runtime::WorkerOptions wo;
  std::vector<thrift::ExecutorAssignment> mine;
  for (const auto& ea : a.executors) {
    for (int32_t t = ea.task_start; t <= ea.task_end && t <= (*plan)->task_count(); ++t) {
      task_peer[static_cast<size_t>(t)] = worker_peer[static_cast<size_t>(ea.worker)];
    }
    if (ea.worker != my_index) continue;
    mine.push_back(ea);
    for (size_t k = 0; k < (*plan)->executors().size(); ++k) {
      if ((*plan)->executors()[k].tasks.front() == ea.task_start) wo.executors.push_back(k);
    }
  }
  if (wo.executors.empty()) {
    GALE_LOG(kWarn) << "worker " << me << ": no executors assigned; exiting";
    return 0;
  }
  if (!wp.state_imports.empty()) {
    StateImport what;
    what.topology_id = options.topology_id;
    what.supervisor_id = options.supervisor_id;
    what.port = options.port;
    what.assignment_version = a.version;
    what.rocksdb_dir = rocksdb_dir;
    what.exactly_once = (*plan)->exactly_once();
    what.wait = std::chrono::seconds(
        (*plan)->topology_config().GetInt("topology.state.rocksdb.move.wait.secs", 60));
    auto connection = [&]() -> rpc::NimbusConnection* {
      if (!(*conn)->Call([](thrift::NimbusClient&) {}).ok()) {
        auto again = rpc::NimbusConnection::Connect(*nimbus_addr, std::chrono::seconds(2));
        if (!again.ok()) return nullptr;
        conn = std::move(again);
      }
      return conn->get();
    };
    s = ImportMovedState(what, wp.state_imports, connection, [] { return g_signals.load() > 0; });
    if (s.code() == StatusCode::kFailedPrecondition) {  // the assignment moved on meanwhile
      GALE_LOG(kInfo) << "worker " << me << ": " << s.message() << "; exiting";
      return 0;
    }
    if (!s.ok()) { return GiveUp(me, s); }
  }
  ClusterTransfer remote(std::move(task_peer), static_cast<int>(peers.size()));
  wo.remote = &remote;
  auto rt = runtime::WorkerRuntime::Create(**plan, *classes, SystemClock::Get(), std::move(wo));
  if (!rt.ok()) { return GiveUp(me, rt.status()); }
  RuntimeReceiver receiver;
  receiver.set_runtime(rt->get());
  transport::TransportOptions to;
  to.bind_host = options.host;
  to.port = options.port;
  to.peers = peers;
  to.batch_tuples = static_cast<size_t>((*plan)->settings().transfer_batch_size);
  to.flush_delay =
      Nanos(static_cast<int64_t>((*plan)->settings().batch_flush_interval_millis * 1e6));
  to.topology_id = options.topology_id;
  to.assignment_version = a.version;
  to.curve_public_key = wp.transport_public_key;
  to.curve_secret_key = wp.transport_secret_key;
  transport::ZmqTransport transport(to, receiver);
  remote.set_transport(&transport);
  s = transport.Start();
  if (!s.ok()) { return GiveUp(me, s); }
  (*rt)->SetActive(wp.status == thrift::TopologyStatus::ACTIVE);
  (*rt)->Start();
  GALE_LOG(kInfo) << "worker " << me << " runs " << mine.size() << " executor(s) of "
                  << options.topology_id << " (assignment " << a.version << ", " << peers.size()
                  << " peer(s); frames of up to " << to.batch_tuples << " tuples or after "
                  << (*plan)->settings().batch_flush_interval_millis << " ms)";

  int code = 0;
  auto next_beat = std::chrono::steady_clock::now();
  // Tells nimbus that this process's counters started from zero.
  const int64_t incarnation = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  while (g_signals.load() == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::string fatal = (*rt)->Fatal();
    if (!fatal.empty()) {
      const auto [component, task] = (*rt)->FatalPlace();
      code = GiveUp(me, "cannot go on: " + fatal, component, task);
      break;
    }
    if (std::chrono::steady_clock::now() < next_beat) continue;
    next_beat += std::chrono::seconds(1);

    thrift::WorkerHeartbeat hb;
    hb.topology_id = options.topology_id;
    hb.supervisor_id = options.supervisor_id;
    hb.port = options.port;
    hb.assignment_version = a.version;
    hb.__set_incarnation(incarnation);
    for (const auto& r : (*rt)->ExecutorReports()) {
      thrift::ExecutorAssignment ea;
      ea.task_start = r.task_start;
      ea.task_end = r.task_end;
      ea.worker = my_index;
      hb.executors.push_back(ea);
      hb.stats.push_back(ToThrift(r.stats));
      hb.stats.back().__set_metrics(ToThrift(r.metrics));
      for (const auto& e : r.stats.last_errors) {
        thrift::ErrorInfo info;
        info.error = e.message;
        info.error_time_secs = e.time_secs;
        info.host = options.host;
        info.port = options.port;
        info.__set_task(e.task);
        info.__set_count(e.count);
        hb.errors.push_back(std::move(info));
      }
    }
    const transport::TransportStats ts = transport.stats();
    hb.__set_dropped_frames(
        static_cast<int64_t>((*rt)->dropped_tuples() + ts.frames_dropped + ts.frames_stale));
    if (!(*conn)->Call([](thrift::NimbusClient&) {}).ok()) {
      auto again = rpc::NimbusConnection::Connect(*nimbus_addr, std::chrono::seconds(2));
      if (!again.ok()) continue;  // nimbus is away: keep running, try again next beat
      conn = std::move(again);
    }
    thrift::WorkerHeartbeatResponse resp;
    s = (*conn)->Call([&](thrift::NimbusClient& c) { c.workerHeartbeat(resp, hb); });
    if (s.code() == StatusCode::kNotFound) {
      GALE_LOG(kInfo) << "worker " << me << ": topology is gone; exiting";
      break;
    }
    if (!s.ok()) continue;
    if (!resp.assigned || resp.assignment_version != a.version) {
      GALE_LOG(kInfo) << "worker " << me << ": assignment changed (" << a.version << " -> "
                      << resp.assignment_version << "); exiting for a restart";
      break;
    }
    (*rt)->SetActive(resp.status == thrift::TopologyStatus::ACTIVE);
  }
  if (g_signals.load() > 0) GALE_LOG(kInfo) << "worker " << me << ": stopping on a signal";
  (*rt)->SetActive(false);
  // A stuck executor must not keep the worker (and its slot) until the
  // supervisor's SIGKILL: it gets topology.worker.shutdown.secs, or less if
  // a second signal comes (the supervisor's one SIGTERM, during a stop the
  // worker began itself, does not cut the wait).
  const double shutdown_secs = (*plan)->settings().worker_shutdown_secs;
  const auto stuck =
      (*rt)->StopUntil(ShutdownDeadline(shutdown_secs), [] { return g_signals.load() >= 2; });
  if (!stuck.empty()) {
    GiveUp(me, StuckMessage(stuck, shutdown_secs, g_signals.load() >= 2));
    // Their threads may still be in the runtime or the transport: nothing
    // is destroyed under them (worker/README.md, "Stopping").
    ExitLeavingThreads(kExitExecutorsStuck);
  }
  transport.Stop();
  GALE_LOG(kInfo) << "worker " << me << " stopped";
  return code;
}

}  // namespace gale::worker
