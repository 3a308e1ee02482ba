/**
 * The result records of docs/schema.md (schema v1), as the frontend reads them.
 *
 * Records come from the target: every string in them is target-derived and is only ever put
 * into the DOM through `textContent`.
 */

/**
 * The MIME type of a flight result bundle.
 */
export const MIME_TYPE = 'application/vnd.jupyterlab-flight.v1+json';

/**
 * What every record has: `{"v": 1, "kind": ...}`.
 */
export interface IRecordBase {
  v: number;
  kind: string;
}

/**
 * The payload of the MIME bundle (docs/notebook.md).
 */
export interface IPayload {
  v: number;
  command?: string | null;
  pid?: number | null;
  records: IRecord[];
  cut?: boolean;
}

/**
 * A frame of a `stack` record.
 */
export interface IFrame {
  function: string;
  file?: string | null;
  line?: number | null;
  module?: string | null;
  native?: boolean;
  library?: string | null;
  code?: string | null;
}

/**
 * A thread of a `stack` record.
 */
export interface IThread {
  thread_id?: number | null;
  native_id?: number | null;
  name?: string | null;
  daemon?: boolean | null;
  main?: boolean | null;
  gil?: boolean | null;
  frames: IFrame[];
  frames_omitted?: number;
}

/**
 * An asyncio task of a `stack -a` record.
 */
export interface ITask {
  name: string;
  state: string;
  coroutine?: string | null;
  thread_id?: number | null;
  awaiting?: string | null;
  frames: IFrame[];
}

/**
 * A node of a value tree (docs/schema.md, "Value trees").
 */
export interface IValueNode {
  type?: string;
  repr?: string;
  len?: number;
  cut?: number;
  cycle?: boolean;
  error?: boolean;
  cut_any?: boolean;
  cut_verbose?: boolean;
  qualname?: string;
  file?: string;
  line?: number;
  signature?: string;
  items?: IValueNode[];
  entries?: { key: IValueNode; value: IValueNode }[];
  attrs?: { name: string; value: IValueNode }[];
  omitted?: number;
}

/**
 * A process of `GET flight/processes` and of a `processes` record.
 */
export interface IProcess {
  pid: number;
  user?: string | null;
  cmdline?: string;
  python?: string | null;
  cpu_percent?: number | null;
  rss_bytes?: number | null;
  kernel?: boolean;
  kernel_id?: string | null;
  notebook?: string | null;
  self?: boolean;
  this_server?: boolean;
  // its job (the server's jobs.annotate): the root's pid (null: alone), depth, role, label
  ppid?: number;
  start_time?: number;
  job?: number | null;
  depth?: number;
  role?: string | null;
  label?: string | null;
  rank?: number | null;
}

/**
 * A server session (`GET flight/sessions`).
 */
export interface ISession {
  id: string;
  pid: number;
  kernel_id?: string | null;
  created?: number | string | null;
  connected?: boolean;
  python?: string | null;
  executable?: string | null;
}

/**
 * An exception as streams report it.
 */
export interface IException {
  type: string;
  message?: string | null;
  traceback?: string | null;
}

/**
 * A `stack` record.
 */
export interface IStackRecord extends IRecordBase {
  kind: 'stack';
  pid?: number | null;
  /**
   * `agent`: read inside the target; `pystack`: read from outside.
   */
  source?: string;
  native?: boolean;
  threads: IThread[];
  tasks?: ITask[];
}

/**
 * A `value` record (getglobal, vmtool -a getInstances).
 */
export interface IValueRecord extends IRecordBase {
  kind: 'value';
  command?: string;
  target?: string;
  expr?: string | null;
  type?: string | null;
  value?: IValueNode | null;
  /**
   * vmtool: instances found, and shown after `-n`.
   */
  count?: number;
  shown?: number;
}

/**
 * A `gc` record (vmtool -a forceGc).
 */
export interface IGcRecord extends IRecordBase {
  kind: 'gc';
  collected: number;
  uncollectable: number;
  counts_before?: number[];
}

/**
 * A `module` record.
 */
