"""A whole job on one machine (issue 17): found and labelled from any of its pids without
attaching, a command fanned out to every process, the ranks grouped and the straggler named.

targets/job_launcher.py is a torchrun-like launcher: ranks started as separate processes with
the environment torchrun gives them, each forking DataLoader-like workers; rank 1 waits in
``load_batch`` while the others wait in ``all_reduce``; the launcher also starts ``sleep`` (not
Python). Every process is killed in a finally, whatever happens.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from conftest import TARGETS, flight, interpreter
from jupyterlab_flight import fanout, jobs
from jupyterlab_flight.magics import FlightMagicsMixin, FlightState
from jupyterlab_flight.processes import list_python_processes
from tornado.httpclient import HTTPClientError

RANKS, WORKERS, STRAGGLER = 3, 2, 1


class Job:
    def __init__(
        self, version: str, tmp_path, ranks: int = RANKS, workers: int = WORKERS, straggler: int = STRAGGLER, extra=()
    ):
        self.report = str(tmp_path / f"job-{version}.json")
        self.proc = subprocess.Popen(
            [
                interpreter(version),
                "-u",
                os.path.join(TARGETS, "job_launcher.py"),
                self.report,
                str(ranks),
                str(workers),
                str(straggler),
                "sleeper",
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={"PATH": "/usr/bin:/bin"},
            cwd=str(tmp_path),
        )
        self.pids = [self.proc.pid]
        try:
            line = self.proc.stdout.readline()
            assert line.strip() == "READY", (line, self.proc.stderr.read() if self.proc.poll() is not None else "")
            with open(self.report) as f:
                info = json.load(f)
            self.ranks = {int(r): v["pid"] for r, v in info["ranks"].items()}
            self.workers = {int(r): v["workers"] for r, v in info["ranks"].items()}
            self.others = info["others"]
            self.pids += list(self.ranks.values()) + [w for ws in self.workers.values() for w in ws] + self.others
            time.sleep(0.3)  # the workers are in their loops
        except BaseException:
            self.kill()
            raise

    @property
    def launcher(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        for pid in reversed(self.pids):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.proc.wait(10)


@pytest.fixture
def job(version, tmp_path):
    j = Job(version, tmp_path)
    try:
        yield j
    finally:
        j.kill()


def test_a_job_is_found_and_labelled_from_any_of_its_pids(job):
    every = set(job.pids)
    for start in (job.launcher, job.ranks[2], job.workers[0][1]):
        found = jobs.find_job(start)
        assert found["root"] == job.launcher
        by_pid = {p["pid"]: p for p in found["processes"]}
        assert set(by_pid) == every, f"from {start}"
    assert by_pid[job.launcher]["label"] == "launcher (job_launcher.py)" and by_pid[job.launcher]["depth"] == 0
    for rank, pid in job.ranks.items():
        p = by_pid[pid]
        assert (p["role"], p["label"], p["rank"], p["depth"], p["parent"]) == (
            "rank",
            f"rank {rank}",
            rank,
            1,
            job.launcher,
        )
        assert p["key"] == f"{pid}:{p['start_time']}"
        for index, worker in enumerate(job.workers[rank]):
            w = by_pid[worker]
            assert (w["role"], w["label"], w["depth"], w["parent"]) == ("worker", f"rank {rank} worker {index}", 2, pid)
    assert not by_pid[job.others[0]]["python"]
    # %flight ps and the sidebar: the job's processes follow its root, as a tree, with labels
    everything = list_python_processes(sample_s=0.0)
    listed = [p for p in everything if p.get("job") == job.launcher]
    python = every - set(job.others)
    assert {p["pid"] for p in listed} == python, [(p["pid"], p.get("job"), p["cmdline"][:50]) for p in everything]
    assert listed[0]["pid"] == job.launcher and listed[0]["depth"] == 0
    assert [p["depth"] for p in listed[1:3]] == [1, 2]  # rank 0, then its first worker
    assert {p["label"] for p in listed} >= {"rank 0", "rank 1 worker 1"}


def test_one_command_from_the_launcher_groups_the_ranks_and_names_the_straggler(job):
    done = flight(str(job.launcher), "--job", "--cmd", "stack", "--samples", "2", "--json")
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert done.returncode == 0, done.stderr  # sleep is not Python: said, not a failure
    (record,) = records
    assert record["kind"] == "job" and record["root"] == job.launcher
    statuses = {p["pid"]: p["status"] for p in record["processes"]}
    assert set(statuses) == set(job.pids), "a process was dropped"
    assert statuses[job.others[0]] == "not_python"
    assert all(s == "ok" for pid, s in statuses.items() if pid not in job.others), statuses
    ranks = [g for g in record["groups"] if g["tier"] == "rank"]
    assert [(g["count"], g["ranks"]) for g in ranks] == [(1, [STRAGGLER]), (RANKS - 1, [0, 2])]  # smallest first
    straggler, majority = ranks
    assert majority["majority"] and majority["stack"][-1]["function"] == "all_reduce"
    assert straggler["stack"][-1]["function"] == "load_batch"
    assert straggler["stack"][straggler["diverges_at"]]["function"] == "load_batch"
    assert majority["moving"] == [] and straggler["moving"] == []  # everyone waits: nobody moves
    workers = [g for g in record["groups"] if g["tier"] == "worker"]
    assert len(workers) == 1 and workers[0]["count"] == RANKS * WORKERS
    text = flight(str(job.workers[2][0]), "--job", "--cmd", "stack").stdout  # from a worker: the same job
    assert "2 ranks in all_reduce (rank 0, 2); rank 1 in load_batch, job_rank.py:" in text, text
    assert "rank 1 worker 0" in text or "6 workers in fetch" in text


def test_a_deadline_gives_every_process_a_status(job):
    record = fanout.run_job(job.launcher, "stack", timeout=0.0)
    assert {p["pid"] for p in record["processes"]} == set(job.pids)
    assert {p["status"] for p in record["processes"] if p["python"]} == {"timeout"}
    assert all(g["status"] == "timeout" for g in record["groups"])


def test_a_command_in_the_agent_on_the_ranks_from_the_notebook(job, capsys):
    magics = FlightMagicsMixin()
    magics.state = FlightState()
    magics.run_line(f"attach --job {job.workers[0][0]}")
    assert magics.state.job == job.launcher
    assert "rank 2 worker 1" in capsys.readouterr().out
    magics.run_line("stack")
    out = capsys.readouterr().out
    assert "rank 1 in load_batch, job_rank.py:" in out, out
    record = fanout.run_job(job.launcher, "getglobal __main__ STRAGGLER", ranks_only=True)
    values = {p["rank"]: p["records"][0]["value"]["repr"] for p in record["processes"] if p["status"] == "ok"}
    assert values == {0: "False", 1: "True", 2: "False"}
    magics.run_line("detach")
    assert magics.state.job is None
    assert "detached" in capsys.readouterr().out


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"jupyterlab_flight": True}}}


async def test_the_sidebar_lists_and_stacks_a_job_through_the_server(job, jp_fetch):
    async def post(body):
        response = await jp_fetch("flight", "jobs", method="POST", body=json.dumps(body))
        return json.loads(response.body)["records"]

    (listed,) = await post({"pid": job.ranks[0]})
    assert listed["kind"] == "job" and listed["command"] == "" and listed["root"] == job.launcher
    assert {p["pid"] for p in listed["processes"]} == set(job.pids)
    (record,) = await post({"pid": job.launcher, "command": "stack", "ranks": True})
    ranks = [g for g in record["groups"] if g["tier"] == "rank"]
    assert [(g["count"], g["ranks"]) for g in ranks] == [(1, [STRAGGLER]), (RANKS - 1, [0, 2])]
    assert {g["tier"] for g in record["groups"]} == {"rank"}  # --ranks: the ranks only
    with pytest.raises(HTTPClientError) as caught:
        await post({"pid": "x"})
    assert caught.value.code == 400
    with pytest.raises(HTTPClientError) as caught:
        await post({"pid": 999999999})
    assert caught.value.code == 404


def start_service(version: str, tmp_path, mode: str, argv0: str | None = None, *extra: str):
    report = str(tmp_path / f"{mode}-{extra[0] if extra else ''}.json")
    python = interpreter(version)
    argv = [argv0 or python, os.path.join(TARGETS, "job_services.py"), report, mode, *extra]
    proc = subprocess.Popen(argv, executable=python, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if line.strip() != "READY":
        proc.kill()
        raise AssertionError(f"{mode} did not start: {line!r} {proc.stderr.read()}")
    with open(report) as f:
        return proc, json.load(f)["children"]


@pytest.mark.parametrize("version", ["3.12"])
def test_pools_services_and_ray_workers_are_labelled(version, tmp_path):
    started: list = []
    try:
        for mode, argv0, extra in (
            ("pool", None, ()),
            ("gunicorn", "gunicorn: master [app]", ()),
            ("uvicorn", "uvicorn", ()),
            ("ray", None, ("Trainer.fit",)),
            ("ray", None, ("IDLE",)),
        ):
            started.append((mode, *start_service(version, tmp_path, mode, argv0, *extra)))
        time.sleep(0.5)
        labels = {}
        for mode, proc, children in started:
            job = jobs.find_job(children[-1] if children else proc.pid)
            labels[mode if mode != "ray" else f"ray {proc.pid}"] = {
                p["pid"]: (p["role"], p["label"]) for p in job["processes"]
            }
        (pool_proc, pool_children) = started[0][1:]
        pool = labels["pool"]
        assert pool[pool_proc.pid] == ("launcher", "launcher (job_services.py)")
        assert [pool[c] for c in pool_children[:2]] == [("worker", "forked child")] * 2
        assert pool[pool_children[2]] == ("worker", "spawned child")
        forkserver = [pid for pid, (role, _) in pool.items() if role == "forkserver"]
        assert len(forkserver) == 1 and pool[pool_children[3]] == ("worker", "forkserver child")
        assert any(role == "resource_tracker" for role, _ in pool.values())
        gunicorn_proc, gunicorn_children = started[1][1:]
        assert labels["gunicorn"][gunicorn_proc.pid] == ("launcher", "gunicorn master")
        assert [labels["gunicorn"][c] for c in gunicorn_children] == [("worker", "gunicorn worker")] * 2
        uvicorn_proc, uvicorn_children = started[2][1:]
        assert labels["uvicorn"][uvicorn_proc.pid] == ("launcher", "uvicorn master")
        assert [labels["uvicorn"][c] for c in uvicorn_children] == [("worker", "uvicorn worker")] * 2
        ray_a, ray_b = started[3][1], started[4][1]
        ray = labels[f"ray {ray_a.pid}"]
        assert ray[ray_a.pid] == ("ray", "ray::Trainer.fi") and ray[ray_b.pid] == ("ray", "ray::IDLE")
    finally:
        for _, proc, children in started:
            for pid in [proc.pid, *children]:  # the parent first: a pool would replace its workers
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            proc.wait(10)
        for pid in jobs.process_table():  # anything else started with this test's files
            if str(tmp_path) in " ".join(jobs._cmdline(pid)):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


@pytest.mark.parametrize("version", ["3.11"])
def test_samples_say_which_ranks_move(version, tmp_path):
    j = Job(version, tmp_path, ranks=3, workers=0, straggler=-1, extra=("moving=1",))
    try:
        record = fanout.run_job(j.launcher, "stack", samples=5, interval=0.25, ranks_only=True)
    finally:
        j.kill()
    moving = {p["rank"]: p["moving"] for p in record["processes"] if p["role"] == "rank"}
    assert moving == {0: False, 1: True, 2: False}, moving
    majority = next(g for g in record["groups"] if g["majority"])
    assert majority["ranks"] == [0, 2] and majority["moving"] == []
    (other,) = [g for g in record["groups"] if not g["majority"]]
    assert other["ranks"] == [1] and other["moving"] == [j.ranks[1]]
