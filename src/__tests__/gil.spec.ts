/**
 * gilstat's view: one view for a stream's reports and warnings, the verdict, the per-thread
 * table of the latest report, two charts labelled T1.. (never the target's names), the
 * warnings with the holder's stack, bounded.
 */
import { renderPayload } from '../render';
import {
  IGilEventRecord,
  IGilStatsRecord,
  IGilThread,
  IRecord
} from '../types';
import { gilChartData, MAX_EVENTS } from '../views/gil';

jest.mock('plotly.js-basic-dist-min', () => ({
  react: jest.fn(() => Promise.resolve())
}));

const HOSTILE = '<img src=x onerror=alert(1)>';

function thread(
  name: string,
  id: number,
  hold: number,
  wait: number
): IGilThread {
  const shares = {
    takes: 10,
    hold_ns: hold * 1e7,
    wait_ns: wait * 1e7,
    drops: 10,
    drop_ns: 1000,
    avg_hold_ns: hold * 1e6,
    avg_wait_ns: wait * 1e6,
    avg_drop_ns: 100,
    hold_pct: hold,
    wait_pct: wait
  };
  return {
    name,
    native_id: id,
    thread_id: id * 10,
    total: { ...shares, contended: 3, max_hold_ms: 21.5, max_wait_ms: 30 },
    last: shares
  };
}

function report(index: number, final = false): IGilStatsRecord {
  return {
    v: 1,
    kind: 'gil_stats',
    index,
    final,
    elapsed_s: index,
    interval_s: 1,
    time: 1796173578 + index,
    busy_pct: 96,
    take_ms: 10,
    hold_ms: 10,
    threads: [
      thread('gil-hog', 101, 41 + index, 5),
      thread(HOSTILE, 102, 20, 38),
      thread('idle', 103, 0, 0)
    ],
    overflow_threads: 0,
    events_dropped: 0,
    verdict: `GIL busy 96 %: gil-hog held ${41 + index} % in ~20 ms bursts`
  };
}

function hold(at: number, exact = true): IGilEventRecord {
  return {
    v: 1,
    kind: 'gil_event',
    thread_name: 'gil-hog',
    thread_id: 1010,
    native_id: 101,
    event: 'hold',
    duration_ms: 21.3,
    threshold_ms: 10,
    start: at - 0.0213,
    time: at,
    stack: [
      { function: 'hog', file: '/srv/app/jobs.py', line: 12 },
      { function: HOSTILE, file: '/srv/app/jobs.py', line: 30 }
    ],
    stack_exact: exact
  };
}

function wait(at: number): IGilEventRecord {
  return {
    ...hold(at),
    event: 'wait',
    thread_name: 'cruncher-0',
    native_id: 102,
    stack: null,
    stack_exact: null
  };
}

function texts(root: Element, selector: string): string[] {
  return Array.from(root.querySelectorAll(selector)).map(
    n => n.textContent ?? ''
  );
}

describe('gilstat view', () => {
  it('shows a stream of reports and warnings as one view', () => {
    const records: IRecord[] = [
      { v: 1, kind: 'message', text: 'gilstat on' },
      hold(1796173578.5),
      wait(1796173578.6),
      report(1),
      hold(1796173579.5, false),
      report(2, true)
    ];
    const root = renderPayload({ v: 1, records });
    const views = root.querySelectorAll('.jp-flight-record');
    expect(views.length).toBe(2); // the message, then one gilstat view
    const view = views[1];
    expect(view.querySelector('.jp-flight-gil-verdict')?.textContent).toBe(
      'GIL busy 96 %: gil-hog held 43 % in ~20 ms bursts'
    );
    expect(view.textContent).toContain('final report');
    // the table is the latest report's, one row per thread, names as text
    const rows = view.querySelectorAll('.jp-flight-gil-threads tbody tr');
    expect(rows.length).toBe(3);
    expect(texts(view, '.jp-flight-gil-threads tbody td')).toContain(
      `${HOSTILE} (102)`
    );
    expect(view.querySelector('img')).toBeNull();
    expect(
      texts(view, '.jp-flight-gil-threads tbody tr td:first-child')
    ).toEqual(['T1', 'T2', 'T3']);
    // warnings: three, the holds marked, the holding code named
    const events = view.querySelectorAll('.jp-flight-gil-events tbody tr');
    expect(events.length).toBe(3);
    expect(events[0].classList.contains('jp-flight-row-exception')).toBe(true);
    expect(events[0].textContent).toContain('/srv/app/jobs.py:30');
    expect(view.textContent).toContain('long holds: 2, long waits: 1');
    // a hold opens to the holder's stack
    (events[0] as HTMLElement).click();
    const stack = view.querySelector('.jp-flight-gil-stack');
    expect(stack?.textContent).toContain(
      'File "/srv/app/jobs.py", line 12, in hog'
    );
    expect(stack?.textContent).not.toContain('may have moved on');
  });

  it('charts the busiest threads by label, never by the target names', () => {
    const labels = new Map([
      [101, 'T1'],
      [102, 'T2'],
      [103, 'T3']
    ]);
    const data = gilChartData([report(1), report(2)], labels, 'hold_pct');
    expect(data.yUnit).toBe('%');
    // busiest first: most time holding and waiting together
    expect(data.series.map(s => s.name)).toEqual(['T2', 'T1', 'T3']);
    expect(data.series[1].y).toEqual([42, 43]);
    const waits = gilChartData([report(1)], labels, 'wait_pct');
    expect(waits.series[0].y).toEqual([38]);
    expect(JSON.stringify(data)).not.toContain('img');
  });

  it('keeps a bounded list of warnings', () => {
    const records: IRecord[] = [];
    for (let i = 0; i < MAX_EVENTS + 20; i++) {
      records.push(wait(1796173578 + i / 100));
    }
    const root = renderPayload({ v: 1, records });
    const rows = root.querySelectorAll('.jp-flight-gil-events tbody tr');
    expect(rows.length).toBe(MAX_EVENTS);
    expect(root.textContent).toContain(`the latest ${MAX_EVENTS} shown`);
    expect(root.textContent).toContain(`long waits: ${MAX_EVENTS + 20}`);
  });
});
