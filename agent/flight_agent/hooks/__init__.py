"""Observing calls of a function in the target: where it is (locate.py) and the hook (probe.py).

One Probe per observed code object, shared by every observer (watch, trace, tt, monitor, from any
client); each observer is removed on its own, and the probe goes when its last observer does,
leaving the function exactly as it was.
"""
