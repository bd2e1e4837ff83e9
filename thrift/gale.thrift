// gale.thrift: the Nimbus service and every struct that crosses a process
// boundary between Gale's daemons and their clients. thrift/README.md
// documents every call for client authors.
//
// Transport: framed (TFramedTransport), binary protocol (TBinaryProtocol),
// nimbus on 127.0.0.1:6627 by default. Frames over 16,384,000 bytes are
// refused.

namespace cpp gale.thrift
namespace py gale_thrift
namespace js gale

// ---------------------------------------------------------------- topology

enum ComponentKind {
  SPOUT = 1,
  BOLT = 2,
}

enum GroupingType {
  SHUFFLE = 1,
  FIELDS = 2,
  ALL = 3,
  GLOBAL = 4,
  NONE = 5,
  DIRECT = 6,
  LOCAL_OR_SHUFFLE = 7,
  PARTIAL_KEY = 8,
}

// A config value: exactly one member is set; none set means null.
union ConfigValue {
  1: bool bool_value,
  2: i64 int_value,
  3: double double_value,
  4: string string_value,
}

// An output stream a component declares.
struct StreamDecl {
  1: required string id,
  2: required list<string> fields,
  3: optional bool direct = false,
}

struct Component {
  1: required string id,
  2: required ComponentKind kind,
  // A class a plugin of the topology registers.
  3: required string class_name,
  // Executors (threads); >= 1.
  4: required i32 parallelism,
  // Tasks, fixed for the topology's life; 0 means "= parallelism".
  5: optional i32 num_tasks = 0,
  6: optional map<string, ConfigValue> config = {},
  // What DeclareOutputFields() declares: nimbus validates subscriptions
  // against it without running user code.
  7: required list<StreamDecl> outputs,
}

struct Grouping {
  1: required GroupingType type,
  // FIELDS and PARTIAL_KEY: the key fields.
  2: optional list<string> fields = [],
}

// `to` subscribes to `stream` of `from`.
struct Subscription {
  1: required string from_component,
  2: optional string stream = "default",
  3: required string to_component,
  4: required Grouping grouping,
  // Run `to` on the thread of `from` (true), never (false); unset: when the
  // grouping and parallelism allow (topology.chaining.enabled).
  5: optional bool chain,
}

// A plugin library the topology needs. Upload it first (beginPluginUpload).
struct PluginRef {
  // The file name it was uploaded from (informational; workers load by hash).
  1: required string name,
  // Lower-case hex SHA-256 of the file.
  2: required string sha256,
}

struct Topology {
  1: required string name,
  2: required list<Component> components,
  3: required list<Subscription> streams,
  4: optional map<string, ConfigValue> config = {},
  5: required list<PluginRef> plugins,
}

enum TopologyStatus {
  ACTIVE = 1,
  INACTIVE = 2,
  REBALANCING = 3,
  KILLED = 4,
}

struct SubmitOptions {
  1: optional TopologyStatus initial_status = TopologyStatus.ACTIVE,
}

struct KillOptions {
  // Spouts are deactivated for this long before the workers stop, so that
  // trees in flight can complete. Default: topology.message.timeout.secs.
  1: optional i32 wait_secs,
}

struct RebalanceOptions {
  // Spouts are deactivated this long before executors move. Default:
  // topology.message.timeout.secs.
  1: optional i32 wait_secs,
  2: optional i32 num_workers,
  // component id -> executors (<= its tasks).
  3: optional map<string, i32> num_executors,
}

// ----------------------------------------------------------------- queries

struct SupervisorSummary {
  1: required string id,
  2: required string host,
  3: required i32 uptime_secs,
  4: required i32 num_slots,
  5: required i32 num_used_slots,
  6: required list<i32> ports,
  // The supervisor's log server (`gale logs`, the UI) on `host`; 0: none.
  7: optional i32 logviewer_port = 0,
}

struct TopologySummary {
  1: required string id,
  2: required string name,
  3: required TopologyStatus status,
  4: required i32 uptime_secs,
  5: required i32 num_tasks,
  6: required i32 num_executors,
  7: required i32 num_workers,
  // Who submitted it (the authenticated user; "" without authentication or
  // for a topology submitted before owners were kept).
  8: optional string owner = "",
}

