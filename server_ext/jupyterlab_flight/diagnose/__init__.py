"""diagnose: the seed's diagnosis workflows as commands (commands/diagnose.py).

Each workflow (one module here) runs other commands read-only through the FlightSession, streams
their records with a progress ``message`` per step, and ends with one ``diagnosis`` record:
``problem``, ``classification``, ``confidence``, ``findings`` (title, evidence, the indexes of
the records it rests on) and ``next`` (command lines to run next). ``router`` picks a workflow
for a free-text problem.
"""

from __future__ import annotations

from .router import WORKFLOWS, route

__all__ = ["WORKFLOWS", "route"]
