/**
 * Views of `torch`: the profile (a canvas timeline of the trace, threads and CUDA streams as
 * rows, zoomable, beside a sortable op table), the memory of a call (a plotly timeline of
 * allocated and reserved bytes, by category, the peak marked; plotly is bundled, so it works
 * offline), the CUDA allocator's segments and the live tensors.
 *
 * Every text drawn or shown comes from the record through `textContent` or the canvas.
 */
import { el, formatBytes, str } from '../dom';
import { loadPlotly } from './chart';
import { createTable, IColumn } from './table';
import { IRecordBase } from '../types';

declare module '../types' {
  // the torch kinds join the kinds of docs/schema.md (module augmentation: types.ts stays as it is)
  interface IRecordKinds {
    torch_profile: ITorchProfileRecord;
    torch_memory: ITorchMemoryRecord;
    torch_snapshot: ITorchSnapshotRecord;
    torch_tensors: ITorchTensorsRecord;
  }
}

export interface ITorchShapes {
  shapes: string;
  calls: number;
}

export interface ITorchOp {
  name: string;
  calls: number;
  self_cpu_us: number;
  cpu_total_us: number;
  self_device_us: number | null;
  device_total_us: number | null;
  self_cpu_memory: number;
  self_device_memory: number | null;
  shapes: ITorchShapes[];
}

export interface ITorchEvent {
  name: string;
  cat: string | null;
  ph: string;
  ts: number;
  dur: number;
  pid: number;
  tid: number;
  bytes?: number;
  total?: number;
}

export interface ITorchTraceRow {
  pid: number;
  tid: number;
  name: string;
  process: string;
}

export interface ITorchProfileRecord extends IRecordBase {
  kind: 'torch_profile';
  method: string;
  calls: number;
  calls_asked: number;
  device: string;
  cost_ms: number[];
  threads: string[];
  ops: ITorchOp[];
  ops_total: number;
  self_cpu_us: number;
  self_device_us: number | null;
  trace: {
    events: ITorchEvent[];
    events_total: number;
    truncated: boolean;
    rows: ITorchTraceRow[];
    duration_us: number;
  };
}

export interface ITorchMemoryRecord extends IRecordBase {
  kind: 'torch_memory';
  method: string;
  calls: number;
  device: string;
  cost_ms: number[];
  source: string;
  timeline: { t_us: number[]; allocated: number[]; reserved: number[] | null };
  category_timeline: {
    t_us: number[];
    series: { [category: string]: number[] };
  } | null;
  peak_bytes: number;
  peak_t_us: number | null;
  call_peak_bytes: number;
  at_peak: {
    categories: { category: string; bytes: number }[];
    stacks: { stack: string; bytes: number; blocks: number }[];
  };
  notes?: string[];
}

export interface ITorchSegment {
  device: number;
  address: number;
  stream: number;
  type: string | null;
  total_bytes: number;
  allocated_bytes: number;
  largest_free_bytes: number;
  blocks: number;
}

export interface ITorchSnapshotRecord extends IRecordBase {
  kind: 'torch_snapshot';
  segments: number;
  reserved_bytes: number;
  allocated_bytes: number;
  free_bytes: number;
  largest_free_bytes: number;
  fragmentation: number;
  segment_rows: ITorchSegment[];
  largest_blocks: { bytes: number; requested_bytes: number; stack: string[] }[];
  history: boolean;
}

export interface ITorchTensorGroup {
  device: string;
  dtype: string;
  shape: number[];
  count: number;
  bytes: number;
}

export interface ITorchTensor {
  name: string | null;
  device: string;
  dtype: string;
  shape: number[];
  bytes: number;
  requires_grad: boolean;
  parameter: boolean;
}

export interface ITorchTensorsRecord extends IRecordBase {
  kind: 'torch_tensors';
  device_filter: string | null;
  tensors: number;
  total_bytes: number;
  devices: { device: string; bytes: number; storage_bytes: number }[];
  rows: ITorchTensorGroup[];
  rows_total: number;
  largest: ITorchTensor[];
}

/**
 * Microseconds for people: 850 us, 12.3 ms, 1.20 s.
 */
export function formatUs(value: number | null | undefined): string {
  if (value === null || value === undefined || isNaN(value)) {
    return '';
  }
  if (value >= 1e6) {
    return `${(value / 1e6).toFixed(2)} s`;
  }
  if (value >= 1000) {
    return `${(value / 1000).toFixed(1)} ms`;
  }
  return `${value.toFixed(0)} us`;
}

function signedBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) {
    return '';
  }
  return n < 0 ? `-${formatBytes(-n)}` : formatBytes(n);
}

function toolbar(title: string, summary: string): HTMLElement {
  return el('div', { className: 'jp-flight-toolbar' }, [
    el('span', { className: 'jp-flight-title', text: title }),
    el('span', { className: 'jp-flight-muted', text: summary })
  ]);
}

function shape(s: number[]): string {
  return s.length ? s.join('×') : 'scalar';
}

// -- the timeline -------------------------------------------------------------------------------

/**
 * A span of the timeline, placed: its row and its depth in that row.
 */
export interface IPlacedSpan {
  event: ITorchEvent;
  row: number;
  depth: number;
}

/**
 * The timeline's layout: rows (threads, streams) in the record's order, each span at the depth
 * its nesting gives.
 */
export interface ITimelineLayout {
  rows: { name: string; depth: number; top: number }[];
  spans: IPlacedSpan[];
  duration: number;
  height: number;
}

export const LANE = 14;
const LABEL_LANE = 12;
const ROW_GAP = 8;
const MAX_DEPTH = 16;

export function layoutTimeline(
  trace: ITorchProfileRecord['trace']
): ITimelineLayout {
  const index = new Map<string, number>();
  const rows: { name: string; depth: number; top: number }[] = [];
  const key = (pid: unknown, tid: unknown) => `${str(pid)}/${str(tid)}`;
  for (const r of trace.rows ?? []) {
    index.set(key(r.pid, r.tid), rows.length);
    rows.push({ name: r.name, depth: 1, top: 0 });
  }
  const spans: IPlacedSpan[] = [];
  const open = new Map<number, number[]>();
  const sorted = (trace.events ?? [])
    .filter(e => e.ph === 'X')
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  let duration = trace.duration_us || 0;
  for (const e of sorted) {
    const k = key(e.pid, e.tid);
    let row = index.get(k);
    if (row === undefined) {
      row = rows.length;
      index.set(k, row);
      rows.push({ name: `thread ${str(e.tid)}`, depth: 1, top: 0 });
    }
    const stack = open.get(row) ?? [];
    open.set(row, stack);
    while (stack.length && stack[stack.length - 1] <= e.ts) {
      stack.pop();
    }
    const depth = stack.length;
    stack.push(e.ts + e.dur);
    rows[row].depth = Math.max(rows[row].depth, Math.min(depth, MAX_DEPTH) + 1);
    spans.push({ event: e, row, depth });
    duration = Math.max(duration, e.ts + e.dur);
  }
  let top = 0;
  for (const r of rows) {
    r.top = top;
    top += LABEL_LANE + r.depth * LANE + ROW_GAP;
  }
  return { rows, spans, duration, height: Math.max(top, LANE) };
}

function colour(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) {
    h = (h * 31 + name.charCodeAt(i)) & 0xffffff;
  }
  return `hsl(${h % 360},55%,60%)`;
}

/**
 * The trace on a canvas: wheel zooms around the pointer, dragging pans, a double click shows
 * everything again; the span under the pointer is named below.
 */
export class TraceTimeline {
  readonly node: HTMLDivElement;
  readonly layout: ITimelineLayout;
  /**
   * The visible window, in us from the trace's start.
   */
  start = 0;
  end: number;

  constructor(trace: ITorchProfileRecord['trace']) {
    this.layout = layoutTimeline(trace);
    this.end = this.layout.duration || 1;
    this._canvas = el('canvas', { className: 'jp-flight-torch-canvas' });
    this._canvas.style.width = '100%';
    this._canvas.style.height = `${this.layout.height}px`;
    this._hover = el('div', { className: 'jp-flight-muted', text: ' ' });
    this.node = el('div', { className: 'jp-flight-torch-timeline' }, [
      el('div', {
        className: 'jp-flight-muted',
        text: 'wheel: zoom · drag: pan · double click: all'
      }),
      this._canvas,
      this._hover
    ]);
    this._canvas.addEventListener('wheel', e => {
      e.preventDefault();
      const f = this._fraction(e.offsetX);
      this.zoom(e.deltaY < 0 ? 0.8 : 1.25, f);
    });
    this._canvas.addEventListener('mousedown', e => {
      this._drag = { x: e.clientX, start: this.start, end: this.end };
    });
    window.addEventListener('mouseup', () => (this._drag = null));
    this._canvas.addEventListener('mousemove', e => {
      if (this._drag) {
        const width = this._canvas.clientWidth || 1;
        const shift =
          ((this._drag.x - e.clientX) / width) *
          (this._drag.end - this._drag.start);
        this.start = this._drag.start + shift;
        this.end = this._drag.end + shift;
        this.draw();
        return;
      }
      const span = this.spanAt(e.offsetX, e.offsetY);
      this._hover.textContent = span
        ? `${span.event.name} · ${formatUs(span.event.dur)} · at ${formatUs(span.event.ts)}`
        : ' ';
    });
    this._canvas.addEventListener('dblclick', () => this.reset());
    if (typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(() => this.draw()).observe(this._canvas);
    }
  }