export interface IModuleRecord extends IRecordBase {
  kind: 'module';
  file: string;
  modules: string[];
}

/**
 * A `reload` record: a function recompiled from its edited file, or put back.
 */
export interface IReloadRecord extends IRecordBase {
  kind: 'reload';
  target: string;
  action: 'reloaded' | 'unchanged' | 'undone';
  file: string;
  line: number;
  diff: string[];
}

/**
 * A `console` record.
 */
export interface IConsoleRecord extends IRecordBase {
  kind: 'console';
  stdout?: string;
  stderr?: string;
  value?: IValueNode | null;
  type?: string | null;
  error?: IException | null;
}

/**
 * A `help` record.
 */
export interface IHelpRecord extends IRecordBase {
  kind: 'help';
  command?: string | null;
  text: string;
}

/**
 * A `message` record.
 */
export interface IMessageRecord extends IRecordBase {
  kind: 'message';
  text: string;
  stop_hint?: string;
}

/**
 * An `error` record; `exception` when a user expression raised.
 */
export interface IErrorRecord extends IRecordBase {
  kind: 'error';
  message: string;
  exception?: { type: string; message?: string | null } | null;
}

/**
 * One expression of a `watch` record: its value tree, or the error it raised.
 */
export interface IWatchValue {
  expr: string;
  value?: IValueNode;
  error?: { type: string; message?: string | null };
}

/**
 * The fields every record of one observed call has (watch, trace, tt).
 */
export interface ICallRecord extends IRecordBase {
  index: number;
  method: string;
  thread_id?: number | null;
  thread_name?: string | null;
  time: number;
  cost_ms: number;
}

/**
 * A `watch` record: one observed call.
 */
export interface IWatchRecord extends ICallRecord {
  kind: 'watch';
  exception: IException | null;
  values: IWatchValue[];
  filter_error?: { expr: string; type: string; message?: string | null };
}

/**
 * A `monitor` record: one cycle of a method's statistics.
 */
