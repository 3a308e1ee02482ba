/**
 * The Flight sidebar against the real server extension and a real target process.
 */
import { expect, test } from '@jupyterlab/galata';
import { openFlight, shootBothThemes, targetPid } from './helpers';

test.describe('Flight sidebar', () => {
  test('lists a real process, attaches, runs stack and getglobal, detaches', async ({
    page
  }) => {
    const pid = targetPid();
    // the sidebar has its tab with the Flight icon
    const tab = page.locator('.jp-SideBar .lm-TabBar-tab[data-id="jupyterlab-flight-sidebar"]');
    await expect(tab).toBeVisible();
    await expect(tab).toHaveAttribute('title', /Flight/);

    const panel = await openFlight(page);
    const row = panel.locator(`.jp-flight-process[data-pid="${pid}"]`);
    await expect(row).toBeVisible();
    await expect(row).toContainText('service.py');

    // the search box filters the list (by run.sh's work folder, in the target's command line:
    // other test runs on the machine may run tests/targets/service.py too)
    await panel.locator('.jp-flight-search').fill('/tmp/flight-ui-');
    await expect(panel.locator('.jp-flight-process')).toHaveCount(1);
    await shootBothThemes(page, panel, 'sidebar-processes');

    await row.getByRole('button', { name: 'Attach' }).click();
    const session = panel.locator(`.jp-flight-session[data-pid="${pid}"]`);
    await expect(session).toBeVisible({ timeout: 30000 });
    await expect(session).toHaveClass(/jp-mod-selected/);
    await expect(row.getByRole('button', { name: 'Detach' })).toBeVisible();

    // Tab completes the command name; Enter runs it over the WebSocket
    const input = panel.locator('.jp-flight-command-input');
    await input.fill('sta');
    await input.press('Tab');
    await expect(input).toHaveValue('stack ');
    await input.press('Enter');
    const stack = panel.locator('.jp-flight-results .jp-flight-kind-stack').last();
    await expect(stack.locator('.jp-flight-thread').first()).toBeVisible();
    await expect(stack.locator('.jp-flight-thread-name', { hasText: 'MainThread' })).toBeVisible();
    expect(await stack.locator('.jp-flight-thread').count()).toBeGreaterThan(1);
    await shootBothThemes(page, panel, 'sidebar-stack');

    // the filter narrows the threads
    await stack.locator('.jp-flight-filter').fill('MainThread');
    await expect(stack.locator('.jp-flight-thread:visible')).toHaveCount(1);

    await input.fill('getglobal __main__ CONFIG');
    await input.press('Enter');
    const value = panel.locator('.jp-flight-results .jp-flight-kind-value').last();
    await expect(value.locator('.jp-flight-value-key', { hasText: "'limits'" })).toBeVisible();
    await value.locator('.jp-flight-value-row', { hasText: "'limits'" }).click();
    await expect(value.locator('.jp-flight-value-key', { hasText: "'b'" })).toBeVisible();

    // history: ArrowUp brings back the last command
    await input.press('ArrowUp');
    await expect(input).toHaveValue('getglobal __main__ CONFIG');
    await input.fill('');

    // Stop interrupts a long command in the target
    await input.fill('console -c "while True: sum(range(1000))"');
    await input.press('Enter');
    const stop = panel.getByRole('button', { name: 'Stop' });
    await expect(stop).toBeEnabled();
    await page.waitForTimeout(500);
    await stop.click();
    await expect(panel.locator('.jp-flight-results .jp-flight-entry').last()).toContainText(
      'interrupted',
      { timeout: 30000 }
    );
    await expect(stop).toBeDisabled();

    await session.getByRole('button', { name: 'Detach' }).click();
    await expect(session).toHaveCount(0, { timeout: 30000 });
    await expect(row.getByRole('button', { name: 'Attach' })).toBeVisible();
  });

  test('has command palette entries', async ({ page }) => {
    await page.keyboard.press('Control+Shift+C');
    const palette = page.locator('#command-palette');
    await palette.locator('input').fill('Flight');
    for (const label of [
      'Flight: Attach to a Process…',
      'Flight: Detach from the Selected Process',
      'Flight: Run a Command…'
    ]) {
      await expect(palette.locator('.lm-CommandPalette-itemLabel', { hasText: label })).toHaveCount(1);
    }
    await page.keyboard.press('Escape');
  });
});
