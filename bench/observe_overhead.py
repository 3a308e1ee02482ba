"""Overhead of method observation (`watch`, `trace`): ours against PyFlightProfiler 1.0.7, in one run.

    python bench/observe_overhead.py [--python 3.11 --python 3.12] [--tools ours,pfp]
                                     [--modes hot,other,request] [--windows 3] [--window-s 3] [--quick]

For each target Python (default 3.11 and 3.12) three targets are started, one after the other,
with the interpreter of PyFlightProfiler's own venv (bench/pfp_env.py makes it; PFP requires its
target to run in its environment, ours attaches to any), and both tools observe the SAME target
process, ours first (ours is detached before PFP starts; PFP's agent cannot be removed):

  hot      the main thread calls f(x) 100 times, then g(x) 500 times, in a loop (f and g have the
           same one-line body). Around each batch the target reads perf_counter_ns (wall) and
           thread_time_ns (this thread's CPU time: immune to the scheduler taking the core away,
           blind to waits for the GIL).
  other    the main thread calls g(x) in the same batches; another thread calls f(x) 20 times a
           second. Observing f must not change what g costs.
  request  the main thread calls handle(REQUEST): a small request handler (~65 us) that parses a
           query string and a JSON body of 40 items, authenticates, normalizes each item through a
           helper, prices the order and renders a JSON response, timed per batch of 5 the same way.

A reporter thread in each target appends its counters to a file every 0.5 s (CLOCK_MONOTONIC,
comparable with the harness's time.monotonic(); plus the whole process's CPU time), with whether
f / g / handle still have their original code object, the main thread's sys.getprofile() /
sys.gettrace(), and on 3.12+ which sys.monitoring tools and events are set.

Phases (windows of --window-s seconds; medians over the windows of a phase):

  hot      baseline | ours: watch -f "cost < 0", watch; detach | check |
           pfp: the same | check                                  (--hot-trace adds trace f)
  other    baseline | ours: watch f, trace f; detach | check | pfp: the same | check
           (--rest-windows N adds N unobserved windows between two observed phases)
  request  baseline | ours: trace handle; detach | check | pfp: trace handle | check

  watch -f "cost < 0"   watch __main__ f -n 100000000 -f "cost < 0"   every call observed, none shown
  watch                 watch __main__ f -n 100000000                 every call rendered and sent
  trace                 trace __main__ f|handle -n 100000000          default -i (0.1 ms for both)

Ours runs as `flight_profiler PID --cmd CMD --timeout S --json` (the stream ends by itself);
PyFlightProfiler's CLI has no timeout, so it runs as `flight_profiler PID --cmd CMD --no-color`
and gets SIGINT after the windows (its client then sends "off" to the agent). Measuring starts
1 s after PFP printed "Spy was successfully added" (or its first event), or 1.5 s after ours
started. Clients write to a file (events are counted afterwards); their CPU time is recorded.
"check" (and "rest") phases are unobserved: after each stop the target's report must show the
original code objects and no profile / trace / sys.monitoring hook left, or the problem is
reported (and the next tool gets a fresh target); they also give each observed phase a local
reference (the mean of the unobserved phases just before and after it), which the shared,
drifting machine needs.

Results, per target Python:
  (a) hot: ns added per call of f = observed minus baseline: wall ns per call inside the f batches,
      the main thread's CPU ns per call, and the whole target's CPU (all threads) per f call; the
      same from calls/s is printed too. Ratios ours / PFP.
  (b) other: g's ns per call (wall and CPU) against the adjacent unobserved phases, and the noise
      band: stdev of the unobserved windows of that target, in % of their mean.
  (c) request: requests/s, slowdown = 1 - observed / reference; also main-thread and all-thread
      CPU per request. Ratio of the slowdowns ours / PFP.

Raw windows, client exit codes and CPU time, events received, the messages ours printed and the
targets' reports go to bench/results/observe_overhead-<time>.json. A full run takes about 6 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import time

import _common as c
import pfp_env

BIG_N = 100_000_000
REPORT_EVERY_S = 0.5
PFP_SETTLE_S = 1.0
OURS_SETTLE_S = 1.5

TARGET = r"""
import hashlib, json, os, sys, threading, time

MODE, REPORT = sys.argv[1], sys.argv[2]
FB, GB = 100, 500   # f calls and g calls per batch
RB = 5         # handle() calls per batch


def f(x):
    return x + 1


def g(x):
    return x + 1


REQUEST = {
    "method": "POST",
    "path": "/api/v1/shops/42/orders",
    "query": "currency=EUR&coupon=AUTUMN10&page=1&expand=items",
    "headers": {"content-type": "application/json", "authorization": "Bearer u-1001.s3cr3t", "x-request-id": "r-7f3a"},
    "body": json.dumps({
        "customer": {"id": 1001, "name": "Ada Lovelace", "email": "ADA@example.org "},
        "items": [{"sku": "SKU-%04d" % i, "qty": 1 + i % 3, "price": "%.2f" % (3.5 + i * 1.25),
                   "note": " gift wrap " if i % 4 == 0 else ""} for i in range(40)],
    }),
}
TAX = {"EUR": 0.2, "USD": 0.0}
COUPONS = {"AUTUMN10": 0.10}


