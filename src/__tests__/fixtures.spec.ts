/// <reference types="node" />
/**
 * Every record fixture (tests/fixtures/records/<kind>.json, shared with pytest) renders through
 * the view registered for its kind, not the fallback, and shows what it says.
 */
import * as fs from 'fs';
import * as path from 'path';
import { hasView, renderRecord, viewRegistry } from '../render';
import { IRecord, IRecordKinds, RecordKind } from '../types';

jest.mock('plotly.js-basic-dist-min', () => ({
  react: jest.fn(() => Promise.resolve())
}));

const FOLDER = path.join(__dirname, '..', '..', 'tests', 'fixtures', 'records');

function load(): [string, IRecord][] {
  return fs
    .readdirSync(FOLDER)
    .filter(name => name.endsWith('.json'))
    .sort()
    .map(name => [
      name,
      JSON.parse(fs.readFileSync(path.join(FOLDER, name), 'utf-8'))
    ]);
}

/**
 * What each kind's view must show of its record (target-derived text, as text).
 */
const FACTS: { [K in RecordKind]: (r: IRecordKinds[K]) => string[] } = {
  stack: r => [`pid ${r.pid}`, ...r.threads.map(t => String(t.name))],
  value: r => [String(r.target), String(r.type)],
  gc: r => [`${r.collected} unreachable objects collected`],
  module: r => [r.file, ...r.modules],
  reload: r => [r.target, ...r.diff.slice(-2)],
  console: r => [r.stdout ?? '', r.stderr ?? ''],
  help: r => [r.text.split('\n')[0]],
  message: r => [r.text, ...(r.stop_hint ? [`; Stop ${r.stop_hint}`] : [])],
  error: r => [r.message],
  watch: r => [r.method, String(r.thread_name)],
  monitor: r => [r.method, String(r.calls)],
  trace: r => [r.method, r.root.function, String(r.thread_name)],
  tt_record: r => [String(r.index), r.method],
  tt_list: r => r.records.map(row => String(row.index)),
  tt_detail: r => [r.method, `tt ${r.index}`],
  end: r => [r.reason === 'limit' ? 'the -n limit was reached' : r.reason],
  processes: r => r.processes.map(p => String(p.pid)),
  sessions: r => r.sessions.map(s => String(s.pid)),
  torch_profile: r => [r.method, r.ops[0].name, ...r.threads],
  torch_memory: r => [r.method, r.at_peak.categories[0].category],
  torch_snapshot: r => ['CUDA allocator', `${r.segments} segments`],
  torch_tensors: r => [`${r.tensors} live tensors`, String(r.largest[0].name)],
  job: r => [`root ${r.root}`, ...r.groups.map(g => g.labels?.[0] ?? '')],
  profile: r => [
    `pid ${r.pid}`,
    `${r.samples} samples`,
    `${r.engine} ${r.engine_version}`,
    ...(r.top ?? []).slice(0, 3).map(t => t.function)
  ],
  mem_summary: r => [r.rows[0].type, r.rows[0].count.toLocaleString('en-US')],
  mem_diff: r => [String(r.rows[0].type ?? r.rows[0].site)],
  mem_refs: r => [r.target, ...r.chains.map(c => c.path)],
  gil_stats: r => [r.verdict, ...r.threads.map(t => t.name)],
  gil_event: r => [r.thread_name],
  diagnosis: r => [
    r.classification,
    r.summary,
    ...r.findings.map(f => f.title),
    ...r.next
  ],
  exceptions: r => [
    `${r.raised} raised`,
    ...r.groups.map(g => g.pattern),
    ...r.groups.map(g => g.function)
  ]
};

describe('record fixtures', () => {
  const fixtures = load();

  it('are there, one per kind with a built-in view', () => {
    const kinds = fixtures.map(([, r]) => r.kind).sort();
    expect(kinds).toEqual(Object.keys(FACTS).sort());
    expect(viewRegistry.kinds().sort()).toEqual(kinds);
    for (const [name, record] of fixtures) {
      expect(name).toBe(`${record.kind}.json`);
      expect(record.v).toBe(1);
    }
  });

  it.each(fixtures)('%s renders through its view', (_, record) => {
    expect(hasView(record.kind)).toBe(true);
    const node = renderRecord(record);
    expect(node.getAttribute('data-kind')).toBe(record.kind);
    expect(node.querySelector('.jp-flight-unknown')).toBeNull();
    expect(node.textContent).not.toContain(`cannot show this`);
    const facts = (FACTS as any)[record.kind](record) as string[];
    expect(facts.length).toBeGreaterThan(0);
    for (const fact of facts) {
      expect(node.textContent).toContain(fact.trim());
    }
  });
});
