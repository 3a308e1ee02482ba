/**
 * The stream views (watch, monitor, trace, tt_*, end), rendered from sample records.
 */
import {
  appendRecord,
  dropOldestRecord,
  recordCount,
  renderPayload,
  renderRecord
} from '../render';
import { IRecord } from '../types';
import { TimeSeriesChart } from '../views/chart';
import { FlameGraphView, frameColor } from '../views/flamegraph';
import { callTreeToFrames, hottestPath } from '../views/trace';
import { inlineValue } from '../views/value';
import {
  bigCallTree,
  HOSTILE,
  monitorRecords,
  traceRecord,
  traceRoot,
  ttDetailRecord,
  ttListRecord,
  ttRecords,
  watchEnd,
  watchRecords,
  watchStart
} from './stream-samples';

jest.mock('plotly.js-basic-dist-min', () => ({
  react: jest.fn(() => Promise.resolve())
}));

function texts(root: Element, selector: string): string[] {
  return Array.from(root.querySelectorAll(selector)).map(
    n => n.textContent ?? ''
  );
}

function bodyRows(root: Element): HTMLTableRowElement[] {
  return Array.from(
    root.querySelectorAll('tbody tr:not(.jp-flight-detail-row)')
  ) as HTMLTableRowElement[];
}

function noHtml(root: Element): void {
  expect(root.querySelector('img')).toBeNull();
  expect(root.textContent).toContain(HOSTILE);
}

describe('inline values', () => {
  it('reads like Python', () => {
    expect(inlineValue(watchRecords[0].values[0].value!)).toBe('(18, 2)');
    expect(inlineValue(watchRecords[0].values[1].value!)).toBe("{'scale': 3}");
    expect(inlineValue(watchRecords[2].values[0].value!)).toBe(
      `Shop(name='${HOSTILE}')`
    );
    expect(
      inlineValue({
        type: 'list',
        len: 30,
        items: [
          { type: 'int', repr: '1' },
          { omitted: 28 },
          { type: 'int', repr: '30' }
        ]
      })
    ).toBe('[1, …28, 30]');
    expect(
      inlineValue({
        type: 'tuple',
        len: 1,
        items: [{ type: 'int', repr: '1' }]
      })
    ).toBe('(1,)');
    expect(inlineValue({ type: 'str', repr: `'${'x'.repeat(200)}'` }, 20)).toBe(
      `'${'x'.repeat(19)}…`
    );
  });
});

