"""A torchrun-like job (tests/test_jobs.py, bench/job_stack.py): this launcher starts N ranks as
separate processes with the environment torchrun gives them (RANK, LOCAL_RANK, WORLD_SIZE,
LOCAL_WORLD_SIZE, TORCHELASTIC_RUN_ID, MASTER_ADDR/PORT), each forking W DataLoader-like workers
(targets/job_rank.py). Every rank waits in ``all_reduce`` except the straggler, which waits in
``load_batch``. Everything sleeps (idle-ish). argv: report path, ranks, workers, straggler rank
(-1: none), and optionally "sleeper" (the launcher also starts a process that is not Python) and
"moving=R" (rank R keeps moving between three functions instead of waiting). The
launcher writes the ranks' pids to the report, then waits for them.
"""

import json
import os
import subprocess
import sys
import time

REPORT, RANKS, WORKERS, STRAGGLER = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
HERE = os.path.dirname(os.path.abspath(__file__))


def wait_for_ranks(procs):
    while all(p.poll() is None for p in procs):
        time.sleep(0.2)


def main():
    procs = []
    for rank in range(RANKS):
        env = dict(os.environ)
        env.update(
            RANK=str(rank),
            LOCAL_RANK=str(rank),
            WORLD_SIZE=str(RANKS),
            LOCAL_WORLD_SIZE=str(RANKS),
            GROUP_RANK="0",
            TORCHELASTIC_RUN_ID="flight-test-run",
            MASTER_ADDR="127.0.0.1",
            MASTER_PORT="29500",
        )
        ready = f"{REPORT}.rank{rank}"
        mode = "moving" if f"moving={rank}" in sys.argv[5:] else str(int(rank == STRAGGLER))
        args = [sys.executable, os.path.join(HERE, "job_rank.py"), ready, str(WORKERS), mode]
        procs.append(subprocess.Popen(args, env=env))
    others = [subprocess.Popen(["sleep", "600"])] if "sleeper" in sys.argv[5:] else []
    ranks = {}
    deadline = time.monotonic() + 60
    while len(ranks) < RANKS and time.monotonic() < deadline:
        for rank in range(RANKS):
            path = f"{REPORT}.rank{rank}"
            if rank not in ranks and os.path.exists(path):
                with open(path) as f:
                    ranks[rank] = json.load(f)
        time.sleep(0.05)
    with open(REPORT + ".tmp", "w") as f:
        json.dump({"launcher": os.getpid(), "ranks": ranks, "others": [p.pid for p in others]}, f)
    os.replace(REPORT + ".tmp", REPORT)
    print("READY", flush=True)
    try:
        wait_for_ranks(procs)
    finally:
        for p in procs + others:
            p.kill()


if __name__ == "__main__":
    main()