  /**
   * Zooms by `factor` (below 1: in) around the fraction `at` of the width.
   */
  zoom(factor: number, at = 0.5): void {
    const span = this.end - this.start;
    const pivot = this.start + span * at;
    const next = Math.max(span * factor, 0.01);
    this.start = pivot - next * at;
    this.end = this.start + next;
    this.draw();
  }

  reset(): void {
    this.start = 0;
    this.end = this.layout.duration || 1;
    this.draw();
  }

  /**
   * The span drawn at (x, y) in CSS pixels, if any.
   */
  spanAt(x: number, y: number): IPlacedSpan | null {
    const width = this._canvas.clientWidth || 1;
    const t = this.start + (x / width) * (this.end - this.start);
    let best: IPlacedSpan | null = null;
    for (const s of this.layout.spans) {
      const row = this.layout.rows[s.row];
      const top = row.top + LABEL_LANE + s.depth * LANE;
      if (
        y >= top &&
        y < top + LANE &&
        t >= s.event.ts &&
        t <= s.event.ts + s.event.dur
      ) {
        if (!best || s.depth > best.depth) {
          best = s;
        }
      }
    }
    return best;
  }

  draw(): void {
    const canvas = this._canvas;
    const width = canvas.clientWidth;
    const ctx = width > 0 ? canvas.getContext?.('2d') : null;
    if (!ctx) {
      return;
    }
    const ratio = window.devicePixelRatio || 1;
    const height = this.layout.height;
    canvas.style.height = `${height}px`;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const style = getComputedStyle(this.node);
    const fg = style.getPropertyValue('--jp-ui-font-color1').trim() || '#333';
    ctx.font = '10px monospace';
    const scale = width / (this.end - this.start || 1);
    ctx.fillStyle = fg;
    for (const row of this.layout.rows) {
      ctx.fillText(row.name, 2, row.top + 10); // a lane above the row's spans
    }
    for (const s of this.layout.spans) {
      const e = s.event;
      if (
        e.ts + e.dur < this.start ||
        e.ts > this.end ||
        s.depth >= MAX_DEPTH
      ) {
        continue;
      }
      const x = (e.ts - this.start) * scale;
      const w = Math.max(e.dur * scale, 0.5);
      const row = this.layout.rows[s.row];
      const y = row.top + LABEL_LANE + s.depth * LANE;
      ctx.fillStyle = colour(e.name);
      ctx.fillRect(x, y, w, LANE - 1);
      if (w > 40) {
        ctx.fillStyle = '#000';
        ctx.save();
        ctx.beginPath();
        ctx.rect(x, y, w, LANE);
        ctx.clip();
        ctx.fillText(e.name, x + 2, y + 10);
        ctx.restore();
      }
    }
  }

  private _fraction(x: number): number {
    const width = this._canvas.clientWidth || 1;
    return Math.min(1, Math.max(0, x / width));
  }

  private _canvas: HTMLCanvasElement;
  private _hover: HTMLElement;
  private _drag: { x: number; start: number; end: number } | null = null;
}

// -- the views ----------------------------------------------------------------------------------

