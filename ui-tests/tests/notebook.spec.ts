/**
 * The MIME renderer in a notebook: %flight magics against a real target, then the saved outputs
 * after a reload.
 */
import { expect, test } from '@jupyterlab/galata';
import { shootBothThemes, targetPid } from './helpers';

const MIME = 'application/vnd.jupyterlab-flight.v1+json';

test.describe('Flight results in a notebook', () => {
  test('magics render interactive views that survive a reload', async ({ page, tmpPath }) => {
    const pid = targetPid();
    const name = 'flight-report.ipynb';
    await page.notebook.createNew(name);
    const cells = [
      '%load_ext jupyterlab_flight',
      `%flight attach ${pid}`,
      '%stack',
      '%getglobal __main__ CONFIG',
      '%%flight console\nprint("hello from the target")\n6 * 7',
      '%flight ps',
      '%flight help stack',
      '%flight detach'
    ];
    await page.notebook.setCell(0, 'code', cells[0]);
    for (let i = 1; i < cells.length; i++) {
      await page.notebook.addCell('code', cells[i]);
    }
    await page.notebook.run();
    await page.notebook.save();

    const outputs = page.locator('.jp-RenderedFlight');
    await expect(outputs.first()).toBeVisible();
    // every flight output is rendered by our renderer, not by the text/html fallback
    await expect(page.locator(`.jp-RenderedFlight[data-mime-type="${MIME}"]`)).toHaveCount(7);

    const stack = page.locator('.jp-RenderedFlight', { has: page.locator('.jp-flight-kind-stack') });
    await expect(stack.locator('.jp-flight-thread-name', { hasText: 'MainThread' })).toBeVisible();
    expect(await stack.locator('.jp-flight-thread').count()).toBeGreaterThan(1);
    await shootBothThemes(page, stack, 'notebook-stack');

    const value = page.locator('.jp-RenderedFlight', { has: page.locator('.jp-flight-kind-value') });
    await expect(value.locator('.jp-flight-title')).toHaveText('__main__.CONFIG');
    await value.locator('.jp-flight-value-row', { hasText: "'limits'" }).click();
    await value.locator('.jp-flight-value-row', { hasText: "'big'" }).click();
    await expect(value.locator('.jp-flight-value-gap').first()).toContainText('not shown');
    await shootBothThemes(page, value, 'notebook-value');

    const consoleOut = page.locator('.jp-RenderedFlight', {
      has: page.locator('.jp-flight-kind-console')
    });
    await expect(consoleOut.locator('.jp-flight-stdout')).toHaveText('hello from the target\n');
    await expect(consoleOut.locator('.jp-flight-value-repr')).toHaveText('42');
    await shootBothThemes(page, consoleOut, 'notebook-console');

    const ps = page.locator('.jp-RenderedFlight', { has: page.locator('.jp-flight-kind-processes') });
    await expect(ps.locator(`td`, { hasText: String(pid) }).first()).toBeVisible();
    await ps.locator('th', { hasText: 'CPU %' }).click();
    await shootBothThemes(page, ps, 'notebook-processes');

    const help = page.locator('.jp-RenderedFlight', { has: page.locator('.jp-flight-kind-help') });
    await expect(help).toContainText('stack');
    await shootBothThemes(page, help, 'notebook-help');

    // reload: the saved outputs render again, without running anything
    await page.reload({ waitForIsReady: false });
    await page.waitForSelector('#jupyterlab-splash', { state: 'detached' });
    // the workspace reopens the notebook; open it by hand if it did not
    if (!(await page.notebook.isOpen(name))) {
      await page.notebook.openByPath(`${tmpPath}/${name}`);
    }
    await expect(page.locator('.jp-RenderedFlight .jp-flight-kind-stack .jp-flight-thread').first()).toBeVisible();
    await expect(page.locator(`.jp-RenderedFlight[data-mime-type="${MIME}"]`)).toHaveCount(7);
    await expect(
      page.locator('.jp-RenderedFlight .jp-flight-kind-value .jp-flight-value-key', { hasText: "'limits'" })
    ).toBeVisible();
  });
});
