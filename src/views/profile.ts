/**
 * The view of a `profile` record (`perf`): a header line (samples, rate, duration, engine,
 * flags, what was lost or pruned), a toolbar (thread, search, zoom, flame / icicle, left-heavy /
 * by name, downloads), the canvas flame graph (flamecanvas.ts), a legend for a differential
 * graph, and a sortable table of the top functions.
 *
 * A live record (`"live": true`, a snapshot while sampling) is superseded by the stream's next
 * profile record: `update` shows it in place, keeping the thread, the zoom and the search.
 */
import { badge, breakable, el, str } from '../dom';
import { IRecordGroup } from '../registry';
import {
  IProfileNode,
  IProfileRecord,
  IProfileThread,
  IProfileChange,
  IProfileTopRow
} from '../types';
import { download, EXPORTS, LEFT_OUT_FRAME } from './exports';
import {
  FlameCanvas,
  FlameOrder,
  FlameOrientation,
  isLevel
} from './flamecanvas';
import { createTable, IColumn, ITable } from './table';

const ALL = 'all';

function num(n: unknown): number {
  return typeof n === 'number' && isFinite(n) && n > 0 ? n : 0;
}

function percent(part: number, whole: number, digits = 1): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(digits)}%` : '–';
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

function seconds(s: unknown): string {
  const v = typeof s === 'number' && isFinite(s) ? s : 0;
  return v >= 100
    ? `${v.toFixed(0)} s`
    : v >= 10
      ? `${v.toFixed(1)} s`
      : `${v.toFixed(2)} s`;
}

/**
 * `file:line` of a frame ('' for levels).
 */
export function where(node: {
  file?: string | null;
  line?: number | null;
}): string {
  if (node.file === null || node.file === undefined) {
    return '';
  }
  return node.line !== null && node.line !== undefined
    ? `${str(node.file)}:${node.line}`
    : str(node.file);
}

function threadKey(t: IProfileThread): string {
  return `${str(t.pid)}:${str(t.thread_id)}`;
}

function threadLabel(t: IProfileThread): string {
  const pid = t.pid !== undefined && t.pid !== null ? `pid ${t.pid}` : '';
  if (!t.name) {
    return `thread ${str(t.thread_id)}${pid ? ` (${pid})` : ''}`;
  }
  return `${str(t.name)} (${str(t.thread_id)}${pid ? ` · ${pid}` : ''})`;
}

/**
 * The columns of the table of what changed against a baseline.
 */
function changeColumns(): IColumn<IProfileChange>[] {
  const pct = (v: unknown) => num(v).toFixed(1);
  // a change has a sign (num() keeps counts, which have none)
  const delta = (v: unknown) => (typeof v === 'number' && isFinite(v) ? v : 0);
  return [
    {
      title: 'change',
      className: 'jp-flight-profile-change',
      cell: r =>
        el('span', {
          className: delta(r.delta_pct) >= 0 ? 'jp-mod-grew' : 'jp-mod-shrank',
          text: `${delta(r.delta_pct) >= 0 ? '+' : ''}${delta(r.delta_pct).toFixed(1)}`
        }),
      key: r => Math.abs(delta(r.delta_pct)),
      numeric: true,
      help: 'points of the share of self samples, now against the baseline'
    },
    {
      title: 'before %',
      cell: r => pct(r.base_self_pct),
      key: r => num(r.base_self_pct),
      numeric: true,
      help: "the function's share of self samples in the baseline"
    },
    {
      title: 'now %',
      cell: r => pct(r.self_pct),
      key: r => num(r.self_pct),
      numeric: true,
      help: "the function's share of self samples now (0: not sampled at all)"
    },
    {
      title: 'function',
      cell: r => str(r.function),
      key: r => str(r.function)
    },
    { title: 'file', cell: r => str(r.file ?? ''), key: r => str(r.file ?? '') }
  ];
}

/**
 * Top functions of a tree, by self samples: functions merged across their call sites (by
 * function, file and line), a function's total counting each sample once however often it
 * recurses; thread and process levels are not functions.
 */
export function topFunctions(root: IProfileNode, limit = 50): IProfileTopRow[] {
  const byName = new Map<string, number[]>();
  const first: IProfileNode[] = [];
  const self: number[] = [];
  const total: number[] = [];
  const active: number[] = [];
  const samples = num(root.total);
  // a stack of frames to enter, and of function ids to leave (-1: enter the node)
  const sNode: (IProfileNode | null)[] = [];
  const sLeave: number[] = [];
  for (const child of root.children ?? []) {
    sNode.push(child);
    sLeave.push(-1);
  }
  while (sNode.length) {
    const node = sNode.pop()!;
    const leave = sLeave.pop()!;
    if (leave >= 0) {
      active[leave]--;
      continue;
    }
    if (!node || typeof node !== 'object') {
      continue;
    }
    if (!isLevel(node)) {
      // by name, then file and line: no key string to build and hash per frame
      const name = str(node.function);
      const file = node.file ?? null;
      const line = node.line ?? null;
      let candidates = byName.get(name);
      let id = -1;
      if (candidates) {
        for (const c of candidates) {
          const f = first[c];
          if ((f.file ?? null) === file && (f.line ?? null) === line) {
            id = c;
            break;
          }
        }
      } else {
        candidates = [];
        byName.set(name, candidates);
      }
      if (id < 0) {
        id = first.length;
        candidates.push(id);
        first.push(node);
        self.push(0);
        total.push(0);
        active.push(0);
      }
      self[id] += num(node.self);
      // a function's total counts each sample once, however often it recurses
      if (!active[id]) {
        total[id] += num(node.total);
      }
      active[id]++;
      sNode.push(null);
      sLeave.push(id);
    }
    const children = node.children;
    if (Array.isArray(children)) {
      for (let c = 0; c < children.length; c++) {
        sNode.push(children[c]);
        sLeave.push(-1);
      }
    }
  }
  const before = (a: number, b: number): boolean => {
    const d = self[b] - self[a] || total[b] - total[a];
    if (d) {
      return d < 0;
    }
    const fa = str(first[a].function);
    const fb = str(first[b].function);
    return fa < fb || (fa === fb && a < b);
  };
  // the `limit` first, without sorting every function: most fail against the last kept
  const order: number[] = [];
  for (let id = 0; id < first.length; id++) {
    if (order.length >= limit && !before(id, order[order.length - 1])) {
      continue;
    }
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(order[mid], id)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    order.splice(lo, 0, id);
    if (order.length > limit) {
      order.pop();
    }
  }
  return order.map(id => {
    const node = first[id];
    const row: IProfileTopRow = {
      function: str(node.function),
      file: node.file ?? null,
      line: node.line ?? null,
      self: self[id],
      total: total[id],
      self_pct: samples ? Math.round((1000 * self[id]) / samples) / 10 : 0,
      total_pct: samples ? Math.round((1000 * total[id]) / samples) / 10 : 0
    };
    if (node.native) {
      row.native = true;
    }
    return row;
  });
}

const views = new WeakMap<Element, ProfileView>();

/**
 * The profile view that a node made by `renderProfile` / `profileGroup` shows (tests, benchmarks).
 */
export function profileViewOf(node: Element | null): ProfileView | undefined {
  if (!node) {
    return undefined;
  }
  const root = node.classList.contains('jp-flight-profile')
    ? node
    : node.querySelector('.jp-flight-profile');
  return root ? views.get(root) : undefined;
}

function toggle(
  labels: [string, string, string][],
  onPick: (value: string) => void
): { node: HTMLElement; set: (value: string) => void } {
  const buttons = labels.map(([value, text, title]) => {
    const b = el('button', {
      className: 'jp-flight-segment',
      text,
      title,
      attrs: { type: 'button', 'data-value': value, 'aria-pressed': 'false' }
    });
    b.addEventListener('click', () => onPick(value));
    return b;
  });
  const set = (value: string) => {
    for (const b of buttons) {
      const on = b.dataset.value === value;
      b.setAttribute('aria-pressed', String(on));
      b.classList.toggle('jp-mod-active', on);
    }
  };
  return {
    node: el('span', { className: 'jp-flight-segments' }, buttons),
    set
  };
}

/**
 * The view of a `profile` record.
 */
export class ProfileView {
  readonly node: HTMLElement;

  constructor(record: IProfileRecord) {
    ProfileView._check(record);
    this._record = record;

    this._header = el('div', { className: 'jp-flight-profile-header' });
    this._thread = el('select', {
      className: 'jp-flight-profile-thread',
      attrs: { 'aria-label': 'thread' }
    });
    this._thread.addEventListener('change', () =>
      this.selectThread(this._thread.value)
    );
    this._search = el('input', {
      className: 'jp-flight-search jp-flight-profile-search',
      attrs: {
        type: 'search',
        placeholder: 'search functions and files',
        'aria-label': 'search the flame graph'
      }
    });
    this._search.addEventListener('input', () =>
      this.search(this._search.value)
    );
    this._found = el('span', {
      className: 'jp-flight-profile-found',
      attrs: { 'aria-live': 'polite' }
    });
    this._back = el('button', {
      className: 'jp-flight-link jp-flight-profile-back',
      text: '← back',
      title: 'zoom out to where you were (Escape)',
      attrs: { type: 'button' }
    });
    this._back.addEventListener('click', () => this.graph.back());
    this._reset = el('button', {
      className: 'jp-flight-link jp-flight-profile-reset',
      text: 'reset zoom',
      attrs: { type: 'button' }
    });
    this._reset.addEventListener('click', () => this.graph.reset());
    this._orientation = toggle(
      [
        ['flame', 'flame', 'root at the bottom'],
        ['icicle', 'icicle', 'root at the top']
      ],
      value => this.setOrientation(value as FlameOrientation)
    );
    this._order = toggle(
      [
        [
          'heavy',
          'left-heavy',
          "each frame's callees by samples, the largest first"
        ],
        [
          'name',
          'by name',
          "each frame's callees by name, as flamegraph.pl orders them (stable between captures; the record keeps no sampling order)"
        ]
      ],
      value => this.setOrder(value as FlameOrder)
    );
    this._downloadNote = el('span', {
      className: 'jp-flight-muted jp-flight-profile-download-note'
    });
    const downloads = el('span', { className: 'jp-flight-profile-downloads' }, [
      el('span', { className: 'jp-flight-muted', text: 'download' }),
      ...EXPORTS.map(spec => {
        const b = el('button', {
          className: `jp-flight-link jp-flight-profile-download`,
          text: spec.label,
          title: `${spec.help}, of every thread`,
          attrs: { type: 'button', 'data-format': spec.format }
        });
        b.addEventListener('click', () => download(this._record, spec.format));
        return b;
      }),
      this._downloadNote
    ]);
    this._zoomLine = el('div', {
      className: 'jp-flight-flame-details jp-flight-profile-zoom'
    });
    this._legend = el('div', { className: 'jp-flight-profile-legend' });
    this._empty = el('div', {
      className: 'jp-flight-muted jp-flight-profile-empty'
    });

    this.graph = new FlameCanvas(this._root(), {
      baseline: this._baselineSamples(),
      describe: node => this._describe(node),
      onChange: () => this._showState()
    });

    this._table = createTable<IProfileTopRow>(this._columns(), [], {
      className: 'jp-flight-profile-top'
    });
    this._topSummary = el('summary', { className: 'jp-flight-title' });
    const top = el('details', { className: 'jp-flight-profile-top-box' }, [
      this._topSummary,
      this._table.node
    ]);
    (top as HTMLDetailsElement).open = true;
    this._changes = createTable<IProfileChange>(changeColumns(), [], {
      className: 'jp-flight-profile-changes'
    });
    this._changesBox = el(
      'details',
      { className: 'jp-flight-profile-changes-box' },
      [
        el('summary', {
          className: 'jp-flight-title',
          text: 'changed most against the baseline (share of self samples, points)'
        }),
        this._changes.node
      ]
    );
    (this._changesBox as HTMLDetailsElement).open = true;

    this.node = el('div', { className: 'jp-flight-profile' }, [
      this._header,
      el('div', { className: 'jp-flight-toolbar jp-flight-profile-toolbar' }, [
        this._thread,
        this._search,
        this._found,
        this._orientation.node,
        this._order.node,
        downloads
      ]),
      el('div', { className: 'jp-flight-toolbar' }, [
        this._back,
        this._reset,
        this._zoomLine
      ]),
      this._legend,
      this._empty,
      this.graph.node,
      top,
      this._changesBox
    ]);
    views.set(this.node, this);
    this._orientation.set(this.graph.orientation);
    this._order.set(this.graph.order);
    this._refresh();
  }

  /**
   * The flame graph.
   */
  readonly graph: FlameCanvas;

  /**
   * The record shown.
   */
  get record(): IProfileRecord {
    return this._record;
  }

  /**
   * The thread shown: `all` (every thread merged) or a thread's key.
   */
  get thread(): string {
    return this._threadKey;
  }

  /**
   * The rows of the top-functions table.
   */
  get topRows(): readonly IProfileTopRow[] {
    return this._table.rows;
  }

  /**
   * Shows a newer record of the same stream, keeping the thread, the zoom and the search.
   */
  update(record: IProfileRecord): void {
    ProfileView._check(record);
    this._record = record;
    if (
      this._threadKey !== ALL &&
      !(record.threads ?? []).some(t => threadKey(t) === this._threadKey)
    ) {
      this._threadKey = ALL;
    }
    this.graph.setTree(this._root(), this._baselineSamples());
    this._refresh();
  }

  /**
   * Shows every thread merged (`all`) or one thread (its key, as the selector's values).
   */
  selectThread(key: string): void {
    const exists =
      key === ALL ||
      (this._record.threads ?? []).some(t => threadKey(t) === key);
    const next = exists ? key : ALL;
    if (next === this._threadKey) {
      return;
    }
    this._threadKey = next;
    this.graph.setTree(this._root());
    this._refresh();
  }

  /**
   * The selector's keys: `all`, then each thread's.
   */
  threadKeys(): string[] {
    return [ALL, ...(this._record.threads ?? []).map(threadKey)];
  }

  search(term: string): void {
    if (this._search.value !== term) {
      this._search.value = term;
    }
    this.graph.search(term);
  }

  setOrientation(orientation: FlameOrientation): void {
    this.graph.setOrientation(orientation);
    this._orientation.set(orientation);
  }

  setOrder(order: FlameOrder): void {
    this.graph.setOrder(order);
    this._order.set(order);
  }

  /**
   * The stream is over: a live record shown now is its last snapshot.
   */
  settle(): void {
    if (!this._settled) {
      this._settled = true;
      this._refresh();
    }
  }

  /**
   * Stops following the page (the theme, the size).
   */
  dispose(): void {
    this.graph.dispose();
  }

  private static _check(record: IProfileRecord): void {
    if (!record || !record.root || typeof record.root !== 'object') {
      throw new Error('the profile has no call tree');
    }
  }

  private _selected(): IProfileThread | null {
    if (this._threadKey === ALL) {
      return null;
    }
    return (
      (this._record.threads ?? []).find(
        t => threadKey(t) === this._threadKey
      ) ?? null
    );
  }

  private _root(): IProfileNode {
    return this._selected()?.root ?? this._record.root;
  }

  private _baselineSamples(): number | null {
    const b = this._record.baseline;
    return b && num(b.samples) ? num(b.samples) : null;
  }

  private _refresh(): void {
    this._showHeader();
    this._showThreads();
    this._showTop();
    this._showLegend();
    this._showChanges();
    this._showState();
    const samples = num(this.graph.root.total);
    this._empty.textContent = samples
      ? ''
      : this._record.live && !this._settled
        ? 'no samples yet: the first picture comes within a second'
        : 'no samples: the target ran no Python code that was sampled (try --idle for waiting threads)';
    this._empty.hidden = !!samples;
    const pruned = this._record.pruned;
    this._downloadNote.textContent =
      pruned && num(pruned.nodes)
        ? `made from this record, which left out ${plural(num(pruned.nodes), 'small frame')}: their ${plural(num(pruned.samples), 'sample')} are in ${LEFT_OUT_FRAME} (perf -f writes every frame)`
        : '';
    this._downloadNote.hidden = !this._downloadNote.textContent;
  }

  private _showHeader(): void {
    const r = this._record;
    const h = this._header;
    h.textContent = '';
    h.appendChild(
      el('span', { className: 'jp-flight-title', text: 'profile' })
    );
    if (r.live && !this._settled) {
      h.appendChild(
        badge('live', 'live', 'a snapshot while sampling; it updates in place')
      );
    } else if (r.live) {
      h.appendChild(
        badge(
          'last snapshot',
          'snapshot',
          'taken while sampling: the stream ended before its final profile, so the last second or so of samples may be missing'
        )
      );
    }
    const parts: [string, string, string?][] = [];
    if (r.pid !== null && r.pid !== undefined) {
      parts.push(['', `pid ${r.pid}`]);
    }
    parts.push(['jp-flight-profile-samples', plural(num(r.samples), 'sample')]);
    if (r.rate) {
      const achieved =
        typeof r.achieved_rate === 'number' ? r.achieved_rate : null;
      const low = achieved !== null && achieved < 0.9 * r.rate;
      parts.push([
        low ? 'jp-flight-profile-warn' : '',
        achieved !== null
          ? `${achieved.toFixed(1)} of ${r.rate} samples/s`
          : `${r.rate} samples/s asked`,
        low
          ? 'fewer samples than asked: the sampler fell behind (a busy machine, many threads)'
          : 'achieved and asked sampling rate'
      ]);
    }
    if (typeof r.duration_s === 'number') {
      parts.push(['', seconds(r.duration_s), 'how long it sampled']);
    }
    if (r.engine) {
      parts.push(['', `${r.engine} ${str(r.engine_version)}`.trim()]);
    }
    if (num(r.lost_s)) {
      parts.push([
        'jp-flight-profile-warn',
        `${seconds(r.lost_s)} not sampled`,
        'wall time between sampler runs that has no samples'
      ]);
    }
    if (num(r.behind)) {
      parts.push([
        'jp-flight-profile-warn',
        `${str(r.engine) || 'the sampler'} fell behind ${plural(num(r.behind), 'time')}`,
        'the sampler could not keep up with the rate asked'
      ]);
    }
    if (num(r.errors)) {
      parts.push([
        'jp-flight-profile-warn',
        plural(num(r.errors), 'sampling error'),
        "samples the sampler could not read (py-spy's errors)"
      ]);
    }
    const pruned = r.pruned;
    if (pruned && num(pruned.nodes)) {
      parts.push([
        'jp-flight-profile-pruned',
        `${plural(num(pruned.nodes), 'small frame')} pruned (${plural(num(pruned.samples), 'sample')}, ${percent(num(pruned.samples), num(r.root.total))})`,
        'left out to bound the record; their samples stay in their callers'
      ]);
    }
    for (const [className, text, title] of parts) {
      h.appendChild(
        el('span', {
          className: `jp-flight-profile-fact ${className}`.trim(),
          text,
          title
        })
      );
    }
    const flags = Object.entries(r.flags ?? {})
      .filter(([, on]) => on === true)
      .map(([name]) => name);
    for (const flag of flags) {
      h.appendChild(badge(flag, 'flag', `perf --${flag}`));
    }
    if (r.file && r.file.path) {
      h.appendChild(
        el('span', {
          className: 'jp-flight-profile-fact jp-flight-muted',
          text: `written to ${str(r.file.path)}`
        })
      );
    }
  }

  private _showThreads(): void {
    const threads = this._record.threads ?? [];
    const select = this._thread;
    select.textContent = '';
    const total = num(this._record.root.total);
    select.appendChild(
      el('option', {
        text: `all threads (${plural(threads.length, 'thread')}, ${plural(total, 'sample')})`,
        attrs: { value: ALL }
      })
    );
    for (const t of threads) {
      select.appendChild(
        el('option', {
          text: `${threadLabel(t)}: ${plural(num(t.samples), 'sample')} (${percent(num(t.samples), total)})`,
          attrs: { value: threadKey(t) }
        })
      );
    }
    select.value = this._threadKey;
    select.disabled = threads.length < 1;
  }

  private _showTop(): void {
    const thread = this._selected();
    const rows =
      !thread && Array.isArray(this._record.top) && this._record.top.length
        ? this._record.top
        : topFunctions(this._root());
    this._table.shift(this._table.rows.length);
    this._table.add(...rows);
    this._topSummary.textContent = `top functions of ${thread ? threadLabel(thread) : 'all threads'} (by self samples, ${rows.length} shown)`;
  }

  private _showChanges(): void {
    // what a fix made quicker may be gone from the tree: this table still names it
    const changes = this._record.baseline?.changes;
    const rows = Array.isArray(changes) ? changes : [];
    this._changes.shift(this._changes.rows.length);
    this._changes.add(...rows);
    this._changesBox.hidden = rows.length === 0;
  }

  private _showLegend(): void {
    const b = this._record.baseline;
    this._legend.textContent = '';
    this._legend.hidden = !b;
    if (!b) {
      return;
    }
    this._legend.append(
      el('span', { className: 'jp-flight-profile-swatch jp-mod-grew' }),
      el('span', { text: 'grew' }),
      el('span', { className: 'jp-flight-profile-swatch jp-mod-shrank' }),
      el('span', { text: 'shrank' }),
      el('span', {
        className: 'jp-flight-muted',
        text: ` share of samples against the baseline ${str(b.source)} (${plural(num(b.samples), 'sample')}); the stronger the colour, the larger the change`
      })
    );
  }

  private _showState(): void {
    const g = this.graph;
    const total = num(g.root.total);
    const result = g.searchResult;
    this._found.textContent = result
      ? `${plural(result.frames, 'frame')} match, ${plural(result.samples, 'sample')} (${percent(result.samples, total)})`
      : '';
    const focus = g.focus;
    const zoomed = g.zoomPath.length > 0;
    this._zoomLine.textContent = zoomed
      ? `zoomed into ${str(focus.function)} (${percent(num(focus.total), total)} of the samples)`
      : `${plural(g.count, 'frame')} · click a frame to zoom into it`;
    this._back.disabled = !g.canGoBack;
    this._reset.disabled = !zoomed;
  }

  private _describe(node: IProfileNode): [string, string][] {
    const total = num(this.graph.root.total);
    const thread = this._selected();
    const of = thread ? `of ${thread.name || 'the thread'}` : 'of all';
    const lines: [string, string][] = [
      ['jp-flight-flame-tip-name', str(node.function)],
      [
        'jp-flight-flame-tip-where',
        node.native ? `${where(node)} (native)` : where(node)
      ],
      [
        '',
        `${plural(num(node.total), 'sample')}, ${percent(num(node.total), total, 2)} ${of}`
      ],
      [
        '',
        `self ${plural(num(node.self), 'sample')}, ${percent(num(node.self), total, 2)}`
      ]
    ];
    const focus = this.graph.focus;
    if (focus !== this.graph.root && focus !== node) {
      lines.push([
        'jp-flight-flame-tip-note',
        `${percent(num(node.total), num(focus.total))} of ${str(focus.function)}`
      ]);
    }
    const baseline = this._record.baseline;
    if (baseline && num(baseline.samples)) {
      const before = num(this.graph.root.base) || num(baseline.samples);
      const was = (100 * num(node.base)) / before;
      const now = total ? (100 * num(node.total)) / total : 0;
      const change = now - was;
      lines.push([
        'jp-flight-flame-tip-note',
        `baseline ${plural(num(node.base), 'sample')} (${was.toFixed(2)}%): ${change >= 0 ? '+' : ''}${change.toFixed(2)} points`
      ]);
    }
    let under = 0;
    for (const child of node.children ?? []) {
      under += num(child.total);
    }
    const left = num(node.total) - num(node.self) - under;
    if (left > 0) {
      lines.push([
        'jp-flight-flame-tip-note',
        `${plural(left, 'sample')} in small frames left out of the record`
      ]);
    }
    return lines;
  }

  private _columns(): IColumn<IProfileTopRow>[] {
    return [
      {
        title: 'self %',
        cell: r => `${num(r.self_pct).toFixed(1)}`,
        key: r => num(r.self_pct),
        numeric: true,
        help: 'samples in the function itself, share of all'
      },
      {
        title: 'total %',
        cell: r => `${num(r.total_pct).toFixed(1)}`,
        key: r => num(r.total_pct),
        numeric: true,
        help: 'samples with the function anywhere on the stack, share of all'
      },
      {
        title: 'self',
        className: 'jp-flight-profile-count',
        cell: r => String(num(r.self)),
        key: r => num(r.self),
        numeric: true,
        help: 'samples in the function itself'
      },
      {
        title: 'total',
        className: 'jp-flight-profile-count',
        cell: r => String(num(r.total)),
        key: r => num(r.total),
        numeric: true,
        help: 'samples with the function on the stack'
      },
      {
        title: 'function',
        className: 'jp-flight-profile-fn-col',
        cell: r => {
          const fn = el(
            'button',
            {
              className: 'jp-flight-link jp-flight-profile-fn',
              title: 'find it in the flame graph',
              attrs: { type: 'button' }
            },
            [breakable(str(r.function))]
          );
          fn.addEventListener('click', () => this.search(str(r.function)));
          return fn;
        },
        key: r => str(r.function)
      },
      {
        title: 'file:line',
        className: 'jp-flight-profile-where',
        cell: r => breakable(r.native ? `${where(r)} (native)` : where(r)),
        key: r => where(r)
      }
    ];
  }

  private _record: IProfileRecord;
  private _settled = false;
  private _threadKey = ALL;
  private _header: HTMLElement;
  private _thread: HTMLSelectElement;
  private _search: HTMLInputElement;
  private _found: HTMLElement;
  private _back: HTMLButtonElement;
  private _reset: HTMLButtonElement;
  private _orientation: { node: HTMLElement; set: (value: string) => void };
  private _order: { node: HTMLElement; set: (value: string) => void };
  private _downloadNote: HTMLElement;
  private _zoomLine: HTMLElement;
  private _legend: HTMLElement;
  private _changes: ITable<IProfileChange>;
  private _changesBox: HTMLElement;
  private _empty: HTMLElement;
  private _table: ITable<IProfileTopRow>;
  private _topSummary: HTMLElement;
}

/**
 * Renders a `profile` record.
 */
export function renderProfile(record: IProfileRecord): HTMLElement {
  return new ProfileView(record).node;
}

/**
 * The view of a stream's profile records: one view, which the next record replaces in place
 * while the one shown is a live snapshot (a final record starts a view of its own).
 */
export function profileGroup(
  first: IProfileRecord
): IRecordGroup<IProfileRecord> {
  const view = new ProfileView(first);
  return {
    node: view.node,
    get size() {
      return 1;
    },
    accepts: () => view.record.live === true,
    add: record => view.update(record),
    settle: () => view.settle(),
    shift: () => undefined
  };
}