def parse_query(query):
    out = {}
    for part in query.split("&"):
        key, _, value = part.partition("=")
        out[key] = value
    return out


def authenticate(headers):
    scheme, _, token = headers.get("authorization", "").partition(" ")
    user, _, secret = token.partition(".")
    if scheme != "Bearer" or not secret:
        raise PermissionError("bad token")
    return {"user": user, "digest": hashlib.sha1(secret.encode()).hexdigest()[:8]}


def normalize_item(item):
    return {"sku": item["sku"].lower(), "qty": int(item["qty"]), "price": float(item["price"]),
            "note": item["note"].strip().title()}


def price_order(items, currency, coupon):
    subtotal = sum(i["qty"] * i["price"] for i in items)
    discount = subtotal * COUPONS.get(coupon, 0.0)
    tax = (subtotal - discount) * TAX.get(currency, 0.0)
    return {"subtotal": round(subtotal, 2), "discount": round(discount, 2), "tax": round(tax, 2),
            "total": round(subtotal - discount + tax, 2)}


def render(status, payload):
    body = json.dumps(payload, sort_keys=True)
    return "HTTP/1.1 %d OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (
        status, len(body), body)


def handle(request):
    parts = request["path"].strip("/").split("/")
    shop = int(parts[3])
    query = parse_query(request["query"])
    auth = authenticate(request["headers"])
    body = json.loads(request["body"])
    customer = body["customer"]
    email = customer["email"].strip().lower()
    items = [normalize_item(i) for i in body["items"]]
    totals = price_order(items, query.get("currency", "EUR"), query.get("coupon"))
    lines = ["%s x%d %s" % (i["sku"], i["qty"], i["note"] or "-") for i in items]
    payload = {"shop": shop, "user": auth["user"], "customer": customer["name"], "email": email,
               "summary": "; ".join(lines), "totals": totals, "request_id": request["headers"].get("x-request-id")}
    return render(201, payload)


ORIGINAL = {"f": f.__code__, "g": g.__code__, "handle": handle.__code__}
F_CALLS = F_NS = F_CPU = G_CALLS = G_NS = G_CPU = R_CALLS = R_NS = R_CPU = 0
MAIN_HOOKS = [None, None]  # the main thread's sys.getprofile() / sys.gettrace(), as seen by itself


def run_hot():
    # wall (perf_counter_ns) and this thread's CPU time (thread_time_ns: immune to the scheduler
    # taking the core away, blind to GIL waits) around each batch
    global F_CALLS, F_NS, F_CPU, G_CALLS, G_NS, G_CPU
    clock, cpu = time.perf_counter_ns, time.thread_time_ns
    rf, rg = range(FB), range(GB)
    while True:
        t0 = clock()
        c0 = cpu()
        for x in rf:
            f(x)
        t1 = clock()
        c1 = cpu()
        for x in rg:
            g(x)
        t2 = clock()
        c2 = cpu()
        F_NS += t1 - t0
        F_CPU += c1 - c0
        F_CALLS += FB
        G_NS += t2 - t1
        G_CPU += c2 - c1
        G_CALLS += GB
        MAIN_HOOKS[:] = sys.getprofile(), sys.gettrace()


def run_other():
    # g in a tight loop on the main thread; f called 20 times a second by another thread
    global G_CALLS, G_NS, G_CPU
    threading.Thread(target=call_f_now_and_then, name="f-caller", daemon=True).start()
    clock, cpu = time.perf_counter_ns, time.thread_time_ns
    rg = range(GB)
    while True:
        t1 = clock()
        c1 = cpu()
        for x in rg:
            g(x)
        t2 = clock()
        c2 = cpu()
        G_NS += t2 - t1
        G_CPU += c2 - c1
        G_CALLS += GB
        MAIN_HOOKS[:] = sys.getprofile(), sys.gettrace()


def call_f_now_and_then():
    global F_CALLS
    x = 0
    while True:
        f(x)
        x += 1
        F_CALLS += 1
        time.sleep(0.05)


def run_request():
    global R_CALLS, R_NS, R_CPU
    clock, cpu = time.perf_counter_ns, time.thread_time_ns
    rr = range(RB)
    while True:
        t0 = clock()
        c0 = cpu()
        for _ in rr:
            handle(REQUEST)
        R_NS += clock() - t0
        R_CPU += cpu() - c0
        R_CALLS += RB
        MAIN_HOOKS[:] = sys.getprofile(), sys.gettrace()


def monitoring_state():
    mon = getattr(sys, "monitoring", None)
    if mon is None:
        return None
    out = {}
    for tool in range(6):
        name = mon.get_tool(tool)
        if name is None:
            continue
        local = {k: mon.get_local_events(tool, code) for k, code in ORIGINAL.items()}
        out[str(tool)] = {"name": name, "events": mon.get_events(tool), "local": local}
    return out


