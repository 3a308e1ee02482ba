"""The live output of a streaming magic: one display update after 1k, 10k and 100k records.

    python bench/live_output.py [--runs N] [--sizes 1000,10000,100000]

A synthetic ``watch`` stream of real record shapes (tests/fixtures/records/watch.json, with the
index, time and first argument changing per call; a ``message`` first) is fed to both ways of
showing it while it runs, and one update is timed at each size (build the bundle, then encode it
as JSON the way the display message carries it):

  old    mime_bundle(every record so far): renders every record again at each update
  new    LiveBundle.bundle(): the last LIVE_WINDOW records, rendered once when they came

Also timed: LiveBundle.add per record (its rendering), and the end of the stream: final() against
mime_bundle of every record (the same bundle, from the kept renderings). No target process: this
is the front door's cost only. Raw timings go to bench/results/live_output-<time>.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from typing import Any

import _common as c

sys.path.insert(0, os.path.join(c.REPO, "server_ext"))

from jupyterlab_flight.render.mime import LIVE_WINDOW, LiveBundle, mime_bundle  # noqa: E402

FIXTURES = os.path.join(c.REPO, "tests", "fixtures", "records")
COMMAND = "watch __main__ compute --expr 'args, return_obj, exception, 1/0' -e -n 100000"
PID = 10916


def fixture(kind: str) -> dict:
    with open(os.path.join(FIXTURES, f"{kind}.json")) as f:
        return json.load(f)


def watch_stream(n: int) -> list[dict]:
    """A stream's first n records: the start message, then watch records of distinct calls."""
    start, call = fixture("message"), fixture("watch")
    records = [start]
    for i in range(1, n):
        record = copy.deepcopy(call)
        record["index"] = i
        record["time"] = call["time"] + i * 0.005
        record["cost_ms"] = call["cost_ms"] * (1 + (i % 7) / 10)
        record["values"][0]["value"]["items"][0]["repr"] = str(i)
        records.append(record)
    return records


def timed(fn, runs: int) -> tuple[list[float], Any]:
    samples, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t0)
    return samples, result


def update(make_bundle):
    """One display update: the bundle, encoded as the display message encodes it."""

    def run():
        bundle = make_bundle()
        return len(json.dumps(bundle, ensure_ascii=False))

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="timed updates per size and way (median reported)")
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    records = watch_stream(sizes[-1])
    live = LiveBundle(COMMAND, PID)
    rows: list[tuple[str, dict, str]] = []
    raw: dict[str, Any] = {}
    fed = 0
    add_s = 0.0
    for n in sizes:
        t0 = time.perf_counter()
        for record in records[fed:n]:
            live.add(record)
        add_s += time.perf_counter() - t0
        fed = n
        so_far = records[:n]
        old, old_bytes = timed(update(lambda so_far=so_far: mime_bundle(so_far, COMMAND, PID)), args.runs)
        new, new_bytes = timed(update(live.bundle), args.runs)
        raw[str(n)] = {"old_s": old, "new_s": new, "old_bytes": old_bytes, "new_bytes": new_bytes}
        rows.append((f"old  {n:>7,} records", c.summary(old), f"update {old_bytes / 1e6:6.2f} MB"))
        rows.append((f"new  {n:>7,} records", c.summary(new), f"update {new_bytes / 1e6:6.2f} MB"))
        print(f"{n:,} records done", file=sys.stderr, flush=True)

    c.print_table(f"One live update (build + JSON encode), LiveBundle window {LIVE_WINDOW}", rows)
    per_record_us = add_s / fed * 1e6
    print(f"\nLiveBundle.add: {per_record_us:.1f} us per record (renders its text and HTML once)")

    # The end of the stream: the same bundle both ways (checked), one timing each (it happens once).
    final_runs = max(1, min(args.runs, 3))
    old_final, old_bundle = timed(lambda: mime_bundle(records, COMMAND, PID), final_runs)
    new_final, new_bundle = timed(live.final, final_runs)
    same = old_bundle == new_bundle
    c.print_table(
        f"End of the stream, {len(records):,} records",
        [
            ("mime_bundle(all)", c.summary(old_final), ""),
            ("LiveBundle.final()", c.summary(new_final), "same bundle" if same else "DIFFERENT BUNDLE"),
        ],
    )
    raw["final"] = {"old_s": old_final, "new_s": new_final, "same": same}
    path = c.write_results(
        "live_output", {"window": LIVE_WINDOW, "runs": args.runs, "add_us_per_record": per_record_us, "raw": raw}
    )
    print(f"\nraw timings: {path}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
