// TypeScript declarations of gale-client (hand-written; the library is index.js,
// CommonJS, and index.mjs, its ES module entry). Results are plain objects
// named as in thrift/gale.thrift; an i64 is a number, or a bigint beyond 2^53.

/// <reference types="node" />

export type I64 = number | bigint;

/** Values of a topology or component config. An integral number is sent as an int. */
export type ConfigScalar = boolean | number | bigint | string | null;
export type ConfigMap = Record<string, ConfigScalar>;

export type GroupingName =
  | 'SHUFFLE' | 'FIELDS' | 'ALL' | 'GLOBAL' | 'NONE' | 'DIRECT' | 'LOCAL_OR_SHUFFLE' | 'PARTIAL_KEY';

/** A topology status: ACTIVE = 1, INACTIVE = 2, REBALANCING = 3, KILLED = 4. */
export type TopologyStatus = 1 | 2 | 3 | 4;

// ---------------------------------------------------------------- topologies

/** The streams a component's class declares: stream id -> fields, or { fields, direct }. */
export type Outputs = Record<string, string[] | { fields: string[]; direct?: boolean }>;

export interface ComponentDef {
  id: string;
  /** A class a plugin of the topology registers. */
  className: string;
  parallelism?: number;
  numTasks?: number;
  config?: ConfigMap;
  /** What the class's DeclareOutputFields() declares (nimbus checks it against the plugin). */
  outputs?: Outputs;
}

export interface StreamDef {
  from: string;
  to: string;
  /** Default "default". */
  stream?: string;
  /** Default { type: 'SHUFFLE' }. `fields` (or Flux's `args`) for FIELDS and PARTIAL_KEY. */
  grouping?: { type: GroupingName | number; fields?: string[]; args?: string[]; streamId?: string };
}

/** A topology in the shape of a Flux YAML file. */
export interface TopologyDef {
  name: string;
  /** Plugin files (uploaded by SHA-256 unless nimbus has them) or plugins nimbus stores. */
  plugins: Array<string | { name: string; sha256: string }>;
  config?: ConfigMap;
  spouts: ComponentDef[];
  bolts?: ComponentDef[];
  streams?: StreamDef[];
}

// ---------------------------------------------------------------- results

export interface SupervisorSummary {
  id: string;
  host: string;
  uptime_secs: number;
  num_slots: number;
  num_used_slots: number;
  ports: number[];
  logviewer_port?: number;
}

export interface TopologySummary {
  id: string;
  name: string;
  status: TopologyStatus;
  uptime_secs: number;
  num_tasks: number;
  num_executors: number;
  num_workers: number;
}

export interface ClusterSummary {
  supervisors: SupervisorSummary[];
  topologies: TopologySummary[];
  nimbus_uptime_secs: number;
  slots_total: number;
  slots_used: number;
  slots_free: number;
}

export interface ExecutorStats {
  emitted: I64;
  transferred: I64;
  acked: I64;
  failed: I64;
  executed: I64;
  execute_ms_avg: number;
  complete_ms_avg: number;
  transferred_remote?: I64;
  error_count?: I64;
  execute_nanos?: I64;
  complete_nanos?: I64;
  complete_samples?: I64;
  process_nanos?: I64;
  process_samples?: I64;
  backpressure_nanos?: I64;
  queue_depth?: I64;
  outputs?: Array<Record<string, unknown>>;
  inputs?: Array<Record<string, unknown>>;
  execute_histogram?: I64[];
  complete_histogram?: I64[];
  metrics?: Array<Record<string, unknown>>;
}

export interface ExecutorSummary {
  component_id: string;
  task_start: number;
  task_end: number;
  host: string;
  port: number;
  supervisor_id: string;
  uptime_secs: number;
  /** Absent until the worker's first heartbeat for the current assignment. */
  stats?: ExecutorStats;
}

export interface ErrorInfo {
  error: string;
  error_time_secs: I64;
  host: string;
  port: number;
  task?: number;
  count?: I64;
}

export interface WorkerDeaths {
  topology_id: string;
  port: number;
  count: number;
  last_reason: string;
  last_time_secs: I64;
  host?: string;
  supervisor_id?: string;
  last_cause?: string;
  last_component?: string;
  last_task?: number;
  last_stack?: string;
}

export interface TopologyInfo {
  id: string;
  name: string;
  status: TopologyStatus;
  uptime_secs: number;
  executors: ExecutorSummary[];
  errors: Record<string, ErrorInfo[]>;
  num_workers: number;
  dropped_frames?: Record<string, I64>;
  worker_deaths?: WorkerDeaths[];
  sched_status?: string;
}

export interface YamlPluginNeed {
  name: string;
  candidates: string[];
}

export interface YamlTopologyPlan {
  name: string;
  missing_files: string[];
  missing_env: string[];
  plugins: YamlPluginNeed[];
  warnings: string[];
  /** The topology has shell (multilang) components: submitYaml sends resources/. */
  shell_components?: boolean;
}

// ---------------------------------------------------------------- calls

