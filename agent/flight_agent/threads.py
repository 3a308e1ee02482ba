"""The target's threads as ``threading`` would name them, without importing ``threading``.

For each thread (by its ident, ``_thread.get_ident()``'s value, which ``sys._current_frames()``,
lock owners and ``threading`` use): its name, native id (the kernel's thread id, which ``top``,
py-spy and pystack show), daemon flag and whether it is the main thread.

- Threads that ``threading`` knows (the target imported it): their Thread object says.
- The main thread is "MainThread", flagged main, also when ``threading`` was never imported:
  ``threading.main_thread()``, else ``_thread._get_main_thread_ident()`` (3.13+), else the
  interpreter's oldest thread state (read with the C API, below). Its native id is the pid.
- Other threads (started with ``_thread`` or from C): the OS thread name when the program set one
  (``/proc/self/task/<tid>/comm``, when it differs from the process's), else no name.

Native ids of threads ``threading`` does not know come from the thread states themselves on 3.11+
(``native_thread_id``): its offset in ``PyThreadState`` is found in the calling thread's own
state (the one word equal to its ``get_native_id()``) and checked on another thread whose native
id we know; the same for the ident. Only two words per thread state are read, under the GIL.
Before 3.11 thread states have no native id; the C library keeps it in the thread's descriptor,
which the ident points to, found and checked the same way (and read only for threads that are
alive and whose descriptor is in readable memory).
"""

from __future__ import annotations

import _thread
import os
import sys

_SCAN_WORDS = 32  # the fields we look for are within the first 256 bytes of PyThreadState


class _ThreadStates:
    """The interpreter's thread states, read through ctypes (only when needed)."""

    def __init__(self, known: dict):
        """``known``: {ident: native id} of threads other than the caller (to check offsets)."""
        import ctypes

        api = ctypes.pythonapi
        api.PyThreadState_Get.restype = ctypes.c_void_p
        api.PyInterpreterState_Main.restype = ctypes.c_void_p
        api.PyInterpreterState_ThreadHead.restype = ctypes.c_void_p
        api.PyInterpreterState_ThreadHead.argtypes = [ctypes.c_void_p]
        api.PyThreadState_Next.restype = ctypes.c_void_p
        api.PyThreadState_Next.argtypes = [ctypes.c_void_p]
        api.PyThreadState_GetID.restype = ctypes.c_uint64
        api.PyThreadState_GetID.argtypes = [ctypes.c_void_p]
        self.api = api
        self.words = ctypes.c_ulong * _SCAN_WORDS
        me = self.words.from_address(api.PyThreadState_Get())
        idents = [i for i in range(_SCAN_WORDS) if me[i] == _thread.get_ident()]
        natives = [i for i in range(_SCAN_WORDS) if me[i] == _thread.get_native_id()]
        self.ident_at = idents[0] if len(idents) == 1 else None
        self.native_at = natives[0] if len(natives) == 1 and sys.version_info >= (3, 11) else None
        if self.native_at is not None:  # check it on another thread whose native id we know
            states = {ident: native for _, ident, native in self.walk()}
            checked = [states.get(ident) == native for ident, native in known.items() if ident in states]
            if not checked or not all(checked):
                self.native_at = None

    def walk(self) -> list:
        """(thread state id, ident, native id or None) of every thread of the main interpreter."""
        if self.ident_at is None:
            return []
        api, out = self.api, []
        state = api.PyInterpreterState_ThreadHead(api.PyInterpreterState_Main())
        while state:
            words = self.words.from_address(state)
            native = words[self.native_at] if self.native_at is not None else None
            out.append((api.PyThreadState_GetID(state), words[self.ident_at], native))
            state = api.PyThreadState_Next(state)
        return out


class _ThreadDescriptors:
    """Before 3.11: the kernel's thread id from the C library's thread descriptor (``pthread_t``,
    the ident, points to it; glibc and musl keep the tid in it)."""

    SCAN = 512  # ints: the first 2 KiB of the descriptor

    def __init__(self, known: dict):
        import ctypes

        self.ints = ctypes.c_int * self.SCAN
        self.int = ctypes.c_int
        me, mine = _thread.get_ident(), _thread.get_native_id()
        readable = _readable_memory()
        if not _inside(readable, me, 4 * self.SCAN):
            raise OSError("the ident is not a readable address")
        words = self.ints.from_address(me)
        checks = [(ident, native) for ident, native in known.items() if ident != me and native is not None]
        found = None
        for i in (i for i in range(self.SCAN) if words[i] == mine):
            if checks and all(
                _inside(readable, ident, 4 * (i + 1)) and self.read(ident, i) == n for ident, n in checks
            ):
                found = i
                break
        if found is None:
            raise OSError("no thread id found in the thread descriptor")
        self.at: int = found

    def read(self, ident: int, at: int) -> int:
        return self.int.from_address(ident + 4 * at).value

    def native_ids(self, idents: list) -> dict:
        readable = _readable_memory()  # reading the file releases the GIL: threads may end meanwhile
        alive = sys._current_frames()  # from here on the GIL is held: these stay alive
        at = self.at
        found = {i: self.read(i, at) for i in idents if i in alive and _inside(readable, i, 4 * (at + 1))}
        return {i: n for i, n in found.items() if os.path.exists(f"/proc/{os.getpid()}/task/{n}")}


def _readable_memory() -> list:
    ranges = []
    with open(f"/proc/{os.getpid()}/maps") as f:
        for line in f:
            addresses, perms = line.split()[:2]
            if perms.startswith("r"):
                start, end = addresses.split("-")
                ranges.append((int(start, 16), int(end, 16)))
    return ranges


