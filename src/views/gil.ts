/**
 * gilstat's view (docs/schema.md, "GIL: gilstat"): one view for the whole stream, its
 * `gil_stats` reports and `gil_event` warnings together. It shows the verdict of the latest
 * report, two live charts (each thread's share of time holding and waiting for the GIL, per
 * interval), the latest per-thread table and the warnings list, a long hold with the stack of
 * the code that held the GIL.
 *
 * Threads are labelled T1, T2... in the charts (plotly's texts are ours, never the target's);
 * the table says which thread each label is.
 */
import { badge, el, formatDateTime, formatMs, formatTime, str } from '../dom';
import { IRecordGroup } from '../registry';
import {
  IGilEventRecord,
  IGilStatsRecord,
  IGilThread,
  IRecord
} from '../types';
import { IChartData, ISeries, TimeSeriesChart } from './chart';
import { createTable, IColumn } from './table';

/**
 * Warnings kept in the view (the oldest go first).
 */
export const MAX_EVENTS = 500;
/**
 * Threads drawn in the charts: the most busy ones.
 */
export const CHART_THREADS = 5;
const COLORS = [
  '--jp-brand-color1',
  '--jp-warn-color1',
  '--jp-success-color1',
  '--jp-error-color1',
  '--jp-info-color1'
];

function ns(value: number | null | undefined): string {
  return typeof value === 'number' ? `${formatMs(value / 1e6)} ms` : '';
}

function pct(value: number | null | undefined): string {
  return typeof value === 'number' ? value.toFixed(1) : '';
}

interface IRow {
  label: string;
  thread: IGilThread;
}

const threadColumns: IColumn<IRow>[] = [
  { title: '#', cell: r => r.label, key: r => Number(r.label.slice(1)) },
  {
    title: 'thread',
    cell: r => `${str(r.thread.name)} (${str(r.thread.native_id)})`
  },
  {
    title: 'hold %',
    cell: r => pct(r.thread.last.hold_pct),
    key: r => r.thread.last.hold_pct,
    numeric: true,
    help: 'share of the last interval it held the GIL'
  },
  {
    title: 'wait %',
    cell: r => pct(r.thread.last.wait_pct),
    key: r => r.thread.last.wait_pct,
    numeric: true,
    help: 'share of the last interval it waited for the GIL'
  },
  {
    title: 'takes',
    cell: r => str(r.thread.last.takes),
    key: r => r.thread.last.takes,
    numeric: true,
    help: 'GIL takes in the last interval'
  },
  {
    title: 'avg hold',
    cell: r => ns(r.thread.last.avg_hold_ns),
    key: r => r.thread.last.avg_hold_ns,
    numeric: true
  },
  {
    title: 'avg wait',
    cell: r => ns(r.thread.last.avg_wait_ns),
    key: r => r.thread.last.avg_wait_ns,
    numeric: true
  },
  {
    title: 'max hold',
    cell: r => `${formatMs(r.thread.total.max_hold_ms)} ms`,
    key: r => r.thread.total.max_hold_ms,
    numeric: true,
    help: 'longest hold since on'
  },
  {
    title: 'max wait',
    cell: r => `${formatMs(r.thread.total.max_wait_ms)} ms`,
    key: r => r.thread.total.max_wait_ms,
    numeric: true,
    help: 'longest wait since on'
  },
  {
    title: 'held, all',
    cell: r => ns(r.thread.total.hold_ns),
    key: r => r.thread.total.hold_ns,
    numeric: true,
    help: 'time held since on'
  },
  {
    title: 'waited, all',
    cell: r => ns(r.thread.total.wait_ns),
    key: r => r.thread.total.wait_ns,
    numeric: true,
    help: 'time waited since on'
  },
  {
    title: 'takes, all',
    cell: r => str(r.thread.total.takes),
    key: r => r.thread.total.takes,
    numeric: true
  }
];

function innermost(e: IGilEventRecord): string {
  const frames = e.stack ?? [];
  const f = frames[frames.length - 1];
  return f ? `${str(f.function)} (${str(f.file)}:${str(f.line)})` : '';
}

const eventColumns: IColumn<IGilEventRecord>[] = [
  { title: 'time', cell: e => formatTime(e.time), key: e => e.time },
  {
    title: 'event',
    cell: e =>
      e.event === 'hold'
        ? badge('held', 'exception', 'held the GIL longer than hold_ms')
        : badge('waited', 'daemon', 'waited for the GIL longer than take_ms')
  },
  { title: 'thread', cell: e => str(e.thread_name) },
  {
    title: 'ms',
    cell: e => formatMs(e.duration_ms),
    key: e => e.duration_ms,
    numeric: true
  },
  {
    title: 'over',
    cell: e => `${formatMs(e.threshold_ms)} ms`,
    key: e => e.threshold_ms,
    numeric: true
  },
  {
    title: 'holding code',
    className: 'jp-flight-col-fill',
    cell: e => innermost(e)
  }
];

function eventDetail(e: IGilEventRecord): HTMLElement | null {
  if (!e.stack || !e.stack.length) {
    return null;
  }
  const lines = e.stack.map(
    f => `File "${str(f.file)}", line ${str(f.line)}, in ${str(f.function)}`
  );
  return el('div', { className: 'jp-flight-gil-stack' }, [
    el('div', {
      className: 'jp-flight-muted',
      text: `${str(e.thread_name)} held the GIL ${formatMs(e.duration_ms)} ms, ${formatDateTime(e.start)} to ${formatTime(e.time)}; its stack, innermost last${e.stack_exact ? '' : ' (read after the thread ran again: it may have moved on)'}:`
    }),
    el('pre', { text: lines.join('\n') })
  ]);
}