export function opColumns(device: boolean): IColumn<ITorchOp>[] {
  const columns: IColumn<ITorchOp>[] = [
    {
      title: 'op',
      cell: r => str(r.name),
      key: r => r.name,
      className: 'jp-flight-col-fill'
    },
    {
      title: 'calls',
      cell: r => String(r.calls),
      key: r => r.calls,
      numeric: true
    },
    {
      title: 'self CPU',
      cell: r => formatUs(r.self_cpu_us),
      key: r => r.self_cpu_us,
      numeric: true
    },
    {
      title: 'CPU total',
      cell: r => formatUs(r.cpu_total_us),
      key: r => r.cpu_total_us,
      numeric: true
    }
  ];
  if (device) {
    columns.push(
      {
        title: 'self CUDA',
        cell: r => formatUs(r.self_device_us),
        key: r => r.self_device_us,
        numeric: true
      },
      {
        title: 'CUDA total',
        cell: r => formatUs(r.device_total_us),
        key: r => r.device_total_us,
        numeric: true
      }
    );
  }
  columns.push({
    title: 'CPU mem',
    cell: r => signedBytes(r.self_cpu_memory),
    key: r => r.self_cpu_memory,
    numeric: true
  });
  if (device) {
    columns.push({
      title: 'CUDA mem',
      cell: r => signedBytes(r.self_device_memory),
      key: r => r.self_device_memory,
      numeric: true
    });
  }
  columns.push({
    title: 'input shapes',
    cell: r => (r.shapes ?? []).map(s => `${s.shapes} ×${s.calls}`).join('\n'),
    key: r => r.shapes?.[0]?.shapes ?? ''
  });
  return columns;
}

/**
 * A `torch_profile` record: the timeline beside the op table.
 */
export function renderTorchProfile(record: ITorchProfileRecord): HTMLElement {
  const device =
    record.self_device_us !== null && record.self_device_us !== undefined;
  const costs = (record.cost_ms ?? [])
    .map(c => `${c.toFixed(1)} ms`)
    .join(', ');
  const timeline = new TraceTimeline(
    record.trace ?? {
      events: [],
      rows: [],
      events_total: 0,
      truncated: false,
      duration_us: 0
    }
  );
  const table = createTable(opColumns(device), record.ops ?? [], {
    className: 'jp-flight-torch-ops'
  });
  const more =
    record.ops_total > (record.ops ?? []).length
      ? `${record.ops_total - record.ops.length} more ops`
      : '';
  const truncated = record.trace?.truncated
    ? `the timeline keeps the ${record.trace.events.length} longest of ${record.trace.events_total} events`
    : '';
  const node = el(
    'div',
    { className: 'jp-flight-torch jp-flight-torch-profile' },
    [
      toolbar(
        'torch profile',
        `${str(record.method)} · ${record.calls} call${record.calls === 1 ? '' : 's'} (${costs}) on ${str(record.device)} · ${(record.threads ?? []).join(', ')}`
      ),
      el('div', { className: 'jp-flight-torch-split' }, [
        timeline.node,
        el('div', { className: 'jp-flight-table-scroll' }, [table.node])
      ]),
      el('div', {
        className: 'jp-flight-muted',
        text: [truncated, more].filter(Boolean).join(' · ')
      })
    ]
  );
  requestFrame(() => timeline.draw());
  return node;
}

function requestFrame(f: () => void): void {
  if (typeof requestAnimationFrame !== 'undefined') {
    requestAnimationFrame(f);
  } else {
    setTimeout(f, 0);
  }
}

/**
 * The plotly traces of a memory record: allocated, reserved (CUDA) and the categories stacked.
 */
export function memoryTraces(record: ITorchMemoryRecord): any[] {
  const traces: any[] = [];
  const timeline = record.timeline ?? {
    t_us: [],
    allocated: [],
    reserved: null
  };
  const ms = (t: number[]) => t.map(x => x / 1000);
  const categories = record.category_timeline;
  if (categories && categories.t_us.length) {
    for (const [name, values] of Object.entries(categories.series)) {
      if (!values.some(v => v > 0)) {
        continue;
      }
      traces.push({
        type: 'scatter',
        mode: 'lines',
        stackgroup: 'categories',
        name,
        x: ms(categories.t_us),
        y: values,
        line: { width: 0.5 },
        hovertemplate: '%{y:.3s}B<extra></extra>'
      });
    }
  }
  if (!categories || record.source !== 'profiler memory events') {
    traces.push({
      type: 'scatter',
      mode: 'lines',
      name: 'allocated',
      x: ms(timeline.t_us),
      y: timeline.allocated,
      line: { width: 1.5 },
      hovertemplate: '%{y:.3s}B<extra></extra>'
    });
  }
  if (timeline.reserved) {
    traces.push({
      type: 'scatter',
      mode: 'lines',
      name: 'reserved',
      x: ms(timeline.t_us),
      y: timeline.reserved,
      line: { width: 1, dash: 'dot' },
      hovertemplate: '%{y:.3s}B<extra></extra>'
    });
  }
  return traces;
}