describe('watch view', () => {
  it('shows consecutive watch records as one table, newest last', () => {
    const root = renderPayload({
      v: 1,
      command: 'watch __main__ compute -n 3',
      records: [watchStart, ...watchRecords, watchEnd]
    });
    const kinds = Array.from(root.querySelectorAll('.jp-flight-record')).map(
      n => n.getAttribute('data-kind')
    );
    expect(kinds).toEqual(['message', 'watch', 'end']);
    const tables = root.querySelectorAll('table.jp-flight-watch-table');
    expect(tables.length).toBe(1);
    const rows = bodyRows(tables[0]);
    expect(rows.map(r => r.cells[0].textContent)).toEqual(['▸1', '▸2', '▸3']);
    expect(rows[1].classList.contains('jp-flight-row-exception')).toBe(true);
    expect(rows[0].classList.contains('jp-flight-row-exception')).toBe(false);
    expect(rows[1].textContent).toContain('raised ValueError: thirteen');
    expect(rows[0].textContent).toContain('args = (18, 2)');
    expect(rows[0].textContent).toContain("kwargs = {'scale': 3}");
    expect(rows[1].textContent).toContain('1/0 ⚠ ZeroDivisionError');
    expect(rows[2].cells[5].textContent).toBe('21');
    expect(
      texts(root, '.jp-flight-watch .jp-flight-toolbar .jp-flight-muted')[0]
    ).toContain('__main__.compute · 3 calls, 1 raised');
    expect(texts(root, '.jp-flight-end')).toEqual([
      '— stream ended: the -n limit was reached; its hooks are removed'
    ]);
    noHtml(root);
  });

  it('expands a row into its value trees, built when first opened', () => {
    const node = renderRecord(watchRecords[1]);
    const [row] = bodyRows(node);
    expect(node.querySelector('.jp-flight-detail-row')).toBeNull();
    row.click();
    const detail = node.querySelector('.jp-flight-detail-row') as HTMLElement;
    expect(detail).not.toBeNull();
    expect(row.getAttribute('aria-expanded')).toBe('true');
    expect(texts(detail, '.jp-flight-watch-expr')).toEqual([
      'args',
      'return_obj',
      '1/0'
    ]);
    expect(detail.querySelectorAll('.jp-flight-value-tree').length).toBe(2);
    expect(detail.textContent).toContain(
      'raised ZeroDivisionError: division by zero'
    );
    expect(detail.textContent).toContain('raised ValueError: thirteen');
    row.click();
    expect(node.querySelector('.jp-flight-detail-row')).toBeNull();
    row.click();
    expect(node.querySelector('.jp-flight-detail-row')).toBe(detail);
  });

  it('notes a filter that raised', () => {
    const node = renderRecord(watchRecords[2]);
    bodyRows(node)[0].click();
    expect(node.textContent).toContain(
      'the filter args[5] raised IndexError: out of range (the call is shown)'
    );
    noHtml(node);
  });

  it('sorts by cost and keeps opened rows open', () => {
    const root = renderPayload({ v: 1, records: watchRecords });
    const table = root.querySelector('table') as HTMLTableElement;
    bodyRows(table)[0].click();
    const costHeader = Array.from(table.querySelectorAll('th')).find(
      th => th.textContent === 'cost ms'
    )!;
    costHeader.click();
    costHeader.click();
    expect(bodyRows(table).map(r => r.cells[0].textContent)).toEqual([
      '▸3',
      '▸2',
      '▸1'
    ]);
    // the detail row follows its row
    const all = Array.from(table.querySelectorAll('tbody tr'));
    expect(all[all.length - 1].classList.contains('jp-flight-detail-row')).toBe(
      true
    );
  });

  it('grows as records stream in and drops the oldest', () => {
    const container = document.createElement('div');
    for (const record of [watchStart, ...watchRecords]) {
      appendRecord(container, record);
    }
    expect(container.children.length).toBe(2);
    const group = container.children[1];
    expect(recordCount(group)).toBe(3);
    expect(dropOldestRecord(group)).toBe(false);
    expect(recordCount(group)).toBe(2);
    expect(bodyRows(group).map(r => r.cells[0].textContent)).toEqual([
      '▸2',
      '▸3'
    ]);
    appendRecord(container, watchEnd);
    appendRecord(container, watchRecords[0]);
    // a new stream after the end is a new table
    expect(container.querySelectorAll('table').length).toBe(2);
  });

  it('follows the newest row until the user scrolls up, also after being hidden', () => {
    const container = document.createElement('div');
    document.body.appendChild(container);
    appendRecord(container, watchStart);
    appendRecord(container, watchRecords[0]);
    const box = container.querySelector(
      '.jp-flight-table-scroll'
    ) as HTMLElement;
    // jsdom lays nothing out: a box 100 px high, 20 px a row (0 while hidden)
    let shown = true;
    Object.defineProperty(box, 'clientHeight', {
      get: () => (shown ? 100 : 0)
    });
    Object.defineProperty(box, 'scrollHeight', {
      get: () => (shown ? 20 * recordCount(container.children[1]) : 0)
    });
    const scroll = (top: number) => {
      box.scrollTop = top;
      box.dispatchEvent(new Event('scroll'));
    };
    const add = () => appendRecord(container, watchRecords[1]);
    for (let i = 0; i < 8; i++) {
      add();
    }
    expect(box.scrollTop).toBe(box.scrollHeight);
    // hidden (a theme change, the cell out of view): a scroll event there is not the user's
    shown = false;
    scroll(0);
    shown = true;
    add();
    expect(box.scrollTop).toBe(box.scrollHeight);
    // the user scrolls up: new rows do not move what they read
    scroll(40);
    add();
    expect(box.scrollTop).toBe(40);
    // and back to the end: it follows again
    scroll(box.scrollHeight - 100);
    add();
    expect(box.scrollTop).toBe(box.scrollHeight);
    container.remove();
  });
});