// One nimbus of the cluster (Storm's NimbusSummary).
struct NimbusSummary {
  1: required string host,
  2: required i32 port,
  // Since that nimbus started (0 when the leader cannot know: another nimbus).
  3: required i32 uptime_secs,
  4: required bool is_leader,
  // getLeader only: the nimbus that answers is this leader (a client stays
  // on its connection).
  5: optional bool answering = false,
}

struct ClusterSummary {
  1: required list<SupervisorSummary> supervisors,
  2: required list<TopologySummary> topologies,
  3: required i32 nimbus_uptime_secs,
  4: required i32 slots_total,
  5: required i32 slots_used,
  6: required i32 slots_free,
  // The nimbuses of an HA cluster (nimbus.zookeeper.servers), the leader
  // first; unset for a single nimbus.
  7: optional list<NimbusSummary> nimbuses,
}

// One output stream (component: the executor's own) or one input (component:
// the source) of an executor, counted since it started
// (topology.stats.enabled).
struct ExecutorStreamStats {
  1: required string component,
  2: required string stream,
  3: optional i64 emitted = 0,
  4: optional i64 transferred = 0,
  5: optional i64 acked = 0,
  6: optional i64 failed = 0,
  7: optional i64 executed = 0,
  8: optional i64 execute_nanos = 0,
}

enum UserMetricKind {
  COUNTER = 1,
  GAUGE = 2,
  HISTOGRAM = 3,
}

// A metric plugin code registered (TopologyContext), over a window.
struct UserMetricValue {
  1: required string name,
  2: required UserMetricKind kind,
  // COUNTER: the increments within the window; GAUGE: the latest value.
  3: optional double value = 0,
  // HISTOGRAM: recorded values within the window.
  4: optional list<double> bounds = [],
  5: optional list<i64> counts = [],
  6: optional double sum = 0,
}

// Counters since the executor started.
struct ExecutorStats {
  1: required i64 emitted,
  // Tuples sent to tasks (emits x targets).
  2: required i64 transferred,
  // Spouts: trees completed / failed. Bolts: inputs acked / failed.
  3: required i64 acked,
  4: required i64 failed,
  // Bolts: inputs executed, and the mean time in Execute().
  5: required i64 executed,
  6: required double execute_ms_avg,
  // Spouts: mean time from emit to tree completion.
  7: required double complete_ms_avg,
  // Tuples this executor sent to tasks in other worker processes.
  8: optional i64 transferred_remote = 0,
  // Errors its tasks reported (exceptions from user code, ReportError).
  9: optional i64 error_count = 0,
  // The sums behind the averages, so that nimbus can compute them over any
  // window from the differences of two heartbeats.
  10: optional i64 execute_nanos = 0,
  11: optional i64 complete_nanos = 0,
  12: optional i64 complete_samples = 0,
  // Bolts: from the start of an input's execution to its ack, for one ack in
  // 64 (Storm's process latency).
  13: optional i64 process_nanos = 0,
  14: optional i64 process_samples = 0,
  // Time its emits spent waiting for room in full queues (backpressure).
  15: optional i64 backpressure_nanos = 0,
  // Tuples waiting in its input queue now (a gauge).
  16: optional i64 queue_depth = 0,
  // With topology.stats.enabled: per user output stream and per input.
  17: optional list<ExecutorStreamStats> outputs = [],
  18: optional list<ExecutorStreamStats> inputs = [],
  // Counts per bucket of the fixed bounds kLatencyBoundsMs
  // (core/runtime/stats.h; one more bucket than bounds), not cumulative over
  // buckets but since the executor started: execute latency (each input at
  // its batch's mean) and complete latency (the sampled trees).
  19: optional list<i64> execute_histogram = [],
  20: optional list<i64> complete_histogram = [],
  // The user metrics its tasks registered (gale/metrics.h): counters and
  // histograms since the worker started, gauges as last set.
  21: optional list<UserMetricValue> metrics = [],
}

