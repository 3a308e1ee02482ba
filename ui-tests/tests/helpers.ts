/**
 * Helpers of the jupyterlab-flight browser tests.
 */
import type { Locator, Page } from '@playwright/test';
import * as path from 'path';

/**
 * The pid of the real target process started by run.sh (tests/targets/service.py).
 */
export function targetPid(): number {
  const pid = Number(process.env.FLIGHT_TARGET_PID);
  if (!pid) {
    throw new Error('FLIGHT_TARGET_PID is not set: run the tests with ui-tests/run.sh');
  }
  return pid;
}

/**
 * Where screenshots go (gitignored; kept as test artifacts).
 */
export const SCREENSHOTS = path.join(__dirname, '..', 'screenshots');

/**
 * Takes a screenshot of `locator` in the light theme, then in the dark theme, and goes back to light.
 */
export async function shootBothThemes(
  page: Page & { theme: any },
  locator: Locator,
  name: string
): Promise<void> {
  await locator.scrollIntoViewIfNeeded();
  await locator.screenshot({ path: path.join(SCREENSHOTS, `${name}-light.png`) });
  await page.theme.setDarkTheme();
  await locator.scrollIntoViewIfNeeded();
  await locator.screenshot({ path: path.join(SCREENSHOTS, `${name}-dark.png`) });
  await page.theme.setLightTheme();
}

/**
 * Opens the Flight sidebar.
 */
export async function openFlight(page: Page & { sidebar: any }): Promise<Locator> {
  await page.sidebar.openTab('jupyterlab-flight-sidebar');
  const panel = page.locator('#jupyterlab-flight-sidebar');
  await panel.waitFor({ state: 'visible' });
  return panel;
}
