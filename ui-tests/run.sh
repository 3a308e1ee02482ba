#!/usr/bin/env bash
# Browser tests of the JupyterLab frontend: Galata / Playwright driving Debian's Chromium against
# the real server extension and a real target process. From the repository root:
#     bash ui-tests/run.sh
# Needs the venv at .venv (make install) with the labextension built (jlpm build).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/.venv/bin:$PATH"
export FLIGHT_UI_PORT=${FLIGHT_UI_PORT:-8899}
TARGET_PYTHON=${TARGET_PYTHON:-$(ls -d "$HOME"/.pyenv/versions/3.11*/bin/python 2>/dev/null | head -1)}
TARGET_PYTHON=${TARGET_PYTHON:-python3}

# what the tests need: Debian's Chromium (no browser download) and the test packages
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
(cd ui-tests && jlpm install >/dev/null)

WORK=$(mktemp -d /tmp/flight-ui-XXXXXX)
mkdir -p "$WORK/root" ui-tests/screenshots
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# a real target: a small service with threads and a CONFIG global
"$TARGET_PYTHON" -u tests/targets/service.py "$WORK/report.json" >"$WORK/target.log" 2>&1 &
pids+=($!)
export FLIGHT_TARGET_PID=${pids[0]}
for _ in $(seq 100); do grep -q READY "$WORK/target.log" && break; sleep 0.1; done
grep -q READY "$WORK/target.log" || { echo "the target did not start:"; cat "$WORK/target.log"; exit 1; }

# JupyterLab with galata's test configuration, on its own port, in a temporary root folder
export JUPYTERLAB_GALATA_ROOT_DIR="$WORK/root"
(cd ui-tests && exec jupyter lab --config jupyter_server_test_config.py $( [ "$(id -u)" = 0 ] && echo --allow-root )) \
  >"$WORK/jupyter.log" 2>&1 &
pids+=($!)
for _ in $(seq 120); do
  curl -fs "http://localhost:$FLIGHT_UI_PORT/lab" >/dev/null 2>&1 && break
  kill -0 "${pids[1]}" 2>/dev/null || { echo "JupyterLab exited:"; cat "$WORK/jupyter.log"; exit 1; }
  sleep 0.5
done

status=0
(cd ui-tests && jlpm playwright test "$@") || status=$?
# the WebSocket API from a node `ws` client, against the same server and target (whole runs only)
if [ $# -eq 0 ]; then
  node --test ui-tests/ws/stream.test.mjs || status=$?
fi
if [ $status -ne 0 ]; then
  echo "--- JupyterLab log (last 60 lines) ---"; tail -60 "$WORK/jupyter.log"
fi
echo "screenshots: ui-tests/screenshots/"
exit $status