struct ErrorInfo {
  1: required string error,
  2: required i64 error_time_secs,
  3: required string host,
  4: required i32 port,
  5: optional i32 task,
  // How many times this error was reported (the same message, collapsed),
  // up to error_time_secs, the last time.
  6: optional i64 count = 1,
}

struct ExecutorSummary {
  1: required string component_id,
  2: required i32 task_start,
  3: required i32 task_end,
  4: required string host,
  5: required i32 port,
  6: required string supervisor_id,
  // Seconds since the worker first reported this executor; 0 until then.
  7: required i32 uptime_secs,
  // Absent until the worker's first heartbeat.
  8: optional ExecutorStats stats,
  // Chaining: the executor whose thread runs this one, as "sentences [5-5]"
  // (component [first-last task]); absent when it has a thread of its own.
  9: optional string chained_to,
}

struct TopologyInfo {
  1: required string id,
  2: required string name,
  3: required TopologyStatus status,
  4: required i32 uptime_secs,
  5: required list<ExecutorSummary> executors,
  // component id -> its last errors, newest last.
  6: required map<string, list<ErrorInfo>> errors,
  7: required i32 num_workers,
  // Per worker (host:port), frames and tuples its transport dropped because
  // they were malformed or for tasks it does not run.
  8: optional map<string, i64> dropped_frames = {},
  // Worker processes of this topology that died unasked, per slot.
  9: optional list<WorkerDeaths> worker_deaths = [],
  // Why it runs on fewer workers than it asked for (Storm's sched_status);
  // unset when it has them all.
  10: optional string sched_status,
  // Who submitted it, as TopologySummary.owner.
  11: optional string owner = "",
}

// ------------------------------------------------------------- statistics
//
// Statistics over a window, as Storm UI shows them. Windows (Storm's names):
// "600" (last 10 minutes), "10800" (3 hours), "86400" (1 day), ":all-time".
// Nimbus keeps them, so a worker restart or a rebalance does not zero them.

// A latency distribution: counts[i] tuples took at most bounds_ms[i] (and more
// than bounds_ms[i-1]); the last count is everything above the last bound.
struct LatencyHistogram {
  1: required list<double> bounds_ms,
  // len(bounds_ms) + 1 entries; not cumulative.
  2: required list<i64> counts,
  3: required double sum_ms,
}

// One stream over a window. For a component's output stream: `component` is
// the emitting component; emitted, transferred, and for spouts acked, failed,
// complete_latency_ms. For a bolt's input: `component` is the source
// component; executed, acked, failed, execute and process latency.
struct StreamWindowStats {
  1: required string component,
  2: required string stream,
  3: optional i64 emitted = 0,
  4: optional i64 transferred = 0,
  5: optional i64 acked = 0,
  6: optional i64 failed = 0,
  7: optional i64 executed = 0,
  8: optional double execute_latency_ms = 0,
  9: optional double process_latency_ms = 0,
  10: optional double complete_latency_ms = 0,
}

// One executor, one component, or the whole topology, over one window.
struct WindowStats {
  1: optional i64 emitted = 0,
  2: optional i64 transferred = 0,
  3: optional i64 acked = 0,
  4: optional i64 failed = 0,
  // Bolts: inputs executed (ticks excluded).
  5: optional i64 executed = 0,
  // Bolts: mean time in Execute(); mean time from an input's arrival at the
  // executor to its ack (Storm's process latency).
  6: optional double execute_latency_ms = 0,
  7: optional double process_latency_ms = 0,
  // Spouts: mean time from emit to tree completion.
  8: optional double complete_latency_ms = 0,
  // Bolts: the fraction of the window spent executing (Storm's capacity); for
  // a component, the largest of its executors'.
  9: optional double capacity = 0,
  // Tuples waiting in the input queue(s) at the latest heartbeat (a gauge).
  10: optional i64 queue_depth = 0,
  // Time emits spent blocked by full queues (backpressure) within the window.
  11: optional i64 backpressure_ms = 0,
  12: optional i64 errors = 0,
  13: optional i64 transferred_remote = 0,
  14: optional list<StreamWindowStats> outputs = [],
  15: optional list<StreamWindowStats> inputs = [],
  16: optional LatencyHistogram execute_histogram,
  17: optional LatencyHistogram complete_histogram,
  18: optional list<UserMetricValue> metrics = [],
}

