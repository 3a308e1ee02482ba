/**
 * Views of the method-observation streams (docs/schema.md, "Streams: method observation"):
 * watch, monitor, tt_record, tt_list, tt_detail and end. `trace` is in trace.ts.
 *
 * The records of a stream come one call (or one cycle) at a time; consecutive records of one kind
 * are shown as one table (and one chart) that grows: see `IRecordGroup` in registry.ts.
 */
import { badge, el, formatDateTime, formatMs, formatTime, str } from '../dom';
import { IRecordGroup } from '../registry';
import {
  ICallRecord,
  IEndRecord,
  IException,
  IMonitorRecord,
  ITtCall,
  ITtDetailRecord,
  ITtListRecord,
  ITtRecord,
  IValueNode,
  IWatchRecord,
  IWatchValue
} from '../types';
import { IChartData, TimeSeriesChart } from './chart';
import { createTable, IColumn, ITable } from './table';
import { inlineValue, renderValueTree } from './value';

/**
 * The record group of a table that grows with each record (watch, monitor, tt): `refresh`
 * updates what is derived from the rows (summary, chart).
 */
function growingTable<R>(
  node: HTMLElement,
  table: ITable<R>,
  refresh: () => void,
  first: R
): IRecordGroup<R> {
  // the table scrolls inside a bounded height and follows the newest row until the user scrolls
  // up to read an older one (and again once they scroll back down). Only a scroll of the box
  // while it is laid out changes that: a box hidden for a while (a theme change, a notebook cell
  // out of view) measures 0 and must not be taken for a user who scrolled away.
  let follow = true;
  let watched: Element | null = null;
  const scrollBox = (): Element | null => {
    const box = table.node.closest('.jp-flight-table-scroll');
    if (box && box !== watched) {
      watched = box;
      box.addEventListener('scroll', () => {
        if (box.clientHeight > 0) {
          follow = box.scrollHeight - box.scrollTop - box.clientHeight < 8;
        }
      });
    }
    return box;
  };
  const group: IRecordGroup<R> = {
    node,
    get size() {
      return table.rows.length;
    },
    add(record: R) {
      const box = scrollBox();
      table.add(record);
      refresh();
      if (box && follow) {
        box.scrollTop = box.scrollHeight;
      }
    },
    shift(n: number) {
      table.shift(n);
      if (table.rows.length) {
        refresh();
      }
    }
  };
  group.add(first);
  return group;
}