/**
 * A `torch_memory` record: the timeline (plotly), what was live at the peak.
 */
export function renderTorchMemory(record: ITorchMemoryRecord): HTMLElement {
  const chart = el('div', {
    className: 'jp-flight-chart jp-flight-torch-memory-chart',
    attrs: { role: 'img', 'aria-label': 'memory over the call' }
  });
  chart.style.height = '260px';
  const atPeak = record.at_peak ?? { categories: [], stacks: [] };
  const categories = createTable(
    [
      {
        title: 'live at the peak',
        cell: r => str(r.category),
        key: r => r.category
      },
      {
        title: 'bytes',
        cell: r => formatBytes(r.bytes),
        key: r => r.bytes,
        numeric: true
      }
    ],
    atPeak.categories ?? []
  );
  const stacks = createTable(
    [
      {
        title: 'bytes',
        cell: r => formatBytes(r.bytes),
        key: r => r.bytes,
        numeric: true
      },
      {
        title: 'blocks',
        cell: r => String(r.blocks),
        key: r => r.blocks,
        numeric: true
      },
      {
        title: 'allocated by (innermost first)',
        cell: r => str(r.stack),
        key: r => r.stack,
        className: 'jp-flight-col-fill'
      }
    ],
    atPeak.stacks ?? []
  );
  const peakAt =
    record.peak_t_us !== null && record.peak_t_us !== undefined
      ? ` at ${formatUs(record.peak_t_us)}`
      : '';
  const node = el(
    'div',
    { className: 'jp-flight-torch jp-flight-torch-memory' },
    [
      toolbar(
        'torch memory',
        `${str(record.method)} on ${str(record.device)} (${str(record.source)}) · peak ${formatBytes(record.peak_bytes)}${peakAt} · the call's own allocations peaked at ${formatBytes(record.call_peak_bytes)}`
      ),
      chart,
      categories.node,
      el('div', {
        className: 'jp-flight-muted',
        text: 'allocated during the call and live at its peak, by stack'
      }),
      el('div', { className: 'jp-flight-table-scroll' }, [stacks.node]),
      ...(record.notes ?? []).map(n =>
        el('div', { className: 'jp-flight-muted', text: n })
      )
    ]
  );
  void drawMemory(chart, record);
  return node;
}

async function drawMemory(
  node: HTMLElement,
  record: ITorchMemoryRecord
): Promise<void> {
  const traces = memoryTraces(record);
  if (!traces.length) {
    return;
  }
  let Plotly: any;
  try {
    Plotly = await loadPlotly();
  } catch {
    return;
  }
  const style = getComputedStyle(node);
  const fg = style.getPropertyValue('--jp-ui-font-color1').trim() || '#333';
  const shapes =
    record.peak_t_us !== null && record.peak_t_us !== undefined
      ? [
          {
            type: 'line',
            x0: record.peak_t_us / 1000,
            x1: record.peak_t_us / 1000,
            yref: 'paper',
            y0: 0,
            y1: 1,
            line: { color: 'red', width: 1 }
          }
        ]
      : [];
  try {
    await Plotly.react(
      node,
      traces,
      {
        height: 260,
        margin: { l: 60, r: 10, t: 8, b: 36 },
        paper_bgcolor: 'rgba(0,0,0,0)',
        plot_bgcolor: 'rgba(0,0,0,0)',
        font: { color: fg, size: 11 },
        xaxis: { title: { text: 'ms into the call' } },
        yaxis: { title: { text: 'bytes' }, rangemode: 'tozero' },
        legend: { orientation: 'h' },
        shapes
      },
      { displaylogo: false, responsive: true }
    );
  } catch {
    // a chart that cannot be drawn leaves the tables, which say the same
  }
}

/**
 * A `torch_snapshot` record: allocated against reserved, the segments, the largest blocks.
 */