def _inside(ranges: list, address: int, size: int) -> bool:
    return any(start <= address and address + size <= end for start, end in ranges)


_descriptors: _ThreadDescriptors | None = None
_descriptors_failed = False


def _thread_descriptors(known: dict) -> _ThreadDescriptors | None:
    global _descriptors, _descriptors_failed
    if _descriptors is None and not _descriptors_failed:
        try:
            _descriptors = _ThreadDescriptors(known)
        except Exception:
            _descriptors_failed = True
    return _descriptors


_states: _ThreadStates | None = None
_states_failed = False
_main_ident: int | None = None
_process_comm: str | None = None


def _thread_states(known: dict) -> _ThreadStates | None:
    global _states, _states_failed
    if _states is None and not _states_failed:
        try:
            _states = _ThreadStates(known)
        except Exception:  # no C API to read (not CPython?): names from threading only
            _states_failed = True
    return _states


def main_ident(known: dict | None = None) -> int | None:
    """The main thread's ident (it never changes; cached once found)."""
    global _main_ident
    threading = sys.modules.get("threading")
    if threading is not None:
        try:
            return threading.main_thread().ident
        except Exception:
            pass
    if _main_ident is None:
        get = getattr(_thread, "_get_main_thread_ident", None)  # 3.13+
        if get is not None:
            _main_ident = get()
        else:
            states = _thread_states(known or {})
            walked = states.walk() if states is not None else []
            if walked:
                _main_ident = min(walked)[1]  # the oldest thread state: Py_Initialize's thread
    return _main_ident


def _os_name(native_id: int | None) -> str | None:
    """The name the program gave an OS thread (pthread_setname_np), if any."""
    global _process_comm
    if native_id is None:
        return None
    try:
        if _process_comm is None:
            with open(f"/proc/{os.getpid()}/comm") as f:
                _process_comm = f.read().strip()
        with open(f"/proc/{os.getpid()}/task/{native_id}/comm") as f:
            name = f.read().strip()
    except OSError:
        return None
    return name if name and name != _process_comm else None


def describe(idents, known: dict | None = None) -> dict:
    """{ident: {"name", "native_id", "daemon", "main"}} for the given thread idents.
    ``known``: {ident: native id} of the agent's own threads (to check what the C API gives)."""
    known = known or {}
    threading = sys.modules.get("threading")
    objects: dict = {}
    if threading is not None:
        try:
            objects = {t.ident: t for t in threading.enumerate()}
        except Exception:
            objects = {}
    main = main_ident(known)
    natives: dict = {}
    missing = [i for i in idents if i not in objects or getattr(objects[i], "native_id", None) is None]
    missing = [i for i in missing if i != main]
    if missing and sys.version_info >= (3, 11):
        states = _thread_states(known)
        if states is not None and states.native_at is not None:
            natives = {ident: native for _, ident, native in states.walk()}
    elif missing:
        descriptors = _thread_descriptors(known)
        if descriptors is not None:
            try:
                natives = descriptors.native_ids(missing)
            except Exception:
                natives = {}
    out = {}
    for ident in idents:
        t = objects.get(ident)
        native = getattr(t, "native_id", None) if t is not None else None
        if native is None:
            native = natives.get(ident)
        if native is None and ident == main:
            native = os.getpid()  # Linux: the main thread's id is the process id
        if t is not None:
            name, daemon = t.name, t.daemon
        elif ident == main:
            name, daemon = "MainThread", False
        else:
            name, daemon = _os_name(native), None
        out[ident] = {"name": name, "native_id": native, "daemon": daemon, "main": ident == main}
    return out


def name_of(ident: int) -> str | None:
    """A thread's name for records (watch, trace, tt): threading's, "MainThread", or None."""
    threading = sys.modules.get("threading")
    if threading is not None:
        thread = threading._active.get(ident)
        if thread is not None:
            return thread.name
    if ident == main_ident():
        return "MainThread"
    return None


class NamedThread:
    """While the agent runs the user's code on one of its threads (console, ``tt -p``):
    ``threading.current_thread()`` there returns a thread named ``name`` (so the target's logs
    name it), and no ``Dummy-N`` thread object is left in ``threading`` afterwards (it would
    show in the target's ``threading.enumerate()`` and take a number from its thread names)."""

    def __init__(self, name: str):
        self.name = name
        self.thread = None

    def __enter__(self) -> NamedThread:
        threading = sys.modules.get("threading")
        self.ident = _thread.get_ident()
        self.threading = threading
        if threading is None or self.ident in threading._active:
            return self
        try:
            thread = threading._DummyThread.__new__(threading._DummyThread)
            threading.Thread.__init__(thread, name=self.name, daemon=True)  # a name: no number taken
            thread._started.set()
            thread._set_ident()
            make_handle = getattr(threading, "_make_thread_handle", None)  # 3.13+
            if make_handle is not None:
                thread._handle = make_handle(thread._ident)
            if getattr(threading, "_HAVE_THREAD_NATIVE_ID", False):
                thread._set_native_id()
            with threading._active_limbo_lock:
                threading._active[self.ident] = thread
            self.thread = thread
        except Exception:
            self.thread = None
        return self

    def __exit__(self, *exc) -> None:
        threading = self.threading or sys.modules.get("threading")  # the user's code may import it
        if threading is None:
            return
        try:
            with threading._active_limbo_lock:
                current = threading._active.get(self.ident)
                if current is not None and (current is self.thread or isinstance(current, threading._DummyThread)):
                    del threading._active[self.ident]
        except Exception:
            pass
