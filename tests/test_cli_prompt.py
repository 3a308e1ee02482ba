"""The interactive flight_profiler prompt, driven in a real terminal (tmux)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (make test installs it)")


class Terminal:
    """A tmux session running the CLI; keys go in with send-keys, the screen comes out with capture-pane."""

    def __init__(self, *args: str):
        self.name = f"flight-test-{uuid.uuid4().hex[:8]}"
        command = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "jupyterlab_flight.cli", *args])
        # 'exec' so the pane dies with the CLI; 'sleep' keeps the screen readable after it exits
        subprocess.run(
            [
                "tmux",
                "new-session",
                "-d",
                "-s",
                self.name,
                "-x",
                "200",
                "-y",
                "50",
                f"sleep 0.2; {command}; echo EXIT=$?; sleep 30",
            ],
            check=True,
        )
        # a detached session started without a terminal (as under pytest) is 80x24 whatever -x/-y say
        subprocess.run(["tmux", "resize-window", "-t", self.name, "-x", "200", "-y", "50"], capture_output=True)
        self.seen = 0

    def screen(self) -> str:
        done = subprocess.run(
            ["tmux", "capture-pane", "-p", "-J", "-S", "-2000", "-t", self.name], capture_output=True, text=True
        )
        return done.stdout

    def read_until(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            position = screen.find(text, self.seen)
            if position >= 0:
                self.seen = position + len(text)
                return screen
            time.sleep(0.1)
        raise AssertionError(f"never saw {text!r}; screen:\n{self.screen()[-3000:]}")

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def type(self, text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.mark.parametrize("version", ["3.12"])
def test_prompt_completion_console_interrupt_and_quit(target):
    term = Terminal(str(target.pid))
    prompt = f"flight {target.pid}> "
    try:
        term.read_until(prompt)
        term.type("getg")
        term.keys("Tab")  # tab completes the command name
        term.read_until("getglobal ")
        term.type("__main__ Mod")
        term.keys("Tab")  # and the target's names: classes of __main__, then their fields
        term.read_until("__main__ Model")  # (capture-pane drops the trailing space)
        term.type("regis")
        term.keys("Tab")
        term.read_until(" registry")
        term.keys("Enter")
        term.read_until("'default': 1")
        term.read_until(prompt)
        term.type("help")
        term.keys("Enter")
        term.read_until("vmtool")
        term.type("console")
        term.keys("Enter")
        term.read_until(">>> ")
        for line in ["x = 20", "for i in range(2):", "    x += 1", "", "x"]:
            term.type(line)
            term.keys("Enter")
        term.read_until("22")
        term.type("while True: pass")
        term.keys("Enter")
        term.read_until("... ")
        term.keys("Enter")  # a compound statement ends with a blank line, as in Python's REPL
        time.sleep(0.5)
        term.keys("C-c")  # Ctrl-C stops the loop in the target, not the prompt
        term.read_until("(interrupted)")
        term.type("x * 2")  # the console's namespace survived the interrupt
        term.keys("Enter")
        term.read_until("44")
        term.type("exit()")
        term.keys("Enter")
        term.read_until(prompt)
        term.keys("Up")  # history: the last line typed comes back
        term.read_until("exit()")
        term.keys("C-u")
        term.type("stack")
        term.keys("Enter")
        term.read_until("deep-sleeper")
        term.type("quit")
        term.keys("Enter")
        term.read_until("EXIT=0")
    finally:
        term.close()
    # the busy loop really stopped: the target is correct and the agent stays for the next client
    report = target.wait_report(lambda r: r["results"]["iterations"] > 0 and r["flight_modules"])
    assert report["results"]["errors"] == 0


@pytest.mark.parametrize("version", ["3.13"])
def test_perf_redraws_its_live_table_in_place(target):
    # at a terminal a live profile is one table that updates; the final record takes its place
    term = Terminal(str(target.pid), "--cmd", "perf -d 3.5")
    try:
        screen = term.read_until("EXIT=0", timeout=60)
        assert screen.count("SELF%  TOTAL%") == 1, screen
        assert screen.count("profile of pid") == 1 and "(end: -d elapsed)" in screen, screen
        body = screen[screen.index("profile of pid") :]
        assert "work" in body and "\x1b" not in body
    finally:
        term.close()
    # without a terminal (a pipe, --json) every snapshot is there, in order
    done = subprocess.run(
        [sys.executable, "-m", "jupyterlab_flight.cli", str(target.pid), "--cmd", "perf -d 2.5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.count("SELF%  TOTAL%") >= 2 and "\x1b" not in done.stdout
