"""The agent's native part: the C hooks of method observation (native/observe.c) and the C
profile function of ``trace`` (native/tracer.c).

They live in the library the attach step loaded into the target (``libflight_boot.so``); the
attaching client says where (``set_library``). Loaded with ctypes on first use (``PyDLL``: calls
keep the GIL, as the C code expects). What the library lacks (it cannot be loaded, or an older
attach loaded an older one into this process) is done in Python instead: the observation hooks
(hooks/calls.py) and trace's Python profile function.
"""

from __future__ import annotations

_path: str | None = None
_library = None
_failed = False
_tracer = None
_tracer_failed = False


def set_library(path: str | None) -> None:
    global _path
    if path:
        _path = path


def _load():
    global _library, _failed
    if _library is not None or _failed or _path is None:
        return _library
    try:
        import ctypes

        _library = ctypes.PyDLL(_path)
        _library.ctypes = ctypes
    except OSError:
        _failed = True
    return _library


def observe_hooks(plan: list):
    """(enter, leave): the builtins an instrumented code object calls (3.9-3.11), or None."""
    library = _load()
    if library is None:
        return None
    try:
        function = library.flight_observe_hooks
        function.argtypes = [library.ctypes.py_object]
        function.restype = library.ctypes.py_object
        return function(plan)
    except (AttributeError, ValueError):  # an older library; or NULL: the C API was not found
        return None


def observe_callbacks(plans: dict):
    """(PY_START, PY_RETURN, PY_UNWIND): sys.monitoring callbacks for the code objects in
    ``plans`` (3.12+), or None."""
    library = _load()
    if library is None:
        return None
    try:
        function = library.flight_observe_callbacks
        function.argtypes = [library.ctypes.py_object]
        function.restype = library.ctypes.py_object
        return function(plans)
    except (AttributeError, ValueError):
        return None


def loaded_tracer():
    """trace's C profile function if it was set up already (loads nothing)."""
    return _tracer


def tracer():
    """The loaded library, set up for trace's C profile function, or None."""
    global _tracer, _tracer_failed
    if _tracer is not None or _tracer_failed:
        return _tracer
    library = _load()
    if library is None:
        return None
    try:
        ctypes = library.ctypes

        class Node(ctypes.Structure):
            _fields_ = [
                ("obj", ctypes.c_void_p),
                ("start_ns", ctypes.c_int64),
                ("cost_ns", ctypes.c_int64),
                ("parent", ctypes.c_int32),
                ("builtin", ctypes.c_int32),
                ("folded_count", ctypes.c_int64),
                ("folded_ns", ctypes.c_int64),
                ("raised", ctypes.c_int32),
            ]

        # (interval ns, max depth, capacity, marker, owner, root frame or None, stop or None)
        library.flight_tracer_begin.argtypes = [
            ctypes.c_int64,
            ctypes.c_int32,
            ctypes.c_int32,
            ctypes.py_object,
            ctypes.c_int64,
            ctypes.py_object,
            ctypes.py_object,
        ]
        library.flight_tracer_begin.restype = ctypes.c_int
        library.flight_tracer_stop.restype = ctypes.c_int32
        library.flight_tracer_nodes.restype = ctypes.POINTER(Node)
        library.flight_tracer_cut.restype = ctypes.c_int32
        library.flight_tracer_free.restype = None
        library.flight_tracer_cancel.argtypes = [ctypes.c_int64]
        library.flight_tracer_cancel.restype = None
        # What every traced call calls, as builtins (a ctypes call costs as much as a small trace):
        # begin(interval ns, max depth, capacity, marker, owner, root or None, stop or None),
        # stop(), cut(), free()
        library.flight_tracer_builtins.restype = ctypes.py_object
        library.begin, library.stop, library.cut, library.free = library.flight_tracer_builtins()
        _tracer = library
    except (AttributeError, ValueError):  # an older library; or NULL (no C API found)
        _tracer_failed = True
    return _tracer


def mem_walk():
    """``mem``'s object walk in C over the collector's own lists (native/memwalk.c), or None (no
    library, or an older one without it): called as walk(skip type or None, budget ns,
    *gc.get_threshold(), gc.get_stats()[2]["collections"]) -> (rows, tracked, untracked, errors,
    chunks, longest hold ns, its thread CPU ns, full collections meanwhile), raising ValueError
    where the library finds the C API or the collector's lists not as it expects."""
    library = _load()
    if library is None:
        return None
    try:
        function = library.flight_mem_walk_gc
    except AttributeError:  # an older library
        return None
    ctypes = library.ctypes
    function.argtypes = [ctypes.py_object, ctypes.c_int64, ctypes.c_long, ctypes.c_long, ctypes.c_long, ctypes.c_long]
    function.restype = ctypes.py_object
    return function
