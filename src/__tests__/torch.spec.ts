/**
 * The torch views: the profile's timeline (rows, nesting, zoom, the span under the pointer) and
 * sortable op table, the memory timeline's plotly traces, the snapshot's and census's tables.
 */
import * as fs from 'fs';
import * as path from 'path';
import { renderRecord } from '../render';
import {
  ITorchMemoryRecord,
  ITorchProfileRecord,
  ITorchTensorsRecord,
  layoutTimeline,
  LANE,
  memoryTraces,
  TraceTimeline
} from '../views/torch';

jest.mock('plotly.js-basic-dist-min', () => ({
  newPlot: jest.fn(() => Promise.resolve()),
  react: jest.fn(() => Promise.resolve())
}));

const FOLDER = path.join(__dirname, '..', '..', 'tests', 'fixtures', 'records');

function fixture<T>(kind: string): T {
  return JSON.parse(
    fs.readFileSync(path.join(FOLDER, `${kind}.json`), 'utf-8')
  );
}

function span(name: string, ts: number, dur: number, tid = 1): any {
  return { name, cat: 'cpu_op', ph: 'X', ts, dur, pid: 7, tid };
}

const trace = {
  events: [
    span('outer', 0, 100),
    span('inner', 10, 20),
    span('innermost', 12, 5),
    span('next', 40, 30),
    span('other thread', 5, 50, 2),
    {
      name: '[memory]',
      cat: 'cpu_instant_event',
      ph: 'i',
      ts: 11,
      dur: 0,
      pid: 7,
      tid: 1,
      bytes: 64,
      total: 64
    }
  ],
  events_total: 6,
  truncated: false,
  rows: [
    { pid: 7, tid: 1, name: 'trainer', process: 'python' },
    { pid: 7, tid: 2, name: 'loader', process: 'python' }
  ],
  duration_us: 100
};

describe('the torch profile timeline', () => {
  it('puts threads in rows and nested spans at their depth', () => {
    const layout = layoutTimeline(trace);
    expect(layout.rows.map(r => r.name)).toEqual(['trainer', 'loader']);
    const depth = (name: string) =>
      layout.spans.find(s => s.event.name === name)!.depth;
    expect(depth('outer')).toBe(0);
    expect(depth('inner')).toBe(1);
    expect(depth('innermost')).toBe(2);
    expect(depth('next')).toBe(1); // inner ended before it started
    expect(layout.spans.find(s => s.event.name === 'other thread')!.row).toBe(
      1
    );
    expect(layout.rows[0].depth).toBe(3);
    expect(layout.rows[1].top).toBeGreaterThan(layout.rows[0].top + 2 * LANE);
    expect(layout.spans).toHaveLength(5); // instants are not spans
  });

  it('zooms around the pointer and back', () => {
    const timeline = new TraceTimeline(trace);
    expect([timeline.start, timeline.end]).toEqual([0, 100]);
    timeline.zoom(0.5, 0.5);
    expect(timeline.start).toBeCloseTo(25);
    expect(timeline.end).toBeCloseTo(75);
    timeline.zoom(0.5, 0);
    expect(timeline.start).toBeCloseTo(25);
    expect(timeline.end).toBeCloseTo(50);
    timeline.reset();
    expect([timeline.start, timeline.end]).toEqual([0, 100]);
  });

  it('finds the deepest span under the pointer', () => {
    const timeline = new TraceTimeline(trace);
    // jsdom lays nothing out: width 0 reads as 1 px, so x is a fraction of the window
    const row = timeline.layout.rows[0];
    const y = (depth: number) => row.top + 12 + depth * LANE + 2;
    expect(timeline.spanAt(0.13, y(2))!.event.name).toBe('innermost');
    expect(timeline.spanAt(0.13, y(1))!.event.name).toBe('inner');
    expect(timeline.spanAt(0.9, y(1))).toBeNull();
  });
});

describe('the torch views', () => {
  it('show the profile with a sortable op table', () => {
    const record = fixture<ITorchProfileRecord>('torch_profile');
    const node = renderRecord(record);
    expect(node.querySelector('canvas')).not.toBeNull();
    const names = () =>
      Array.from(node.querySelectorAll('.jp-flight-torch-ops tbody tr')).map(
        tr => tr.querySelector('td')!.textContent
      );
    expect(names()).toEqual(record.ops.map(o => o.name));
    const calls = Array.from(
      node.querySelectorAll('.jp-flight-torch-ops th')
    ).find(th => th.textContent!.startsWith('calls')) as HTMLElement;
    calls.click();
    const sorted = names();
    expect(sorted).not.toEqual(record.ops.map(o => o.name));
    const byCalls = [...record.ops]
      .sort((a, b) => a.calls - b.calls)
      .map(o => o.calls);
    const shown = sorted.map(n => record.ops.find(o => o.name === n)!.calls);
    expect([shown, [...shown].reverse()]).toContainEqual(byCalls);
  });

  it('draw memory by category on the CPU, allocated and reserved on CUDA', () => {
    const record = fixture<ITorchMemoryRecord>('torch_memory');
    const names = memoryTraces(record).map(t => t.name);
    expect(names).toContain('activations');
    expect(names).not.toContain('reserved');
    const cuda: ITorchMemoryRecord = {
      ...record,
      source: 'cuda memory history',
      timeline: { t_us: [0, 1000], allocated: [10, 20], reserved: [32, 32] }
    };
    const traces = memoryTraces(cuda);
    expect(traces.map(t => t.name)).toEqual(
      expect.arrayContaining(['allocated', 'reserved'])
    );
    expect(traces.find(t => t.name === 'allocated').x).toEqual([0, 1]); // ms
    const node = renderRecord(record);
    expect(node.textContent).toContain(record.at_peak.stacks[0].stack);
  });

  it('name the largest tensors, as text', () => {
    const record = fixture<ITorchTensorsRecord>('torch_tensors');
    const hostile: ITorchTensorsRecord = {
      ...record,
      largest: [{ ...record.largest[0], name: '<img src=x onerror=alert(1)>' }]
    };
    const node = renderRecord(hostile);
    expect(node.textContent).toContain('<img src=x onerror=alert(1)>');
    expect(node.querySelector('img')).toBeNull();
  });
});
