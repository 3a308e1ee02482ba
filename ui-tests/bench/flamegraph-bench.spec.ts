/**
 * How fast the views draw in headless Chromium (a benchmark, not a test: it fails only when a
 * view does not draw at all). Budgets from issue 4: a flame graph of 50,000 frames renders in
 * under 500 ms and zooms in under 100 ms; a stack view of 200 threads renders in under 200 ms.
 *
 * Each figure is the median of RUNS runs on a fresh page, timed inside the page from the start
 * of the work (records already parsed) until two animation frames later, so that style, layout
 * and paint of the result are counted. The page is ui-tests/bench/harness.html with the
 * extension's compiled views (lib/) bundled by webpack.config.js.
 */
import { expect, test } from '@playwright/test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const RUNS = Number(process.env.BENCH_RUNS || 7);
const FRAMES = 50000;
const THREADS = 200;
const FRAMES_PER_THREAD = 30;
const HARNESS = 'file://' + path.join(__dirname, 'harness.html');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const results: { [name: string]: any } = {};

test.describe.configure({ mode: 'serial' });

test('flame graph of 50,000 frames: render and zoom', async ({ page }) => {
  const render: number[] = [];
  const zoom: number[] = [];
  let drawn = 0;
  let drawnAfterZoom = 0;
  for (let run = 0; run < RUNS; run++) {
    await page.goto(HARNESS);
    const r = await page.evaluate(async n => {
      const f = (window as any).flight;
      const frames2 = () =>
        new Promise<void>(resolve =>
          requestAnimationFrame(() => requestAnimationFrame(() => resolve()))
        );
      const tree = f.callTree(n);
      const stage = document.getElementById('stage')!;
      // render: the trace record's call tree -> frames -> the drawn graph, painted
      const t0 = performance.now();
      const view = new f.FlameGraphView(f.callTreeToFrames(tree), { unit: 'ms' });
      stage.appendChild(view.node);
      view.draw(1200);
      await frames2();
      const t1 = performance.now();
      const count = view.count;
      const drawnFrames = stage.querySelectorAll('svg g.frame').length;
      // zoom: a click on a frame two levels down with many frames under it
      const candidates = Array.from(stage.querySelectorAll('svg g.frame')) as SVGGElement[];
      const target = candidates
        .map(g => ({ g, d: (g as any).__data__ }))
        .filter(x => x.d.depth === 2)
        .sort((a, b) => b.d.descendants().length - a.d.descendants().length)[0];
      const t2 = performance.now();
      target.g.dispatchEvent(new MouseEvent('click', { bubbles: true }));
      await frames2();
      const t3 = performance.now();
      return {
        render: t1 - t0,
        zoom: t3 - t2,
        count,
        drawnFrames,
        zoomedInto: target.d.descendants().length,
        drawnAfterZoom: stage.querySelectorAll('svg g.frame').length,
        details: stage.querySelector('.jp-flight-flame-details')!.textContent
      };
    }, FRAMES);
    expect(r.count).toBe(FRAMES);
    expect(r.details).toContain('zoomed into');
    render.push(r.render);
    zoom.push(r.zoom);
    drawn = r.drawnFrames;
    drawnAfterZoom = r.drawnAfterZoom;
    console.log(
      `run ${run + 1}: render ${r.render.toFixed(1)} ms (${r.drawnFrames} of ${r.count} frames wide enough to draw), zoom ${r.zoom.toFixed(1)} ms into ${r.zoomedInto} frames (${r.drawnAfterZoom} drawn)`
    );
  }
  results.flamegraph = {
    frames: FRAMES,
    drawn,
    drawnAfterZoom,
    renderMedianMs: median(render),
    zoomMedianMs: median(zoom),
    renderRuns: render,
    zoomRuns: zoom
  };
});

test('stack view of 200 threads: render', async ({ page }) => {
  const render: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await page.goto(HARNESS);
    const r = await page.evaluate(
      async ([threads, frames]) => {
        const f = (window as any).flight;
        const record = f.stackRecord(threads, frames);
        const stage = document.getElementById('stage')!;
        const t0 = performance.now();
        stage.appendChild(f.renderRecord(record));
        await new Promise<void>(resolve =>
          requestAnimationFrame(() => requestAnimationFrame(() => resolve()))
        );
        const t1 = performance.now();
        return {
          render: t1 - t0,
          threads: stage.querySelectorAll('.jp-flight-thread').length,
          frames: stage.querySelectorAll('.jp-flight-frame').length
        };
      },
      [THREADS, FRAMES_PER_THREAD]
    );
    expect(r.threads).toBe(THREADS);
    render.push(r.render);
    console.log(
      `run ${run + 1}: render ${r.render.toFixed(1)} ms (${r.threads} threads, ${r.frames} frames built)`
    );
  }
  results.stack = {
    threads: THREADS,
    framesPerThread: FRAMES_PER_THREAD,
    renderMedianMs: median(render),
    renderRuns: render
  };
});

test.afterAll(async ({ browser }) => {
  const out = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`,
    chromium: browser.version(),
    runs: RUNS,
    ...results
  };
  fs.writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify(out, null, 2));
  console.log(JSON.stringify(out, null, 2));
});
