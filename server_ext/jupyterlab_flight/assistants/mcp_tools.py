"""The tools as plain functions for an MCP server: typed parameters and descriptions for a model.

``tool_functions(toolbox)`` gives one function per tool, named as the tool; the stdio server
(mcp_server.py) and Jupyter's MCP server (jupyter_tools.py) register the same ones. The
diagnosis tools follow the router's workflows (diagnose/router.py). No ``from __future__ import
annotations`` here: the SDKs read the annotations to build the input schemas.
"""

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import Field

from ..diagnose.router import WORKFLOWS
from .policy import SAFE_CALLS, SAFE_METHODS
from .tools import DEFAULT_DIAGNOSE_S, DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S, STREAM_LIMIT, Toolbox

Pid = Annotated[int, Field(description="process id of the Python process (list_python_processes finds it)", gt=0)]
Output = Annotated[
    Literal["text", "json"],
    Field(description="text: the terminal's tables, stacks and reports (best to read); json: one record per line"),
]
Function = Annotated[
    str,
    Field(description="optional 'module [class] method' to look at, e.g. 'app.api Handler get' or '__main__ step'"),
]
Duration = Annotated[float, Field(description="seconds the workflow samples the process for", gt=0, le=120)]

WORKFLOW_HELP = {
    "hang": "a process that hangs, is stuck, deadlocked or stopped answering: samples every thread's stack and "
    "the lock graph, names deadlocks (which threads hold and wait for which locks, at which lines), threads "
    "blocked behind a held lock, threads waiting on an empty queue or an unset event, and threads still running",
    "slow": "a process that is slow, uses much CPU or has high latency: samples where the time goes (hottest "
    "functions, application code apart from libraries), whether threads wait for the GIL, and traces the hottest "
    "application function (or the given one) to show where inside it the time goes",
    "memory": "a process whose memory grows or leaks: objects by type, what grows over the interval, whether a "
    "collection takes it back, and which references (module globals, class attributes, frames) keep the growing "
    "instances alive",
    "exception": "a process that raises exceptions, errors or fails requests: exceptions raised over the interval "
    "grouped by type, message pattern and raising function, where each was caught or that it escaped, with one "
    "example traceback each (process-wide on Python 3.12+; before 3.12 give the function to watch)",
    "torch": "a PyTorch job that is slow or uses much GPU memory: where a training step spends its time and "
    "memory: tensors that accumulate, one step's top operators, copies and synchronisations, its memory peak "
    "(the step is required: give it as function)",
}


def tool_functions(box: Toolbox) -> list:
    def list_python_processes(
        name_contains: Annotated[str, Field(description="only processes whose command line contains this")] = "",
    ) -> str:
        """List the Python processes on this machine that can be attached to: pid, user, Python version, CPU %,
        memory, Jupyter kernel and notebook, command line (a job's processes indented under its launcher).
        Use it first to find the pid of the process the user means; attaching needs the same user (or root)."""
        return box.processes(name_contains)

    def list_sessions() -> str:
        """The processes this server has attached to: pid, Python, whether the agent connection is open, and
        the last command run there. The agent stays in a process after use, so attaching again is fast."""
        return box.sessions()

    def command_help(
        command: Annotated[str, Field(description="a command name (stack, watch, trace, ...), or empty for all")] = "",
    ) -> str:
        """The command language's help: every command with a one-line summary, or one command's options,
        defaults and examples. Read it before writing a run_command line you are unsure of."""
        return box.help(command)

    def run_command(
        pid: Pid,
        command: Annotated[
            str,
            Field(description="one command line of the language, e.g. 'stack', 'watch app.api Handler get -n 5'"),
        ],
        timeout_s: Annotated[
            float, Field(description=f"end the command after this many seconds (at most {MAX_TIMEOUT_S:g})", gt=0)
        ] = DEFAULT_TIMEOUT_S,
        output: Output = "text",
    ) -> str:
        return box.run(pid, command, timeout_s, output)

    run_command.__doc__ = (
        "Run one flight_profiler command in a live Python process, attaching to it on first use (nothing is "
        "restarted). Useful commands: 'stack' (every thread's stack), 'getglobal module NAME' (a global's value), "
        "'vmtool -a getInstances -c module Class' (live instances), 'watch module [class] method -n 5' (calls with "
        "arguments, result, cost), 'trace module [class] method -n 3' (call tree with times), 'perf -d 5' (hottest "
        "functions), 'mem summary' and 'mem diff -i 5 -n 2' (memory by type), 'gilstat on 10 10 2 -n 2' (GIL), "
        "'module /path/file.py' (its module name). Bounded: a timeout always applies, a stream with no -n gets "
        f"-n {STREAM_LIMIT}, and output longer than {box.max_output:,} characters is cut with a line that says so. "
        + (
            "This server allows writes: console, reload, tt -p, detach and files (-f) run; ask the user first."
            if box.allow_writes
            else "Read-only: commands that change the process or run code of yours in it (console, reload, tt -p, "
            "tt -d, detach, gilstat off), that write files (-f), and expressions (--expr, -f, -e) that call anything "
            f"but {', '.join(sorted(SAFE_CALLS))} or the methods {', '.join(sorted(SAFE_METHODS))}, or read dunder "
            "attributes, are refused; the user can restart the server with --allow-writes."
        )
    )

    def diagnose(
        pid: Pid,
        problem: Annotated[str, Field(description="the problem in the user's words, e.g. 'requests time out'")],
        duration_s: Duration = DEFAULT_DIAGNOSE_S,
        output: Output = "text",
    ) -> str:
        """Diagnose a live Python process from a description of the problem: the description picks a workflow
        (hang, slow, memory, exception, torch) by its words, which runs read-only commands and ends with a
        diagnosis: classification, confidence, findings with their evidence, the likely cause and the commands
        to run next. Use a diagnose_<workflow> tool when you already know which workflow fits."""
        return box.diagnose(pid, problem, duration_s, "", output)

    return [list_python_processes, list_sessions, command_help, run_command, diagnose] + [
        _workflow_tool(box, workflow) for workflow in WORKFLOWS
    ]


def _workflow_tool(box: Toolbox, workflow: str) -> Callable[..., str]:
    def tool(
        pid: Pid, duration_s: Duration = DEFAULT_DIAGNOSE_S, function: Function = "", output: Output = "text"
    ) -> str:
        return box.diagnose(pid, workflow, duration_s, function, output)

    tool.__name__ = tool.__qualname__ = f"diagnose_{workflow}"
    tool.__doc__ = (
        f"Diagnose {WORKFLOW_HELP.get(workflow, f'the {workflow} workflow')}. Read-only; takes about duration_s "
        "seconds and ends with a diagnosis: classification, confidence, findings with evidence, likely cause and "
        "the commands to run next (with run_command)."
    )
    return tool
