"""The cost of one `mem summary` walk in instructions, which a loaded machine does not change:
ours (C) vs our Python fallback vs pympler's muppy.get_objects() + summarize() vs guppy3's heap().

    python bench/mem_instructions.py [--series 3.11] [--entries 20000]

Each method runs twice in a fresh target under `valgrind --tool=callgrind` (the PFP venv's python,
bench/pfp_env.py, which has pympler and guppy3) that first builds the heap of bench/mem_summary.py
(about 10 objects an entry) and imports what the method needs: once walking, once not; the
method's cost is the difference of the two runs' instructions (callgrind's Ir). Instruction counts
say nothing of cache misses, which dominate the C walk's time on a large heap: this is the load-
independent side of bench/mem_summary.py's timings, not a substitute. Results in
bench/results/mem_instructions-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys

import _common as c
import mem_summary
import pfp_env

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LIBRARY = os.path.join(ROOT, "server_ext", "jupyterlab_flight", "_native", "libflight_boot.so")

# the heap of bench/mem_summary.py, then one method (argv[2]); the agent's walk is imported from
# the checkout as the agent runs it in a target
TARGET = r"""
import gc, sys
ENTRIES, METHOD, AGENT, LIBRARY, WALK = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "1"
HEAP
if METHOD in ("ours", "fallback"):
    sys.path.insert(0, AGENT)
    from flight_agent import native
    from flight_agent.commands.mem import walk
    native.set_library(LIBRARY)
elif METHOD == "pympler":
    from pympler import muppy, summary
elif METHOD == "guppy3":
    from guppy import hpy
gc.collect()
if not WALK:
    print(0)
elif METHOD == "ours":
    result = walk.walk()
    assert result.engine == "c"
    print(result.count)
elif METHOD == "fallback":
    print(walk.walk(engine="python").count)
elif METHOD == "pympler":
    print(sum(r[1] for r in summary.summarize(muppy.get_objects())))
elif METHOD == "guppy3":
    print(hpy().heap().count)
"""


def heap_source() -> str:
    """The heap-building part of bench/mem_summary.py's target (its classes and loop)."""
    source = mem_summary.TARGET
    start = source.index("class Record")
    end = source.index("gc.collect()")
    return source[start:end]


def run(python: str, script: str, entries: int, method: str, folder: str, walk: bool) -> dict:
    out_file = os.path.join(folder, f"callgrind.{method}.{int(walk)}")
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out_file}",
            python,
            script,
            str(entries),
            method,
            os.path.join(ROOT, "agent"),
            LIBRARY,
            str(int(walk)),
        ],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"{method}: rc {done.returncode}\n{done.stderr[-1500:]}")
    return {"instructions": int(found.group(1)), "objects": int(done.stdout.split()[-1])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--series", default="3.11")
    ap.add_argument("--entries", type=int, default=20_000, help="heap entries (about 10 objects each)")
    ap.add_argument("--methods", default="ours,fallback,pympler,guppy3")
    args = ap.parse_args()
    c.install_cleanup()
    python = pfp_env.ensure(args.series)
    folder = c.make_tempdir("flight-bench-meminstr-")
    script = c.write_script("flight-bench-meminstr-", TARGET.replace("HEAP", heap_source()))
    try:
        results = {}
        for method in args.methods.split(","):
            without = run(python, script, args.entries, method, folder, False)
            walked = run(python, script, args.entries, method, folder, True)
            cost = walked["instructions"] - without["instructions"]
            results[method] = {
                "instructions_without": without["instructions"],
                "instructions_with": walked["instructions"],
                "walk_instructions": cost,
                "objects": walked["objects"],
                "per_object": cost / walked["objects"],
            }
            print(f"{method:9s} {cost:>15,} instructions a walk of {walked['objects']:,} objects", flush=True)
        ours = results["ours"]["walk_instructions"] if "ours" in results else None
        print(f"\n{c.python_version(python)}, {args.entries:,} entries:")
        for method, row in results.items():
            ratio = f"{row['walk_instructions'] / ours:6.1f}x ours, " if ours else ""
            print(f"  {method:9s} {row['walk_instructions']:>15,} ({ratio}{row['per_object']:,.0f} an object)")
        out = {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": c.machine_info(),
            "git": c.git_state(),
            "python": c.python_version(python),
            "entries": args.entries,
            "results": results,
        }
        os.makedirs(c.RESULTS_DIR, exist_ok=True)
        path = os.path.join(c.RESULTS_DIR, f"mem_instructions-{datetime.date.today().isoformat()}.json")
        with open(path, "w") as f:
            json.dump(out, f, indent=1)
        print(f"results: {path}")
    finally:
        c.cleanup()


if __name__ == "__main__":
    sys.exit(main())
