"""What every workflow shares: the records it streams, counted, and the diagnosis it ends with."""

from __future__ import annotations

import os
from collections.abc import Iterator


class Steps:
    """Counts the records a workflow yields (a finding names them by index) and makes its
    progress lines and its diagnosis."""

    def __init__(self, problem: str, workflow: str):
        self.problem = problem
        self.workflow = workflow
        self.count = 0
        self.findings: list = []
        self.missing: list = []

    def emit(self, record: dict) -> dict:
        self.count += 1
        return record

    def progress(self, text: str) -> dict:
        return self.emit({"v": 1, "kind": "message", "text": f"diagnose {self.workflow}: {text}"})

    def index(self) -> int:
        """The index the next record will have."""
        return self.count

    def has(self, command: str) -> bool:
        """Whether this version has a step's command; one that is not here is said in the diagnosis."""
        from ..commands.registry import COMMANDS  # the registry imports this package

        if command in COMMANDS:
            return True
        if command not in self.missing:
            self.missing.append(command)
        return False

    def find(self, title: str, evidence: str, records: list) -> None:
        self.findings.append({"title": title, "evidence": evidence, "records": sorted(set(records))})

    def diagnosis(self, classification: str, confidence: float, summary: str, cause: str, next_: list) -> dict:
        from ..commands.registry import COMMANDS

        record = {
            "v": 1,
            "kind": "diagnosis",
            "problem": self.problem,
            "workflow": self.workflow,
            "classification": classification,
            "confidence": round(confidence, 2),
            "summary": summary,
            "cause": cause,
            "findings": self.findings,
            "next": [line for line in next_ if line.split()[0] in COMMANDS],
            "missing": self.missing,
        }
        return self.emit(record)


def run_agent(session, command: str, args: dict) -> Iterator[dict]:
    """One agent command's records (errors come back as records)."""
    return session.client.run(command, args)


def short(path: str) -> str:
    return os.path.basename(path)