describe('monitor view', () => {
  it('shows the cycles as a table and a chart', async () => {
    const Plotly: any = await import('plotly.js-basic-dist-min');
    const root = renderPayload({ v: 1, records: monitorRecords });
    expect(root.querySelectorAll('.jp-flight-record').length).toBe(1);
    const rows = bodyRows(root);
    expect(rows.map(r => r.cells[0].textContent)).toEqual(['1', '2', '3']);
    expect(rows[0].textContent).toContain('1.50');
    // a cycle with no calls has no times
    expect(rows[1].cells[7].textContent).toBe('');
    expect(rows[0].classList.contains('jp-flight-row-exception')).toBe(true);
    expect(root.textContent).toContain('3 cycles · 400 calls, 4 failed');
    const chartNode = root.querySelector('.jp-flight-chart') as HTMLElement;
    expect(chartNode).not.toBeNull();
    // draw as the page would once the chart has a width
    const chart = new TimeSeriesChart({
      series: [
        { name: 'avg', x: [1, 2], y: [1, null], colorVar: '--jp-brand-color1' },
        { name: 'calls', x: [1, 2], y: [3, 4], colorVar: '--x', bars: true }
      ],
      yTitle: 'ms per call',
      y2Title: 'calls per cycle'
    });
    await chart.draw();
    expect(chart.draws).toBe(1);
    const [node, traces, layout] = Plotly.react.mock.calls[0];
    expect(node).toBe(chart.node);
    expect(traces.map((t: any) => [t.name, t.type])).toEqual([
      ['avg', 'scatter'],
      ['calls', 'bar']
    ]);
    expect(traces[1].yaxis).toBe('y2');
    expect(layout.yaxis2.overlaying).toBe('y');
    expect(layout.paper_bgcolor).toBe('rgba(0,0,0,0)');
    expect(layout.xaxis.autorange).toBe(true);
  });

  it('spans a single cycle over time, not over microseconds', async () => {
    const Plotly: any = await import('plotly.js-basic-dist-min');
    Plotly.react.mockClear();
    const at = new Date(1_700_000_000_000);
    const chart = new TimeSeriesChart({
      series: [{ name: 'avg', x: [at], y: [1], colorVar: '--x' }],
      yTitle: 'ms per call',
      singlePointSpanMs: 2000
    });
    await chart.draw();
    const layout = Plotly.react.mock.calls[0][2];
    expect(layout.xaxis.range.map((d: Date) => d.getTime())).toEqual([
      at.getTime() - 1000,
      at.getTime() + 1000
    ]);
  });
});

