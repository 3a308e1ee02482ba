"""py-spy's frame text, read back: ``name (file:line)`` and the frames it adds around a stack.

One line of ``py-spy record -f raw -F -t [-s]`` output is a collapsed stack, outermost first:

    process 4242:"python app.py";thread (4243): MainThread;<module> (/srv/app.py:1);f (/srv/app.py:5) 17

- ``process PID:"CMDLINE"`` (with -s) and ``thread (TID)`` or ``thread (TID): NAME`` (with -t;
  TID in decimal, or ``0x..`` where py-spy has no native id) come first;
- a Python frame is ``NAME (FILE:LINE)``: NAME is a (qualified) Python name, no spaces;
- a native frame (with -n) is ``SYMBOL (LIBRARY)``: SYMBOL may be a C++ name with spaces and
  parentheses (``std::foo(int) const``), or an address ``0x7f..``.

The same text is what our collapsed-stack export writes, so a ``.txt`` written by ``perf -f``
reads back here (``--baseline``), and so does a file from flamegraph.pl's collapse scripts (any
frame text that is none of the above is kept whole as a function name).
"""

from __future__ import annotations

import re
from typing import NamedTuple

_PYTHON = re.compile(r"(?P<name>[^\s]+) \((?P<file>.*):(?P<line>\d+)\)")
_NATIVE = re.compile(r"(?P<name>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)")
_THREAD = re.compile(r"thread \((?P<id>0x[0-9a-fA-F]+|\d+)\)(?:: (?P<name>.*))?")
_PROCESS = re.compile(r'process (?P<pid>\d+):"(?P<cmdline>.*)"', re.S)
_OPENING = re.compile(r'(?:^|;)process \d+:"')

# A native frame that py-spy could place in its source (debug info) reads like a Python frame.
_NATIVE_SOURCE = (".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".rs", ".S", ".pyx")

PYTHON, NATIVE, THREAD, PROCESS, OTHER = "python", "native", "thread", "process", "other"


class Frame(NamedTuple):
    """One frame: ``kind`` is python, native, thread, process, or other (text we do not know).
    For a thread ``line`` holds the thread id, for a process the pid; ``file`` is the thread's
    name or the process's command line there."""

    kind: str
    function: str
    file: str | None
    line: int | None

    @property
    def is_code(self) -> bool:
        """A frame of the program (Python, native or unknown), not a thread or process marker."""
        return self.kind not in (THREAD, PROCESS)

    def text(self) -> str:
        """Back to py-spy's text (what the collapsed-stack export writes)."""
        if self.kind == PYTHON:
            return f"{self.function} ({self.file}:{self.line})"
        if self.kind == NATIVE:
            return f"{self.function} ({self.file}:{self.line})" if self.line else f"{self.function} ({self.file})"
        if self.kind == THREAD:
            return f"thread ({self.line}): {self.file}" if self.file else f"thread ({self.line})"
        if self.kind == PROCESS:
            return f'process {self.line}:"{self.file}"'
        return self.function

    def label(self) -> str:
        """How a flame graph names it."""
        if self.kind == THREAD:
            if self.line is not None and self.line < 0:  # not a thread: the merged rest
                return self.file or "threads"
            return f"thread {self.line}: {self.file}" if self.file else f"thread {self.line}"
        if self.kind == PROCESS:
            return f"process {self.line}: {self.file}"
        return self.function


def parse_frame(text: str) -> Frame:
    m = _PYTHON.fullmatch(text)
    if m and not m["file"].endswith(_NATIVE_SOURCE):
        return Frame(PYTHON, m["name"], m["file"], int(m["line"]))
    m = _THREAD.fullmatch(text)
    if m:
        tid = m["id"]
        return Frame(THREAD, "thread", m["name"], int(tid, 16) if tid.startswith("0x") else int(tid))
    m = _PROCESS.fullmatch(text)
    if m:
        return Frame(PROCESS, "process", m["cmdline"], int(m["pid"]))
    m = _NATIVE.fullmatch(text)
    if m and m["name"]:
        return Frame(NATIVE, m["name"], m["file"], int(m["line"]) if m["line"] else None)
    return Frame(OTHER, text, None, None)


def split_stack(stack: str) -> list[str]:
    """A collapsed stack's frames. With -s a stack starts with the process frames of its
    process and its parents (outermost first); a command line may hold ``;``: a process frame
    ends at the ``";`` before the next process or thread frame."""
    frames: list[str] = []
    rest = stack
    while rest.startswith("process "):
        ends = [i for i in (rest.find('";process '), rest.find('";thread (')) if i >= 0]
        end = min(ends) if ends else rest.find('";')
        if end < 0:
            return [*frames, rest]
        frames.append(rest[: end + 1])
        rest = rest[end + 2 :]
    return [*frames, *rest.split(";")] if rest else frames


def complete(text: str) -> bool:
    """Whether collapsed-stack text holds no open process frame (a command line with newlines
    spans lines)."""
    return len(_OPENING.findall(text)) <= text.count('";')


def parse_line(line: str) -> tuple[list[str], int] | None:
    """``frame;frame;frame COUNT`` -> (frame texts, count); None for a blank or broken line."""
    stack, _, count = line.rstrip("\r\n").rpartition(" ")
    if not stack or not count.isdigit():
        return None
    return split_stack(stack), int(count)
