"""The agent's native part: the C profile function of ``trace`` (native/tracer.c).

It lives in the library the attach step loaded into the target (``libflight_boot.so``); the
attaching client says where (``set_library``). Loaded with ctypes on first use; if it cannot be
loaded, ``trace`` uses its Python profile function instead.
"""

from __future__ import annotations

_path: str | None = None
_library = None
_failed = False


def set_library(path: str | None) -> None:
    global _path
    if path:
        _path = path


def tracer():
    """The loaded library, or None."""
    global _library, _failed
    if _library is not None or _failed or _path is None:
        return _library
    try:
        import ctypes

        library = ctypes.PyDLL(_path)  # PyDLL: calls keep the GIL, as the C code expects

        class Node(ctypes.Structure):
            _fields_ = [
                ("obj", ctypes.c_void_p),
                ("start_ns", ctypes.c_int64),
                ("cost_ns", ctypes.c_int64),
                ("parent", ctypes.c_int32),
                ("builtin", ctypes.c_int32),
                ("folded_count", ctypes.c_int64),
                ("folded_ns", ctypes.c_int64),
            ]

        library.flight_tracer_start.argtypes = [
            ctypes.c_int64,
            ctypes.c_int32,
            ctypes.c_int32,
            ctypes.py_object,
            ctypes.c_int64,
        ]
        library.flight_tracer_start.restype = ctypes.c_int
        library.flight_tracer_stop.restype = ctypes.c_int32
        library.flight_tracer_nodes.restype = ctypes.POINTER(Node)
        library.flight_tracer_cut.restype = ctypes.c_int32
        library.flight_tracer_free.restype = None
        library.flight_tracer_cancel.argtypes = [ctypes.c_int64]
        library.flight_tracer_cancel.restype = None
        library.ctypes = ctypes
        _library = library
    except (OSError, AttributeError):
        _failed = True
    return _library
