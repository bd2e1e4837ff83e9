#include "worker/cluster_worker.h"

#include "worker/death_note.h"

#include "worker/cluster_transfer.h"
#include "worker/heartbeat.h"
#include "worker/run_loop.h"
#include "worker/shutdown.h"
#include "worker/state_import.h"
#include "worker/worker_layout.h"

#include "core/common/logging.h"
#include "core/common/sha256.h"
#include "core/multilang/resources.h"
#include "core/multilang/shell_component.h"
#include "core/plan/topology_plan.h"
#include "core/plugin/loader.h"
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
  explicit RuntimeReceiver(runtime::WorkerRuntime& runtime) : runtime_(runtime) {}
  size_t Deliver(std::span<tuple::WireTuple> tuples) override {
    return runtime_.DeliverRemote(tuples);
  }
  bool TakesFrames() const override { return true; }
  Result<size_t> DeliverFrame(std::string_view frame) override {
    return runtime_.DeliverFrame(frame);
  }

 private:
  runtime::WorkerRuntime& runtime_;
};

// Connects to nimbus, retrying for up to `patience`.
Result<std::unique_ptr<rpc::NimbusConnection>> ConnectWithRetry(
    const std::vector<rpc::HostPort>& nimbus, std::chrono::seconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    auto c = rpc::NimbusConnection::ConnectLeader(nimbus, std::chrono::seconds(5));
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

std::vector<AssignedSlot> Slots(const thrift::Assignment& a) {
  std::vector<AssignedSlot> out;
  for (size_t w = 0; w < a.workers.size(); ++w) {
    const auto& s = a.workers[w];
    out.push_back({s.supervisor_id, s.host, s.port, convert::LayoutVersion(a, w)});
  }
  return out;
}

std::vector<AssignedExecutor> Executors(const thrift::Assignment& a) {
  std::vector<AssignedExecutor> out;
  for (const auto& e : a.executors) out.push_back({e.task_start, e.task_end, e.worker});
  return out;
}

}  // namespace

