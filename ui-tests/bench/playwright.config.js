/**
 * Playwright configuration of the view benchmark (not a test run: `bash ui-tests/bench/run.sh`).
 * Headless Debian Chromium, no JupyterLab server: the views are timed on a static page.
 */
module.exports = {
  testDir: __dirname,
  testMatch: '*-bench.spec.ts',
  reporter: [['list']],
  workers: 1,
  retries: 0,
  timeout: 300000,
  use: {
    headless: true,
    video: 'off',
    trace: 'off',
    viewport: { width: 1280, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking']
    }
  }
};
