"""Fork safety: a child forked from an observed process carries nothing of ours.

A process that forks while the agent runs (``os.fork``, ``multiprocessing``'s fork start method,
a pool, DataLoader workers) copies everything: the hooks on observed functions, a profile
function set on the forking thread, what commands started (tracemalloc, torch recording), the
agent's listening socket, its connections and wake-up pipe, its queues. Nothing would ever remove
them there: no client knows the child, and the child would run the observed function slowed down
for its whole life. So the child forgets it all before its own code runs again
(``os.register_at_fork(after_in_child=...)``), while the parent's observation goes on untouched.

Every module that installs something registers what its child must forget:

    from .. import forksafe
    forksafe.register(_forget_in_child)

``register`` may be called at import or when a command starts (a callback registered twice runs
once). In the child the callbacks run one after another, in the order registered, each once; a
callback that raises does not keep the others from running. A callback must:

- forget, never undo in the parent: close file descriptors with ``close`` (never ``shutdown`` a
  socket: the parent's end is the same socket), never unlink the parent's files, never send;
- take no lock of ours: another thread of the parent may have held it at the fork, and that
  thread does not exist in the child (make a fresh lock instead);
- be quick and run no target code: it runs inside ``fork()``, before it returns in the child.

What the child forgets, by module: hooks/probe.py (every probe: original code objects back,
``sys.monitoring`` events off and our tool id freed), commands/trace.py (its profile function on
the forking thread, C or Python), commands/tt.py (recorded calls), commands/console.py and
capture.py (namespaces, the output router), runtime.py (a short switch interval the agent had
set), server.py (the agent: sockets and pipe closed, connections, threads' state and streams
dropped, its modules gone from ``sys.modules``, so attaching to the child starts a fresh agent).

The handler is registered with the interpreter once per agent load (the interpreter offers no
way to unregister it); it holds only the list of callbacks, which detach empties (``clear``), so
after a detach it is an empty loop kept by the interpreter and nothing of the agent stays alive.
"""

from __future__ import annotations

import builtins
import os

_callbacks: list = []  # run in the child of a fork, in order

_HANDLER_SOURCE = """
def after_in_child():
    callbacks = tuple(registry)
    registry.clear()
    for callback in callbacks:
        try:
            callback()
        except BaseException:
            pass
"""


def register(callback) -> None:
    """Have ``callback()`` run in the child of every fork from now on (until detach)."""
    if callback not in _callbacks:
        _callbacks.append(callback)


def unregister(callback) -> None:
    try:
        _callbacks.remove(callback)
    except ValueError:
        pass


def registered() -> tuple:
    return tuple(_callbacks)


def clear() -> None:
    """Detach: the handler that stays registered with the interpreter does nothing any more."""
    _callbacks.clear()


def _install() -> None:
    # The handler's globals are a namespace of its own (not this module's): after a detach it
    # keeps nothing of the agent alive.
    namespace: dict = {"__builtins__": builtins, "registry": _callbacks}
    exec(compile(_HANDLER_SOURCE, "<flight fork handler>", "exec", dont_inherit=True), namespace)
    register_at_fork = getattr(os, "register_at_fork", None)  # POSIX only
    if register_at_fork is not None:
        register_at_fork(after_in_child=namespace["after_in_child"])


_install()
