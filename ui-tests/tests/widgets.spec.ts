/**
 * A streaming magic as a live widget: records grow in place, Pause holds them, Stop ends the
 * stream in the target through the server, and the cell keeps the static result.
 */
import { expect, test } from '@jupyterlab/galata';
import { shootBothThemes, targetPid } from './helpers';

const MIME = 'application/vnd.jupyterlab-flight.v1+json';

test.describe('Live widgets for streams', () => {
  test('watch streams live, pauses, stops, and leaves the static result', async ({
    page,
    tmpPath
  }) => {
    const pid = targetPid();
    const name = 'flight-live.ipynb';
    await page.notebook.createNew(name);
    await page.notebook.setCell(0, 'code', `%load_ext jupyterlab_flight\n%flight attach ${pid}`);
    // the target's reporter thread calls json.dump every 50 ms; -n far away: it runs until stopped
    await page.notebook.addCell('code', "%flight watch json dump -n 100000 --expr 'args[1].name, cost'");
    await page.notebook.runCell(0);

    // run the stream without waiting for it: the cell stays busy until Stop
    await page.notebook.selectCells(1);
    await page.keyboard.press('Shift+Enter');
    const live = page.locator('.jp-flight-live');
    await expect(live).toBeVisible({ timeout: 30000 });
    await expect(live).toHaveAttribute('data-status', 'running');
    const rows = live.locator('table.jp-flight-watch-table tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30000 }).toBeGreaterThan(3);
    // one table for the whole stream
    await expect(live.locator('table.jp-flight-watch-table')).toHaveCount(1);
    await shootBothThemes(page, live, 'widget-live');

    // Pause: the view holds new records, the stream goes on
    await live.locator('.jp-flight-live-pause').click();
    await expect(live).toHaveAttribute('data-status', 'paused');
    const shown = await rows.count();
    await expect(live.locator('.jp-flight-live-held')).toContainText(/[1-9]\d* new record/, {
      timeout: 10000
    });
    expect(await rows.count()).toBe(shown);
    await shootBothThemes(page, live, 'widget-paused');

    // Resume shows what was held
    await live.locator('.jp-flight-live-pause').click();
    await expect(live).toHaveAttribute('data-status', 'running');
    await expect.poll(() => rows.count()).toBeGreaterThan(shown);
    // however many calls come, the table scrolls inside a bounded height, newest in view
    await expect.poll(() => rows.count(), { timeout: 30000 }).toBeGreaterThan(40);
    const box = live.locator('.jp-flight-table-scroll');
    expect((await box.boundingBox())!.height).toBeLessThan(440);
    await expect
      .poll(() => box.evaluate(e => e.scrollHeight - e.scrollTop - e.clientHeight), { timeout: 10000 })
      .toBeLessThan(30);

    // Stop: the stream ends in the target; the widget gives way to the static result
    await live.locator('.jp-flight-live-stop').click();
    await expect(live).toHaveCount(0, { timeout: 30000 });
    const result = page
      .locator('.jp-Cell')
      .nth(1)
      .locator(`.jp-RenderedFlight[data-mime-type="${MIME}"]`);
    await expect(result).toBeVisible();
    await expect(result.locator('.jp-flight-end')).toContainText('stopped');
    await expect(result.locator('table.jp-flight-watch-table')).toHaveCount(1);
    expect(await result.locator('table.jp-flight-watch-table tbody tr').count()).toBeGreaterThan(3);
    await expect(page.locator('.jp-Cell').nth(1).locator('.jp-InputPrompt')).not.toContainText('*');
    await shootBothThemes(page, result, 'widget-ended');

    // monitor: the live chart grows a point per cycle, then the result keeps it
    // (Shift+Enter on the last cell added an empty one below it)
    await page.notebook.setCell(2, 'code', '%flight monitor json dump -c 1 -n 6');
    await page.notebook.selectCells(2);
    await page.keyboard.press('Shift+Enter');
    const chart = page.locator('.jp-flight-live .jp-flight-chart .main-svg').first();
    await expect(chart).toBeVisible({ timeout: 30000 });
    await shootBothThemes(page, page.locator('.jp-flight-live'), 'widget-monitor');
    const monitorResult = page
      .locator('.jp-Cell')
      .nth(2)
      .locator(`.jp-RenderedFlight[data-mime-type="${MIME}"]`);
    await expect(monitorResult.locator('.jp-flight-end')).toContainText('limit', {
      timeout: 30000
    });
    await expect(monitorResult.locator('.jp-flight-chart .main-svg').first()).toBeVisible();
    await expect(page.locator('.jp-flight-live')).toHaveCount(0);

    // the saved notebook keeps the result, not the widget
    await page.notebook.save();
    await page.reload({ waitForIsReady: false });
    await page.waitForSelector('#jupyterlab-splash', { state: 'detached' });
    if (!(await page.notebook.isOpen(name))) {
      await page.notebook.openByPath(`${tmpPath}/${name}`);
    }
    // wait on what the page shows, not on time: under load the notebook and plotly take a while,
    // and a windowed notebook draws a cell only once it is in view
    const ends = page.locator(`.jp-RenderedFlight[data-mime-type="${MIME}"] .jp-flight-end`);
    await expect(ends).toHaveCount(2, { timeout: 30000 });
    await expect(ends.first()).toContainText('stopped');
    const savedChart = page.locator('.jp-Cell').nth(2).locator('.jp-flight-chart');
    await savedChart.scrollIntoViewIfNeeded({ timeout: 30000 });
    await expect(savedChart.locator('.main-svg').first()).toBeVisible({ timeout: 30000 });
    await expect(page.locator('.jp-flight-live')).toHaveCount(0);
    await page.notebook.runCell(0);
    await page.notebook.setCell(3, 'code', '%flight detach');
    await page.notebook.runCell(3);
  });
});