int RunClusterWorker(const ClusterWorkerOptions& options) {
  auto nimbus_addr = rpc::ParseHostPorts(options.nimbus);
  if (!nimbus_addr.ok() || options.topology_id.empty() || options.supervisor_id.empty() ||
      options.port <= 0 || options.plugin_dir.empty()) {
    GALE_LOG(kError)
        << "worker: need --nimbus HOST:PORT[,HOST:PORT...], --topology-id, --supervisor-id, "
           "--port and --plugin-dir";
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  // A component writing to a peer that went away (a connector's server
  // restarted) gets EPIPE and reports it, rather than the worker dying of
  // SIGPIPE without a word (as a JVM worker of Storm's ignores it too).
  ::signal(SIGPIPE, SIG_IGN);
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
  auto plan = plan::TopologyPlan::Build(*spec);
  if (!plan.ok()) { return GiveUp(me, plan.status()); }

  // Who runs what.
  const thrift::Assignment& a = wp.assignment;
  std::vector<int32_t> first_tasks;
  for (const auto& e : (*plan)->executors()) first_tasks.push_back(e.tasks.front());
  auto layout = LayOut(Slots(a), Executors(a), first_tasks, (*plan)->task_count(),
                       options.supervisor_id, options.port);
  if (!layout.ok()) { return GiveUp(me, layout.status()); }
  if (layout->my_index < 0) {
    GALE_LOG(kWarn) << "worker " << me << ": not in assignment " << a.version << "; exiting";
    return 0;
  }
  if (layout->executors.empty()) {
    GALE_LOG(kWarn) << "worker " << me << ": no executors assigned; exiting";
    return 0;
  }
  runtime::WorkerOptions wo;
  wo.executors = layout->executors;
  WorkerIdentity identity{options.topology_id, options.supervisor_id, options.host, options.port,
                          a.version,           layout->my_index,      UnixMillis()};
  // The connection to nimbus, made again when it broke; null while nimbus
  // cannot be reached.
  auto connection = [&]() -> rpc::NimbusConnection* {
    if (!(*conn)->Call([](thrift::NimbusClient&) {}).ok()) {
      auto again = rpc::NimbusConnection::ConnectLeader(*nimbus_addr, std::chrono::seconds(2));
      if (!again.ok()) return nullptr;
      conn = std::move(again);
    }
    return conn->get();
  };
  if (!wp.state_imports.empty()) {
    StateImport what;
    what.worker = identity;
    what.rocksdb_dir = rocksdb_dir;
    what.exactly_once = (*plan)->exactly_once();
    what.wait = std::chrono::seconds(
        (*plan)->topology_config().GetInt("topology.state.rocksdb.move.wait.secs", 60));
    s = ImportMovedState(what, wp.state_imports, connection, [] { return g_signals.load() > 0; });
    if (s.code() == StatusCode::kFailedPrecondition) {  // the assignment moved on meanwhile
      GALE_LOG(kInfo) << "worker " << me << ": " << s.message() << "; exiting";
      return 0;
    }
    if (!s.ok()) { return GiveUp(me, s); }
  }
  const std::vector<std::string>& peers = layout->peers;
  transport::TransportOptions to;
  to.bind_host = options.host;
  to.port = options.port;
  to.peers = peers;
  to.batch_tuples = static_cast<size_t>((*plan)->settings().transfer_batch_size);
  to.flush_delay =
      Nanos(static_cast<int64_t>((*plan)->settings().batch_flush_interval_millis * 1e6));
  to.topology_id = options.topology_id;
  to.assignment_version = layout->my_layout_version;
  to.self_address = layout->my_address;  // as its peers know it
  to.peer_versions = layout->peer_versions;
  to.curve_public_key = wp.transport_public_key;
  to.curve_secret_key = wp.transport_secret_key;
  // Out: executors -> runtime -> cluster transfer -> transport. In:
  // transport -> receiver -> runtime. The transport starts last, once the
  // runtime it delivers to exists.
  transport::ZmqTransport transport(to);
  ClusterTransfer remote(layout->task_peer, transport, static_cast<int>(peers.size()),
                         PeerLocality(peers, layout->my_address));
  wo.remote = &remote;
  auto rt = runtime::WorkerRuntime::Create(**plan, *classes, SystemClock::Get(), std::move(wo));
  if (!rt.ok()) { return GiveUp(me, rt.status()); }
  RuntimeReceiver receiver(**rt);
  s = transport.Start(receiver);
  // Every way out stops the transport first: its receiver thread calls into
  // the receiver and the runtime, which go before it.
  struct StopFirst {
    transport::ZmqTransport& transport;
    ~StopFirst() { transport.Stop(); }
  } stop_first{transport};
  if (!s.ok()) { return GiveUp(me, s); }
  (*rt)->SetActive(wp.status == thrift::TopologyStatus::ACTIVE);
  (*rt)->Start();
  GALE_LOG(kInfo) << "worker " << me << " runs " << layout->mine.size() << " executor(s) of "
                  << options.topology_id << " (assignment " << a.version << ", " << peers.size()
                  << " peer(s); frames of up to " << to.batch_tuples << " tuples or after "
                  << (*plan)->settings().batch_flush_interval_millis << " ms)";

  RunLoopHooks hooks;
  hooks.stop_requested = [] { return g_signals.load() > 0; };
  hooks.fatal = [&] { return (*rt)->Fatal(); };
  hooks.beat = [&](thrift::WorkerHeartbeatResponse& resp) {
    const transport::TransportStats ts = transport.stats();
    const thrift::WorkerHeartbeat hb = MakeHeartbeat(
        identity, (*rt)->ExecutorReports(),
        static_cast<int64_t>((*rt)->dropped_tuples() + ts.frames_dropped + ts.frames_stale +
                             ts.tuples_retired + remote.unroutable()));
    rpc::NimbusConnection* nimbus = connection();
    if (!nimbus) return Status::Unavailable("nimbus is away");  // keep running, beat again
    return nimbus->Call([&](thrift::NimbusClient& c) { c.workerHeartbeat(resp, hb); });
  };
  hooks.set_active = [&](bool active) { (*rt)->SetActive(active); };
  hooks.sleep = [](Nanos d) { std::this_thread::sleep_for(d); };
  // Live reassignment: the transport's peers (by index; "" retired) as
  // this worker last set them.
  std::vector<std::string> transport_peers = peers;
  std::vector<int64_t> transport_versions = layout->peer_versions;
  hooks.reroute = [&](const thrift::Assignment& next) -> Status {
    GALE_ASSIGN_OR_RETURN(
        Reroute r, PlanReroute(*layout, transport_peers, Slots(next), Executors(next), first_tasks,
                               (*plan)->task_count(), options.supervisor_id, options.port));
    // New peers first, so that the table names only peers the transport
    // knows; then the table; then the peers that left are retired, so that
    // only batches routed by the old table just before are dropped (and
    // counted: their trees replay).
    std::vector<std::string> joined = r.peers;
    std::vector<int64_t> joined_versions = r.peer_versions;
    for (size_t p = 0; p < transport_peers.size(); ++p) {
      if (!joined[p].empty()) continue;
      joined[p] = transport_peers[p];  // leaving, or retired before
      joined_versions[p] = transport_versions[p];
    }
    GALE_RETURN_IF_ERROR(transport.UpdatePeers(joined, joined_versions));
    remote.Reroute(r.task_peer, static_cast<int>(r.peers.size()),
                   PeerLocality(r.peers, layout->my_address));
    GALE_RETURN_IF_ERROR(transport.UpdatePeers(r.peers, r.peer_versions));
    transport_peers = std::move(r.peers);
    transport_versions = std::move(r.peer_versions);
    *layout = std::move(r.layout);
    identity.assignment_version = next.version;
    identity.my_index = layout->my_index;
    GALE_LOG(kInfo) << "worker " << me << ": assignment " << next.version
                    << " keeps this worker's executors; routing updated in place ("
                    << layout->peers.size() << " peer(s))";
    return Status::Ok();
  };
  const RunLoopEnd end = RunLoop(SystemClock::Get(), a.version, layout->my_layout_version, hooks);
  int code = 0;
  switch (end.why) {
    case RunLoopEnd::Why::kSignal: break;
    case RunLoopEnd::Why::kFatal: {
      const auto [component, task] = (*rt)->FatalPlace();
      code = GiveUp(me, "cannot go on: " + end.fatal, component, task);
      break;
    }
    case RunLoopEnd::Why::kTopologyGone:
      GALE_LOG(kInfo) << "worker " << me << ": topology is gone; exiting";
      break;
    case RunLoopEnd::Why::kReassigned:
      GALE_LOG(kInfo) << "worker " << me << ": assignment changed (" << identity.assignment_version
                      << " -> " << end.assignment_version << ")"
                      << (end.reroute_error.empty() ? "" : ": " + end.reroute_error)
                      << "; exiting for a restart";
      break;
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
  const transport::TransportStats ts = transport.stats();
  GALE_LOG(kInfo) << "worker " << me << " stopped; its links sent " << ts.tuples_sent
                  << " tuples in " << ts.frames_sent << " frames (" << ts.frames_sent_by_callers
                  << " by the executors' threads) and received " << ts.tuples_received << " in "
                  << ts.frames_received << " frames";
  return code;
}

}  // namespace gale::worker
