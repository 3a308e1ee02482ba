/**
 * The mem views: the summary's sortable type table with size bars, the diff's cycles (latest
 * table coloured by sign, a chart of the top growing types) and refs' chains.
 */
import { renderPayload, renderRecord } from '../render';
import { IMemDiffRecord, IMemRefsRecord, IMemSummaryRecord } from '../types';
import { memChartData } from '../views/mem';

jest.mock('plotly.js-basic-dist-min', () => ({
  react: jest.fn(() => Promise.resolve())
}));

const summary: IMemSummaryRecord = {
  v: 1,
  kind: 'mem_summary',
  time: 1796173578.2,
  rows: [
    { type: 'dict', count: 10, size: 4000 },
    { type: 'app.cache.Session', count: 300, size: 1000 },
    { type: '<img src=x onerror=alert(1)>', count: 1, size: 2000 }
  ],
  types: 40,
  total_count: 311,
  total_size: 8000,
  tracked: 200,
  untracked: 111,
  rss: 1048576 * 10,
  pss: null,
  unaccounted: 1048576 * 10 - 8000,
  engine: 'c',
  seconds: 0.25,
  longest_hold_ms: 4.2,
  gc_collected: null,
  order: 'descending'
};

function diff(cycle: number, sessions: number, lists: number): IMemDiffRecord {
  return {
    v: 1,
    kind: 'mem_diff',
    by: 'type',
    cycle,
    interval: 5,
    time: 1796173578 + 5 * cycle,
    rows: [
      {
        type: 'list',
        count_delta: 10,
        size_delta: lists,
        count: 100 * cycle,
        size: 9000 * cycle
      },
      {
        type: 'app.cache.Session',
        count_delta: 5,
        size_delta: sessions,
        count: 50 * cycle,
        size: 4000 * cycle
      },
      { type: 'tuple', count_delta: -3, size_delta: -300, count: 7, size: 700 }
    ],
    changed: 3,
    total_count_delta: 12,
    total_size_delta: lists + sessions - 300,
    total_count: 1000,
    total_size: 100000,
    seconds: 0.2,
    engine: 'c',
    rss: 2000000,
    rss_delta: 4096
  };
}

function rows(root: Element): HTMLTableRowElement[] {
  return Array.from(root.querySelectorAll('tbody tr'));
}

describe('mem views', () => {
  it('shows the summary as a sortable table with bars, totals and memory', () => {
    const node = renderRecord(summary);
    expect(node.textContent).toContain('311 objects');
    expect(node.textContent).toContain('37 more types');
    expect(node.textContent).toContain('not in Python objects');
    // target-derived names are text, never markup
    expect(node.querySelector('img')).toBeNull();
    expect(node.textContent).toContain('<img src=x onerror=alert(1)>');
    const bars = Array.from(
      node.querySelectorAll('.jp-flight-mem-bar')
    ) as HTMLElement[];
    expect(bars.map(b => b.style.width)).toEqual(['120px', '30px', '60px']);
    // sort by count (click twice: descending)
    const countHeader = Array.from(node.querySelectorAll('th')).find(
      th => th.textContent === 'count'
    ) as HTMLElement;
    countHeader.click();
    const first = rows(node)[0].cells[0].textContent;
    countHeader.click();
    const again = rows(node)[0].cells[0].textContent;
    expect(new Set([first, again])).toEqual(
      new Set(['app.cache.Session', '<img src=x onerror=alert(1)>'])
    );
  });

  it('grows one diff view over cycles, coloured by sign, with a chart', () => {
    const root = renderPayload({
      v: 1,
      records: [diff(1, 400, 900), diff(2, 500, 100), diff(3, 600, 100)]
    });
    expect(root.querySelectorAll('.jp-flight-record').length).toBe(1);
    expect(root.textContent).toContain('cycle 3 (5 s)');
    const body = rows(root);
    expect(body.length).toBe(3); // the latest cycle's rows only
    expect(body[0].querySelector('.jp-flight-mem-grow')).not.toBeNull();
    expect(body[2].querySelector('.jp-flight-mem-shrink')).not.toBeNull();
    expect(root.querySelector('.jp-flight-chart')).not.toBeNull();
  });

  it('charts the types that grew most over all cycles', () => {
    const data = memChartData([
      diff(1, 400, 900),
      diff(2, 500, 100),
      diff(3, 600, 100)
    ]);
    // Session grew 1500 in all, list 1100; tuple shrank: not charted
    expect(data.series.map(s => s.name)).toEqual(['app.cache.Session', 'list']);
    expect(data.series[0].y).toEqual([4000, 8000, 12000].map(n => n / 1048576));
  });

  it('shows refs chains as paths', () => {
    const refs: IMemRefsRecord = {
      v: 1,
      kind: 'mem_refs',
      target: 'app.cache.Session',
      instances: 1200,
      chains: [
        {
          path: 'app.cache._SESSIONS[1]',
          root: 'module global',
          length: 2,
          type: 'app.cache.Session'
        }
      ],
      depth: 12,
      cut: null,
      seconds: 0.1
    };
    const node = renderRecord(refs);
    expect(node.querySelector('code')?.textContent).toBe(
      'app.cache._SESSIONS[1]'
    );
    expect(node.textContent).toContain('1,200 live instances');
    const none = renderRecord({ ...refs, chains: [], cut: 'depth' });
    expect(none.textContent).toContain('stopped at depth 12');
    expect(none.textContent).toContain('no instance reached');
  });
});
