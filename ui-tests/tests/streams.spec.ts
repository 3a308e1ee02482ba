/**
 * The stream views (watch, monitor, trace, tt, end): saved outputs in a notebook, and a real
 * `watch` streamed into the sidebar from the target that run.sh started.
 */
import { expect, test } from '@jupyterlab/galata';
import { openFlight, shootBothThemes, targetPid } from './helpers';
import {
  monitorRecords,
  traceRecord,
  ttDetailRecord,
  ttListRecord,
  ttRecords,
  watchEnd,
  watchRecords,
  watchStart
} from '../../src/__tests__/stream-samples';

const MIME = 'application/vnd.jupyterlab-flight.v1+json';

function cell(command: string, records: any[]): any {
  return {
    cell_type: 'code',
    execution_count: 1,
    metadata: {},
    source: [`%flight ${command}`],
    outputs: [
      {
        output_type: 'display_data',
        metadata: {},
        data: {
          [MIME]: { v: 1, command, pid: 4242, records, cut: false },
          'text/plain': [command]
        }
      }
    ]
  };
}

const notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {
    kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }
  },
  cells: [
    cell('watch __main__ compute -n 3', [watchStart, ...watchRecords, watchEnd]),
    cell('monitor __main__ compute -c 5', [
      { v: 1, kind: 'message', text: 'monitoring __main__.compute every 5 s' },
      ...monitorRecords,
      { v: 1, kind: 'end', reason: 'stopped' }
    ]),
    cell('trace __main__ Handler get', [traceRecord]),
    cell('tt -t __main__ Shop price', [...ttRecords, { v: 1, kind: 'end', reason: 'timeout' }]),
    cell('tt -l', [ttListRecord]),
    cell('tt -i 1001', [ttDetailRecord])
  ]
};

test.describe('stream views', () => {
  test('saved watch, monitor, trace and tt outputs render', async ({ page, tmpPath }) => {
    const path = `${tmpPath}/streams.ipynb`;
    await page.contents.uploadContent(JSON.stringify(notebook), 'text', path);
    await page.notebook.openByPath(path);
    const outputs = page.locator('.jp-RenderedFlight');
    await expect(outputs).toHaveCount(6);

    // watch: one table, exception row marked, a row opens to its value trees
    const watch = outputs.nth(0);
    await expect(watch.locator('table.jp-flight-watch-table')).toHaveCount(1);
    await expect(watch.locator('tr.jp-flight-row-exception')).toHaveCount(1);
    await watch.locator('tbody tr', { hasText: 'ZeroDivisionError' }).click();
    await expect(watch.locator('.jp-flight-detail-row .jp-flight-value-tree')).toHaveCount(2);
    await expect(watch.locator('.jp-flight-end')).toContainText('-n limit');
    await shootBothThemes(page, watch, 'notebook-watch');

    // monitor: a plotly chart over the cycles
    const monitor = outputs.nth(1);
    await expect(monitor.locator('.jp-flight-chart .main-svg').first()).toBeVisible();
    await expect(monitor.locator('.jp-flight-chart .legendtext')).toHaveCount(5);
    await shootBothThemes(page, monitor, 'notebook-monitor');

    // trace: the tree opens along the hottest path; the flame graph has tooltips
    const trace = outputs.nth(2);
    await expect(trace.locator('.jp-flight-call-hot')).toHaveCount(4);
    await shootBothThemes(page, trace, 'notebook-trace-tree');
    await trace.getByRole('button', { name: 'Flame graph' }).click();
    const frame = trace.locator('svg g.frame[name="inner_loop"]');
    await expect(frame).toBeVisible();
    // let the drawing animation finish
    await page.waitForTimeout(800);
    await frame.hover();
    await expect(trace.locator('.jp-flight-flame-tip')).toContainText('self 5.00 ms (5.0%)');
    await shootBothThemes(page, trace, 'notebook-trace-flame');
    await frame.click();
    await expect(trace.locator('.jp-flight-flame-details')).toContainText('zoomed into inner_loop');
    await trace.locator('.jp-flight-search').fill('json');
    await expect(trace.locator('.jp-flight-flame-details')).toContainText('1 match');
    await page.mouse.move(0, 0);
    await page.waitForTimeout(800);
    await shootBothThemes(page, trace, 'notebook-trace-flame-zoomed');

    // tt
    const tt = outputs.nth(3);
    await tt.locator('tbody tr', { hasText: '1001' }).click();
    await expect(tt.locator('.jp-flight-detail-row')).toContainText('tt -i 1001 -p');
    await shootBothThemes(page, tt, 'notebook-tt');
    await shootBothThemes(page, outputs.nth(4), 'notebook-tt-list');
    await shootBothThemes(page, outputs.nth(5), 'notebook-tt-detail');
  });

  test('a real watch streams into one table in the sidebar', async ({ page }) => {
    const pid = targetPid();
    const panel = await openFlight(page);
    const row = panel.locator(`.jp-flight-process[data-pid="${pid}"]`);
    await expect(row).toBeVisible();
    const session = panel.locator(`.jp-flight-session[data-pid="${pid}"]`);
    if (!(await session.isVisible())) {
      await row.getByRole('button', { name: 'Attach' }).click();
    }
    await expect(session).toBeVisible({ timeout: 30000 });
    await session.click();
    const input = panel.locator('.jp-flight-command-input');
    // the target's reporter thread calls json.dump every 50 ms
    await input.fill("watch json dump -n 4 --expr 'args[1].name, cost'");
    await input.press('Enter');
    const results = panel.locator('.jp-flight-results .jp-flight-entry').last();
    await expect(results.locator('.jp-flight-end')).toBeVisible({ timeout: 30000 });
    await expect(results.locator('table.jp-flight-watch-table')).toHaveCount(1);
    await expect(results.locator('table.jp-flight-watch-table tbody tr')).toHaveCount(4);
    await results.locator('tbody tr').first().click();
    await expect(results.locator('.jp-flight-detail-row .jp-flight-watch-expr')).toHaveCount(2);
    await shootBothThemes(page, panel, 'sidebar-watch');
    await row.getByRole('button', { name: 'Detach' }).click();
  });
});
