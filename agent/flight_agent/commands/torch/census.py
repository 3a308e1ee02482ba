"""torch tensors and torch memory -s: what tensors are alive now, and the CUDA allocator's state.

The census finds the tensors through what refers to their classes (Python-visible ones: a tensor only
C++ holds, such as one autograd saved for backward, is not seen; the allocator snapshot sees
those on CUDA). Tensors are grouped by device, dtype and shape; the largest get the name a user
would write where it is cheap to know: a module global, an ``nn.Module``'s parameters and
buffers (reached from a global, or one attribute below one), an optimizer's ``state[...]``.

Only what is safe to read while the job runs is read. Types are tested with ``type()`` (never
``isinstance``, which runs a proxy's ``__class__``: torch's own deprecated aliases warn then).
A parameter's ``.grad`` is never read: backward writes it in C++ with the GIL released, and
reading it from another thread meanwhile corrupts the heap (seen here: ``free(): corrupted
unsorted chunks``); gradients are counted in the census like any tensor, unnamed.
"""

from __future__ import annotations

import sys

from ...errors import CommandError
from ..vmtool import find_instances
from .calls import MAX_FILE_BYTES, cuda_in_use, require_torch

MAX_ROWS = 100  # rows of the census
MAX_BLOCKS = 20  # largest blocks of the snapshot
MAX_SEGMENTS = 200  # segments listed
SKIP_MODULES = ("torch", "numpy", "flight_agent", "jupyterlab_flight")


def _nbytes(t) -> int:
    try:
        return int(t.nelement()) * int(t.element_size())
    except Exception:
        return 0


def _storage(t):
    """(storage pointer, storage bytes), (None, 0) where there is none (meta, sparse)."""
    try:
        storage = t.untyped_storage()
        return (str(t.device), storage.data_ptr()), int(storage.nbytes())
    except Exception:
        return None, 0


def _device_matches(t, wanted: str | None) -> bool:
    if wanted is None:
        return True
    device = t.device
    return str(device) == wanted or device.type == wanted


def _is(value, cls) -> bool:
    """isinstance without running the object's ``__class__`` (type() reads the C slot)."""
    return issubclass(type(value), cls)


def live_tensors(torch, device: str | None) -> list:
    """The tensors alive now: the objects that refer to a tensor class (vmtool's walk, done in C
    with the GIL held throughout). Never ``gc.get_objects()``: holding the list of every object
    while the target runs holds objects under construction too, and the target's own code then
    fails (a tuple being built cannot be resized: ``SystemError: bad argument to internal
    function`` in torch's import, seen here)."""
    found = []
    for obj in find_instances(torch.Tensor):
        try:
            if _device_matches(obj, device):
                found.append(obj)
        except Exception:
            continue
    return found


def _module_globals():
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] in SKIP_MODULES:
            continue
        try:
            namespace = vars(module)
        except TypeError:
            continue
        yield ("" if name == "__main__" else name + "."), namespace


def names_of(torch, wanted: set) -> dict:
    """id(tensor) -> a name, for the tensors in ``wanted`` (ids) that can be named cheaply."""
    nn_module, optimizer = torch.nn.Module, torch.optim.Optimizer
    names: dict = {}
    param_names: dict = {}
    optimizers: list = []

    def name_tensor(t, name: str) -> None:
        key = id(t)
        if key in wanted and key not in names:
            names[key] = name

    def visit(value, name: str, depth: int) -> None:
        if _is(value, torch.Tensor):
            name_tensor(value, name)
        elif _is(value, nn_module):
            try:
                for sub, p in value.named_parameters():
                    param_names.setdefault(id(p), f"{name}.{sub}")
                    name_tensor(p, f"{name}.{sub}")
                for sub, b in value.named_buffers():
                    name_tensor(b, f"{name}.{sub}")
            except Exception:
                pass
        elif _is(value, optimizer):
            optimizers.append((value, name))
        elif depth == 0 and not _is(value, type):
            try:
                attributes = list(object.__getattribute__(value, "__dict__").items())
            except Exception:
                return
            for attr, inner in attributes[:200]:
                if isinstance(attr, str) and not attr.startswith("__"):
                    visit(inner, f"{name}.{attr}", 1)

    for prefix, namespace in _module_globals():
        for key, value in list(namespace.items()):
            if type(key) is str and not key.startswith("__") and not _is(value, type(sys)):
                try:
                    visit(value, prefix + key, 0)
                except Exception:
                    continue
    for opt, name in optimizers:
        try:
            for param, state in list(opt.state.items()):
                label = param_names.get(id(param), "param")
                for field, value in list(state.items()):
                    if _is(value, torch.Tensor):
                        name_tensor(value, f"{name}.state[{label}][{field!r}]")
        except Exception:
            continue
    return names