export interface ConnectOptions {
  /** Bounds connecting and every call (submits get at least 60 s). Default 10000. */
  timeoutMs?: number;
  /** TLS: the CA that signed nimbus's certificate (gale auth init's ca.pem). */
  caFile?: string;
  /** Mutual TLS: the user's certificate and key (gale auth init's NAME.pem, NAME.key). */
  certFile?: string;
  keyFile?: string;
  /** Token mode: `authenticate(user, token)` is the connection's first call (with caFile). */
  user?: string;
  token?: string;
}

export interface RebalanceOptions {
  workers?: number;
  /** Component id -> executors. */
  executors?: Record<string, number>;
  /** Seconds the spouts are off first; default the topology's message timeout. */
  waitSecs?: number;
}

export interface YamlOptions {
  /** The properties file for ${name} (gale submit --filter). */
  filterFile?: string;
  /** Values for ${ENV-NAME}; default process.env. Only the names the file uses are sent. */
  env?: Record<string, string | undefined>;
  /** Folders for plugins named without '/'; default $GALE_PLUGIN_PATH. */
  pluginPath?: string[];
  inactive?: boolean;
  /** Loader warnings; default process.emitWarning. */
  onWarning?: (message: string) => void;
}

export declare class NimbusConnection {
  readonly address: string;
  readonly timeoutMs: number;
  readonly closed: boolean;
  list(): Promise<ClusterSummary>;
  info(name: string): Promise<TopologyInfo>;
  activate(name: string): Promise<void>;
  deactivate(name: string): Promise<void>;
  /** waitSecs: seconds before the workers stop; default the topology's message timeout. */
  kill(name: string, waitSecs?: number | { waitSecs?: number }): Promise<void>;
  rebalance(name: string, options?: RebalanceOptions): Promise<void>;
  hasPlugin(sha256: string): Promise<boolean>;
  /** Uploads a plugin file unless nimbus stores it; resolves to its SHA-256. */
  uploadPlugin(file: string, sha256?: string): Promise<string>;
  /** Uploads the topology's plugin files and submits it; resolves to the name. */
  submit(topology: TopologyDef, options?: { inactive?: boolean }): Promise<string>;
  /** Loads a YAML file through nimbus and checks its structure. */
  validateYaml(file: string, options?: YamlOptions): Promise<YamlTopologyPlan>;
  /**
   * What `gale submit FILE` does: load and validate, upload the plugins (and, for shell
   * components, the resources/ folder next to the file, packed with GNU tar), submit.
   */
  submitYaml(file: string, options?: YamlOptions): Promise<string>;
  /** Packs and uploads the resources/ folder next to a topology file; null without one. */
  uploadResources(topologyFile: string): Promise<string | null>;
  /** Any generated call by name (arguments are generated structs); results made plain. */
  call(method: string, args?: unknown[], timeoutMs?: number): Promise<any>;
  close(): void;
}

export declare function connect(host?: string, port?: number, options?: ConnectOptions): Promise<NimbusConnection>;

/** A TopologyDef as the generated Topology struct; `shas` maps plugin files to their SHA-256. */
export declare function buildTopology(topology: TopologyDef, shas: Map<string, string>): any;
export declare function sha256File(file: string): Promise<string>;
/** "ACTIVE", "INACTIVE", "REBALANCING" or "KILLED". */
export declare function statusName(status: number): string;
/** Whether nimbus declared this error (the connection is still usable). */
export declare function isDeclared(err: unknown): err is GaleError;
/** An i64 as a number (or bigint beyond 2^53), whether an Int64 object or a number already. */
export declare function num(value: unknown): number | bigint;
export declare function generatedDir(): string;
/** The generated types (gen-nodejs/gale_types.js). */
export declare const types: any;
/** The npm `thrift` package the generated code uses. */
export declare const thrift: any;
export declare const CHUNK_SIZE: number;

// ---------------------------------------------------------------- errors

/** Base class; `message` is nimbus's text for a declared exception. */
export declare class GaleError extends Error {
  /** The generated exception, for declared ones. */
  thrift?: Error & { msg?: string };
}
/** NotAliveException: no topology of that name. */
export declare class NotFound extends GaleError {}
/** PluginNotFoundException. */
export declare class PluginNotFound extends NotFound {}
/** AlreadyAliveException. */
export declare class AlreadyAlive extends GaleError {}
/** InvalidTopologyException: the topology, YAML file or options. */
export declare class InvalidTopology extends GaleError {}
/** UploadException. */
export declare class UploadError extends GaleError {}
/** IllegalStateException. */
export declare class IllegalState extends GaleError {}
/** AuthorizationException: not authenticated, a wrong user or token, or a role that may not. */
export declare class Unauthorized extends GaleError {}
/** TApplicationException: nimbus failed; the connection is closed. */
export declare class ServerError extends GaleError {}
/** Nimbus unreachable or the connection broke; the connection is closed. */
export declare class Unavailable extends GaleError {}
/** No answer within the timeout; the connection is closed. */
export declare class Timeout extends Unavailable {}
