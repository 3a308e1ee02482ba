/**
 * Views of `mem`: the type table of `mem summary` (sortable, with size bars), the growth of
 * `mem diff` (coloured by sign; a plotly chart of the top growing types over the cycles) and the
 * referrer chains of `mem refs`.
 */
import { IRecordGroup } from '../registry';
import { el, formatBytes, str } from '../dom';
import {
  IMemDiffRecord,
  IMemDiffRow,
  IMemRefsRecord,
  IMemSummaryRecord,
  IMemTypeRow
} from '../types';
import { IChartData, ISeries, TimeSeriesChart } from './chart';
import { createTable, IColumn } from './table';

/**
 * How many types the chart of `mem diff` follows.
 */
export const CHART_TYPES = 5;

/**
 * Cycles a `mem diff` view keeps (the oldest go first).
 */
const MAX_CYCLES = 500;

const COLOURS = [
  '--jp-brand-color1',
  '--jp-warn-color1',
  '--jp-success-color1',
  '--jp-error-color1',
  '--jp-accent-color1'
];

function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '' : n.toLocaleString('en-US');
}

function signed(n: number): string {
  return n > 0 ? `+${count(n)}` : n < 0 ? `-${count(-n)}` : '0';
}

function signedBytes(n: number): string {
  return n > 0 ? `+${formatBytes(n)}` : n < 0 ? `-${formatBytes(-n)}` : '0 B';
}

/**
 * A bar whose width is `value` as a share of `largest`.
 */
export function sizeBar(value: number, largest: number): HTMLElement {
  const share = largest > 0 ? Math.min(1, Math.abs(value) / largest) : 0;
  const bar = el('span', { className: 'jp-flight-mem-bar' });
  bar.style.display = 'inline-block';
  bar.style.height = '8px';
  bar.style.width = `${Math.max(1, Math.round(share * 120))}px`;
  bar.style.background =
    value < 0
      ? 'var(--jp-success-color1)'
      : 'var(--jp-brand-color1, rgba(66,133,244,0.6))';
  return bar;
}

function toolbar(title: string, summary: string): HTMLElement {
  return el('div', { className: 'jp-flight-toolbar' }, [
    el('span', { className: 'jp-flight-title', text: title }),
    el('span', { className: 'jp-flight-muted', text: summary })
  ]);
}

/**
 * A `mem_summary` record: the type table with totals and the process's memory.
 */
export function renderMemSummary(record: IMemSummaryRecord): HTMLElement {
  const rows = record.rows ?? [];
  const largest = rows.reduce((m, r) => Math.max(m, r.size), 0);
  const total = record.total_size || 0;
  const columns: IColumn<IMemTypeRow>[] = [
    { title: 'type', cell: r => str(r.type), className: 'jp-flight-col-fill' },
    {
      title: 'count',
      cell: r => count(r.count),
      key: r => r.count,
      numeric: true
    },
    {
      title: 'size',
      cell: r => formatBytes(r.size),
      key: r => r.size,
      numeric: true,
      help: 'shallow size (sys.getsizeof) of all its live objects'
    },
    {
      title: 'share',
      cell: r => (total ? `${((100 * r.size) / total).toFixed(1)}%` : ''),
      key: r => r.size,
      numeric: true
    },
    { title: '', cell: r => sizeBar(r.size, largest), key: r => r.size }
  ];
  const table = createTable(columns, rows, {
    className: 'jp-flight-mem-table'
  });
  const hold =
    record.longest_hold_ms !== null && record.longest_hold_ms !== undefined
      ? `, longest GIL hold ${record.longest_hold_ms.toFixed(1)} ms`
      : '';
  const memory = [
    record.rss !== null ? `RSS ${formatBytes(record.rss)}` : 'RSS unknown',
    record.pss !== null ? `PSS ${formatBytes(record.pss)}` : '',
    record.unaccounted !== null
      ? `not in Python objects ${formatBytes(record.unaccounted)} (C buffers, numpy/torch storage, allocator overhead)`
      : ''
  ].filter(Boolean);
  const more =
    record.types > rows.length
      ? `${count(record.types - rows.length)} more types (-l to show more)`
      : '';
  return el('div', { className: 'jp-flight-mem jp-flight-mem-summary' }, [
    toolbar(
      'mem summary',
      `${count(record.total_count)} objects · ${formatBytes(record.total_size)} in ${count(record.types)} types · walk ${record.seconds.toFixed(2)} s (${str(record.engine)}${hold})`
    ),
    el('div', { className: 'jp-flight-table-scroll' }, [table.node]),
    el('div', { className: 'jp-flight-muted', text: more }),
    el('div', { className: 'jp-flight-mem-memory', text: memory.join(' · ') })
  ]);
}

function diffKey(r: IMemDiffRow): string {
  return str(r.type ?? r.site ?? '?');
}

