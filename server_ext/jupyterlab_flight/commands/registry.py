"""Every command of the language, by name: the one list of them (a new command is added here)."""

from __future__ import annotations

from . import (
    console,
    detach,
    diagnose,
    getglobal,
    gilstat,
    help,
    mem,
    module,
    monitor,
    perf,
    reload,
    stack,
    torch,
    trace,
    tt,
    vmtool,
    watch,
)

COMMANDS = {
    m.COMMAND.name: m.COMMAND
    for m in (
        help,
        stack,
        getglobal,
        vmtool,
        module,
        console,
        watch,
        trace,
        tt,
        monitor,
        perf,
        torch,
        reload,
        mem,
        gilstat,
        diagnose,
        detach,
    )
}