export interface IMonitorRecord extends IRecordBase {
  kind: 'monitor';
  method: string;
  cycle: number;
  start: number;
  end: number;
  calls: number;
  successes: number;
  failures: number;
  avg_ms: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

/**
 * A call node of a `trace` record.
 */
export interface ICallNode {
  function: string;
  file?: string | null;
  line?: number | null;
  cost_ms: number;
  children?: ICallNode[];
  builtin?: boolean;
  await?: boolean;
  folded?: { count: number; cost_ms: number } | null;
  raised?: boolean;
}

/**
 * A `trace` record: one observed call as a call tree.
 */
export interface ITraceRecord extends ICallRecord {
  kind: 'trace';
  root: ICallNode;
  exception?: IException | null;
}

/**
 * The fields of one recorded call: a `tt_record`, a row of `tt_list`, the head of `tt_detail`.
 */
export interface ITtCall extends ICallRecord {
  is_return?: boolean;
  is_exception?: boolean;
  exception?: IException | null;
}

/**
 * A `tt_record` record (`tt -t`): one recorded call.
 */
export interface ITtRecord extends ITtCall {
  kind: 'tt_record';
}

/**
 * A `tt_list` record (`tt -l`).
 */
export interface ITtListRecord extends IRecordBase {
  kind: 'tt_list';
  records: ITtCall[];
  /**
   * Records dropped to stay within bounds since the last `tt -da`.
   */
  evicted?: number;
}

/**
 * A `tt_detail` record (`tt -i N`, `tt -i N -p`): one call's arguments, result or exception.
 */
export interface ITtDetailRecord extends ITtCall {
  kind: 'tt_detail';
  target?: IValueNode | null;
  args?: IValueNode | null;
  kwargs?: IValueNode | null;
  return_obj?: IValueNode | null;
  /**
   * The replayed index (`-p`).
   */
  replay_of?: number | null;
}

/**
 * An `end` record: why a stream ended (`limit`, `stopped`, `timeout`, `detached`).
 */
export interface IEndRecord extends IRecordBase {
  kind: 'end';
  reason: string;
  /**
   * false for a stream read from outside the target (perf): it installed nothing.
   */
  hooks?: boolean;
}

/**
 * A `processes` record (%flight ps).
 */
export interface IProcessesRecord extends IRecordBase {
  kind: 'processes';
  processes: IProcess[];
}

/**
 * A session as a `sessions` record lists it (the notebook's sessions, `current` marked).
 */
export interface ISessionRow {
  pid: number;
  current?: boolean;
  connected?: boolean;
  python?: string | null;
  executable?: string | null;
}

/**
 * A process of a `job` record (fanout.py): its place in the job's tree and the command's outcome.
 */
export interface IJobProcess {
  pid: number;
  ppid?: number;
  start_time?: number;
  depth?: number;
  parent?: number | null;
  role?: string;
  label?: string;
  rank?: number | null;
  cmdline?: string;
  python?: boolean;
  status: string;
  reason?: string;
  source?: string;
  stack?: IFrame[];
  threads?: number;
  moving?: boolean;
  records?: IRecordBase[];
}

/**
 * A group of a `job` record: processes of one tier with the same stack (or the same failure).
 */
export interface IJobGroup {
  tier: string;
  count: number;
  pids: number[];
  ranks?: number[] | null;
  labels?: string[];
  status: string;
  reason?: string;
  stack: IFrame[];
  majority?: boolean;
  diverges_at?: number | null;
  moving?: number[];
}

/**
 * A `job` record: a command on every process of a job, grouped (or, without a command, the job listed).
 */
export interface IJobRecord extends IRecordBase {
  kind: 'job';
  pid: number;
  root: number;
  command: string;
  samples: number;
  by: string;
  elapsed_ms: number;
  processes: IJobProcess[];
  groups: IJobGroup[];
}

/**
 * A `sessions` record (%flight sessions).
 */
export interface ISessionsRecord extends IRecordBase {
  kind: 'sessions';
  sessions: ISessionRow[];
}

/**
 * A node of a `profile` record's call tree: a function at one call path, with the samples taken
 * there (`total`: in it and under it; `self`: in it). Children are sorted by total, largest
 * first. A pruned record leaves small children out: their samples stay in the parent's
 * `total`, which is then more than its `self` and its children's totals together.
 */
export interface IProfileNode {
  function: string;
  /**
   * The file (for a native frame, its library); null for the root and thread levels.
   */
  file?: string | null;
  /**
   * The function's first line.
   */
  line?: number | null;
  total: number;
  self: number;
  children?: IProfileNode[];
  /**
   * With a baseline: the baseline's samples on the same path (0 where the path is new).
   */
  base?: number;
  native?: boolean;
}

/**
 * One thread's own call tree in a `profile` record.
 */
export interface IProfileThread {
  thread_id: number;
  name?: string | null;
  samples: number;
  /**
   * With `perf --subprocesses`: the process the thread belongs to.
   */
  pid?: number;
  root: IProfileNode;
}

/**
 * With `--baseline`: a function whose share of self samples moved (perf/baseline.py).
 */
export interface IProfileChange {
  function: string;
  file: string | null;
  self_pct: number;
  base_self_pct: number;
  /**
   * `self_pct - base_self_pct`, in percentage points.
   */
  delta_pct: number;
}

/**
 * A row of a `profile` record's top functions (by self samples; functions merged across their
 * call sites, a recursive function's samples counted once).
 */
export interface IProfileTopRow {
  function: string;
  file?: string | null;
  line?: number | null;
  self: number;
  total: number;
  self_pct: number;
  total_pct: number;
  native?: boolean;
}

/**
 * What `perf` was asked to sample (its options).
 */
export interface IProfileFlags {
  native?: boolean;
  idle?: boolean;
  gil?: boolean;
  threads?: boolean;
  subprocesses?: boolean;
  nonblocking?: boolean;
}

/**
 * A `profile` record (`perf`): a sampling profile of a process, read from outside it.
 */
export interface IProfileRecord extends IRecordBase {
  kind: 'profile';
  pid?: number | null;
  engine?: string;
  engine_version?: string | null;
  /**
   * A snapshot while sampling: the next `profile` record of the stream replaces it.
   */
  live?: boolean;
  samples: number;
  errors?: number;
  rate?: number | null;
  achieved_rate?: number | null;
  duration_s?: number | null;
  /**
   * Wall time that was not sampled.
   */
  lost_s?: number | null;
  /**
   * How often the sampler said it fell behind the rate.
   */
  behind?: number;
  flags?: IProfileFlags;
  /**
   * Every thread merged (function `all`).
   */
  root: IProfileNode;
  threads?: IProfileThread[];
  top?: IProfileTopRow[];
  /**
   * Nodes left out to bound the record, and their samples (still in their parents' totals).
   */
  pruned?: { nodes: number; samples: number } | null;
  /**
   * `--baseline`: what the nodes' `base` counts come from.
   */
  baseline?: {
    source: string;
    samples: number;
    /**
     * The functions whose share of self samples moved most (gone ones included), largest first.
     */
    changes?: IProfileChange[];
  } | null;
  /**
   * `-f`: the file written.
   */
  file?: { path: string; format: string; bytes?: number } | null;
}

/**
 * A row of `mem_summary`: one type's live objects.
 */
export interface IMemTypeRow {
  type: string;
  count: number;
  size: number;
}

/**
 * `mem summary`: live objects by type, totals, RSS and what the types do not account for.
 */
export interface IMemSummaryRecord extends IRecordBase {
  kind: 'mem_summary';
  time: number;
  rows: IMemTypeRow[];
  types: number;
  total_count: number;
  total_size: number;
  tracked: number;
  untracked: number;
  rss: number | null;
  pss: number | null;
  unaccounted: number | null;
  engine: string;
  seconds: number;
  longest_hold_ms: number | null;
  longest_hold_cpu_ms?: number | null;
  gc_collected: number | null;
  order: string;
}

/**
 * A row of `mem_diff`: a type's (or an allocation site's) growth.
 */
export interface IMemDiffRow {
  type?: string;
  site?: string;
  traceback?: string[];
  count_delta: number;
  size_delta: number;
  count: number;
  size: number;
}

/**
 * `mem diff`: one cycle's growth by type or by allocation site.
 */
export interface IMemDiffRecord extends IRecordBase {
  kind: 'mem_diff';
  by: string;
  cycle: number;
  interval: number;
  time: number;
  rows: IMemDiffRow[];
  changed: number;
  total_count_delta: number;
  total_size_delta: number;
  total_count: number;
  total_size: number;
  seconds: number;
  engine: string;
  rss?: number | null;
  rss_delta?: number | null;
  owned?: boolean;
}

/**
 * `mem refs`: the shortest referrer chains of a few instances from a root.
 */
export interface IMemRefsRecord extends IRecordBase {
  kind: 'mem_refs';
  target: string;
  instances: number;
  chains: { path: string; root: string; length: number; type: string }[];
  depth: number;
  cut: string | null;
  seconds: number;
}

/**
 * gilstat's figures of one thread for a period (since on, or the last interval).
 */
export interface IGilShares {
  takes: number;
  hold_ns: number;
  wait_ns: number;
  drops: number;
  drop_ns: number;
  avg_hold_ns: number | null;
  avg_wait_ns: number | null;
  avg_drop_ns: number | null;
  hold_pct: number | null;
  wait_pct: number | null;
}

/**
 * One thread of a `gil_stats` report.
 */
export interface IGilThread {
  name: string;
  native_id: number;
  thread_id: number;
  total: IGilShares & {
    contended: number;
    max_hold_ms: number;
    max_wait_ms: number;
  };
  last: IGilShares;
}

/**
 * `gilstat on`: a report every interval (and a final one).
 */
export interface IGilStatsRecord extends IRecordBase {
  kind: 'gil_stats';
  index: number;
  final: boolean;
  elapsed_s: number;
  interval_s: number;
  time: number;
  busy_pct: number;
  take_ms: number;
  hold_ms: number;
  threads: IGilThread[];
  overflow_threads: number;
  events_dropped: number;
  verdict: string;
}

/**
 * `gilstat on`: one wait or hold of the GIL over its threshold.
 */
export interface IGilEventRecord extends IRecordBase {
  kind: 'gil_event';
  thread_name: string;
  thread_id: number;
  native_id: number;
  event: 'wait' | 'hold';
  duration_ms: number;
  threshold_ms: number;
  start: number;
  time: number;
  stack: IFrame[] | null;
  stack_exact: boolean | null;
}

/**
 * The record of each kind of docs/schema.md, by kind.
 */
export interface IRecordKinds {
  stack: IStackRecord;
  value: IValueRecord;
  gc: IGcRecord;
  reload: IReloadRecord;
  module: IModuleRecord;
  console: IConsoleRecord;
  help: IHelpRecord;
  message: IMessageRecord;
  error: IErrorRecord;
  watch: IWatchRecord;
  monitor: IMonitorRecord;
  trace: ITraceRecord;
  tt_record: ITtRecord;
  tt_list: ITtListRecord;
  tt_detail: ITtDetailRecord;
  end: IEndRecord;
  processes: IProcessesRecord;
  sessions: ISessionsRecord;
  job: IJobRecord;
  profile: IProfileRecord;
  mem_summary: IMemSummaryRecord;
  mem_diff: IMemDiffRecord;
  mem_refs: IMemRefsRecord;
  gil_stats: IGilStatsRecord;
  gil_event: IGilEventRecord;
}

/**
 * A kind of docs/schema.md.
 */
export type RecordKind = keyof IRecordKinds;

/**
 * A record of a kind of docs/schema.md: a union discriminated by `kind`.
 */
export type KnownRecord = IRecordKinds[RecordKind];

/**
 * A record of a kind this version does not know (a newer agent, another plugin's command):
 * shown by a view registered for it, or by the fallback.
 */
export interface IOtherRecord extends IRecordBase {
  [key: string]: unknown;
}

/**
 * Any record as it arrives from the server, the kernel or a saved notebook.
 */
export type IRecord = KnownRecord | IOtherRecord;

/**
 * Whether `record` is of kind `kind` (the registry's views get their own record type).
 */
export function isRecordOf<K extends RecordKind>(
  record: IRecord,
  kind: K
): record is IRecordKinds[K] {
  return !!record && record.kind === kind;
}

/**
 * An option of a command descriptor (`GET flight/commands`).
 */
export interface ICommandOption {
  flags: string[];
  dest: string;
  metavar?: string | string[] | null;
  help?: string;
  /**
   * The one default, filled in by the server when the command line gives none.
   */
  default?: unknown;
  takes_value: boolean;
  choices?: unknown[] | null;
  required?: boolean;
}

/**
 * A positional argument of a command descriptor.
 */
export interface ICommandPositional {
  name: string;
  metavar?: string | string[] | null;
  nargs?: string | number | null;
  help?: string;
}

/**
 * Where a command runs: in the target's agent, from outside the target, answered by the front
 * door, or orchestrating other commands from the client.
 */
export type CommandPlace = 'agent' | 'outside' | 'local' | 'client';

/**
 * A command as `GET flight/commands` describes it: its arguments and traits.
 */
export interface ICommandDescriptor {
  name: string;
  summary: string;
  usage: string;
  help: string;
  examples: string[];
  where: CommandPlace | string;
  /**
   * Place -> the option flags (or positional names) that move a run there.
   */
  where_when: { [place: string]: string[] };
  streams: boolean;
  /**
   * The options with which it streams; empty: `streams` says.
   */
  streams_when: string[];
  long_running: boolean;
  /**
   * Without one of these options the command is an interactive loop (it needs a terminal).
   */
  interactive_unless: string[];
  /**
   * After it the front door forgets its session (detach).
   */
  ends_session?: boolean;
  options: ICommandOption[];
  positionals: ICommandPositional[];
  record_kinds: string[];
  files: string[];
}

/**
 * The answer of `GET flight/commands`.
 */
export interface ICommandsReply {
  commands: ICommandDescriptor[];
}