function diffColumns(
  by: string,
  largest: () => number
): IColumn<IMemDiffRow>[] {
  const sign = (n: number) =>
    n > 0 ? 'jp-flight-mem-grow' : n < 0 ? 'jp-flight-mem-shrink' : '';
  const colour = (text: string, n: number) =>
    el('span', { className: sign(n), text });
  return [
    {
      title: by === 'site' ? 'site' : 'type',
      cell: r =>
        el('span', {
          text: diffKey(r),
          attrs: r.traceback?.length
            ? { title: [...r.traceback].reverse().join('\n') }
            : {}
        }),
      key: r => diffKey(r),
      className: 'jp-flight-col-fill'
    },
    {
      title: 'count +',
      cell: r => colour(signed(r.count_delta), r.count_delta),
      key: r => r.count_delta,
      numeric: true
    },
    {
      title: 'size +',
      cell: r => colour(signedBytes(r.size_delta), r.size_delta),
      key: r => r.size_delta,
      numeric: true
    },
    {
      title: 'count',
      cell: r => count(r.count),
      key: r => r.count,
      numeric: true
    },
    {
      title: 'size',
      cell: r => formatBytes(r.size),
      key: r => r.size,
      numeric: true
    },
    {
      title: '',
      cell: r => sizeBar(r.size_delta, largest()),
      key: r => r.size_delta
    }
  ];
}

/**
 * The chart of `mem diff` over cycles: the size of the types (or sites) that grew most, one
 * line each, at the end of each cycle.
 */
export function memChartData(records: readonly IMemDiffRecord[]): IChartData {
  const growth = new Map<string, number>();
  for (const record of records) {
    for (const row of record.rows ?? []) {
      growth.set(
        diffKey(row),
        (growth.get(diffKey(row)) ?? 0) + row.size_delta
      );
    }
  }
  const top = [...growth.entries()]
    .filter(([, g]) => g > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, CHART_TYPES)
    .map(([name]) => name);
  const series: ISeries[] = top.map((name, i) => ({
    name,
    x: records.map(r => new Date(r.time * 1000)),
    y: records.map(r => {
      const row = (r.rows ?? []).find(row => diffKey(row) === name);
      return row ? row.size / 1048576 : null;
    }),
    colorVar: COLOURS[i % COLOURS.length]
  }));
  return { series, yTitle: 'MiB (top growing)', singlePointSpanMs: 20000 };
}

/**
 * `mem_diff` records of a stream: the latest cycle's table over a chart of the top growing
 * types across cycles.
 */
export function memDiffGroup(
  first: IMemDiffRecord
): IRecordGroup<IMemDiffRecord> {
  const records: IMemDiffRecord[] = [];
  let latest = first;
  const largest = () =>
    (latest.rows ?? []).reduce(
      (m, r) => Math.max(m, Math.abs(r.size_delta)),
      0
    );
  const table = createTable(diffColumns(first.by, largest), [], {
    className: 'jp-flight-mem-table'
  });
  const summary = el('span', { className: 'jp-flight-muted' });
  const chart = new TimeSeriesChart(memChartData([]));
  const node = el('div', { className: 'jp-flight-mem jp-flight-mem-diff' }, [
    el('div', { className: 'jp-flight-toolbar' }, [
      el('span', {
        className: 'jp-flight-title',
        text: `mem diff by ${str(first.by)}`
      }),
      summary
    ]),
    chart.node,
    el('div', { className: 'jp-flight-table-scroll' }, [table.node])
  ]);
  const refresh = () => {
    if (!records.length) {
      return;
    }
    latest = records[records.length - 1];
    table.shift(table.rows.length);
    table.add(...(latest.rows ?? []));
    const rss =
      latest.rss_delta !== null && latest.rss_delta !== undefined
        ? ` · RSS ${signedBytes(latest.rss_delta)}`
        : '';
    summary.textContent = `cycle ${latest.cycle} (${latest.interval} s): ${signed(latest.total_count_delta)} objects, ${signedBytes(latest.total_size_delta)}${rss}`;
    chart.update(memChartData(records));
  };
  const group: IRecordGroup<IMemDiffRecord> = {
    node,
    get size() {
      return records.length;
    },
    add(record: IMemDiffRecord) {
      records.push(record);
      if (records.length > MAX_CYCLES) {
        records.splice(0, records.length - MAX_CYCLES);
      }
      refresh();
    },
    shift(n: number) {
      records.splice(0, n);
      refresh();
    },
    accepts(record: IMemDiffRecord) {
      return record.by === first.by;
    }
  };
  group.add(first);
  return group;
}

/**
 * A `mem_refs` record: each chain as the path a user would write.
 */
export function renderMemRefs(record: IMemRefsRecord): HTMLElement {
  const cut =
    record.cut === 'depth'
      ? ` · stopped at depth ${record.depth} (-d)`
      : record.cut === 'time'
        ? ' · stopped: time limit'
        : '';
  const chains = record.chains ?? [];
  const list = el(
    'ul',
    { className: 'jp-flight-mem-chains' },
    chains.map(c =>
      el('li', {}, [
        el('code', { text: str(c.path) }),
        el('span', {
          className: 'jp-flight-muted',
          text: ` ${str(c.root)}, ${c.length} steps`
        })
      ])
    )
  );
  return el('div', { className: 'jp-flight-mem jp-flight-mem-refs' }, [
    toolbar(
      `mem refs ${str(record.target)}`,
      `${count(record.instances)} live instances · ${chains.length} chains · ${record.seconds.toFixed(2)} s${cut}`
    ),
    chains.length
      ? list
      : el('div', {
          className: 'jp-flight-muted',
          text: 'no instance reached from a module, class or thread frame (garbage in a cycle, or held only from C)'
        })
  ]);
}