struct ExecutorPageInfo {
  1: required string component_id,
  2: required i32 task_start,
  3: required i32 task_end,
  4: required string host,
  5: required i32 port,
  6: required string supervisor_id,
  // Seconds since the worker first reported this executor; 0 until then.
  7: required i32 uptime_secs,
  8: required WindowStats stats,
  // As ExecutorSummary.chained_to.
  9: optional string chained_to,
}

struct ComponentPageInfo {
  1: required string id,
  2: required ComponentKind kind,
  3: required i32 num_executors,
  4: required i32 num_tasks,
  // Summed over the executors (capacity: the largest).
  5: required WindowStats stats,
  6: required list<ExecutorPageInfo> executors,
  // Newest last.
  7: required list<ErrorInfo> errors,
}

struct TopologyPageInfo {
  1: required string id,
  2: required string name,
  3: required TopologyStatus status,
  4: required i32 uptime_secs,
  5: required i32 num_workers,
  6: required i32 num_executors,
  7: required i32 num_tasks,
  // The window these statistics cover (one of the names above).
  8: required string window,
  // Spouts' emitted/transferred/acked/failed/complete latency summed, as
  // Storm's topology stats.
  9: required WindowStats stats,
  10: required list<ComponentPageInfo> components,
  // The topology's streams (the component graph's edges).
  11: required list<Subscription> streams,
  12: required list<WorkerDeaths> worker_deaths,
  13: required map<string, ConfigValue> config,
  // As TopologyInfo.sched_status.
  14: optional string sched_status,
}

// -------------------------------------------------------- daemon plumbing

// A worker slot: a port on a supervisor's host.
struct WorkerSlot {
  1: required string supervisor_id,
  2: required string host,
  3: required i32 port,
  // In an Assignment: the version at which this worker's executors last
  // changed (unset: the assignment's version). A worker whose executors stay
  // through a new version keeps running and updates its routing in place;
  // only the others restart (live reassignment, nimbus/README.md).
  4: optional i64 layout_version,
}

struct ExecutorAssignment {
  1: required i32 task_start,
  2: required i32 task_end,
  // Index into Assignment.workers.
  3: required i32 worker,
}

struct Assignment {
  1: required string topology_id,
  // Grows on every change of where executors run.
  2: required i64 version,
  3: required list<WorkerSlot> workers,
  4: required list<ExecutorAssignment> executors,
}

// What a worker process needs to run: sent by nimbus to the worker itself.
struct WorkerPlan {
  1: required string topology_id,
  2: required Topology topology,
  3: required TopologyStatus status,
  4: required Assignment assignment,
  // The topology's ZeroMQ CURVE key pair (Z85): set, every worker link is
  // encrypted and admits only peers that hold it. Unset: plaintext.
  5: optional string transport_public_key,
  6: optional string transport_secret_key,
  // The state namespaces of this worker's tasks whose RocksDB state is not
  // on this supervisor (it ran elsewhere): the worker fetches each
  // (fetchState) before its tasks start.
  7: optional list<string> state_imports = [],
}

// One slot of a supervisor that nimbus wants running.
struct SlotAssignment {
  1: required i32 port,
  2: required string topology_id,
  3: required string topology_name,
  4: required i64 assignment_version,
  5: required list<PluginRef> plugins,
  // The version at which this slot's executors last changed: the supervisor
  // restarts the worker when this changes, not on every assignment_version.
  6: optional i64 layout_version,
}

// Workers of one topology on one slot that died without being asked to
// (crashed, killed, exited on their own), counted by their supervisor.
struct WorkerDeaths {
  1: required string topology_id,
  2: required i32 port,
  3: required i32 count,
  // "killed by signal 11 (Segmentation fault)", "exited with status 1", ...
  4: required string last_reason,
  5: required i64 last_time_secs,
  6: optional string host,
  7: optional string supervisor_id,
  // What the worker said about its last death (worker/death_note.h), when it
  // could: "spout 'lines' task 3's Open threw: cannot open ...", "SIGSEGV
  // (signal 11) in component 'parse' task 4"; "" when it said nothing.
  8: optional string last_cause = "",
  // The component and task whose code was running, when known ("", -1).
  9: optional string last_component = "",
  10: optional i32 last_task = -1,
  // For a fatal signal: the stack, one frame a line.
  11: optional string last_stack = "",
}