def report_line():
    mod = sys.modules["__main__"]
    code_ok = {k: getattr(mod, k).__code__ is code for k, code in ORIGINAL.items()}
    code_eq = {k: getattr(mod, k).__code__ == code for k, code in ORIGINAL.items() if not code_ok[k]}
    same_obj = {"f": mod.f is f, "g": mod.g is g, "handle": mod.handle is handle}
    try:
        with open("/proc/self/statm") as fh:
            rss_mib = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        rss_mib = None
    hooks = {
        "main_profile": repr(MAIN_HOOKS[0]) if MAIN_HOOKS[0] is not None else None,
        "main_trace": repr(MAIN_HOOKS[1]) if MAIN_HOOKS[1] is not None else None,
        "threading_profile": bool(getattr(threading, "_profile_hook", None)),
        "threading_trace": bool(getattr(threading, "_trace_hook", None)),
    }
    return {"t": time.monotonic(), "proc_cpu": time.process_time_ns(),
            "f_calls": F_CALLS, "f_ns": F_NS, "f_cpu": F_CPU, "g_calls": G_CALLS, "g_ns": G_NS, "g_cpu": G_CPU,
            "r_calls": R_CALLS, "r_ns": R_NS, "r_cpu": R_CPU, "code_ok": code_ok, "code_eq": code_eq, "same_obj": same_obj, "rss_mib": rss_mib,
            "threads": threading.active_count(), "monitoring": monitoring_state(), "hooks": hooks}


def reporter(out):
    while True:
        out.write(json.dumps(report_line()) + "\n")
        out.flush()
        time.sleep(0.5)