describe('tt views', () => {
  it('shows tt_record records as one table with exceptions marked', () => {
    const root = renderPayload({ v: 1, records: ttRecords });
    expect(root.querySelectorAll('table').length).toBe(1);
    const rows = bodyRows(root);
    expect(rows.length).toBe(2);
    expect(rows[1].classList.contains('jp-flight-row-exception')).toBe(true);
    expect(rows[0].textContent).toContain('returned');
    rows[1].click();
    const detail = root.querySelector('.jp-flight-detail-row') as HTMLElement;
    expect(texts(detail, 'code')).toEqual(['tt -i 1001', 'tt -i 1001 -p']);
    expect(detail.textContent).toContain('raised ValueError: thirteen');
    noHtml(root);
  });

  it('shows tt_list with its evicted count', () => {
    const node = renderRecord(ttListRecord);
    expect(bodyRows(node).length).toBe(2);
    expect(node.textContent).toContain('2 recorded calls, 1 raised');
    expect(node.textContent).toContain('7 older records dropped');
    const empty = renderRecord({
      v: 1,
      kind: 'tt_list',
      records: [],
      evicted: 0
    });
    expect(empty.textContent).toContain('no calls recorded');
  });

  it('shows tt_detail with value trees and the traceback', () => {
    const node = renderRecord(ttDetailRecord);
    expect(texts(node, '.jp-flight-section-title')).toEqual([
      'target (self)',
      'args',
      'kwargs',
      'exception'
    ]);
    expect(node.querySelectorAll('.jp-flight-value-tree').length).toBe(3);
    expect(texts(node, '.jp-flight-traceback')[0]).toContain('Traceback');
    noHtml(node);
    const replay = renderRecord({
      ...ttDetailRecord,
      index: 1002,
      replay_of: 1001,
      is_exception: false,
      is_return: true,
      exception: null,
      return_obj: { type: 'int', repr: '25' }
    });
    expect(texts(replay, '.jp-flight-title')).toEqual([
      'tt replay of 1001 → 1002'
    ]);
    expect(texts(replay, '.jp-flight-section-title')).toContain('return value');
    expect(texts(replay, '.jp-flight-value-repr')).toContain('25');
  });
});

describe('end view', () => {
  it('says why the stream ended', () => {
    for (const [reason, text] of [
      ['stopped', 'it was stopped'],
      ['timeout', 'its --timeout passed'],
      ['detached', 'the agent was detached'],
      ['duration', 'its -d duration elapsed'],
      ['exited', 'the target exited'],
      [HOSTILE, HOSTILE]
    ]) {
      const node = renderRecord({ v: 1, kind: 'end', reason });
      expect(node.textContent).toContain(text);
      expect(node.querySelector('img')).toBeNull();
    }
    // perf's sampler runs outside the target: no hooks to remove
    expect(
      renderRecord({ v: 1, kind: 'end', reason: 'duration' }).textContent
    ).toBe('— stream ended: its -d duration elapsed');
    expect(
      renderRecord({ v: 1, kind: 'end', reason: 'stopped', hooks: false })
        .textContent
    ).toBe('— stream ended: it was stopped');
  });
});

