"""The interactive flight_profiler prompt, driven through a real pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest


class Terminal:
    def __init__(self, *args: str):
        self.master, slave = pty.openpty()
        env = dict(os.environ, TERM="dumb", HOME=os.environ.get("HOME", "/tmp"))
        self.proc = subprocess.Popen([sys.executable, "-m", "jupyterlab_flight.cli", *args], stdin=slave, stdout=slave,
                                     stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.output = ""

    def read_until(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"never saw {text!r}; screen:\n{self.output[-3000:]}")
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    self.output += os.read(self.master, 65536).decode(errors="replace")
                except OSError:
                    break
        return self.output

    def send(self, keys: str) -> None:
        self.output = ""
        os.write(self.master, keys.encode())

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=10)
        finally:
            os.close(self.master)


@pytest.mark.parametrize("version", ["3.12"])
def test_prompt_completion_console_interrupt_and_quit(target):
    term = Terminal(str(target.pid))
    try:
        term.read_until(f"flight {target.pid}> ")
        term.send("getg\t")  # tab completes the command name
        term.read_until("getglobal ")
        term.send("__main__ Model registry\r")
        term.read_until("'default': 1")
        term.read_until(f"flight {target.pid}> ")
        term.send("help\r")
        term.read_until("vmtool")
        term.send("console\r")
        term.read_until(">>> ")
        term.send("x = 20\r")
        term.read_until(">>> ")
        term.send("for i in range(2):\r")
        term.read_until("... ")
        term.send("    x += 1\r")
        term.read_until("... ")
        term.send("\r")
        term.read_until(">>> ")
        term.send("x\r")
        term.read_until("22")
        term.send("while True: pass\r")
        time.sleep(0.5)
        term.send("\x03")  # Ctrl-C stops the loop in the target, not the prompt
        term.read_until("(interrupted)")
        term.send("exit()\r")
        term.read_until(f"flight {target.pid}> ")
        term.send("stack\r")
        term.read_until("deep-sleeper")
        term.send("quit\r")
        assert term.close() == 0
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    # the busy loop was really stopped: the target keeps its normal thread count and stays correct
    report = target.wait_report(lambda r: r["results"]["iterations"] > 0)
    assert report["results"]["errors"] == 0