def tensors_record(args) -> dict:
    torch = require_torch()
    device = args.optional_text("device")
    limit = args.integer("limit")
    tensors = live_tensors(torch, device)
    groups: dict = {}
    storages: dict = {}
    by_device: dict = {}
    for t in tensors:
        try:
            key = (str(t.device), str(t.dtype).replace("torch.", ""), tuple(int(d) for d in t.shape))
        except Exception:
            continue
        size = _nbytes(t)
        row = groups.setdefault(key, [0, 0])
        row[0] += 1
        row[1] += size
        storage, nbytes = _storage(t)
        if storage is not None:
            storages[storage] = nbytes
        by_device[key[0]] = by_device.get(key[0], 0) + size
    rows = [
        {"device": k[0], "dtype": k[1], "shape": list(k[2]), "count": v[0], "bytes": v[1]}
        for k, v in sorted(groups.items(), key=lambda kv: kv[1][1], reverse=True)
    ]
    largest = sorted(tensors, key=_nbytes, reverse=True)[:limit]
    names = names_of(torch, {id(t) for t in largest})
    top = []
    for t in largest:
        try:
            top.append(
                {
                    "name": names.get(id(t)),
                    "device": str(t.device),
                    "dtype": str(t.dtype).replace("torch.", ""),
                    "shape": [int(d) for d in t.shape],
                    "bytes": _nbytes(t),
                    "requires_grad": bool(t.requires_grad),
                    "parameter": _is(t, torch.nn.Parameter),
                }
            )
        except Exception:
            continue
    storage_bytes: dict = {}
    for (dev, _ptr), nbytes in storages.items():
        storage_bytes[dev] = storage_bytes.get(dev, 0) + nbytes
    record = {
        "kind": "torch_tensors",
        "device_filter": device,
        "tensors": len(tensors),
        "total_bytes": sum(by_device.values()),
        "devices": [
            {"device": d, "bytes": b, "storage_bytes": storage_bytes.get(d, 0)} for d, b in sorted(by_device.items())
        ],
        "rows": rows[:MAX_ROWS],
        "rows_total": len(rows),
        "largest": top,
    }
    del tensors, largest
    return record


def snapshot_records(args) -> list:
    import base64
    import pickle  # here, not at the agent's start: nothing in the target's sys.modules for nothing

    torch = require_torch()
    if not cuda_in_use(torch):
        out = [
            {
                "kind": "message",
                "text": "this process uses torch on the CPU only (CUDA is not initialised): there is no "
                "allocator snapshot for the CPU; the live tensors instead:",
            },
            tensors_record(args),
        ]
        if args.optional_text("file_format") is not None:
            out.append({"kind": "message", "text": "-f: no CUDA snapshot to write, nothing written"})
        return out
    try:
        snapshot = torch.cuda.memory._snapshot()
    except Exception as e:
        raise CommandError(f"torch.cuda.memory._snapshot() failed: {type(e).__name__}: {e}") from None
    record = segments_summary(snapshot)
    try:
        record["stats"] = {
            key: int(value)
            for key, value in torch.cuda.memory_stats().items()
            if key
            in (
                "allocated_bytes.all.current",
                "allocated_bytes.all.peak",
                "reserved_bytes.all.current",
                "reserved_bytes.all.peak",
                "num_alloc_retries",
                "num_ooms",
            )
        }
    except Exception:
        record["stats"] = {}
    out = [record]
    if args.optional_text("file_format") == "pickle":
        blob = pickle.dumps(snapshot)
        if len(blob) > MAX_FILE_BYTES:
            out.append(
                {"kind": "message", "text": f"the snapshot is {len(blob) >> 20} MB: too big to send, nothing written"}
            )
        else:
            record["file_data"] = {"format": "pickle", "encoding": "base64", "data": base64.b64encode(blob).decode()}
    return out


def segments_summary(snapshot: dict) -> dict:
    """The allocator's segments: reserved against allocated, largest blocks, fragmentation."""
    segments = snapshot.get("segments") or []
    reserved = allocated = 0
    largest_free = 0
    rows, blocks = [], []
    for s in segments:
        total, used = int(s.get("total_size", 0)), int(s.get("allocated_size", 0))
        reserved += total
        allocated += used
        free_blocks = [int(b.get("size", 0)) for b in s.get("blocks", []) if b.get("state") == "inactive"]
        largest_free = max([largest_free, *free_blocks])
        rows.append(
            {
                "device": s.get("device"),
                "address": s.get("address"),
                "stream": s.get("stream"),
                "type": s.get("segment_type"),
                "total_bytes": total,
                "allocated_bytes": used,
                "largest_free_bytes": max(free_blocks, default=0),
                "blocks": len(s.get("blocks", [])),
            }
        )
        for b in s.get("blocks", []):
            if b.get("state") == "active_allocated":
                frames = b.get("frames") or []
                blocks.append(
                    {
                        "bytes": int(b.get("size", 0)),
                        "requested_bytes": int(b.get("requested_size", b.get("size", 0))),
                        "address": b.get("address"),
                        "stack": [
                            f"{f.get('name', '?')} ({f.get('filename', '?')}:{f.get('line', '?')})"
                            for f in frames
                            if "/torch/" not in str(f.get("filename", ""))
                        ][:6],
                    }
                )
    blocks.sort(key=lambda b: b["bytes"], reverse=True)
    rows.sort(key=lambda r: r["total_bytes"], reverse=True)
    free = reserved - allocated
    return {
        "kind": "torch_snapshot",
        "segments": len(segments),
        "reserved_bytes": reserved,
        "allocated_bytes": allocated,
        "free_bytes": free,
        "largest_free_bytes": largest_free,
        # the share of cached free memory that is not in the largest free block
        "fragmentation": round(1 - largest_free / free, 4) if free > 0 else 0.0,
        "segment_rows": rows[:MAX_SEGMENTS],
        "largest_blocks": blocks[:MAX_BLOCKS],
        "history": bool(snapshot.get("device_traces") and any(snapshot["device_traces"])),
    }
