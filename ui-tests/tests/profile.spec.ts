/**
 * perf against a real target: the canvas flame graph while it samples (a live widget that
 * updates in place), the final result, hover, thread switch, the saved result after a reload;
 * Stop of a perf stream (the kernel's interrupt); and perf in the sidebar.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';
import * as path from 'path';
import { openFlight, SCREENSHOTS, shootBothThemes, targetPid } from './helpers';

const MIME = 'application/vnd.jupyterlab-flight.v1+json';

function samplesOf(text: string | null): number {
  const m = /([\d,]+) samples?/.exec(text ?? '');
  return m ? Number(m[1].replace(/,/g, '')) : -1;
}

/**
 * Hovers the frame drawn `row` rows above the root (flame: the root is the bottom row) at `x`
 * pixels from the left, and returns the tooltip.
 */
async function hoverFrame(page: Page, profile: Locator, row: number, x = 12): Promise<Locator> {
  const canvas = profile.locator('canvas');
  const box = (await canvas.boundingBox())!;
  // hover() scrolls the point into view first
  await canvas.hover({ position: { x, y: box.height - 9 - row * 18 } });
  const tip = profile.locator('.jp-flight-flame-tip');
  await expect(tip).toBeVisible();
  return tip;
}

test.describe('perf: sampling flame graphs', () => {
  test('perf -d 3 in a notebook: live, final, hover, threads, saved', async ({ page, tmpPath }) => {
    const pid = targetPid();
    const name = 'flight-perf.ipynb';
    await page.notebook.createNew(name);
    await page.notebook.setCell(0, 'code', `%load_ext jupyterlab_flight\n%flight attach ${pid}`);
    await page.notebook.addCell('code', '%flight perf -d 3');
    await page.notebook.runCell(0);

    // run it without waiting: the live widget shows the flame graph while it samples
    await page.notebook.selectCells(1);
    await page.keyboard.press('Shift+Enter');
    const live = page.locator('.jp-flight-live');
    await expect(live).toBeVisible({ timeout: 30000 });
    const liveProfile = live.locator('.jp-flight-profile');
    await expect(liveProfile).toBeVisible({ timeout: 10000 });
    await expect(liveProfile.locator('.jp-flight-badge-live')).toBeVisible();
    const samples = liveProfile.locator('.jp-flight-profile-samples');
    const first = samplesOf(await samples.textContent());
    // a second snapshot updates the same view (one flame graph, more samples)
    await expect
      .poll(async () => samplesOf(await samples.textContent()), { timeout: 10000 })
      .toBeGreaterThan(first);
    await expect(live.locator('.jp-flight-profile')).toHaveCount(1);
    await expect(live.locator('canvas')).toHaveCount(1);

    // the final result replaces the widget
    await expect(live).toHaveCount(0, { timeout: 30000 });
    const result = page.locator('.jp-Cell').nth(1).locator(`.jp-RenderedFlight[data-mime-type="${MIME}"]`);
    const profile = result.locator('.jp-flight-profile');
    await expect(profile).toHaveCount(1);
    await expect(profile.locator('.jp-flight-badge-live')).toHaveCount(0);
    await expect(result.locator('.jp-flight-end')).toContainText('duration elapsed');
    const header = profile.locator('.jp-flight-profile-header');
    await expect(header).toContainText('py-spy');
    await expect(header).toContainText(/of 100 samples\/s/);
    expect(samplesOf(await profile.locator('.jp-flight-profile-samples').textContent())).toBeGreaterThan(50);
    // the top functions: the target's workers spend their time in work()'s generator
    const top = profile.locator('.jp-flight-profile-top tbody tr');
    expect(await top.count()).toBeGreaterThan(2);
    await expect(profile.locator('.jp-flight-profile-top')).toContainText('service.py');

    // hover: the frame above the root (the outermost function of a thread)
    let tip = await hoverFrame(page, profile, 1);
    await expect(tip).toContainText('% of all');
    await expect(tip).toContainText(/self \d+ samples?/);
    await expect(tip.locator('.jp-flight-flame-tip-where')).toContainText(/\.py:\d+/);
    // the tooltip as a user sees it, in both themes (hovered again once scrolled into view)
    await profile.scrollIntoViewIfNeeded();
    await hoverFrame(page, profile, 2, 30);
    await profile.screenshot({ path: path.join(SCREENSHOTS, 'perf-hover-light.png') });
    await page.theme.setDarkTheme();
    await hoverFrame(page, profile, 2, 30);
    await profile.screenshot({ path: path.join(SCREENSHOTS, 'perf-hover-dark.png') });
    await page.theme.setLightTheme();
    await page.mouse.move(0, 0);
    await shootBothThemes(page, result, 'perf-final');

    // one thread: the graph and the table are that thread's
    const select = profile.locator('select.jp-flight-profile-thread');
    const options = await select.locator('option').allTextContents();
    expect(options.length).toBeGreaterThan(2);
    const worker = options.findIndex(o => o.startsWith('worker'));
    await select.selectOption({ index: worker > 0 ? worker : 1 });
    await expect(profile.locator('.jp-flight-profile-top-box > summary')).not.toContainText('all threads');
    tip = await hoverFrame(page, profile, 0);
    await expect(tip).not.toContainText('of all');
    await expect(tip).toContainText('% of ');

    // click to zoom into the frame above the root, search, and back
    const canvas = profile.locator('canvas');
    const box = (await canvas.boundingBox())!;
    await canvas.click({ position: { x: 12, y: box.height - 9 - 18 } });
    await expect(profile.locator('.jp-flight-profile-zoom')).toContainText('zoomed into');
    await profile.locator('input.jp-flight-profile-search').fill('work');
    await expect(profile.locator('.jp-flight-profile-found')).toContainText(/\d+ frames? match, [\d,]+ samples? \(/);
    await shootBothThemes(page, result, 'perf-thread-zoom');
    await profile.locator('.jp-flight-profile-reset').click();
    await expect(profile.locator('.jp-flight-profile-zoom')).not.toContainText('zoomed into');

    // the icicle toggle redraws with the root at the top
    await profile.locator('[data-value="icicle"]').click();
    await expect(profile.locator('[data-value="icicle"]')).toHaveAttribute('aria-pressed', 'true');

    // a download is made in the browser from the record
    const download = page.waitForEvent('download');
    await profile.locator('[data-format="collapsed"]').click();
    const file = await download;
    expect(file.suggestedFilename()).toBe(`profile-${pid}.txt`);

    // the saved notebook keeps the final result: one flame graph, no widget
    await page.notebook.save();
    await page.reload({ waitForIsReady: false });
    await page.waitForSelector('#jupyterlab-splash', { state: 'detached' });
    if (!(await page.notebook.isOpen(name))) {
      await page.notebook.openByPath(`${tmpPath}/${name}`);
    }
    const saved = page.locator(`.jp-RenderedFlight[data-mime-type="${MIME}"] .jp-flight-profile`);
    await expect(saved).toHaveCount(1);
    await expect(saved.locator('canvas')).toBeVisible();
    expect(samplesOf(await saved.locator('.jp-flight-profile-samples').textContent())).toBeGreaterThan(50);
    await expect(page.locator('.jp-flight-live')).toHaveCount(0);
    await hoverFrame(page, saved, 1);
    await shootBothThemes(page, saved, 'perf-saved');
  });

});

test.describe('perf: Stop in a notebook', () => {
  // galata's kernel mock reads every POST answer as JSON; the interrupt's is empty (204)
  test.use({ kernels: null });

  test('Stop of perf in a notebook interrupts the kernel and keeps the samples', async ({ page }) => {
    const pid = targetPid();
    await page.notebook.createNew('flight-perf-stop.ipynb');
    await page.notebook.setCell(0, 'code', `%load_ext jupyterlab_flight\n%flight attach ${pid}`);
    // no -d: it samples until stopped
    await page.notebook.addCell('code', '%flight perf');
    await page.notebook.runCell(0);
    await page.notebook.selectCells(1);
    await page.keyboard.press('Shift+Enter');
    const live = page.locator('.jp-flight-live');
    await expect(live.locator('.jp-flight-profile')).toBeVisible({ timeout: 30000 });
    await expect(live.locator('.jp-flight-badge-live')).toBeVisible();
    await shootBothThemes(page, live, 'perf-live');
    await live.locator('.jp-flight-live-stop').click();
    await expect(live).toHaveCount(0, { timeout: 30000 });
    const result = page.locator('.jp-Cell').nth(1).locator(`.jp-RenderedFlight[data-mime-type="${MIME}"]`);
    await expect(result.locator('.jp-flight-profile')).toHaveCount(1);
    // the final profile (every sample so far), not a live snapshot
    await expect(result.locator('.jp-flight-badge-live')).toHaveCount(0);
    await expect(result).toContainText(/stopped|interrupted/);
    await shootBothThemes(page, result, 'perf-stopped');
    expect(samplesOf(await result.locator('.jp-flight-profile-samples').textContent())).toBeGreaterThan(20);
    await expect(page.locator('.jp-Cell').nth(1).locator('.jp-InputPrompt')).not.toContainText('*');
  });

});

test.describe('perf in the sidebar', () => {
  test('perf -d 2 in the sidebar: one flame graph that updates, then the final one', async ({
    page
  }) => {
    const pid = targetPid();
    const panel = await openFlight(page);
    const row = panel.locator(`.jp-flight-process[data-pid="${pid}"]`);
    await expect(row).toBeVisible();
    await row.getByRole('button', { name: 'Attach' }).click();
    const session = panel.locator(`.jp-flight-session[data-pid="${pid}"]`);
    await expect(session).toBeVisible({ timeout: 30000 });

    const input = panel.locator('.jp-flight-command-input');
    await input.fill('perf -d 2');
    await input.press('Enter');
    const entry = panel.locator('.jp-flight-results .jp-flight-entry').last();
    const profile = entry.locator('.jp-flight-profile');
    await expect(profile).toBeVisible({ timeout: 30000 });
    await expect(entry.locator('.jp-flight-end')).toBeVisible({ timeout: 30000 });
    // the live snapshots and the final record: one view
    await expect(entry.locator('.jp-flight-profile')).toHaveCount(1);
    await expect(profile.locator('.jp-flight-badge-live')).toHaveCount(0);
    expect(samplesOf(await profile.locator('.jp-flight-profile-samples').textContent())).toBeGreaterThan(20);
    const tip = await hoverFrame(page, profile, 1);
    await expect(tip).toContainText('samples');
    await shootBothThemes(page, entry, 'sidebar-perf');

    // perf until stopped: Stop ends it and the entry keeps one profile, with what was sampled
    await input.fill('perf');
    await input.press('Enter');
    const running = panel.locator('.jp-flight-results .jp-flight-entry').last();
    await expect(running.locator('.jp-flight-profile')).toBeVisible({ timeout: 30000 });
    const stop = panel.getByRole('button', { name: 'Stop' });
    await expect(stop).toBeEnabled();
    await stop.click();
    await expect(running).toContainText(/stopped|interrupted/, { timeout: 30000 });
    await expect(stop).toBeDisabled();
    await expect(running.locator('.jp-flight-profile')).toHaveCount(1);
    expect(samplesOf(await running.locator('.jp-flight-profile-samples').textContent())).toBeGreaterThan(0);

    await session.getByRole('button', { name: 'Detach' }).click();
    await expect(session).toHaveCount(0, { timeout: 30000 });
  });
});