out = open(REPORT, "a")
threading.Thread(target=reporter, args=(out,), name="bench-reporter", daemon=True).start()
time.sleep(0.05)
print("ready", flush=True)
devnull = os.open(os.devnull, os.O_WRONLY)
os.dup2(devnull, 1)   # nothing may block on a full stdout pipe (the agents print to stdout/stderr)
{"hot": run_hot, "other": run_other, "request": run_request}[MODE]()
"""


# ---------------------------------------------------------------------------------------------
# reading the target's reports


def read_reports(path: str) -> list[dict]:
    rows = []
    with open(path) as fh:
        for line in fh:
            try:
                rows.append(json.loads(line))
            except ValueError:
                pass  # a line being written
    return rows


def window_rates(path: str, start: float, windows: int, window_s: float) -> list[dict]:
    """Per window and per function (f, g, r = handle): wall ns per call inside its batches, the main
    thread's CPU ns per call inside its batches, calls/s by wall clock, and the whole target's CPU
    (all threads: agents included) per call."""
    rows = read_reports(path)
    out = []
    for k in range(windows):
        lo, hi = start + k * window_s, start + (k + 1) * window_s
        inside = [r for r in rows if lo <= r["t"] <= hi]
        if len(inside) < 2:
            out.append({"error": f"{len(inside)} report(s) in window {k}"})
            continue
        a, b = inside[0], inside[-1]
        dt = b["t"] - a["t"]
        proc_cpu = b["proc_cpu"] - a["proc_cpu"]
        w: dict = {"t0": a["t"], "dt": dt, "target_cpu_share": proc_cpu / 1e9 / dt}
        for key in ("f", "g", "r"):
            calls = b[f"{key}_calls"] - a[f"{key}_calls"]
            if calls > 0:
                w[f"{key}_ns_per_call"] = (b[f"{key}_ns"] - a[f"{key}_ns"]) / calls
                w[f"{key}_cpu_per_call"] = (b[f"{key}_cpu"] - a[f"{key}_cpu"]) / calls
                w[f"{key}_per_s"] = calls / dt
                w[f"{key}_proc_cpu_per_call"] = proc_cpu / calls
        w["rss_mib"] = b.get("rss_mib")
        out.append(w)
    return out


def last_report(path: str) -> dict:
    rows = read_reports(path)
    return rows[-1] if rows else {}


def proc_cpu_s(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def med(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# ---------------------------------------------------------------------------------------------
# running the tools


def ours_available(ours_cli: str, pid: int) -> dict:
    """Whether our CLI knows watch / trace (`help CMD` exits 0)."""
    found = {}
    for cmd in ("watch", "trace"):
        done = subprocess.run([ours_cli, str(pid), "--cmd", f"help {cmd}"], capture_output=True, text=True, timeout=60)
        found[cmd] = done.returncode == 0
        if done.returncode != 0:
            found[f"{cmd}_error"] = (done.stdout + done.stderr).strip()[-300:]
    return found


def count_events(tool: str, path: str) -> dict:
    """Events the client printed: ours --json records by kind; PFP text: watch / trace headers."""
    kinds: dict[str, int] = {}
    notes: list[str] = []  # ours: the records that are not events (messages, end, errors), first 20
    size = os.path.getsize(path)
    first_lines: list[str] = []
    tail = b""
    kind_re = re.compile(rb'"kind"\s*:\s*"(\w+)"')
    with open(path, "rb") as fh:
        for n, line in enumerate(fh):
            if n < 5:
                first_lines.append(line.decode(errors="replace")[:300].rstrip())
            tail = line
            if tool == "ours":
                m = kind_re.search(line[:200])
                key = m.group(1).decode() if m else "(other)"
                if key not in ("watch", "trace") and len(notes) < 20:
                    notes.append(line.decode(errors="replace")[:500].rstrip())
            elif b"method=" in line and b" cost=" in line:
                key = "watch"
            elif b" tid=" in line and b" cost=" in line:
                key = "trace"
            elif b"skip display" in line:
                key = "trace_skipped"
            else:
                continue
            kinds[key] = kinds.get(key, 0) + 1
    return {
        "bytes": size,
        "kinds": kinds,
        "notes": notes,
        "first_lines": first_lines,
        "last_line": tail.decode(errors="replace")[:300],
    }


def run_observed(tool: str, cli: str, pid: int, cmd: str, report: str, windows: int, window_s: float, tmp: str) -> dict:
    """Start the client, wait until the observation is on, measure the windows, stop it, check removal."""
    out_path = os.path.join(tmp, f"{tool}-{pid}-{int(time.monotonic() * 1000)}.out")
    measure_s = windows * window_s
    if tool == "ours":
        timeout = OURS_SETTLE_S + measure_s + REPORT_EVERY_S + 0.3
        argv = [cli, str(pid), "--cmd", cmd, "--timeout", f"{timeout:g}", "--json"]
    else:
        argv = [cli, str(pid), "--cmd", cmd, "--no-color"]
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
    c.track_child(proc)
    result: dict = {"tool": tool, "cmd": cmd, "argv": argv}
    # wait until the observation is on
    if tool == "pfp":
        deadline = started + 20
        while time.monotonic() < deadline and proc.poll() is None:
            with open(out_path, "rb") as fh:
                head = fh.read(65536)
            # the "Spy was successfully added" line is sometimes missing (second spy on the same target):
            # the first event says it too
            if any(m in head for m in (b"Spy was successfully added", b"method=", b" tid=", b"skip display")):
                break
            time.sleep(0.05)
        else:
            result["error"] = "PFP printed neither 'Spy was successfully added' nor an event within 20 s"
        result["on_after_s"] = time.monotonic() - started
        time.sleep(PFP_SETTLE_S)
    else:
        time.sleep(OURS_SETTLE_S)
    if proc.poll() is not None:
        result.setdefault("error", f"client exited early (rc {proc.returncode})")
    start = time.monotonic()
    cpu0 = proc_cpu_s(pid)
    time.sleep(measure_s + REPORT_EVERY_S + 0.1)
    cpu1 = proc_cpu_s(pid)
    result["windows"] = window_rates(report, start, windows, window_s)
    result["target_cpu_per_wall"] = (cpu1 - cpu0) / (time.monotonic() - start) if cpu0 is not None and cpu1 else None
    result["report_during"] = last_report(report)
    # stop
    stop_at = time.monotonic()
    if tool == "pfp":
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        result["stop_problem"] = "client still running 15 s after " + ("SIGINT" if tool == "pfp" else "its --timeout")
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    result["stop_s"] = time.monotonic() - stop_at
    if tool == "ours":  # how long after its --timeout the client ended
        result["exit_after_timeout_s"] = time.monotonic() - started - timeout
    result["rc"] = proc.returncode
    if proc in c._children:
        c._children.remove(proc)
    usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["client_cpu_s"] = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    result["client_wall_s"] = time.monotonic() - started
    result["output"] = count_events(tool, out_path)
    os.unlink(out_path)
    return result


def removal_state(report: str, settle_s: float = 0.6) -> dict:
    """After a client stopped: are the code objects the original ones again, and no sys.monitoring left?"""
    time.sleep(settle_s)
    r = last_report(report)
    mon = r.get("monitoring") or {}
    leftovers = {tool: v for tool, v in mon.items() if v.get("events") or any(v.get("local", {}).values())}
    return {
        "code_ok": r.get("code_ok"),
        "code_eq_when_not_same": r.get("code_eq"),
        "report_age_s": time.monotonic() - r["t"] if r else None,
        "same_obj": r.get("same_obj"),
        "monitoring_tools": {k: v.get("name") for k, v in mon.items()},
        "monitoring_events_left": leftovers,
        "hooks": r.get("hooks"),
        "threads": r.get("threads"),
        "rss_mib": r.get("rss_mib"),
        "clean": bool(r.get("code_ok"))
        and not (r.get("hooks") or {}).get("main_profile")
        and not (r.get("hooks") or {}).get("main_trace")
        and all(r["code_ok"].values())
        and all(r["same_obj"].values())
        and not leftovers,
    }


def measure_plain(report: str, windows: int, window_s: float, pid: int) -> dict:
    start = time.monotonic()
    cpu0 = proc_cpu_s(pid)
    time.sleep(windows * window_s + REPORT_EVERY_S + 0.1)
    cpu1 = proc_cpu_s(pid)
    return {
        "windows": window_rates(report, start, windows, window_s),
        "target_cpu_per_wall": (cpu1 - cpu0) / (time.monotonic() - start) if cpu0 is not None and cpu1 else None,
        "report": last_report(report),
    }


def ours_detach(ours_cli: str, pid: int) -> dict:
    done = subprocess.run([ours_cli, str(pid), "--cmd", "detach"], capture_output=True, text=True, timeout=60)
    return {"rc": done.returncode, "output": (done.stdout + done.stderr).strip()[-500:]}


def pfp_wrapper_log(target: object) -> dict:
    err = c.target_stderr(target)
    return {"add": err.count("add wrapper successfully"), "clear": err.count("clear wrapper successfully")}


# ---------------------------------------------------------------------------------------------


CMDS = {
    "hot": [
        ("watch_filtered", 'watch __main__ f -n {n} -f "cost < 0"'),
        ("watch", "watch __main__ f -n {n}"),
    ],
    "other": [
        ("watch", "watch __main__ f -n {n}"),
        ("trace", "trace __main__ f -n {n}"),
    ],
    "request": [("trace_handle", "trace __main__ handle -n {n}")],
}


def run_target(mode: str, series: str, args, tmp: str, tools: list[str], problems: list[str]) -> dict:
    python = pfp_env.venv_python(series)
    script = os.path.join(tmp, "target.py")
    label = f"{series} {mode}"
    res: dict = {"python": python, "pids": [], "phases": {}, "target_stderr_tail": {}}

    def start(phase_name: str):
        n = len(res["pids"])
        report = os.path.join(tmp, f"report-{mode}-{series}-{n}.jsonl")
        err = os.path.join(tmp, f"target-{mode}-{series}-{n}.err")
        proc = c.start_target(python, script, mode, report, stderr_path=err)
        res["pids"].append(proc.pid)
        time.sleep(1.0)  # warm up
        print(f"  [{label}] pid {proc.pid}: {phase_name}", flush=True)
        res["phases"][phase_name] = measure_plain(report, args.baseline_windows, args.window_s, proc.pid)
        return proc, report

    proc, report = start("baseline")
    cmds = CMDS[mode] + ([("trace_f", "trace __main__ f -n {n}")] if mode == "hot" and args.hot_trace else [])
    for tool in tools:
        pid = proc.pid
        if tool == "ours":
            avail = ours_available(args.ours_cli, pid)
            res["ours_available"] = avail
            todo = [(k, v) for k, v in cmds if avail.get(v.split()[0])]
            if len(todo) < len(cmds):
                print(f"  [{label}] ours: not available: {[k for k, v in cmds if (k, v) not in todo]}", flush=True)
            cli = args.ours_cli
        else:
            todo, cli = cmds, pfp_env.venv_cli(series)
        died = False
        for key, template in todo:
            cmd = template.format(n=BIG_N)
            print(f"  [{label}] {tool}: {cmd}", flush=True)
            r = run_observed(tool, cli, pid, cmd, report, args.windows, args.window_s, tmp)
            r["removal"] = removal_state(report)
            if tool == "pfp":
                r["removal"]["pfp_wrapper_log"] = pfp_wrapper_log(proc)
            res["phases"][f"{tool}:{key}"] = r
            for k in ("error", "stop_problem"):
                if r.get(k):
                    problems.append(f"{label} {tool} {key}: {r[k]}")
            if tool == "ours" and r.get("rc") not in (0, None):
                problems.append(f"{label} ours {key}: client exit code {r['rc']}: {r['output'].get('last_line')!r}")
            if proc.poll() is not None:
                r["target_died"] = f"exit status {proc.returncode}; stderr: " + c.target_stderr(proc)[-2000:]
                problems.append(f"{label}: target died during {tool} {key}: {r['target_died'][-600:]}")
                died = True
                break
            if not r["removal"]["clean"]:
                problems.append(f"{label} {tool} {key}: not clean after stop: {r['removal']}")
            if key != todo[-1][0] and args.rest_windows > 0:  # unobserved windows between two observations
                rest = res["phases"][f"rest_after_{tool}:{key}"] = measure_plain(
                    report, args.rest_windows, args.window_s, pid
                )
                rest["removal"] = removal_state(report, 0)
        if died:  # the rest of this tool is skipped; a fresh target and baseline for the next tool
            res["target_stderr_tail"][str(proc.pid)] = c.target_stderr(proc)[-3000:]
            c.kill_target(proc)
            if tool == tools[-1]:
                return res
            proc, report = start(f"baseline_restart_{len(res['pids'])}")
            continue
        if tool == "ours" and todo:
            res["ours_detach"] = ours_detach(args.ours_cli, pid)
            if res["ours_detach"]["rc"] != 0:
                problems.append(f"{label} ours detach: {res['ours_detach']}")
        if todo:
            print(f"  [{label}] check after {tool}", flush=True)
            res["phases"][f"check_after_{tool}"] = measure_plain(report, args.check_windows, args.window_s, pid)
            removal = res["phases"][f"check_after_{tool}"]["removal"] = removal_state(report, 0)
            if not removal["clean"] and tool != tools[-1]:
                # the next tool gets a fresh target: what this one left behind would be measured with it
                problems.append(f"{label} {tool}: the target is not clean after the checks: {removal}")
                res["target_stderr_tail"][str(proc.pid)] = c.target_stderr(proc)[-3000:]
                c.kill_target(proc)
                proc, report = start(f"baseline_restart_{len(res['pids'])}")
    res["target_stderr_tail"][str(proc.pid)] = c.target_stderr(proc)[-3000:]
    c.kill_target(proc)
    return res


UNOBSERVED = ("baseline", "check_after", "rest_after")


def summarize(mode: str, res: dict) -> dict:
    """Medians per phase. Each observed phase is compared with the target's baseline ('base') and with
    its local reference ('adj'): the mean of the medians of the unobserved phases just before and just
    after it (drift on a shared machine is slower than a phase, not slower than a run).

    For a per-call figure K: K.added (observed minus reference, ns) and K.change_pct; for a rate
    (calls/s): K.slowdown_pct = 1 - observed / reference."""
    phases = res["phases"]
    fns = {"hot": ("f", "g"), "other": ("g",), "request": ("r",)}[mode]
    keys = [f"{fn}_{m}" for fn in fns for m in ("ns_per_call", "cpu_per_call", "proc_cpu_per_call", "per_s")]

    def values(phase: dict, key: str) -> list[float]:
        return [w[key] for w in phase.get("windows", []) if key in w]

    names = list(phases)
    medians = {name: {k: med(values(phases[name], k)) for k in keys + ["target_cpu_share"]} for name in names}

    def is_ref(name: str) -> bool:  # unobserved, and nothing left behind by the previous observation
        return name.startswith(UNOBSERVED) and phases[name].get("removal", {}).get("clean", True)

    out: dict = {"noise": {}, "phases": {}}
    for key in keys:
        vals = [v for name in names if is_ref(name) for v in values(phases[name], key)]
        if len(vals) >= 2:
            mean = statistics.fmean(vals)
            out["noise"][key] = {"n": len(vals), "mean": mean, "stdev_pct": 100 * statistics.stdev(vals) / mean}
    base = medians["baseline"]
    out["baseline"] = base
    for i, name in enumerate(names):
        p = phases[name]
        if name.startswith("baseline"):
            if name != "baseline":  # a restarted target: later phases compare with its own baseline
                base = medians[name]
                out["phases"][name] = dict(base)
            continue
        s: dict = dict(medians[name])
        before = next((n for n in reversed(names[:i]) if is_ref(n)), None)
        after = next((n for n in names[i + 1 :] if is_ref(n) and not n.startswith("baseline")), None)
        local = {}
        for k in keys:
            refs = [medians[n][k] for n in (before, after) if n and medians[n][k]]
            local[k] = statistics.fmean(refs) if refs else None
        s["adj_phases"] = [before, after]
        for tag, ref in (("base", base), ("adj", local)):
            for k in keys:
                obs, r = s.get(k), ref.get(k)
                if not obs or not r:
                    continue
                if k.endswith("_per_s"):
                    s[f"{k}.slowdown_pct.{tag}"] = 100 * (1 - obs / r)
                else:
                    s[f"{k}.added.{tag}"] = obs - r
                    s[f"{k}.change_pct.{tag}"] = 100 * (obs / r - 1)
                    # the throughput lost if the thread (or the process) had its CPU to itself
                    s[f"{k.replace('_per_call', '')}.slowdown_pct.{tag}"] = 100 * (1 - r / obs)
        if "output" in p:
            s["events"] = p["output"]["kinds"]
            s["client_cpu_s"] = p.get("client_cpu_s")
            s["rc"] = p.get("rc")
        if "removal" in p:
            s["clean"] = p["removal"]["clean"]
        out["phases"][name] = s
    return out


def fmt(x: float | None, spec: str = ".1f") -> str:
    return "-" if x is None else format(x, spec)


def pct(x: float | None) -> str:
    return "-" if x is None else f"{x:+.1f}%"


def print_summary(series: str, version: str, hot: dict | None, other: dict | None, req: dict | None) -> None:
    """base: against the target's baseline; adj.: against the unobserved phases around the phase."""
    print(f"\nCPython {version}")
    if hot:
        n, b = hot["noise"], hot["baseline"]

        def band(k: str) -> str:
            return f"±{fmt(n.get(k, {}).get('stdev_pct'))}%"

        print(
            f"  hot, baseline per call: f {fmt(b['f_ns_per_call'])} ns wall / {fmt(b['f_cpu_per_call'])} ns CPU,"
            f" g {fmt(b['g_ns_per_call'])} / {fmt(b['g_cpu_per_call'])}. Noise band (stdev of the unobserved"
            f" windows): f wall {band('f_ns_per_call')}, f CPU {band('f_cpu_per_call')},"
            f" g wall {band('g_ns_per_call')}, g CPU {band('g_cpu_per_call')}"
        )
        print(
            f"  {'phase':30} {'f added ns per call:':>20} {'':>9} {'':>9} {'g change, adj.':>17}"
            f"  {'events':>30} {'client':>7}"
        )
        print(
            f"  {'':30} {'wall':>9} {'main CPU':>9} {'all CPU':>9} {'(calls/s)':>9} {'wall':>8} {'CPU':>8}"
            f"  {'':>30} {'CPU s':>7} clean"
        )
        for name, s in hot["phases"].items():
            if name.startswith("baseline_"):
                print(f"  {name:30} (a fresh target: f {fmt(s['f_ns_per_call'])} ns, g {fmt(s['g_ns_per_call'])} ns)")
                continue
            ev = ",".join(f"{k}={v}" for k, v in (s.get("events") or {}).items())
            rate_added = None
            if s.get("f_per_s") and b.get("f_per_s"):
                rate_added = 1e9 / s["f_per_s"] - 1e9 / b["f_per_s"]
            print(
                f"  {name:30} {fmt(s.get('f_ns_per_call.added.base')):>9} {fmt(s.get('f_cpu_per_call.added.base')):>9}"
                f" {fmt(s.get('f_proc_cpu_per_call.added.base')):>9} {fmt(rate_added):>9}"
                f" {pct(s.get('g_ns_per_call.change_pct.adj')):>8} {pct(s.get('g_cpu_per_call.change_pct.adj')):>8}"
                f"  {ev[:30]:>30} {fmt(s.get('client_cpu_s'), '.2f'):>7} {s.get('clean', '')}"
            )
        for key in ("watch_filtered", "watch", "trace_f"):
            o, p = hot["phases"].get(f"ours:{key}"), hot["phases"].get(f"pfp:{key}")
            if not (o and p):
                continue
            ratios = []
            for k, label in (
                ("f_ns_per_call", "wall"),
                ("f_cpu_per_call", "main CPU"),
                ("f_proc_cpu_per_call", "all CPU"),
            ):
                ov, pv = o.get(f"{k}.added.base"), p.get(f"{k}.added.base")
                if ov is not None and pv:
                    ratios.append(f"{label} {ov / pv:.3f}")
            print(f"  {key}: ours / PFP added ns per call: {', '.join(ratios)}")
    if other:
        n, b = other["noise"], other["baseline"]
        print(
            f"  other (g in a loop, f called 20/s by another thread), baseline g {fmt(b['g_ns_per_call'])} ns wall /"
            f" {fmt(b['g_cpu_per_call'])} ns CPU per call. Noise band: wall ±{fmt(n.get('g_ns_per_call', {}).get('stdev_pct'))}%,"
            f" CPU ±{fmt(n.get('g_cpu_per_call', {}).get('stdev_pct'))}%"
        )
        print(f"  {'phase':30} {'g wall: base':>13} {'adj.':>8} {'g CPU: base':>12} {'adj.':>8}  events")
        for name, s in other["phases"].items():
            if name.startswith("baseline_"):
                continue
            ev = ",".join(f"{k}={v}" for k, v in (s.get("events") or {}).items())
            print(
                f"  {name:30} {pct(s.get('g_ns_per_call.change_pct.base')):>13} {pct(s.get('g_ns_per_call.change_pct.adj')):>8}"
                f" {pct(s.get('g_cpu_per_call.change_pct.base')):>12} {pct(s.get('g_cpu_per_call.change_pct.adj')):>8}"
                f"  {ev} clean={s.get('clean', '')}"
            )
    if req:
        n, b = req["noise"], req["baseline"]
        print(
            f"  request, baseline: {fmt(b['r_per_s'], '.0f')} req/s, {fmt(b['r_ns_per_call'] / 1000)} us wall /"
            f" {fmt(b['r_cpu_per_call'] / 1000)} us CPU per request. Noise band: req/s"
            f" ±{fmt(n.get('r_per_s', {}).get('stdev_pct'))}%, CPU per request ±{fmt(n.get('r_cpu_per_call', {}).get('stdev_pct'))}%"
        )
        print(f"  {'':30} {'':>8} {'slowdown (req/s)':>17} {'CPU per request, adj.':>21} {'slowdown (CPU)':>16}")
        print(
            f"  {'phase':30} {'req/s':>8} {'base':>8} {'adj.':>8} {'main':>10} {'all':>10} {'main':>7} {'all':>8}  events"
        )
        for name, s in req["phases"].items():
            if name.startswith("baseline_"):
                print(f"  {name:30} {fmt(s.get('r_per_s'), '.0f'):>8} (a fresh target)")
                continue
            ev = ",".join(f"{k}={v}" for k, v in (s.get("events") or {}).items())
            print(
                f"  {name:30} {fmt(s.get('r_per_s'), '.0f'):>8} {pct(s.get('r_per_s.slowdown_pct.base')):>8}"
                f" {pct(s.get('r_per_s.slowdown_pct.adj')):>8} {pct(s.get('r_cpu_per_call.change_pct.adj')):>10}"
                f" {pct(s.get('r_proc_cpu_per_call.change_pct.adj')):>10} {pct(s.get('r_cpu.slowdown_pct.adj')):>7}"
                f" {pct(s.get('r_proc_cpu.slowdown_pct.adj')):>8}  {ev} clean={s.get('clean', '')}"
            )
        o, p = req["phases"].get("ours:trace_handle"), req["phases"].get("pfp:trace_handle")
        if o and p:
            ratios = []
            for k, label in (("r_per_s", "req/s"), ("r_cpu", "main-thread CPU"), ("r_proc_cpu", "all-thread CPU")):
                ov, pv = o.get(f"{k}.slowdown_pct.adj"), p.get(f"{k}.slowdown_pct.adj")
                if ov is not None and pv:
                    ratios.append(f"{label} {ov / pv:.2f}")
            print(f"  trace handle: ours / PFP slowdown: {', '.join(ratios)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", action="append", help="target series, e.g. 3.11 (repeatable; default 3.11 and 3.12)")
    ap.add_argument("--tools", default="ours,pfp", help="comma-separated subset of ours,pfp (default both, ours first)")
    ap.add_argument("--windows", type=int, default=3, help="windows per observed phase (default 3)")
    ap.add_argument("--baseline-windows", type=int, default=2, help="windows of the first baseline (default 2)")
    ap.add_argument("--check-windows", type=int, default=1, help="windows after each tool's last phase (default 1)")
    ap.add_argument("--rest-windows", type=int, default=0, help="unobserved windows between two observed phases")
    ap.add_argument("--window-s", type=float, default=3.0, help="seconds per window (default 3)")
    ap.add_argument("--modes", default="hot,other,request", help="comma-separated subset of hot,other,request")
    ap.add_argument("--hot-trace", action="store_true", help="also trace f in the hot target")
    ap.add_argument("--ours-cli", default=c.tool("flight_profiler"))
    ap.add_argument("--quick", action="store_true", help="2 windows of 1.5 s (to try the harness)")
    args = ap.parse_args()
    if args.quick:
        args.windows, args.window_s, args.baseline_windows, args.check_windows, args.rest_windows = 2, 1.5, 1, 1, 1
    series_list = args.python or list(pfp_env.DEFAULT_SERIES)
    tools = args.tools.split(",")
    modes = args.modes.split(",")

    c.install_cleanup()
    # started in the background by a non-interactive shell, SIGINT is ignored here, and an ignored
    # signal stays ignored in the children: PFP's client would never see the SIGINT that stops it
    signal.signal(signal.SIGINT, signal.default_int_handler)
    load_start = os.getloadavg()
    t_start = time.monotonic()
    for series in series_list:
        pfp_env.ensure(series)
    tmp = os.path.dirname(c.write_script("flight-bench-observe-", TARGET))

    problems: list[str] = []
    raw: dict = {}
    summaries: dict = {}
    versions: dict = {}
    print(f"observe overhead: tools {tools}, {args.windows} x {args.window_s:g} s windows per phase", flush=True)
    try:
        for series in series_list:
            versions[series] = c.python_version(pfp_env.venv_python(series))
            raw[series] = {}
            summaries[series] = {}
            for mode in modes:
                raw[series][mode] = run_target(mode, series, args, tmp, tools, problems)
                summaries[series][mode] = summarize(mode, raw[series][mode])
    except KeyboardInterrupt:
        print("interrupted: cleaning up", file=sys.stderr)
        c.cleanup()
        return 130
    finally:
        c.cleanup()

    for series in series_list:
        sm = summaries[series]
        print_summary(series, versions[series], sm.get("hot"), sm.get("other"), sm.get("request"))
    path = c.write_results(
        "observe_overhead",
        {
            "tools": tools,
            "windows": args.windows,
            "baseline_windows": args.baseline_windows,
            "rest_windows": args.rest_windows,
            "check_windows": args.check_windows,
            "window_s": args.window_s,
            "pfp_version": pfp_env.PFP_VERSION,
            "pythons": versions,
            "loadavg_at_start": load_start,
            "duration_s": time.monotonic() - t_start,
            "summaries": summaries,
            "raw": raw,
            "problems": problems,
        },
    )
    c.print_problems(problems)
    print(f"\nduration {time.monotonic() - t_start:.0f} s; raw: {os.path.relpath(path, c.REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