/**
 * The charts' data: per report, each of the busiest threads' hold (or wait) share.
 */
export function gilChartData(
  reports: readonly IGilStatsRecord[],
  labels: Map<number, string>,
  which: 'hold_pct' | 'wait_pct'
): IChartData {
  const latest = reports[reports.length - 1];
  const busiest = latest
    ? [...latest.threads]
        .sort(
          (a, b) =>
            b.total.hold_ns +
            b.total.wait_ns -
            (a.total.hold_ns + a.total.wait_ns)
        )
        .slice(0, CHART_THREADS)
    : [];
  const x = reports.map(r => new Date(r.time * 1000));
  const series: ISeries[] = busiest.map((t, i) => ({
    name: labels.get(t.native_id) ?? '?',
    x,
    y: reports.map(r => {
      const same = r.threads.find(o => o.native_id === t.native_id);
      const value = same?.last[which];
      return typeof value === 'number' ? value : null;
    }),
    colorVar: COLORS[i % COLORS.length]
  }));
  return {
    series,
    yTitle: which === 'hold_pct' ? '% of time holding' : '% of time waiting',
    yUnit: '%',
    singlePointSpanMs: latest ? 2000 * Math.max(0.1, latest.interval_s) : 0
  };
}

/**
 * The group view of a gilstat stream: takes `gil_stats` and `gil_event` records alike.
 */
export function gilGroup(first: IRecord): IRecordGroup<IRecord> {
  const reports: IGilStatsRecord[] = [];
  const labels = new Map<number, string>();
  const title = el('span', { className: 'jp-flight-title', text: 'gilstat' });
  const summary = el('span', { className: 'jp-flight-muted' });
  const verdict = el('div', { className: 'jp-flight-gil-verdict' });
  const holdChart = new TimeSeriesChart(gilChartData([], labels, 'hold_pct'), {
    height: 180
  });
  const waitChart = new TimeSeriesChart(gilChartData([], labels, 'wait_pct'), {
    height: 180
  });
  const threads = createTable(threadColumns, [], {
    className: 'jp-flight-gil-threads'
  });
  const events = createTable(eventColumns, [], {
    className: 'jp-flight-gil-events',
    rowClass: e => (e.event === 'hold' ? 'jp-flight-row-exception' : ''),
    detail: eventDetail,
    expandable: e => !!(e.stack && e.stack.length)
  });
  const eventsTitle = el('div', { className: 'jp-flight-muted' });
  const charts = el('div', { className: 'jp-flight-gil-charts' }, [
    holdChart.node,
    waitChart.node
  ]);
  charts.style.display = 'none'; // until a report comes
  const node = el('div', { className: 'jp-flight-gil' }, [
    el('div', { className: 'jp-flight-toolbar' }, [title, summary]),
    verdict,
    charts,
    el('div', { className: 'jp-flight-table-scroll' }, [threads.node]),
    eventsTitle,
    el('div', { className: 'jp-flight-table-scroll' }, [events.node])
  ]);
  let holds = 0;
  let waits = 0;

  const label = (id: number): string => {
    let l = labels.get(id);
    if (!l) {
      l = `T${labels.size + 1}`;
      labels.set(id, l);
    }
    return l;
  };
  const refreshEvents = () => {
    eventsTitle.textContent = events.rows.length
      ? `long holds: ${holds}, long waits: ${waits}${events.rows.length < holds + waits ? ` (the latest ${events.rows.length} shown)` : ''}; click a hold for its stack`
      : 'no wait or hold over its threshold so far';
  };
  const addReport = (r: IGilStatsRecord) => {
    reports.push(r);
    const rows = r.threads.map(t => ({ label: label(t.native_id), thread: t }));
    threads.shift(threads.rows.length);
    threads.add(...rows);
    verdict.textContent = str(r.verdict);
    summary.textContent = `${r.final ? 'final report' : `report ${r.index}`} · ${r.elapsed_s.toFixed(1)} s since on · GIL busy ${pct(r.busy_pct)} % in the last ${r.interval_s.toFixed(1)} s · waits over ${formatMs(r.take_ms)} ms and holds over ${formatMs(r.hold_ms)} ms reported${r.overflow_threads ? ` · ${r.overflow_threads} threads not measured (max_threads)` : ''}`;
    charts.style.display = '';
    holdChart.update(gilChartData(reports, labels, 'hold_pct'));
    waitChart.update(gilChartData(reports, labels, 'wait_pct'));
  };
  const addEvent = (e: IGilEventRecord) => {
    if (e.event === 'hold') {
      holds++;
    } else {
      waits++;
    }
    events.add(e);
    if (events.rows.length > MAX_EVENTS) {
      events.shift(events.rows.length - MAX_EVENTS);
    }
    refreshEvents();
  };
  const group: IRecordGroup<IRecord> = {
    node,
    get size() {
      return reports.length + events.rows.length;
    },
    add(record: IRecord) {
      if (record.kind === 'gil_stats') {
        addReport(record as IGilStatsRecord);
      } else if (record.kind === 'gil_event') {
        addEvent(record as IGilEventRecord);
      }
    },
    shift(n: number) {
      // the oldest warnings go first, then the oldest reports (the table keeps the latest)
      const fromEvents = Math.min(n, events.rows.length);
      events.shift(fromEvents);
      reports.splice(
        0,
        Math.min(n - fromEvents, Math.max(0, reports.length - 1))
      );
      refreshEvents();
    },
    joins(record: IRecord) {
      return record.kind === 'gil_stats' || record.kind === 'gil_event';
    }
  };
  refreshEvents();
  group.add(first);
  return group;
}