export function renderTorchSnapshot(record: ITorchSnapshotRecord): HTMLElement {
  const share = record.reserved_bytes
    ? record.allocated_bytes / record.reserved_bytes
    : 0;
  const bar = el('div', { className: 'jp-flight-torch-bar' }, [el('div')]);
  bar.style.height = '10px';
  bar.style.width = '300px';
  bar.style.background = 'var(--jp-layout-color3, #ccc)';
  const fill = bar.firstChild as HTMLElement;
  fill.style.height = '100%';
  fill.style.width = `${Math.round(share * 100)}%`;
  fill.style.background = 'var(--jp-brand-color1)';
  const segments = createTable<ITorchSegment>(
    [
      { title: 'device', cell: r => str(r.device), key: r => r.device },
      { title: 'stream', cell: r => str(r.stream), key: r => r.stream },
      { title: 'pool', cell: r => str(r.type), key: r => r.type },
      {
        title: 'reserved',
        cell: r => formatBytes(r.total_bytes),
        key: r => r.total_bytes,
        numeric: true
      },
      {
        title: 'allocated',
        cell: r => formatBytes(r.allocated_bytes),
        key: r => r.allocated_bytes,
        numeric: true
      },
      {
        title: 'largest free',
        cell: r => formatBytes(r.largest_free_bytes),
        key: r => r.largest_free_bytes,
        numeric: true
      },
      {
        title: 'blocks',
        cell: r => String(r.blocks),
        key: r => r.blocks,
        numeric: true
      }
    ],
    record.segment_rows ?? []
  );
  const blocks = createTable(
    [
      {
        title: 'block',
        cell: r => formatBytes(r.bytes),
        key: r => r.bytes,
        numeric: true
      },
      {
        title: 'allocated by',
        cell: r => (r.stack ?? []).join(' < ') || '(no stack)',
        className: 'jp-flight-col-fill'
      }
    ],
    record.largest_blocks ?? []
  );
  return el('div', { className: 'jp-flight-torch jp-flight-torch-snapshot' }, [
    toolbar(
      'CUDA allocator',
      `${formatBytes(record.allocated_bytes)} allocated of ${formatBytes(record.reserved_bytes)} reserved in ${record.segments} segments · largest free block ${formatBytes(record.largest_free_bytes)} · fragmentation ${(100 * (record.fragmentation || 0)).toFixed(0)}%`
    ),
    bar,
    el('div', { className: 'jp-flight-table-scroll' }, [segments.node]),
    el('div', { className: 'jp-flight-table-scroll' }, [blocks.node]),
    el('div', {
      className: 'jp-flight-muted',
      text: record.history
        ? ''
        : 'no allocation history was recorded: blocks have no stacks'
    })
  ]);
}

/**
 * A `torch_tensors` record: the census by device, dtype and shape; the largest, named.
 */
export function renderTorchTensors(record: ITorchTensorsRecord): HTMLElement {
  const groups = createTable<ITorchTensorGroup>(
    [
      { title: 'device', cell: r => str(r.device), key: r => r.device },
      { title: 'dtype', cell: r => str(r.dtype), key: r => r.dtype },
      { title: 'shape', cell: r => shape(r.shape), key: r => shape(r.shape) },
      {
        title: 'count',
        cell: r => String(r.count),
        key: r => r.count,
        numeric: true
      },
      {
        title: 'bytes',
        cell: r => formatBytes(r.bytes),
        key: r => r.bytes,
        numeric: true
      }
    ],
    record.rows ?? []
  );
  const largest = createTable<ITorchTensor>(
    [
      {
        title: 'largest',
        cell: r => (r.name === null ? '(unnamed)' : str(r.name)),
        key: r => r.name ?? '',
        className: 'jp-flight-col-fill'
      },
      { title: 'device', cell: r => str(r.device), key: r => r.device },
      { title: 'dtype', cell: r => str(r.dtype), key: r => r.dtype },
      { title: 'shape', cell: r => shape(r.shape), key: r => shape(r.shape) },
      {
        title: 'bytes',
        cell: r => formatBytes(r.bytes),
        key: r => r.bytes,
        numeric: true
      }
    ],
    record.largest ?? []
  );
  const devices = (record.devices ?? [])
    .map(d => `${d.device} ${formatBytes(d.bytes)}`)
    .join(', ');
  const more =
    record.rows_total > (record.rows ?? []).length
      ? `${record.rows_total - record.rows.length} more groups`
      : '';
  return el('div', { className: 'jp-flight-torch jp-flight-torch-tensors' }, [
    toolbar(
      'torch tensors',
      `${record.tensors} live tensors${record.device_filter ? ` on ${record.device_filter}` : ''} (${devices || 'none'})`
    ),
    el('div', { className: 'jp-flight-table-scroll' }, [groups.node]),
    el('div', { className: 'jp-flight-muted', text: more }),
    el('div', { className: 'jp-flight-table-scroll' }, [largest.node])
  ]);
}