describe('trace view', () => {
  it('finds the hottest path', () => {
    const path = Array.from(hottestPath(traceRoot)).map(n => n.function);
    expect(path).toEqual([
      'Handler.get',
      'compute',
      'inner_loop',
      `hot_${HOSTILE}`
    ]);
  });

  it('opens the call tree along the hottest path, lazily', () => {
    const node = renderRecord(traceRecord);
    const functions = texts(node, '.jp-flight-call-function');
    // root, its 3 children, compute's 2 children, inner_loop's child: load's child is not built
    expect(functions).toEqual([
      'Handler.get',
      'load',
      'compute',
      'inner_loop',
      `hot_${HOSTILE}`,
      'asyncio.sleep',
      'render'
    ]);
    expect(
      texts(
        node,
        '.jp-flight-call-hot > .jp-flight-call-row .jp-flight-call-function'
      )
    ).toEqual(['Handler.get', 'compute', 'inner_loop', `hot_${HOSTILE}`]);
    expect(
      node.querySelector('.jp-flight-call-await .jp-flight-call-function')!
        .textContent
    ).toBe('asyncio.sleep');
    expect(texts(node, '.jp-flight-call-folded')[0]).toContain(
      '12 calls under the -i threshold, folded'
    );
    expect(texts(node, '.jp-flight-call-where')[0]).toBe('/srv/app.py:40');
    // open load: its builtin child is built then
    const load = Array.from(node.querySelectorAll('.jp-flight-call-row')).find(
      r => r.querySelector('.jp-flight-call-function')!.textContent === 'load'
    ) as HTMLElement;
    load.click();
    const builtin = node.querySelector(
      '.jp-flight-call-builtin'
    ) as HTMLElement;
    expect(builtin.textContent).toContain('json.loads');
    expect(builtin.querySelector('.jp-flight-badge-native')!.textContent).toBe(
      'C'
    );
    load.click();
    expect((load.nextElementSibling as HTMLElement).hidden).toBe(true);
    expect(texts(node, '.jp-flight-call-share')[0]).toBe('100%');
    noHtml(node);
  });

  it('switches to a flame graph with self and total times', () => {
    // jsdom lays nothing out: draw at once instead of when the graph gets a width
    const observer = (window as any).ResizeObserver;
    (window as any).ResizeObserver = undefined;
    const node = renderRecord(traceRecord);
    document.body.appendChild(node);
    const [tree, flame] = Array.from(
      node.querySelectorAll('.jp-flight-switch')
    ) as HTMLElement[];
    flame.click();
    expect(
      (node.querySelector('.jp-flight-call-tree') as HTMLElement).hidden
    ).toBe(true);
    const graph = node.querySelector('.jp-flight-flame') as HTMLElement;
    expect(graph).not.toBeNull();
    const frames = graph.querySelectorAll('svg g.frame');
    // 8 calls and the folded frame
    expect(frames.length).toBe(9);
    expect(Array.from(frames).map(g => g.getAttribute('name'))).toContain(
      `hot_${HOSTILE}`
    );
    expect(graph.querySelector('img')).toBeNull();
    expect(graph.querySelector('.jp-flight-flame-details')!.textContent).toBe(
      '9 frames, 100.0 ms'
    );
    // the tooltip: text only, self and total with their share
    const hot = Array.from(frames).find(
      g => g.getAttribute('name') === 'inner_loop'
    )!;
    hot.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    const tip = graph.querySelector('.jp-flight-flame-tip') as HTMLElement;
    expect(tip.hidden).toBe(false);
    expect(Array.from(tip.children).map(c => c.textContent)).toEqual([
      'inner_loop',
      '/srv/app.py:10',
      'total 50.00 ms (50.0%)',
      'self 5.00 ms (5.0%)'
    ]);
    hot.dispatchEvent(new MouseEvent('mouseout', { bubbles: true }));
    expect(tip.hidden).toBe(true);
    // search: plain substrings, regular expression characters are harmless
    const search = graph.querySelector(
      'input.jp-flight-search'
    ) as HTMLInputElement;
    search.value = 'hot_<img';
    search.dispatchEvent(new Event('input'));
    expect(
      graph.querySelector('.jp-flight-flame-details')!.textContent
    ).toContain('1 match, 45.0% of the time');
    search.value = '[';
    search.dispatchEvent(new Event('input'));
    expect(
      graph.querySelector('.jp-flight-flame-details')!.textContent
    ).toContain('0 matches');
    // zoom on click
    hot.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(
      graph.querySelector('.jp-flight-flame-details')!.textContent
    ).toContain('zoomed into inner_loop (50.0%)');
    // the search's share counts the whole call, zoomed or not
    search.value = 'json';
    search.dispatchEvent(new Event('input'));
    expect(
      graph.querySelector('.jp-flight-flame-details')!.textContent
    ).toContain('1 match, 15.0% of the time');
    (graph.querySelector('.jp-flight-flame-reset') as HTMLElement).click();
    expect(
      graph.querySelector('.jp-flight-flame-details')!.textContent
    ).not.toContain('zoomed');
    tree.click();
    expect(graph.hidden).toBe(true);
    node.remove();
    (window as any).ResizeObserver = observer;
  });

  it('turns a call tree into frames with folded calls and kinds', () => {
    const frames = callTreeToFrames(traceRoot);
    expect(frames.children!.map(f => [f.name, f.kind, f.value])).toEqual([
      ['load', 'python', 20],
      ['compute', 'python', 70],
      ['render', 'python', 5],
      ['… 12 folded', 'folded', 3]
    ]);
    expect(frames.children![0].children![0].kind).toBe('builtin');
    expect(frames.children![1].children![1].kind).toBe('await');
    expect(frameColor(frames.children![1].children![1], false)).toContain(
      'hsl(220'
    );
    expect(frameColor(frames, true)).toContain('hsl(300');
    expect(frameColor(frames, false, true)).not.toBe(
      frameColor(frames, false, false)
    );
  });

  it('draws a big flame graph and zooms, leaving out frames under two pixels', () => {
    const view = new FlameGraphView(callTreeToFrames(bigCallTree(5000)), {
      width: 1000
    });
    document.body.appendChild(view.node);
    view.draw();
    expect(view.count).toBe(5000);
    const drawn = view.node.querySelectorAll('svg g.frame').length;
    expect(drawn).toBeGreaterThan(50);
    expect(drawn).toBeLessThan(5000);
    expect(view.zoomTo('f1')).toBe(true);
    expect(view.node.textContent).toContain('zoomed into f1');
    view.dispose();
    view.node.remove();
  });

  it('shows a record without a call tree as an error', () => {
    const node = renderRecord({ ...traceRecord, root: null } as IRecord);
    expect(node.textContent).toContain('cannot show this trace record');
  });
});

