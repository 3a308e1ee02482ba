/**
 * Playwright configuration for the jupyterlab-flight browser tests.
 *
 * Galata's base configuration, driving Debian's Chromium (no browser download), video off.
 * `bash ui-tests/run.sh` from the repository root starts the targets and JupyterLab, then this.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.FLIGHT_UI_PORT || '8899';

module.exports = {
  ...baseConfig,
  testDir: './tests',
  reporter: [['list']],
  workers: 1,
  retries: 0,
  timeout: 90000,
  expect: { timeout: 20000 },
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    video: 'off',
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        '--disable-lcd-text'
      ]
    }
  },
  webServer: {
    command: 'jlpm start',
    url: `http://localhost:${port}/lab`,
    timeout: 120000,
    reuseExistingServer: true
  }
};
