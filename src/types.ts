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
 * Any result record: `{"v": 1, "kind": ..., ...}`.
 */
export interface IRecord {
  v: number;
  kind: string;
  [key: string]: any;
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
export interface ICallRecord extends IRecord {
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
  exception: IException | null;
  values: IWatchValue[];
  filter_error?: { expr: string; type: string; message?: string | null };
}

/**
 * A `monitor` record: one cycle of a method's statistics.
 */
export interface IMonitorRecord extends IRecord {
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
}

/**
 * A `trace` record: one observed call as a call tree.
 */
export interface ITraceRecord extends ICallRecord {
  root: ICallNode;
}

/**
 * A `tt_record` record (and a row of `tt_list`).
 */
export interface ITtRecord extends ICallRecord {
  is_return?: boolean;
  is_exception?: boolean;
  exception?: IException | null;
}
