#!/usr/bin/env bash
# Times the flame graph and stack views in headless Chromium (a benchmark, not a test).
# From the repository root, after `jlpm build` (or build:prod):
#     bash ui-tests/bench/run.sh
# Prints the figures and writes them to ui-tests/bench/results.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
(cd ui-tests && jlpm install >/dev/null)
[ -f lib/views/flamegraph.js ] || jlpm build:lib
node_modules/.bin/webpack --config ui-tests/bench/webpack.config.js >/dev/null
cd ui-tests && jlpm playwright test -c bench/playwright.config.js "$@"
