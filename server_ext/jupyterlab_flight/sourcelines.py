"""Source lines for the frames of a ``stack`` record, read where the client runs.

The agent sends file and line only (reading files would fill the target's linecache); the
client adds each frame's ``code`` when it can read the file (a target on the same host, the
usual case), so the terminal, the notebook and the sidebar show the same line. Files are read
once per record through linecache, with a bound on how many.
"""

from __future__ import annotations

import linecache

MAX_FILES = 200  # distinct files read for one record; later frames go without a line


def add_source_lines(record: dict) -> dict:
    if record.get("kind") != "stack":
        return record
    files: set = set()
    for group in (*(record.get("threads") or ()), *(record.get("tasks") or ())):
        for frame in group.get("frames") or ():
            if frame.get("native") or frame.get("code") or not frame.get("line") or not frame.get("file"):
                continue
            path = frame["file"]
            if path not in files:
                if len(files) >= MAX_FILES:
                    continue
                files.add(path)
            code = linecache.getline(path, frame["line"]).strip()
            if code:
                frame["code"] = code[:500]
    return record
