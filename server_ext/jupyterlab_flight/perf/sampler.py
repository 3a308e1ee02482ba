"""py-spy, run from outside the target in chunks, so that a picture is ready every second or so.

``py-spy record -f raw`` writes its collapsed stacks only when it ends, and it ends cleanly on
SIGINT. So a capture is a chain of py-spy runs ("chunks"), each ended by SIGINT:

- in py-spy's default (blocking) mode, which pauses the target with ptrace for each sample, the
  next chunk starts when the current one has ended (two tracers cannot both attach); py-spy's
  start (finding the interpreter: 50-400 ms here) is a gap, counted in ``lost_s``;
- with --nonblocking (nothing is paused), the next chunk starts shortly before the current one
  is due to end, and the current one gets SIGINT the moment the next one says it samples: they
  overlap by the time a signal takes, and no time goes unsampled.

py-spy never runs in the target's environment: it is this package's dependency, a Rust binary
that reads the target's memory (ptrace rights needed). Each chunk runs in a session of its own
(a Ctrl-C at the terminal reaches us, not py-spy) and with py-spy's own ``-d`` as a bound, so
that nothing outlives us for long even if we are killed with SIGKILL; ``close()`` ends every
chunk still running, whatever ended the capture.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..errors import FlightError, PermissionDenied, TargetNotFound, UnsupportedTarget

FIRST_CHUNK_S = 0.5  # the first picture within a second
CHUNK_S = 1.0
# In blocking mode every chunk costs py-spy's start unsampled: after the first pictures,
# chunks of 2 s halve that loss (the picture still changes every two seconds).
BLOCKING_CHUNK_S, BLOCKING_AFTER_S = 2.0, 5.0
POLL_S = 0.05  # how often a stop is looked for while a chunk runs
STARTUP_GUESS_S = 0.15  # py-spy's start (finding the interpreter) before it samples; measured per chunk
MIN_CHUNK_S = 0.2  # no new chunk for less than this before -d ends
CHUNK_BOUND_S = 30  # py-spy's own -d: the longest a chunk lives if nobody stops it
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0
_SAMPLES = re.compile(r"Samples: (\d+) Errors: (\d+)")
_ENV = {"RUST_BACKTRACE": "0", "RUST_LIB_BACKTRACE": "0"}


@dataclass(frozen=True)
class SamplerOptions:
    pid: int
    rate: int
    native: bool = False
    idle: bool = False
    gil: bool = False
    subprocesses: bool = False
    nonblocking: bool = False


@dataclass
class ChunkResult:
    text: str  # collapsed stacks
    started: float  # time.monotonic() when it sampled
    stopped: float  # when it was asked to stop, or was seen to end
    samples: int  # py-spy's count
    errors: int  # py-spy's sampling errors
    behind: int  # py-spy's "behind in sampling" warnings
    target_exited: bool
    last: bool = False


def find_pyspy() -> str:
    """The py-spy of this installation (next to our interpreter), else the one on PATH."""
    for directory in (os.path.dirname(sys.executable), sysconfig.get_path("scripts")):
        path = os.path.join(directory, "py-spy")
        if os.access(path, os.X_OK):
            return path
    found = shutil.which("py-spy")
    if found is None:
        raise FlightError("py-spy is not installed here: pip install py-spy (it runs outside the target)")
    return found


@functools.lru_cache(maxsize=4)
def pyspy_version(path: str) -> str:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.split()[-1] if out.split() else "unknown"


def thread_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


def target_alive(pid: int) -> bool:
    """Running, not a zombie (a child of ours that exited is a zombie until it is reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return False
    return data[data.rindex(")") + 2 :][:1] not in ("Z", "X", "")


def free_threaded(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/maps") as f:
            maps = f.read()
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return False
    return bool(re.search(r"libpython3\.\d+t\b", maps) or re.search(r"python3\.\d+t$", exe))


def unsupported(pid: int, version: tuple, engine_version: str) -> str:
    """What to say when py-spy cannot read this interpreter, and what would."""
    series = f"{version[0]}.{version[1]}"
    if free_threaded(pid):
        return f"py-spy {engine_version} cannot read pid {pid}: a free-threaded Python {series}t build is not supported by py-spy yet"
    if tuple(version) >= (3, 15):
        return (
            f"py-spy {engine_version} cannot read pid {pid} (Python {series}); Python's own sampler can: "
            f"python{series} -m profiling.sampling attach {pid}"
        )
    return f"py-spy {engine_version} cannot find the Python {series} interpreter in pid {pid}"


def pyspy_error(pid: int, output: str, version: tuple, engine_version: str) -> FlightError:
    """py-spy's failure to start as one line, of the error class that says what to do."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    low = output.lower()
    if "permission denied" in low or "operation not permitted" in low:
        return PermissionDenied(
            f"permission denied: py-spy may not read pid {pid}; run as its user or root, check "
            "/proc/sys/kernel/yama/ptrace_scope (0 lets a user trace their own processes), and in a "
            "container add CAP_SYS_PTRACE (docker run --cap-add SYS_PTRACE)"
        )
    if not target_alive(pid) or "failed to get process executable" in low or "no such process" in low:
        return TargetNotFound(f"no process with pid {pid} (it exited)")
    if "unsupported version" in low or "python version" in low or "python interpreter" in low:
        return UnsupportedTarget(unsupported(pid, version, engine_version))
    first = next((line for line in lines if line.startswith("Error:")), lines[0] if lines else "it exited")
    return FlightError(f"py-spy cannot sample pid {pid}: {first.removeprefix('Error:').strip()}")


class Chunk:
    """One py-spy run. A reader thread timestamps the line that says it samples (``started``),
    so the clock is right even while the stream's consumer holds the generator."""

    def __init__(self, argv: list[str], path: str, wake: threading.Event):
        self.path = path
        self.launched = time.monotonic()
        self.started: float | None = None
        self.stopped: float | None = None
        self._lines: list[bytes] = []
        self._wake = wake
        self._err = open(path + ".err", "w+b")  # noqa: SIM115 (read back when the chunk ends)
        self.proc = subprocess.Popen(
            [*argv, "-o", path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._err,
            start_new_session=True,
            env={**os.environ, **_ENV},
        )
        assert self.proc.stdout is not None
        self.stdout = self.proc.stdout
        self._reader = threading.Thread(target=self._read, name="flight-perf-py-spy", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for line in self.stdout:
                if self.started is None and b"Sampling process" in line:
                    self.started = time.monotonic()
                self._lines.append(line)
                self._wake.set()
        except (OSError, ValueError):
            pass
        self._wake.set()

    @property
    def output(self) -> str:
        return b"".join(self._lines).decode("utf-8", "replace")

    def done(self) -> bool:
        return self.proc.poll() is not None

    def stop(self) -> None:
        """SIGINT: py-spy writes what it sampled and exits. Before it samples: nothing to keep."""
        if self.stopped is None:
            self.stopped = time.monotonic()
        if self.proc.poll() is None:
            if self.started is not None:
                self.proc.send_signal(signal.SIGINT)
            else:
                self.proc.kill()

    def wait(self, timeout: float = STOP_TIMEOUT_S) -> None:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._reader.join(timeout=1.0)
        if self.stopped is None:
            self.stopped = time.monotonic()

    def result(self) -> ChunkResult:
        try:
            with open(self.path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""
        out = self.output
        counts = _SAMPLES.search(out)
        return ChunkResult(
            text=text,
            started=self.started or self.launched,
            stopped=self.stopped or time.monotonic(),
            samples=int(counts.group(1)) if counts else 0,
            errors=int(counts.group(2)) if counts else 0,
            behind=(out + self.errors_text()).count("behind in sampling"),
            target_exited="process exited" in out or "process ended" in out,
        )

    def errors_text(self) -> str:
        try:
            self._err.seek(0)
            return self._err.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass

    def close(self) -> None:
        self.kill()
        self._reader.join(timeout=1.0)
        for stream in (self.stdout, self._err):
            try:
                stream.close()
            except OSError:
                pass
        for path in (self.path, self.path + ".err"):
            try:
                os.unlink(path)
            except OSError:
                pass


class Sampler:
    """A chain of py-spy chunks on one target. ``start()`` waits for the first to sample (and
    raises py-spy's failure as a FlightError); ``chunks()`` yields each chunk's samples as it
    ends; ``close()`` leaves nothing running. ``end_reason`` says why the chain ended."""

    def __init__(self, engine: str, engine_version: str, options: SamplerOptions, version: tuple, workdir: str):
        self.engine, self.engine_version = engine, engine_version
        self.options = options
        self.version = version
        self.workdir = workdir
        self.chunk_s = CHUNK_S  # the stream may lengthen it when a picture is costly to make
        self.end_reason: str | None = None
        self.lost_s = 0.0
        self.first_started: float | None = None
        self.last_stopped: float | None = None
        self._chunks: list[Chunk] = []
        self._count = 0
        self._startup = STARTUP_GUESS_S
        self._current: Chunk | None = None
        self._wake = threading.Event()  # a chunk printed something, or ended

    def argv(self) -> list[str]:
        o = self.options
        argv = [self.engine, "record", "-p", str(o.pid), "-r", str(o.rate), "-f", "raw", "-F", "-t"]
        argv += ["--full-filenames", "-d", str(CHUNK_BOUND_S)]
        for flag, on in (("-n", o.native), ("-i", o.idle), ("-g", o.gil), ("-s", o.subprocesses)):
            if on:
                argv.append(flag)
        if o.nonblocking:
            argv.append("--nonblocking")
        return argv

    def _launch(self) -> Chunk:
        self._count += 1
        chunk = Chunk(self.argv(), os.path.join(self.workdir, f"chunk-{self._count}.txt"), self._wake)
        self._chunks.append(chunk)
        return chunk

    def _poll(self, timeout: float) -> None:
        """Sleep until a chunk says something or ends, or ``timeout``."""
        self._wake.wait(timeout)
        self._wake.clear()

    def _failure(self, chunk: Chunk) -> FlightError:
        chunk.wait()
        return pyspy_error(self.options.pid, chunk.errors_text() + chunk.output, self.version, self.engine_version)

    def _await_sampling(self, chunk: Chunk, should_stop: Callable[[], str | None]) -> str | None:
        """Until the chunk samples: None; or why it will not (a stop, the target's exit)."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while chunk.started is None:
            self._poll(POLL_S)
            if chunk.started is not None:
                break
            reason = should_stop()
            if reason:
                chunk.kill()
                return reason
            if chunk.done():
                chunk.wait()
                if chunk.started is not None:
                    break
                if not target_alive(self.options.pid) and self.first_started is not None:
                    return "exited"
                raise self._failure(chunk)
            if time.monotonic() > deadline:
                chunk.kill()
                raise FlightError(f"py-spy did not start sampling pid {self.options.pid} in {START_TIMEOUT_S:g} s")
        self._startup = 0.5 * self._startup + 0.5 * (chunk.started - chunk.launched)
        if self.last_stopped is not None:
            self.lost_s += max(0.0, chunk.started - self.last_stopped)
        if self.first_started is None:
            self.first_started = chunk.started
        return None

    def start(self, should_stop: Callable[[], str | None]) -> bool:
        """Start the first chunk; False if a stop came first."""
        chunk = self._launch()
        reason = self._await_sampling(chunk, should_stop)
        if reason:
            self.end_reason = reason
            return False
        self._current = chunk
        return True

    def _finish(self, chunk: Chunk, last: bool = False) -> ChunkResult:
        chunk.stop()
        chunk.wait()
        result = chunk.result()
        result.last = last
        self.last_stopped = result.stopped
        chunk.close()
        self._chunks.remove(chunk)
        return result

    def _follow(self, nxt: Chunk | None, should_stop: Callable[[], str | None]) -> Chunk | None:
        """The chunk after one that ended: ``nxt`` (or a new one) once it samples; None if a
        stop or the target's exit came first (``end_reason``). One failed start is retried: a
        tracer of the target that had not let go yet, in blocking mode."""
        for attempt in (1, 2):
            chunk = nxt or self._launch()
            nxt = None
            try:
                reason = self._await_sampling(chunk, should_stop)
            except FlightError:
                if attempt == 2 or not target_alive(self.options.pid):
                    raise
                time.sleep(0.1)
                continue
            if reason:
                self.end_reason = reason
                return None
            return chunk
        return None

    def _length(self) -> float:
        if not self.options.nonblocking and self.sampled_s >= BLOCKING_AFTER_S:
            return max(self.chunk_s, BLOCKING_CHUNK_S)
        return self.chunk_s

    def chunks(self, should_stop: Callable[[], str | None], duration_s: float | None) -> Iterator[ChunkResult]:
        """Each chunk's samples as it ends, until a stop (``should_stop()`` says why), -d, or the
        target's exit. The last one has ``last`` set.

        In --nonblocking mode the next chunk starts before the current one is due to end and
        takes over when it samples. py-spy's blocking mode pauses the target with ptrace, and
        two py-spy cannot trace it at once: there the current chunk ends, then the next starts,
        and the gap is counted."""
        current: Chunk | None = self._current
        assert current is not None and current.started is not None and self.first_started is not None
        deadline = self.first_started + duration_s if duration_s else None
        overlap = self.options.nonblocking
        length = FIRST_CHUNK_S
        while current is not None:
            assert current.started is not None
            end_at = current.started + length
            nxt: Chunk | None = None
            reason = None
            while reason is None:
                now = time.monotonic()
                # when the next chunk starts: ahead of time if they may overlap, else at the end
                turn_at = end_at - 1.5 * self._startup - 0.05 if overlap else end_at
                may_turn = nxt is None and (deadline is None or deadline - turn_at > MIN_CHUNK_S + self._startup)
                nearest = min(turn_at if may_turn else now + POLL_S, deadline if deadline is not None else now + POLL_S)
                self._poll(max(0.002, min(POLL_S, nearest - now)))
                now = time.monotonic()
                stop = should_stop()
                if stop:
                    reason = stop
                elif deadline is not None and now >= deadline:
                    reason = "duration"
                elif current.done():
                    reason = "ended"
                elif nxt is not None and nxt.started is not None:
                    reason = "handoff"
                elif nxt is not None and nxt.done():
                    nxt.wait()
                    if nxt.started is None:  # the next one did not start: after the current one, again
                        if not target_alive(self.options.pid):
                            reason = "exited"
                        else:
                            nxt.close()
                            self._chunks.remove(nxt)
                            nxt, overlap = None, False
                elif may_turn and now >= turn_at:
                    if overlap:
                        nxt = self._launch()
                    else:
                        reason = "turn"
            if reason == "handoff":
                assert nxt is not None
                result = self._finish(current)
                self._await_sampling(nxt, should_stop)  # it samples: counts the gap (none)
                yield result
                current, length = nxt, self._length()
                continue
            if reason == "turn":
                # the next one starts once this one has let go of the target: started while it
                # still traces, py-spy fails to attach and retries for seconds
                result = self._finish(current)
                nxt = self._launch()
                yield result
                current, length = self._follow(nxt, should_stop), self._length()
                continue
            if reason == "ended":  # py-spy ended by itself: the target exited, or its own -d bound
                result = self._finish(current)
                if result.target_exited or not target_alive(self.options.pid):
                    if nxt is not None:
                        nxt.kill()
                    self.end_reason = "exited"
                    result.last = True
                    yield result
                    return
                yield result
                current, length = self._follow(nxt, should_stop), self._length()
                continue
            # a stop, -d, or the target's exit seen by the next chunk: keep every sample
            self.end_reason = reason
            results = [self._finish(current)]
            if nxt is not None:
                if nxt.started is not None:
                    results.append(self._finish(nxt))
                else:
                    nxt.kill()
            for i, result in enumerate(results):
                result.last = i == len(results) - 1
                yield result
            return

    @property
    def sampled_s(self) -> float:
        """Wall time from the first sample to the last stop."""
        if self.first_started is None:
            return 0.0
        return max(0.0, (self.last_stopped or time.monotonic()) - self.first_started)

    def close(self) -> None:
        for chunk in list(self._chunks):
            chunk.close()
        self._chunks.clear()