describe('records as the CLI printed them', () => {
  // flight_profiler PID --cmd "..." --json against tests/targets/observed.py
  const real: IRecord[] = [
    {
      kind: 'trace',
      index: 1,
      method: '__main__.Shop.outer',
      thread_id: 140331684198080,
      thread_name: 'worker',
      time: 1795255547.8022456,
      cost_ms: 0.02724,
      root: {
        function: 'Shop.outer',
        file: '/work/main/tests/targets/observed.py',
        line: 44,
        cost_ms: 0.02724,
        builtin: false,
        await: false,
        children: [],
        folded: { count: 1, cost_ms: 0.00631 }
      },
      v: 1
    },
    {
      kind: 'monitor',
      method: '__main__.compute',
      cycle: 1,
      start: 1795255548.0189106,
      end: 1795255549.0213964,
      calls: 195,
      successes: 185,
      failures: 10,
      avg_ms: 0.003607,
      p50_ms: 0.003104,
      p99_ms: 0.015113,
      max_ms: 0.029414,
      v: 1
    },
    {
      kind: 'tt_detail',
      index: 1000,
      method: '__main__.compute',
      time: 1795255547.8852274,
      cost_ms: 0.003245,
      thread_name: 'worker',
      is_return: true,
      is_exception: false,
      exception: null,
      thread_id: 140331684198080,
      target: null,
      args: {
        type: 'tuple',
        len: 2,
        items: [
          { type: 'int', repr: '14' },
          { type: 'int', repr: '2' }
        ]
      },
      kwargs: {
        type: 'dict',
        len: 1,
        entries: [
          {
            key: { type: 'str', repr: "'scale'", len: 5 },
            value: { type: 'int', repr: '3' }
          }
        ]
      },
      return_obj: { type: 'int', repr: '48' },
      v: 1
    }
  ];

  it('renders each without an error', () => {
    const root = renderPayload({ v: 1, records: real });
    expect(root.querySelector('.jp-flight-error')).toBeNull();
    expect(texts(root, '.jp-flight-call-folded')[0]).toContain(
      '1 call under the -i threshold, folded'
    );
    expect(texts(root, '.jp-flight-monitor td')).toContain('0.0036');
    expect(
      texts(root, '.jp-flight-tt-detail .jp-flight-section-title')
    ).toEqual(['args', 'kwargs', 'return value']);
  });
});
