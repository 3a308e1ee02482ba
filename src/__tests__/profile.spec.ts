/// <reference types="node" />
/**
 * The `profile` view (perf): the canvas flame graph, the thread selector, the toggles, search,
 * the tooltip, zoom, the top-functions table, live records updated in place, the browser's
 * exports and the Stop of a stream that runs outside the target.
 *
 * jsdom has no canvas: a small stub of `getContext` (here, not in the product) records what is
 * drawn.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LiveStream } from '../live';
import {
  appendRecord,
  placeRecord,
  renderPayload,
  trimRecords
} from '../render';
import { isLive, supersede } from '../snapshots';
import { IProfileNode, IProfileRecord, IRecord } from '../types';
import {
  collapsedStacks,
  exportContent,
  exportName,
  flameSvg,
  frameText,
  LEFT_OUT_FRAME,
  speedscopeFile
} from '../views/exports';
import { diffFill, FlameLayout } from '../views/flamecanvas';
import { profileViewOf, ProfileView, topFunctions } from '../views/profile';
import { interruptKernel, STOP_BUTTON_HINT } from '../interrupt';

jest.mock('plotly.js-basic-dist-min', () => ({
  react: jest.fn(() => Promise.resolve())
}));

const FIXTURE: IProfileRecord = JSON.parse(
  fs.readFileSync(
    path.join(
      __dirname,
      '..',
      '..',
      'tests',
      'fixtures',
      'records',
      'profile.json'
    ),
    'utf-8'
  )
);

function fixture(): IProfileRecord {
  return JSON.parse(JSON.stringify(FIXTURE));
}

// ---- a stub 2D context that records what is drawn ----

interface IDrawnText {
  text: string;
  x: number;
  y: number;
}

let texts: IDrawnText[] = [];
let rects: { fill: string; x: number; y: number; w: number; h: number }[] = [];
let transforms: number[][] = [];

function stubContext(): any {
  const ctx: any = {
    fillStyle: '',
    strokeStyle: '',
    globalAlpha: 1,
    lineWidth: 1,
    font: '',
    textBaseline: 'alphabetic',
    setTransform: (...m: number[]) => transforms.push(m),
    clearRect: () => {
      texts = [];
      rects = [];
    },
    fillRect: (x: number, y: number, w: number, h: number) =>
      rects.push({ fill: ctx.fillStyle, x, y, w, h }),
    strokeRect: () => undefined,
    fillText: (text: string, x: number, y: number) =>
      texts.push({ text, x, y }),
    measureText: (text: string) => ({ width: text.length * 7 })
  };
  return ctx;
}

const realGetContext = HTMLCanvasElement.prototype.getContext;

beforeAll(() => {
  const contexts = new WeakMap<HTMLCanvasElement, any>();
  (HTMLCanvasElement.prototype as any).getContext = function (
    this: HTMLCanvasElement
  ) {
    let ctx = contexts.get(this);
    if (!ctx) {
      ctx = stubContext();
      contexts.set(this, ctx);
    }
    return ctx;
  };
});

afterAll(() => {
  HTMLCanvasElement.prototype.getContext = realGetContext;
});

function view(record: IProfileRecord = fixture()): ProfileView {
  const v = new ProfileView(record);
  document.body.appendChild(v.node);
  v.graph.draw(800);
  return v;
}

function names(layout: FlameLayout, indexes: number[]): string[] {
  return indexes.map(i => layout.nodes[i].function);
}

function index(v: ProfileView, name: string): number {
  return v.graph.layout.nodes.findIndex(n => n.function === name);
}

function mouse(v: ProfileView, type: 'mousemove' | 'click', i: number): void {
  const box = v.graph.frameBox(i);
  expect(box).not.toBeNull();
  const canvas = v.node.querySelector('canvas')!;
  canvas.dispatchEvent(
    new MouseEvent(type, {
      bubbles: true,
      clientX: box!.x + 2,
      clientY: box!.y + 2
    })
  );
}

afterEach(() => {
  document.body.textContent = '';
});

describe('profile view', () => {
  it('renders the fixture: header, threads, flame graph, top functions', () => {
    const v = view();
    const text = v.node.textContent ?? '';
    for (const fact of [
      'pid 10916',
      '812 samples',
      '97.3 of 100 samples/s',
      '5.14 s',
      'py-spy 0.4.3',
      '0.12 s not sampled',
      'written to /tmp/profile.svg'
    ]) {
      expect(text).toContain(fact);
    }
    expect(text).not.toContain('pruned');
    expect(text).not.toContain('live');
    const options = Array.from(v.node.querySelectorAll('select option')).map(
      o => o.textContent
    );
    expect(options).toEqual([
      'all threads (2 threads, 812 samples)',
      'MainThread (10916): 500 samples (61.6%)',
      'worker (10918): 312 samples (38.4%)'
    ]);
    // the whole tree is drawn at 800 px, with the names that fit
    expect(v.graph.count).toBe(13);
    expect(v.graph.drawnCount).toBe(13);
    const labels = texts.map(t => t.text);
    expect(labels).toEqual(
      expect.arrayContaining(['all', 'price', 'handle', 'worker'])
    );
    // HiDPI: the canvas is drawn in device pixels
    const canvas = v.node.querySelector('canvas')!;
    expect(canvas.style.width).toBe('800px');
    // the record's top functions, in its order
    const rows = Array.from(
      v.node.querySelectorAll('.jp-flight-profile-top tbody tr')
    );
    expect(rows).toHaveLength(11);
    expect(rows[0].textContent).toContain('price');
    expect(rows[0].textContent).toContain('/srv/app/busy.py:20');
    expect(rows[0].textContent).toContain('81.3');
    expect(
      v.node.querySelector('.jp-flight-profile-legend')!.hasAttribute('hidden')
    ).toBe(true);
  });

  it('draws at the device pixel ratio', () => {
    const old = window.devicePixelRatio;
    Object.defineProperty(window, 'devicePixelRatio', {
      value: 2,
      configurable: true
    });
    try {
      transforms = [];
      const v = view();
      const canvas = v.node.querySelector('canvas')!;
      expect(canvas.width).toBe(1600);
      expect(canvas.height).toBe(2 * 6 * 18);
      expect(canvas.style.height).toBe(`${6 * 18}px`);
      expect(transforms[transforms.length - 1]).toEqual([2, 0, 0, 2, 0, 0]);
    } finally {
      Object.defineProperty(window, 'devicePixelRatio', {
        value: old,
        configurable: true
      });
    }
  });

  it("switches threads: the graph and the top functions are the thread's", () => {
    const v = view();
    expect(v.threadKeys()).toEqual(['all', ':10916', ':10918']);
    const select = v.node.querySelector('select') as HTMLSelectElement;
    select.value = ':10918';
    select.dispatchEvent(new Event('change'));
    expect(v.thread).toBe(':10918');
    expect(v.graph.root.function).toBe('worker');
    expect(v.graph.count).toBe(6);
    const top = v.topRows;
    expect(top[0]).toMatchObject({
      function: 'price',
      self: 300,
      total: 300,
      self_pct: 96.2
    });
    expect(top[1]).toMatchObject({
      function: 'worker',
      self: 12,
      total: 312,
      total_pct: 100
    });
    expect(v.node.querySelector('summary')!.textContent).toContain(
      'worker (10918)'
    );
    // back to every thread
    v.selectThread('all');
    expect(v.graph.root.function).toBe('all');
    expect(v.topRows[0]).toMatchObject({ function: 'price', self: 660 });
    // an unknown thread shows every thread
    v.selectThread(':1');
    expect(v.thread).toBe('all');
  });

  it('toggles flame / icicle and left-heavy / by name', () => {
    const v = view();
    const g = v.graph;
    expect(g.orientation).toBe('flame');
    const rows = 6;
    // flame: the root at the bottom
    expect(g.frameBox(0)!.y).toBe((rows - 1) * 18);
    const icicle = v.node.querySelector(
      '[data-value="icicle"]'
    ) as HTMLButtonElement;
    icicle.click();
    g.draw();
    expect(g.orientation).toBe('icicle');
    expect(icicle.getAttribute('aria-pressed')).toBe('true');
    expect(g.frameBox(0)!.y).toBe(0);
    const handle = index(v, 'handle');
    // left-heavy: by samples, as the record has them
    expect(names(g.layout, g.layout.children(handle))).toEqual([
      'price',
      'parse',
      'json.dumps'
    ]);
    (v.node.querySelector('[data-value="name"]') as HTMLButtonElement).click();
    g.draw();
    expect(g.order).toBe('name');
    const byName = index(v, 'handle');
    expect(names(g.layout, g.layout.children(byName))).toEqual([
      'json.dumps',
      'parse',
      'price'
    ]);
    expect(names(g.layout, g.layout.children(0))).toEqual([
      '<module>',
      'Thread._bootstrap'
    ]);
    v.setOrder('heavy');
    expect(names(g.layout, g.layout.children(index(v, 'handle')))).toEqual([
      'price',
      'parse',
      'json.dumps'
    ]);
  });

  it('searches plain text in functions and files and counts the samples once', () => {
    const v = view();
    const input = v.node.querySelector(
      'input.jp-flight-profile-search'
    ) as HTMLInputElement;
    input.value = 'price';
    input.dispatchEvent(new Event('input'));
    expect(v.graph.searchResult).toEqual({
      term: 'price',
      frames: 2,
      samples: 660
    });
    const found = v.node.querySelector('.jp-flight-profile-found')!.textContent;
    expect(found).toBe('2 frames match, 660 samples (81.3%)');
    // matches are drawn highlighted
    v.graph.draw();
    expect(rects.filter(r => r.fill.startsWith('hsl(300')).length).toBe(2);
    // a file matches too; nested matches count their samples once
    v.search('JSON');
    expect(v.graph.searchResult).toMatchObject({ frames: 2, samples: 12 });
    // not a regular expression
    v.search('price(');
    expect(v.graph.searchResult).toMatchObject({ frames: 0, samples: 0 });
    v.search('');
    expect(v.graph.searchResult).toBeNull();
    expect(v.node.querySelector('.jp-flight-profile-found')!.textContent).toBe(
      ''
    );
    // a function in the top table finds it in the graph
    const fn = v.node.querySelector(
      '.jp-flight-profile-fn'
    ) as HTMLButtonElement;
    fn.click();
    expect(input.value).toBe('price');
    expect(v.graph.searchResult).toMatchObject({ frames: 2 });
  });

  it('shows a tooltip: function, file:line, samples, share of all, self', () => {
    const v = view();
    const price = index(v, 'price');
    mouse(v, 'mousemove', price);
    const tip = v.node.querySelector('.jp-flight-flame-tip') as HTMLElement;
    expect(tip.hidden).toBe(false);
    const lines = Array.from(tip.children).map(c => c.textContent);
    expect(lines).toEqual([
      'price',
      '/srv/app/busy.py:20',
      '360 samples, 44.33% of all',
      'self 360 samples, 44.33%'
    ]);
    v.node.querySelector('canvas')!.dispatchEvent(new MouseEvent('mouseleave'));
    expect(tip.hidden).toBe(true);
    // one thread: the share is of that thread's samples
    v.selectThread(':10918');
    v.graph.draw();
    mouse(v, 'mousemove', index(v, 'price'));
    expect(tip.textContent).toContain('300 samples, 96.15% of worker');
  });

  it('zooms on click, goes back, and resets', () => {
    const v = view();
    const g = v.graph;
    const back = v.node.querySelector(
      '.jp-flight-profile-back'
    ) as HTMLButtonElement;
    const reset = v.node.querySelector(
      '.jp-flight-profile-reset'
    ) as HTMLButtonElement;
    expect(back.disabled).toBe(true);
    mouse(v, 'click', index(v, 'main'));
    expect(g.focus.function).toBe('main');
    expect(g.zoomPath).toHaveLength(2);
    g.draw();
    // the frame zoomed into fills the width; its callers stay above it, full width
    expect(g.frameBox(index(v, 'main'))!.width).toBe(800);
    expect(g.frameBox(0)!.width).toBe(800);
    expect(g.frameBox(index(v, 'worker'))).toBeNull();
    expect(v.node.textContent).toContain(
      'zoomed into main (61.6% of the samples)'
    );
    mouse(v, 'click', index(v, 'price'));
    expect(g.focus.function).toBe('price');
    back.click();
    expect(g.focus.function).toBe('main');
    g.draw();
    mouse(v, 'click', index(v, 'price'));
    reset.click();
    expect(g.focus.function).toBe('all');
    expect(g.zoomPath).toEqual([]);
    // a click on the root shows the whole graph too
    mouse(v, 'click', index(v, 'handle'));
    g.draw();
    mouse(v, 'click', 0);
    expect(g.zoomPath).toEqual([]);
  });

  it('colours a differential graph by the change of share, with a legend', () => {
    const r = fixture();
    r.baseline = { source: 'before.txt', samples: 1000 };
    const setBase = (node: IProfileNode, base: number) => {
      node.base = base;
    };
    const walk = (node: IProfileNode, f: (n: IProfileNode) => void) => {
      f(node);
      (node.children ?? []).forEach(c => walk(c, f));
    };
    // before: the same shares, but price in handle had 100 of 1000 (now 360 of 812: grew) and
    // parse had 400 (now 120: shrank)
    walk(r.root, n => setBase(n, Math.round((n.total * 1000) / 812)));
    walk(r.root, n => {
      if (n.function === 'parse') {
        n.base = 400;
      }
      if (n.function === 'price' && n.total === 360) {
        n.base = 100;
      }
    });
    r.root.base = 1000;
    const v = view(r);
    const legend = v.node.querySelector(
      '.jp-flight-profile-legend'
    ) as HTMLElement;
    expect(legend.hidden).toBe(false);
    expect(legend.textContent).toContain('grew');
    expect(legend.textContent).toContain('shrank');
    expect(legend.textContent).toContain('before.txt (1,000 samples)');
    const g = v.graph;
    expect(g.delta(index(v, 'price'))!).toBeGreaterThan(0.3);
    expect(g.delta(index(v, 'parse'))!).toBeLessThan(-0.2);
    const fills = new Map(
      rects.map(rect => [
        Math.round(rect.x * 10) / 10 + ':' + rect.y,
        rect.fill
      ])
    );
    const box = (name: string) => g.frameBox(index(v, name))!;
    expect(
      fills.get(`${Math.round(box('price').x * 10) / 10}:${box('price').y}`)
    ).toMatch(/^hsl\(0,/);
    expect(
      fills.get(`${Math.round(box('parse').x * 10) / 10}:${box('parse').y}`)
    ).toMatch(/^hsl\(220,/);
    mouse(v, 'mousemove', index(v, 'price'));
    expect(v.node.querySelector('.jp-flight-flame-tip')!.textContent).toContain(
      'baseline 100 samples (10.00%): +34.33 points'
    );
    expect(diffFill(0, 1, false)).toBe(diffFill(0.001, 1, false));
    expect(diffFill(1, 1, true)).toMatch(/^hsl\(0,/);
  });

  it('lists what changed most against the baseline, gone functions too', () => {
    const plain = view(fixture());
    const none = plain.node.querySelector(
      '.jp-flight-profile-changes-box'
    ) as HTMLElement;
    expect(none.hidden).toBe(true);
    const r = fixture();
    r.baseline = {
      source: 'before.txt',
      samples: 1000,
      changes: [
        {
          function: 'lookup',
          file: '/srv/app.py',
          self_pct: 0,
          base_self_pct: 61.2,
          delta_pct: -61.2
        },
        {
          function: 'render',
          file: '/srv/app.py',
          self_pct: 30.4,
          base_self_pct: 12,
          delta_pct: 18.4
        }
      ]
    };
    const v = view(r);
    const box = v.node.querySelector(
      '.jp-flight-profile-changes-box'
    ) as HTMLElement;
    expect(box.hidden).toBe(false);
    const rows = Array.from(box.querySelectorAll('tbody tr')).map(tr =>
      Array.from(tr.querySelectorAll('td')).map(td => td.textContent)
    );
    expect(rows).toEqual([
      ['-61.2', '61.2', '0.0', 'lookup', '/srv/app.py'],
      ['+18.4', '12.0', '30.4', 'render', '/srv/app.py']
    ]);
    expect(box.querySelector('.jp-mod-shrank')!.textContent).toBe('-61.2');
    expect(box.querySelector('.jp-mod-grew')!.textContent).toBe('+18.4');
    // a newer snapshot of the stream without changes hides the table again
    v.update({ ...r, baseline: { source: 'before.txt', samples: 1000 } });
    expect(box.hidden).toBe(true);
  });

  it('says what was pruned and that the downloads lack those frames', () => {
    const r = fixture();
    // json.dumps and its child left out: 12 samples stay in handle's total
    const handle = r.root.children![0].children![0].children![0];
    handle.children = handle.children!.filter(c => c.function !== 'json.dumps');
    r.pruned = { nodes: 2, samples: 12 };
    const v = view(r);
    expect(
      v.node.querySelector('.jp-flight-profile-header')!.textContent
    ).toContain('2 small frames pruned (12 samples, 1.5%)');
    const note = v.node.querySelector(
      '.jp-flight-profile-download-note'
    ) as HTMLElement;
    expect(note.hidden).toBe(false);
    expect(note.textContent).toContain('left out 2 small frames');
    expect(note.textContent).toContain(LEFT_OUT_FRAME);
    mouse(v, 'mousemove', index(v, 'handle'));
    expect(v.node.querySelector('.jp-flight-flame-tip')!.textContent).toContain(
      '12 samples in small frames left out of the record'
    );
    expect(collapsedStacks(r)).toContain(
      `<module> (/srv/app/busy.py:1);main (/srv/app/busy.py:30);handle (/srv/app/busy.py:12);${LEFT_OUT_FRAME} 12\n`
    );
  });

  it('shows target strings as text only', () => {
    const r = fixture();
    const evil = '<img src=x onerror="window.__pwned=1">';
    r.root.children![0].function = evil;
    r.root.children![0].file = '<b>file</b>.py';
    r.threads![0].name = '<script>alert(1)</script>';
    r.top![0].function = evil;
    const v = view(r);
    expect(v.node.querySelector('img, script, b')).toBeNull();
    expect(v.node.textContent).toContain(evil);
    expect(v.node.textContent).toContain('<script>alert(1)</script>');
    expect(texts.map(t => t.text)).toEqual(expect.arrayContaining([evil]));
    const svg = flameSvg(r);
    expect(svg).not.toContain('<img');
    expect(svg).toContain(
      '&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;'
    );
    expect((window as any).__pwned).toBeUndefined();
  });

  it('shows a record with no samples yet', () => {
    const r = fixture();
    r.live = true;
    r.samples = 0;
    r.root = {
      function: 'all',
      file: null,
      line: null,
      total: 0,
      self: 0,
      children: []
    };
    r.threads = [];
    r.top = [];
    const v = view(r);
    expect(v.node.textContent).toContain('no samples yet');
    expect(v.node.querySelector('.jp-flight-badge-live')).not.toBeNull();
    expect((v.node.querySelector('select') as HTMLSelectElement).disabled).toBe(
      true
    );
  });

  it('computes top functions: merged across call sites, recursion counted once', () => {
    const leaf = (fn: string, n: number): IProfileNode => ({
      function: fn,
      file: 'a.py',
      line: 1,
      total: n,
      self: n,
      children: []
    });
    const root: IProfileNode = {
      function: 'all',
      file: null,
      line: null,
      total: 10,
      self: 0,
      children: [
        {
          function: 'f',
          file: 'a.py',
          line: 1,
          total: 10,
          self: 2,
          children: [
            {
              function: 'f',
              file: 'a.py',
              line: 1,
              total: 6,
              self: 1,
              children: [leaf('g', 5)]
            },
            leaf('g', 2)
          ]
        }
      ]
    };
    const top = topFunctions(root);
    expect(
      top.map(t => [t.function, t.self, t.total, t.self_pct, t.total_pct])
    ).toEqual([
      ['g', 7, 7, 70, 70],
      ['f', 3, 10, 30, 100]
    ]);
    expect(topFunctions(root, 1)).toHaveLength(1);
  });
});

describe('live profile records', () => {
  function live(samples: number, price: number): IProfileRecord {
    const r = fixture();
    r.live = true;
    r.samples = samples;
    r.root.total = samples;
    const price1 = r.root.children![0].children![0].children![0].children![0];
    price1.total = price;
    price1.self = price;
    return r;
  }

  it('update in place: one view, keeping the thread, the zoom and the search', () => {
    const container = document.createElement('div');
    document.body.appendChild(container);
    expect(
      placeRecord(container, { v: 1, kind: 'message', text: 'sampling' }).added
    ).toBe(1);
    const first = placeRecord(container, live(100, 50));
    expect(first.added).toBe(1);
    const v = profileViewOf(first.view)!;
    expect(v).toBeDefined();
    v.graph.draw(800);
    v.selectThread(':10916');
    v.graph.draw();
    mouse(v, 'click', index(v, 'main'));
    v.search('price');
    const second = placeRecord(container, live(200, 150));
    expect(second.added).toBe(0);
    expect(second.view).toBe(first.view);
    expect(container.querySelectorAll('.jp-flight-profile')).toHaveLength(1);
    expect(profileViewOf(second.view)).toBe(v);
    expect(v.record.samples).toBe(200);
    expect(v.thread).toBe(':10916');
    expect(v.graph.focus.function).toBe('main');
    expect(v.graph.searchResult).toMatchObject({ term: 'price' });
    expect(
      (v.node.querySelector('input[type=search]') as HTMLInputElement).value
    ).toBe('price');
    expect(v.node.querySelector('.jp-flight-badge-live')).not.toBeNull();
    // a record of another kind in between does not end the snapshot
    placeRecord(container, { v: 1, kind: 'message', text: 'py-spy is behind' });
    const final = fixture();
    expect(placeRecord(container, final).added).toBe(0);
    expect(container.querySelectorAll('.jp-flight-profile')).toHaveLength(1);
    expect(v.record.live).toBe(false);
    expect(v.node.querySelector('.jp-flight-badge-live')).toBeNull();
    expect(v.node.textContent).toContain('812 samples');
    // a final record is not superseded: the next profile is a view of its own
    expect(placeRecord(container, fixture()).added).toBe(1);
    expect(container.querySelectorAll('.jp-flight-profile')).toHaveLength(2);
  });

  it('the MIME renderer shows the newest', () => {
    const payload = {
      v: 1,
      command: 'perf -d 3',
      pid: 10916,
      records: [
        { v: 1, kind: 'message', text: 'sampling pid 10916 at 100 Hz' },
        live(100, 50),
        live(300, 150),
        fixture(),
        { v: 1, kind: 'end', reason: 'duration' }
      ] as IRecord[]
    };
    const node = renderPayload(payload);
    const views = node.querySelectorAll('.jp-flight-profile');
    expect(views).toHaveLength(1);
    expect(profileViewOf(views[0])!.record.samples).toBe(812);
  });

  it('a saved result that ends on a live snapshot calls it the last snapshot', () => {
    const node = renderPayload({
      v: 1,
      command: 'perf',
      pid: 10916,
      records: [live(100, 50), live(300, 150)] as IRecord[]
    });
    expect(node.querySelectorAll('.jp-flight-profile')).toHaveLength(1);
    expect(node.querySelector('.jp-flight-badge-live')).toBeNull();
    expect(node.querySelector('.jp-flight-badge-snapshot')!.textContent).toBe(
      'last snapshot'
    );
  });

  it('the live widget view shows one graph and counts no missing records', () => {
    const stream = new LiveStream({
      command: 'perf -d 3',
      pid: 10916,
      maxRecords: 3,
      onStop: () => Promise.resolve()
    });
    document.body.appendChild(stream.node);
    stream.add([{ v: 1, kind: 'message', text: 'sampling' }]);
    for (let i = 1; i <= 10; i++) {
      stream.add([live(100 * i, 50)]);
    }
    expect(stream.node.querySelectorAll('.jp-flight-profile')).toHaveLength(1);
    expect(stream.shown).toBe(2);
    expect(stream.node.textContent).toContain('11 records');
    expect(stream.node.textContent).not.toContain('showing the latest');
    // paused: the newest snapshot is held, Resume shows it
    stream.pause();
    stream.add([live(1100, 50)]);
    stream.add([live(1200, 50)]);
    expect(profileViewOf(stream.node)!.record.samples).toBe(1000);
    stream.resume();
    expect(profileViewOf(stream.node)!.record.samples).toBe(1200);
    stream.add([fixture(), { v: 1, kind: 'end', reason: 'duration' }]);
    expect(stream.node.querySelectorAll('.jp-flight-profile')).toHaveLength(1);
    expect(profileViewOf(stream.node)!.record.samples).toBe(812);
    expect(stream.node.textContent).not.toContain('showing the latest');
    stream.dispose();
    // a stream that ends without a final record: its last snapshot says so
    const stopped = new LiveStream({
      command: 'perf',
      onStop: () => Promise.resolve()
    });
    stopped.add([live(100, 50)]);
    expect(stopped.node.querySelector('.jp-flight-badge-live')).not.toBeNull();
    stopped.setStatus('ended', 'stopped');
    expect(stopped.node.querySelector('.jp-flight-badge-live')).toBeNull();
    expect(
      stopped.node.querySelector('.jp-flight-badge-snapshot')
    ).not.toBeNull();
  });

  it('trimRecords keeps the view of a superseded snapshot', () => {
    const container = document.createElement('div');
    let count = 0;
    for (let i = 1; i <= 20; i++) {
      count += placeRecord(container, live(i, 1)).added;
      count = trimRecords(container, count, 5);
    }
    expect(count).toBe(1);
    expect(container.querySelectorAll('.jp-flight-profile')).toHaveLength(1);
    // appendRecord does the same
    appendRecord(container, live(21, 1));
    expect(container.querySelectorAll('.jp-flight-profile')).toHaveLength(1);
  });

  it('supersede replaces the last live record of a kind in a list', () => {
    const list: IRecord[] = [];
    expect(supersede(list, live(1, 1))).toBe(false);
    expect(supersede(list, { v: 1, kind: 'message', text: 'x' })).toBe(false);
    expect(supersede(list, live(2, 1))).toBe(true);
    expect(list).toHaveLength(2);
    expect((list[0] as IProfileRecord).samples).toBe(2);
    expect(supersede(list, fixture())).toBe(true);
    expect(isLive(list[0])).toBe(false);
    expect(supersede(list, fixture())).toBe(false);
    expect(list).toHaveLength(3);
  });
});

describe('profile exports', () => {
  it('collapsed stacks: frame;frame COUNT, outermost first, every sample', () => {
    const text = collapsedStacks(fixture());
    const lines = text.trim().split('\n');
    expect(lines).toContain(
      '<module> (/srv/app/busy.py:1);main (/srv/app/busy.py:30);handle (/srv/app/busy.py:12);price (/srv/app/busy.py:20) 360'
    );
    expect(lines).toContain(
      '<module> (/srv/app/busy.py:1);main (/srv/app/busy.py:30);handle (/srv/app/busy.py:12) 8'
    );
    expect(lines).toContain(
      'Thread._bootstrap (/usr/lib/python3.11/threading.py:995);Thread._bootstrap_inner (/usr/lib/python3.11/threading.py:1038);Thread.run (/usr/lib/python3.11/threading.py:975);worker (/srv/app/busy.py:40);price (/srv/app/busy.py:20) 300'
    );
    const sum = lines.reduce(
      (s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)),
      0
    );
    expect(sum).toBe(812);
    expect(exportContent(fixture(), 'collapsed')).toBe(text);
  });

  it('collapsed stacks name thread and process levels as py-spy does', () => {
    expect(
      frameText({ function: 'thread 4243: MainThread', total: 1, self: 0 })
    ).toBe('thread (4243): MainThread');
    expect(frameText({ function: 'thread 4243', total: 1, self: 0 })).toBe(
      'thread (4243)'
    );
    expect(
      frameText({ function: 'process 42: python app.py', total: 1, self: 0 })
    ).toBe('process 42:"python app.py"');
    expect(
      frameText({
        function: 'malloc',
        file: 'libc.so.6',
        line: null,
        native: true,
        total: 1,
        self: 1
      })
    ).toBe('malloc (libc.so.6)');
  });

  it('speedscope: one sampled profile per thread, weights in samples', () => {
    const file: any = speedscopeFile(fixture());
    expect(file.$schema).toBe(
      'https://www.speedscope.app/file-format-schema.json'
    );
    expect(file.profiles.map((p: any) => [p.name, p.type, p.endValue])).toEqual(
      [
        ['MainThread', 'sampled', 500],
        ['worker', 'sampled', 312]
      ]
    );
    const main = file.profiles[0];
    expect(main.samples).toHaveLength(main.weights.length);
    const frames = file.shared.frames;
    const price = frames.findIndex((f: any) => f.name === 'price');
    expect(frames[price]).toEqual({
      name: 'price',
      file: '/srv/app/busy.py',
      line: 20
    });
    // the heaviest stack ends in price
    const heaviest = main.weights.indexOf(Math.max(...main.weights));
    expect(main.samples[heaviest].map((i: number) => frames[i].name)).toEqual([
      '<module>',
      'main',
      'handle',
      'price'
    ]);
    expect(JSON.parse(exportContent(fixture(), 'speedscope'))).toEqual(file);
  });

  it('svg: a standalone flame graph, no scripts, a title per frame', () => {
    const svg = flameSvg(fixture());
    expect(
      svg.startsWith(
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<svg xmlns="http://www.w3.org/2000/svg"'
      )
    ).toBe(true);
    expect(svg).not.toMatch(/<script|onload|onclick/i);
    expect((svg.match(/<rect /g) ?? []).length).toBe(13);
    expect(svg).toContain(
      '<title>price (/srv/app/busy.py:20)\n360 samples (44.33%), self 360</title>'
    );
    // it parses as XML
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    expect(doc.querySelector('parsererror')).toBeNull();
    expect(exportName(fixture(), 'svg')).toBe('profile-10916.svg');
    expect(exportName(fixture(), 'collapsed')).toBe('profile-10916.txt');
    expect(exportName(fixture(), 'speedscope')).toBe('profile-10916.json');
  });
});

describe('Stop of a stream outside the target', () => {
  it('interrupts the kernel the widget manager has', async () => {
    const interrupt = jest.fn(() => Promise.resolve());
    await expect(
      interruptKernel({ kernel: { interrupt } })
    ).resolves.toBeUndefined();
    expect(interrupt).toHaveBeenCalledTimes(1);
    const viaContext = jest.fn(() => Promise.resolve());
    await interruptKernel({
      kernel: null,
      context: {
        sessionContext: { session: { kernel: { interrupt: viaContext } } }
      }
    });
    expect(viaContext).toHaveBeenCalledTimes(1);
  });

  it("says to use the notebook's stop button without a kernel", async () => {
    await expect(interruptKernel(undefined)).resolves.toBe(STOP_BUTTON_HINT);
    await expect(interruptKernel({ kernel: null })).resolves.toBe(
      STOP_BUTTON_HINT
    );
    const failing = {
      kernel: { interrupt: () => Promise.reject(new Error('gone')) }
    };
    await expect(interruptKernel(failing)).resolves.toContain(
      'cannot interrupt the kernel (gone)'
    );
    expect(STOP_BUTTON_HINT).toContain('stop button');
  });
});
