"""``perf``: sampling profiles of a live process, read from outside it by py-spy.

sampler.py    py-spy in chunks (a picture every second), errors as one line, nothing left running
frames.py     py-spy's frame text, read back
aggregate.py  every sample so far, one call tree per thread, bounded
tree.py       the record's trees (merged and per thread), top functions, pruning
baseline.py   --baseline: an earlier capture's samples on each path
svg.py        the flame graph as one static SVG (the -f .svg export and the notebook's fallback)
export.py     -f FILE: .svg, .json (speedscope), .txt (collapsed stacks)
stream.py     the command's stream: checks, message, live profiles, the final one, end
"""
