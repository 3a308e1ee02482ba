/**
 * How fast the views draw in headless Chromium (a benchmark, not a test: it fails only when a
 * view does not draw at all). Budgets from issues 4 and 10: a flame graph of 50,000 frames
 * renders in under 500 ms and zooms in under 100 ms; a stack view of 200 threads renders in
 * under 200 ms. d3-flame-graph (trace) and the canvas profile view (perf) are timed side by side
 * on the same trees of 5k, 50k and 200k frames (BENCH_SIZES, BENCH_SIDE_RUNS).
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

/**
 * The same trees in both flame graphs, in one run: d3-flame-graph (SVG, the trace view's
 * FlameGraphView) and the profile view's canvas (ProfileView, what perf shows). render = the
 * record -> the drawn view; zoom = a click on the depth-2 frame with the most frames under it;
 * search = typing a term that matches about one frame in ten.
 */
const SIZES = (process.env.BENCH_SIZES || '5000,50000,200000').split(',').map(Number);
const SIDE_RUNS = Number(process.env.BENCH_SIDE_RUNS || 5);
const SEARCH = 'fn_1';

test('flame graphs side by side: d3-flame-graph (SVG) and the canvas profile view', async ({
  page
}) => {
  const rows: any[] = [];
  for (const n of SIZES) {
    for (const renderer of ['d3-flame-graph', 'canvas']) {
      const render: number[] = [];
      const zoom: number[] = [];
      const search: number[] = [];
      let last: any = null;
      for (let run = 0; run < SIDE_RUNS; run++) {
        await page.goto(HARNESS);
        const r = await page.evaluate(
          async ([n, renderer, term]) => {
            const f = (window as any).flight;
            const frames2 = () =>
              new Promise<void>(resolve =>
                requestAnimationFrame(() => requestAnimationFrame(() => resolve()))
              );
            const tree = f.callTree(n);
            const stage = document.getElementById('stage')!;
            if (renderer === 'd3-flame-graph') {
              const frames = f.callTreeToFrames(tree);
              const t0 = performance.now();
              const view = new f.FlameGraphView(frames, { unit: 'ms' });
              stage.appendChild(view.node);
              view.draw(1200);
              await frames2();
              const t1 = performance.now();
              const drawn = stage.querySelectorAll('svg g.frame').length;
              const target = Array.from(stage.querySelectorAll('svg g.frame'))
                .map(g => ({ g, d: (g as any).__data__ }))
                .filter(x => x.d.depth === 2)
                .sort((a, b) => b.d.descendants().length - a.d.descendants().length)[0];
              const t2 = performance.now();
              target.g.dispatchEvent(new MouseEvent('click', { bubbles: true }));
              await frames2();
              const t3 = performance.now();
              const input = stage.querySelector('input.jp-flight-search') as HTMLInputElement;
              const t4 = performance.now();
              input.value = term as string;
              input.dispatchEvent(new Event('input'));
              await frames2();
              const t5 = performance.now();
              return {
                render: t1 - t0,
                zoom: t3 - t2,
                search: t5 - t4,
                count: view.count,
                drawn,
                zoomedInto: target.d.descendants().length,
                found: stage.querySelector('.jp-flight-flame-details')!.textContent
              };
            }
            const record = f.profileRecord(tree);
            const t0 = performance.now();
            const view = new f.ProfileView(record);
            stage.appendChild(view.node);
            await frames2();
            const t1 = performance.now();
            const graph = view.graph;
            const layout = graph.layout;
            const drawn = graph.drawnCount;
            // the depth-2 frame with the most frames under it, clicked where it is drawn
            let best = -1;
            for (let i = 0; i < layout.size; i++) {
              if (
                layout.depth[i] === 2 &&
                (best < 0 || layout.end[i] - i > layout.end[best] - best)
              ) {
                best = i;
              }
            }
            const box = graph.frameBox(best);
            const canvas = stage.querySelector('canvas')!;
            const at = canvas.getBoundingClientRect();
            const t2 = performance.now();
            canvas.dispatchEvent(
              new MouseEvent('click', {
                bubbles: true,
                clientX: at.left + box.x + box.width / 2,
                clientY: at.top + box.y + box.height / 2
              })
            );
            await frames2();
            const t3 = performance.now();
            const input = stage.querySelector('input.jp-flight-search') as HTMLInputElement;
            const t4 = performance.now();
            input.value = term as string;
            input.dispatchEvent(new Event('input'));
            await frames2();
            const t5 = performance.now();
            return {
              render: t1 - t0,
              zoom: t3 - t2,
              search: t5 - t4,
              count: graph.count,
              drawn,
              zoomedInto: layout.end[best] - best,
              zoomed: graph.zoomPath.length,
              found: stage.querySelector('.jp-flight-profile-found')!.textContent
            };
          },
          [n, renderer, SEARCH] as [number, string, string]
        );
        expect(r.count).toBe(n);
        if (renderer === 'canvas') {
          expect(r.zoomed).toBe(2);
          expect(r.found).toContain('match');
        }
        render.push(r.render);
        zoom.push(r.zoom);
        search.push(r.search);
        last = r;
        console.log(
          `${renderer} ${n}: run ${run + 1}: render ${r.render.toFixed(1)} ms (${r.drawn} frames drawn), zoom ${r.zoom.toFixed(1)} ms into ${r.zoomedInto} frames, search ${r.search.toFixed(1)} ms (${r.found})`
        );
      }
      rows.push({
        renderer,
        frames: n,
        drawn: last.drawn,
        renderMedianMs: median(render),
        zoomMedianMs: median(zoom),
        searchMedianMs: median(search),
        renderRuns: render,
        zoomRuns: zoom,
        searchRuns: search
      });
    }
  }
  results.sideBySide = { runs: SIDE_RUNS, search: SEARCH, rows };
  console.log('renderer         frames  render ms  zoom ms  search ms (medians)');
  for (const r of rows) {
    console.log(
      `${r.renderer.padEnd(16)} ${String(r.frames).padStart(6)} ${r.renderMedianMs.toFixed(1).padStart(10)} ${r.zoomMedianMs.toFixed(1).padStart(8)} ${r.searchMedianMs.toFixed(1).padStart(10)}`
    );
  }
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