struct SupervisorHeartbeat {
  1: required string supervisor_id,
  2: required string host,
  3: required list<i32> ports,
  // Ports whose worker process is running now.
  4: required list<i32> running_ports,
  // Since this supervisor started.
  5: optional list<WorkerDeaths> worker_deaths = [],
  // Where its log server listens (on `host`); 0: none.
  6: optional i32 logviewer_port = 0,
}

struct WorkerHeartbeat {
  1: required string topology_id,
  2: required string supervisor_id,
  3: required i32 port,
  4: required i64 assignment_version,
  // In Assignment.executors order, for the executors this worker runs.
  5: required list<ExecutorAssignment> executors,
  6: required list<ExecutorStats> stats,
  7: required list<ErrorInfo> errors,
  8: optional i64 dropped_frames = 0,
  // Differs for every start of a worker process (its start time in ms):
  // counters restart from 0 with it.
  9: optional i64 incarnation = 0,
}

struct WorkerHeartbeatResponse {
  1: required TopologyStatus status,
  // The current assignment version. A worker whose version is older exits
  // so that its supervisor restarts it with the new assignment, unless its
  // executors stayed (layout_version below): then it updates in place.
  2: required i64 assignment_version,
  // False when this worker is no longer part of the topology.
  3: required bool assigned,
  // The version at which this worker's executors last changed.
  4: optional i64 layout_version,
  // Set when the worker reported an older assignment_version and its
  // executors have not changed since: the assignment to route by now.
  5: optional Assignment assignment,
  // A live reassignment is under way: workers that restart for it have not
  // reported yet, or workers that keep running have not followed it yet;
  // status says INACTIVE until they have. The worker asks again soon
  // rather than a second later.
  6: optional bool settling,
}

// ------------------------------------------------------- nimbus's own state

// One topology as nimbus keeps it on disk (state-dir/topologies/<id>.bin,
// binary protocol). Not part of the service.
struct StoredTopology {
  1: required string id,
  // As submitted; rebalance overrides are applied on top.
  2: required Topology topology,
  3: required TopologyStatus status,
  4: required i64 launch_time_secs,
  5: required Assignment assignment,
  6: required i32 num_workers,
  7: optional map<string, i32> num_executors = {},
  // REBALANCING: the status to return to; KILLED/REBALANCING: when to act.
  8: optional TopologyStatus prev_status,
  9: optional i64 action_time_millis,
  10: optional RebalanceOptions pending_rebalance,
  // Made at submit when nimbus encrypts worker links (gale.transport.curve).
  11: optional string transport_public_key,
  12: optional string transport_secret_key,
  // The authenticated user who submitted it ("" without authentication, or
  // in a file written before owners were kept: only admins may change it).
  13: optional string owner = "",
}

// Who holds each task's RocksDB state (nimbus/state_mover.h), on disk as
// state-dir/state-holders.bin (binary protocol). Not part of the service.
struct StoredStateHolders {
  // State namespace -> supervisor id; "" while nimbus holds it on its way
  // to the task's new supervisor.
  1: required map<string, string> holders,
  // Holders whose worker has not reported running the task yet: no state
  // there yet, so the namespace follows its task without a move. Absent in
  // files of earlier versions: every holder counts as having run it.
  2: optional list<string> not_run,
  // For each namespace nimbus holds: the SHA-256 of the snapshot it took.
  // A nimbus that leads afterwards serves its copy only if it matches (a
  // copy from an earlier move, or one written by anyone else, does not).
  3: optional map<string, string> held_sha256,
}