function exceptionText(e: IException | null | undefined): string {
  if (!e) {
    return '';
  }
  return e.message ? `${str(e.type)}: ${str(e.message)}` : str(e.type);
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The header line of a stream view: a title and a summary that is kept up to date.
 */
function header(title: string): {
  node: HTMLElement;
  summary: HTMLElement;
} {
  const summary = el('span', { className: 'jp-flight-muted' });
  const node = el('div', { className: 'jp-flight-toolbar' }, [
    el('span', { className: 'jp-flight-title', text: title }),
    summary
  ]);
  return { node, summary };
}

// ---- watch ----

const METHOD = 'jp-flight-col-method';
const THREAD = 'jp-flight-col-thread';

/**
 * The root of a stream view: a size container (narrow views leave columns out) that hides the
 * method column while every row has the same method (it is in the header then).
 */
function streamRoot(className: string, children: Node[]): HTMLElement {
  return el('div', { className: `jp-flight-stream ${className}` }, children);
}

function markMethods(root: HTMLElement, methods: Set<string>): void {
  root.classList.toggle('jp-flight-one-method', methods.size <= 1);
}

function watchValueText(v: IWatchValue): string {
  if (v.error) {
    return `${str(v.expr)} ⚠ ${str(v.error.type)}`;
  }
  return `${str(v.expr)} = ${inlineValue(v.value as IValueNode, 80)}`;
}

/**
 * The detail of one watched call: each expression with its value tree.
 */
export function renderWatchDetail(record: IWatchRecord): HTMLElement {
  const root = el('div', { className: 'jp-flight-watch-detail' });
  const meta = el('div', { className: 'jp-flight-muted' }, [
    el('span', {
      text: `call ${str(record.index)} of ${str(record.method)} · ${formatDateTime(record.time)} · ${formatMs(record.cost_ms)} ms · thread ${str(record.thread_name)} (${str(record.thread_id)})`
    })
  ]);
  root.appendChild(meta);
  if (record.exception) {
    root.appendChild(
      el('div', { className: 'jp-flight-error' }, [
        el('span', {
          className: 'jp-flight-error-title',
          text: `raised ${exceptionText(record.exception)}`
        })
      ])
    );
  }
  if (record.filter_error) {
    const f = record.filter_error;
    root.appendChild(
      el('div', {
        className: 'jp-flight-value-note',
        text: `the filter ${str(f.expr)} raised ${str(f.type)}: ${str(f.message)} (the call is shown)`
      })
    );
  }
  for (const v of Array.isArray(record.values) ? record.values : []) {
    const item = el('div', { className: 'jp-flight-watch-value' }, [
      el('code', { className: 'jp-flight-watch-expr', text: str(v.expr) })
    ]);
    if (v.error) {
      item.appendChild(
        el('span', {
          className: 'jp-flight-value-error',
          text: ` raised ${str(v.error.type)}: ${str(v.error.message)}`
        })
      );
    } else if (v.value) {
      item.appendChild(renderValueTree(v.value));
    }
    root.appendChild(item);
  }
  return root;
}

/**
 * The columns of one observed call that watch and tt tables share: time, method, thread, cost.
 */
function callColumns<T extends ICallRecord>(): IColumn<T>[] {
  return [
    {
      title: 'time',
      cell: r => formatTime(r.time),
      key: r => r.time,
      help: 'when the call started',
      className: 'jp-flight-col-time'
    },
    { title: 'method', cell: r => str(r.method), className: METHOD },
    { title: 'thread', cell: r => str(r.thread_name), className: THREAD },
    {
      title: 'cost ms',
      cell: r => formatMs(r.cost_ms),
      key: r => r.cost_ms,
      numeric: true
    }
  ];
}

const watchColumns: IColumn<IWatchRecord>[] = [
  { title: '#', cell: r => str(r.index), key: r => r.index, numeric: true },
  ...callColumns<IWatchRecord>(),
  {
    title: 'result',
    className: 'jp-flight-col-result',
    cell: r => {
      if (r.exception) {
        return el('span', { className: 'jp-flight-call-raised' }, [
          badge('raised', 'exception'),
          el('span', { text: ` ${exceptionText(r.exception)}` })
        ]);
      }
      const ret = (r.values ?? []).find(v => v.expr === 'return_obj');
      return ret && ret.value ? inlineValue(ret.value, 60) : '';
    },
    key: r => (r.exception ? `0 ${str(r.exception.type)}` : '1')
  },
  {
    title: 'values',
    className: 'jp-flight-col-fill',
    cell: r =>
      el('span', {
        className: 'jp-flight-watch-values',
        text: (r.values ?? [])
          .filter(v => v.expr !== 'return_obj')
          .map(watchValueText)
          .join('   ')
      })
  }
];

/**
 * `watch` records: one sortable table of calls, newest last; a row opens to its value trees.
 */
export function watchGroup(first: IWatchRecord): IRecordGroup<IWatchRecord> {
  const head = header('watch');
  const table: ITable<IWatchRecord> = createTable(watchColumns, [], {
    className: 'jp-flight-watch-table jp-flight-fit',
    rowClass: r => (r.exception ? 'jp-flight-row-exception' : ''),
    detail: renderWatchDetail
  });
  const node = streamRoot('jp-flight-watch', [
    head.node,
    el('div', { className: 'jp-flight-table-scroll' }, [table.node])
  ]);
  const refresh = () => {
    const rows = table.rows;
    const raised = rows.filter(r => r.exception).length;
    const methods = new Set(rows.map(r => r.method));
    markMethods(node, methods);
    const costs = rows.map(r => r.cost_ms).filter(c => typeof c === 'number');
    const avg = costs.length
      ? costs.reduce((a, b) => a + b, 0) / costs.length
      : null;
    head.summary.textContent = `${methods.size === 1 ? `${str(rows[0].method)} · ` : ''}${count(rows.length, 'call')}${raised ? `, ${raised} raised` : ''}${avg !== null ? ` · avg ${formatMs(avg)} ms, max ${formatMs(Math.max(...costs))} ms` : ''}`;
  };
  return growingTable(node, table, refresh, first);
}

// ---- monitor ----

function monitorChartData(rows: readonly IMonitorRecord[]): IChartData {
  const x = rows.map(r => new Date(r.end * 1000));
  const series = (
    name: string,
    colorVar: string,
    key: keyof IMonitorRecord
  ) => ({
    name,
    x,
    y: rows.map(r => (typeof r[key] === 'number' ? (r[key] as number) : null)),
    colorVar
  });
  return {
    series: [
      series('avg', '--jp-brand-color1', 'avg_ms'),
      series('p50', '--jp-success-color1', 'p50_ms'),
      series('p99', '--jp-warn-color1', 'p99_ms'),
      series('max', '--jp-error-color1', 'max_ms'),
      {
        name: 'calls',
        x,
        y: rows.map(r => r.calls),
        colorVar: '--jp-ui-font-color3',
        bars: true
      }
    ],
    yTitle: 'ms per call',
    y2Title: 'calls per cycle',
    // one cycle so far: show about two cycles' worth of time around it
    singlePointSpanMs: rows.length
      ? 2000 * Math.max(0.001, rows[0].end - rows[0].start)
      : undefined
  };
}

const monitorColumns: IColumn<IMonitorRecord>[] = [
  { title: 'cycle', cell: r => str(r.cycle), key: r => r.cycle, numeric: true },
  {
    title: 'end',
    cell: r => formatTime(r.end),
    key: r => r.end,
    help: 'when the cycle ended'
  },
  { title: 'method', cell: r => str(r.method), className: METHOD },
  { title: 'calls', cell: r => str(r.calls), key: r => r.calls, numeric: true },
  {
    title: 'ok',
    cell: r => str(r.successes),
    key: r => r.successes,
    numeric: true
  },
  {
    title: 'failed',
    cell: r =>
      r.failures
        ? el('span', {
            className: 'jp-flight-call-raised',
            text: str(r.failures)
          })
        : str(r.failures),
    key: r => r.failures,
    numeric: true
  },
  {
    title: 'fail %',
    cell: r => (r.calls ? ((100 * r.failures) / r.calls).toFixed(1) : ''),
    key: r => (r.calls ? r.failures / r.calls : null),
    numeric: true
  },
  ...(['avg_ms', 'p50_ms', 'p99_ms', 'max_ms'] as const).map(k => ({
    title: k.replace('_ms', ' ms'),
    cell: (r: IMonitorRecord) => formatMs(r[k]),
    key: (r: IMonitorRecord) => r[k],
    numeric: true
  }))
];

/**
 * `monitor` records: a chart of avg / p50 / p99 / max and calls per cycle over a table of cycles.
 */
export function monitorGroup(
  first: IMonitorRecord
): IRecordGroup<IMonitorRecord> {
  const head = header('monitor');
  const table = createTable(monitorColumns, [], {
    className: 'jp-flight-monitor-table',
    rowClass: r => (r.failures ? 'jp-flight-row-exception' : '')
  });
  const chart = new TimeSeriesChart(monitorChartData([]));
  const node = streamRoot('jp-flight-monitor', [
    head.node,
    chart.node,
    el('div', { className: 'jp-flight-table-scroll' }, [table.node])
  ]);
  const refresh = () => {
    const rows = table.rows;
    const calls = rows.reduce((a, r) => a + (r.calls || 0), 0);
    const failures = rows.reduce((a, r) => a + (r.failures || 0), 0);
    const methods = new Set(rows.map(r => r.method));
    markMethods(node, methods);
    head.summary.textContent = `${methods.size === 1 ? `${str(rows[0].method)} · ` : ''}${count(rows.length, 'cycle')} · ${count(calls, 'call')}${failures ? `, ${failures} failed` : ''}`;
    chart.update(monitorChartData(rows));
  };
  return growingTable(node, table, refresh, first);
}

// ---- tt ----

function ttResult(r: ITtCall): string | Node {
  if (r.is_exception || r.exception) {
    return el('span', { className: 'jp-flight-call-raised' }, [
      badge('raised', 'exception'),
      el('span', { text: ` ${exceptionText(r.exception)}` })
    ]);
  }
  return r.is_return ? 'returned' : '';
}

const ttColumns: IColumn<ITtCall>[] = [
  {
    title: 'index',
    cell: r => str(r.index),
    key: r => r.index,
    numeric: true,
    help: 'tt -i INDEX shows the call; tt -i INDEX -p replays it'
  },
  ...callColumns<ITtCall>(),
  {
    title: 'result',
    className: 'jp-flight-col-fill',
    cell: ttResult,
    key: r => (r.is_exception ? `0 ${str(r.exception?.type)}` : '1')
  }
];

function ttRowDetail(r: ITtCall): HTMLElement {
  const root = el('div', { className: 'jp-flight-tt-row-detail' }, [
    el('div', {
      className: 'jp-flight-muted',
      text: `call ${str(r.index)} of ${str(r.method)} · ${formatDateTime(r.time)} · ${formatMs(r.cost_ms)} ms · thread ${str(r.thread_name)}`
    })
  ]);
  if (r.exception) {
    root.appendChild(
      el('div', { className: 'jp-flight-error' }, [
        el('span', {
          className: 'jp-flight-error-title',
          text: `raised ${exceptionText(r.exception)}`
        })
      ])
    );
  }
  root.appendChild(
    el('div', {}, [
      el('span', {
        className: 'jp-flight-muted',
        text: 'arguments and result: '
      }),
      el('code', { text: `tt -i ${str(r.index)}` }),
      el('span', { className: 'jp-flight-muted', text: ' · call it again: ' }),
      el('code', { text: `tt -i ${str(r.index)} -p` })
    ])
  );
  return root;
}

function ttTable<R extends ITtCall>(rows: R[]): ITable<R> {
  return createTable<R>(ttColumns, rows, {
    className: 'jp-flight-tt-table jp-flight-fit',
    rowClass: r => (r.is_exception ? 'jp-flight-row-exception' : ''),
    detail: ttRowDetail
  });
}

function ttSummary(rows: readonly ITtCall[], root?: HTMLElement): string {
  if (root) {
    markMethods(root, new Set(rows.map(r => r.method)));
  }
  const raised = rows.filter(r => r.is_exception).length;
  return `${count(rows.length, 'recorded call')}${raised ? `, ${raised} raised` : ''}`;
}

/**
 * `tt_record` records (`tt -t`): one sortable table of recorded calls.
 */
export function ttGroup(first: ITtRecord): IRecordGroup<ITtRecord> {
  const head = header('tt');
  const table = ttTable<ITtRecord>([]);
  const node = streamRoot('jp-flight-tt', [
    head.node,
    el('div', { className: 'jp-flight-table-scroll' }, [table.node])
  ]);
  return growingTable(
    node,
    table,
    () => {
      head.summary.textContent = ttSummary(table.rows, node);
    },
    first
  );
}

/**
 * A `tt_list` record (`tt -l`): the recorded calls.
 */
export function renderTtList(record: ITtListRecord): HTMLElement {
  const rows: ITtCall[] = Array.isArray(record.records) ? record.records : [];
  const head = header('tt -l');
  const node = streamRoot('jp-flight-tt', [head.node]);
  head.summary.textContent = ttSummary(rows, node);
  if (rows.length) {
    node.appendChild(
      el('div', { className: 'jp-flight-table-scroll' }, [ttTable(rows).node])
    );
  } else {
    node.appendChild(
      el('div', {
        className: 'jp-flight-muted',
        text: 'no calls recorded: record some with tt -t module [class] method'
      })
    );
  }
  if (record.evicted) {
    node.appendChild(
      el('div', {
        className: 'jp-flight-value-note',
        text: `${count(record.evicted, 'older record')} dropped to stay within bounds (tt -da clears the list)`
      })
    );
  }
  return node;
}

function section(title: string, content: Node): HTMLElement {
  return el('div', { className: 'jp-flight-tt-section' }, [
    el('div', { className: 'jp-flight-section-title', text: title }),
    content
  ]);
}

/**
 * A `tt_detail` record (`tt -i N`, `tt -i N -p`): one call's arguments, result or exception.
 */
export function renderTtDetail(r: ITtDetailRecord): HTMLElement {
  const node = el('div', { className: 'jp-flight-tt-detail' });
  const title = r.replay_of
    ? `tt replay of ${str(r.replay_of)} → ${str(r.index)}`
    : `tt ${str(r.index)}`;
  node.appendChild(
    el('div', { className: 'jp-flight-toolbar' }, [
      el('span', { className: 'jp-flight-title', text: title }),
      el('code', { text: str(r.method) }),
      r.is_exception ? badge('raised', 'exception') : null,
      el('span', {
        className: 'jp-flight-muted',
        text: `${formatDateTime(r.time)} · ${formatMs(r.cost_ms)} ms · thread ${str(r.thread_name)}${r.thread_id !== undefined && r.thread_id !== null ? ` (${str(r.thread_id)})` : ''}`
      })
    ])
  );
  const tree = (v: IValueNode | null | undefined) =>
    v
      ? renderValueTree(v)
      : el('span', { className: 'jp-flight-muted', text: '—' });
  if (r.target) {
    node.appendChild(section('target (self)', tree(r.target)));
  }
  node.appendChild(section('args', tree(r.args)));
  node.appendChild(section('kwargs', tree(r.kwargs)));
  if (r.exception) {
    const e = r.exception;
    node.appendChild(
      section(
        'exception',
        el('div', { className: 'jp-flight-error' }, [
          el('span', {
            className: 'jp-flight-error-title',
            text: exceptionText(e)
          }),
          e.traceback
            ? el('pre', {
                className: 'jp-flight-pre jp-flight-traceback',
                text: str(e.traceback)
              })
            : null
        ])
      )
    );
  } else {
    node.appendChild(section('return value', tree(r.return_obj)));
  }
  return node;
}

// ---- end ----

const END_REASONS: { [reason: string]: string } = {
  limit: 'the -n limit was reached',
  stopped: 'it was stopped',
  timeout: 'its --timeout passed',
  detached: 'the agent was detached',
  // mem summary / refs: one walk or search, done
  done: 'it finished',
  // perf (a sampler outside the target: it installed nothing)
  duration: 'its -d duration elapsed',
  exited: 'the target exited',
  error: 'the sampler failed (what it sampled is kept)'
};

// reasons of streams that run outside the target, which have no hooks to remove
const OUTSIDE_REASONS = new Set(['duration', 'exited', 'error']);

/**
 * An `end` record: a quiet line that says why the stream ended.
 */
export function renderEnd(record: IEndRecord): HTMLElement {
  const reason = str(record.reason);
  const why = Object.prototype.hasOwnProperty.call(END_REASONS, reason)
    ? END_REASONS[reason]
    : reason || 'no reason given';
  return el('div', {
    className: 'jp-flight-end',
    text:
      record.hooks === false || OUTSIDE_REASONS.has(reason)
        ? `— stream ended: ${why}`
        : `— stream ended: ${why}; its hooks are removed`,
    attrs: { 'data-reason': reason }
  });
}