// Nimbus's statistics windows (nimbus/stats_store.h), on disk as
// state-dir/stats.bin (binary protocol). Not part of the service.
struct StoredStatsBucket {
  // Minutes (or quarter hours) since the epoch.
  1: required i64 start,
  // StatsStore's counters, in its order.
  2: required list<i64> values,
}

// One output stream (input false) or input (true; component: the source).
struct StoredStreamStats {
  1: required bool input,
  2: required string component,
  3: required string stream,
  4: required list<i64> total,
  5: required list<StoredStatsBucket> minutes,
  6: required list<StoredStatsBucket> quarters,
  7: required list<i64> last,
}

struct StoredExecutorStats {
  1: required string topology_id,
  2: required string component,
  3: required i32 task_start,
  4: required i32 task_end,
  5: required i64 first_seen_secs,
  6: required list<i64> total,
  7: required list<StoredStatsBucket> minutes,
  8: required list<StoredStatsBucket> quarters,
  // The last heartbeat's worker process and cumulative counters, so that
  // the first heartbeat after a nimbus restart adds only what is new.
  9: optional i64 incarnation = -1,
  10: optional list<i64> last = [],
  11: optional list<StoredStreamStats> streams = [],
}

struct StoredStats {
  1: required list<StoredExecutorStats> executors,
}

// ---------------------------------------------------------------- errors

// A topology of that name is already running.
exception AlreadyAliveException { 1: required string msg }
// No topology of that name.
exception NotAliveException { 1: required string msg }
// The topology or the options are invalid; msg says what and where.
exception InvalidTopologyException { 1: required string msg }
// The topology refers to a plugin hash nimbus does not have.
exception PluginNotFoundException { 1: required string msg }
// A plugin upload failed (unknown upload id, size or hash mismatch).
exception UploadException { 1: required string msg }
// The call is not allowed in the topology's current state.
exception IllegalStateException { 1: required string msg }
// The connection is not authenticated, or its user's role may not make this
// call (thrift/README.md, "Authentication").
exception AuthorizationException { 1: required string msg }

// ---------------------------------------------------------------- YAML topologies
//
// A client other than `gale` submits a topology file through nimbus, so that
// Gale has ONE YAML loader (includes, ${...} substitution, file:line:column
// errors): the client sends the file and what it includes, nimbus loads them
// in a scratch folder that mirrors the client's paths and answers what else
// it needs. See thrift/README.md, "Submitting a YAML file".

// A file of the client's: an absolute, normalized path (no '.' or '..'
// parts) and its text.
struct YamlSource {
  1: required string path,
  2: required string text,
}

struct YamlTopologyRequest {
  // The topology file: an absolute path, normally among `sources`.
  1: required string file,
  // The topology file, the files it includes, and the filter file.
  2: required list<YamlSource> sources,
  // The --filter properties file for ${name}: an absolute path.
  3: optional string filter_file,
  // Values of ${ENV-NAME}, and the names the client has no value for.
  4: optional map<string, string> env,
  5: optional list<string> env_unset,
  // Folders looked in for a plugin named without a '/' (GALE_PLUGIN_PATH).
  6: optional list<string> plugin_search_path,
  // Files the client was asked for but cannot read: nimbus reports the
  // loader's error for them instead of asking again.
  7: optional list<string> unreadable,
  // One per plugin of the plan, in its order: `name` is the file the client
  // chose (the first candidate that exists; "" for none), `sha256` its hash.
  8: optional list<PluginRef> plugins,
  // Shell components' code (plan.shell_components): the SHA-256 of the
  // `resources/` folder next to the topology file, packed into one tar
  // archive and uploaded like a plugin (beginPluginUpload). Workers unpack it
  // and run the commands there, as for `gale submit`. Unset: none.
  9: optional string resources_sha256,
}

// A plugin the topology names: where the loader looks for it on the
// client's machine, in order; the first regular file is the plugin.
struct YamlPluginNeed {
  1: required string name,
  2: required list<string> candidates,
}

// What planYamlTopology learned. While `missing_files` or `missing_env` is
// not empty the request is incomplete: add them and ask again.
struct YamlTopologyPlan {
  1: required string name,
  2: required list<string> missing_files,
  3: required list<string> missing_env,
  4: required list<YamlPluginNeed> plugins,
  // The loader's and validator's warnings (when complete).
  5: required list<string> warnings,
  // The topology has shell components (multilang): a client sends their
  // code, the `resources/` folder next to the topology file, as
  // YamlTopologyRequest.resources_sha256.
  6: optional bool shell_components,
}

// What fetchState answers.
enum StateFetchStatus {
  // Nothing to fetch: this supervisor holds the state, or nobody does yet.
  NONE = 0,
  // Another supervisor holds it and has not sent it yet (message says which).
  WAIT = 1,
  // Nimbus has it: `chunk` is the snapshot's bytes from the offset asked.
  READY = 2,
}

struct StateChunk {
  1: required StateFetchStatus status,
  2: required string message,
  3: required binary chunk,
  4: required i64 total_size,
  // WAIT: the holding supervisor heartbeats (it is sending, or waiting for
  // its worker to let go): the worker waits for it without a time limit.
  5: optional bool holder_alive,
}

service Nimbus {
  // ---- for clients ----

  // Starts an upload of a plugin file of `size` bytes with this SHA-256.
  // Returns an upload id, or "" when nimbus already stores that hash.
  string beginPluginUpload(1: string sha256, 2: i64 size)
    throws (1: UploadException e, 10: AuthorizationException auth),
  // Appends a chunk (at most 4 MiB) to an upload.
  void uploadPluginChunk(1: string upload_id, 2: binary chunk)
    throws (1: UploadException e, 10: AuthorizationException auth),
  // Checks the size and hash and stores the file.
  void finishPluginUpload(1: string upload_id)
    throws (1: UploadException e, 10: AuthorizationException auth),
  bool hasPlugin(1: string sha256) throws (10: AuthorizationException auth),

  void submitTopology(1: Topology topology, 2: SubmitOptions options)
    throws (1: AlreadyAliveException already, 2: InvalidTopologyException invalid,
            3: PluginNotFoundException plugin,
            10: AuthorizationException auth),
  void killTopology(1: string name, 2: KillOptions options)
    throws (1: NotAliveException e, 10: AuthorizationException auth),
  void activate(1: string name)
    throws (1: NotAliveException e, 2: IllegalStateException state,
            10: AuthorizationException auth),
  void deactivate(1: string name)
    throws (1: NotAliveException e, 2: IllegalStateException state,
            10: AuthorizationException auth),
  void rebalance(1: string name, 2: RebalanceOptions options)
    throws (1: NotAliveException e, 2: InvalidTopologyException invalid,
            3: IllegalStateException state,
            10: AuthorizationException auth),

  ClusterSummary getClusterInfo() throws (10: AuthorizationException auth),
  // The leader nimbus, as this nimbus knows it (any nimbus answers, as in
  // Storm). Every other call made to a nimbus that is not the leader fails
  // with an application exception "not the leader nimbus: the leader is
  // HOST:PORT" (or "no leader elected yet"): clients find the leader from
  // their seeds (nimbus.seeds) with this call.
  NimbusSummary getLeader() throws (10: AuthorizationException auth),
  TopologyInfo getTopologyInfo(1: string name)
    throws (1: NotAliveException e, 10: AuthorizationException auth),
  // Statistics of a topology over one window ("600", "10800", "86400",
  // ":all-time"); an unknown window is InvalidTopologyException.
  TopologyPageInfo getTopologyPageInfo(1: string name, 2: string window)
    throws (1: NotAliveException e, 2: InvalidTopologyException invalid,
            10: AuthorizationException auth),

  // ---- for Gale's own daemons ----

  // A supervisor's heartbeat; returns the slots it should run.
  list<SlotAssignment> supervisorHeartbeat(1: SupervisorHeartbeat heartbeat)
    throws (10: AuthorizationException auth),
  // Up to `length` bytes of a stored plugin from `offset`; empty at the end.
  binary downloadPluginChunk(1: string sha256, 2: i64 offset, 3: i32 length)
    throws (1: PluginNotFoundException e, 10: AuthorizationException auth),
  // What the worker on (supervisor, port) runs for this topology.
  WorkerPlan getWorkerPlan(1: string topology_id, 2: string supervisor_id, 3: i32 port)
    throws (1: NotAliveException e, 10: AuthorizationException auth),
  WorkerHeartbeatResponse workerHeartbeat(1: WorkerHeartbeat heartbeat)
    throws (1: NotAliveException e, 10: AuthorizationException auth),

  // ---- authentication (thrift/README.md, "Authentication") ----

  // Token form: the first call on a TLS connection. Afterwards every call on
  // this connection runs as `user` with the role the tokens file gives it.
  // A wrong user or token is AuthorizationException ("authentication failed
  // for user 'x'"), the same message for both, and the connection stays
  // unauthenticated. Without authentication on nimbus it succeeds and
  // changes nothing.
  void authenticate(1: string user, 2: string token) throws (1: AuthorizationException auth),

  // ---- YAML topology files, for clients (appended) ----

  // Loads the request's topology file as `gale submit` does and checks its
  // structure. Answers what is missing (files, ${ENV-...} names, the
  // plugins' files) or, once the request is complete, the plan; errors carry
  // the client's file:line:column.
  YamlTopologyPlan planYamlTopology(1: YamlTopologyRequest request)
    throws (1: InvalidTopologyException invalid, 10: AuthorizationException auth),
  // Loads and validates a complete request against its uploaded plugins
  // (request.plugins) and submits it, as submitTopology. Returns the name.
  string submitYamlTopology(1: YamlTopologyRequest request, 2: SubmitOptions options)
    throws (1: AlreadyAliveException already, 2: InvalidTopologyException invalid,
            3: PluginNotFoundException plugin, 10: AuthorizationException auth),

  // ---- moving RocksDB state with its tasks, for Gale's daemons (appended;
  // core/state/README.md, "Moving RocksDB state") ----

  // The state namespaces this supervisor holds whose tasks run on another
  // supervisor now. It sends each once no worker of its own has the
  // database open: uploadState from offset 0 (at most 4 MiB a call), then
  // finishStateUpload.
  list<string> stateExports(1: string supervisor_id) throws (10: AuthorizationException auth),
  void uploadState(1: string supervisor_id, 2: string state_namespace, 3: i64 offset,
                   4: binary chunk)
    throws (1: IllegalStateException state, 10: AuthorizationException auth),
  // True: nimbus holds the state now, and the supervisor empties its copy.
  // False: it is not needed any more (the task came back): keep it.
  bool finishStateUpload(1: string supervisor_id, 2: string state_namespace, 3: i64 size)
    throws (1: IllegalStateException state, 10: AuthorizationException auth),
  // For the worker that runs the namespace's task on `supervisor_id` in
  // this assignment version (IllegalStateException otherwise).
  StateChunk fetchState(1: string topology_id, 2: string supervisor_id,
                        3: i64 assignment_version, 4: string state_namespace, 5: i64 offset,
                        6: i32 length)
    throws (1: IllegalStateException state, 10: AuthorizationException auth),
  // The worker imported the state, or goes on without it (at least once,
  // when its holder never sent it): its supervisor holds it from now on.
  void claimState(1: string topology_id, 2: string supervisor_id, 3: i64 assignment_version,
                  4: string state_namespace)
    throws (1: IllegalStateException state, 10: AuthorizationException auth),

  // ---- HA, nimbus to nimbus (appended; nimbus/README.md, "High
  // availability"): before the leader answers finishStateUpload with true,
  // it copies the state to every other nimbus that takes it, so that a new
  // leader has it. Only a nimbus that does not lead takes them (IllegalStateException
  // otherwise); the node role or an admin. ----

  // A chunk of the copy of `state_namespace`, in order from offset 0 (at
  // most 4 MiB a call); offset 0 starts it again.
  void copyState(1: string state_namespace, 2: i64 offset, 3: binary chunk)
    throws (1: IllegalStateException state, 10: AuthorizationException auth),
  // The copy is whole (`size` bytes, checked): kept on disk, synced.
  void finishStateCopy(1: string state_namespace, 2: i64 size)
    throws (1: IllegalStateException state, 10: AuthorizationException auth),
}
