"""Value trees: target objects as bounded JSON trees, with the same rules (-x, -v, -r) for every command.

Live objects never leave the target: every value becomes a tree of plain dicts (see
docs/schema.md, "value trees"). Bounds keep a huge or hostile object from hurting the target or
the client: depth (-x), items per container and characters per string (lifted by -v up to hard
caps), and a node budget for the whole tree. Anything cut says so (``omitted`` / ``cut``).

Looking at an object can run its code (``__repr__``, properties are never called, descriptors of
``__slots__`` are). Errors there are shown in the tree, never raised.
"""

from __future__ import annotations

import sys
import types

from .arguments import Arguments

DEFAULT_DEPTH = 1  # for direct callers (tests): a request always says its -x (from_arguments)
MAX_DEPTH = 6  # -x -1 means this
STRING_LIMIT = 256  # characters of a repr without -v
STRING_LIMIT_VERBOSE = 65536
ITEMS_SHOWN = 20  # over this, show the first and last ITEMS_EDGE without -v
ITEMS_EDGE = 10
ITEMS_LIMIT_VERBOSE = 10000
NODE_BUDGET = 20000
NODE_BUDGET_VERBOSE = 200000

_SCALARS = (int, float, complex, bool, type(None), str, bytes, bytearray)
_LEAVES = _SCALARS + (BaseException,)  # an exception reads best as its repr: ValueError('thirteen')
_SEQUENCES = (list, tuple, set, frozenset)
# Code objects read best as a line naming what they are and where: a function's __dict__ is
# nearly always empty, which printed as "function()".
_CALLABLES = (types.FunctionType, types.MethodType, types.BuiltinFunctionType, types.CodeType)


class TreeOptions:
    def __init__(self, depth: int = DEFAULT_DEPTH, verbose: bool = False, raw: bool = False):
        self.depth = depth
        self.verbose = verbose
        self.raw = raw

    @classmethod
    def from_arguments(cls, args: Arguments) -> TreeOptions:
        """``expand`` (-x: -1 is the maximum), ``verbose`` (-v), ``raw`` (-r) of a request."""
        depth = args.integer("expand")
        if depth < 0:
            depth = MAX_DEPTH
        return cls(depth=min(depth, MAX_DEPTH), verbose=args.flag("verbose"), raw=args.flag("raw"))


def type_name(obj: object) -> str:
    t = type(obj)
    module = getattr(t, "__module__", None)
    name = getattr(t, "__qualname__", t.__name__)
    if module in (None, "builtins"):
        return name
    return f"{module}.{name}"


class _TreeBuilder:
    def __init__(self, options: TreeOptions):
        self.options = options
        self.string_limit = STRING_LIMIT_VERBOSE if options.verbose else STRING_LIMIT
        self.budget = NODE_BUDGET_VERBOSE if options.verbose else NODE_BUDGET
        self.cut = False

    def safe_repr(self, obj: object) -> dict:
        try:
            text = repr(obj)
        except Exception as e:  # a broken __repr__ is the target's business, not a crash of ours
            return {"repr": f"<repr failed: {type(e).__name__}: {_short(e)}>", "error": True}
        if not isinstance(text, str):
            text = str(text)
        if len(text) > self.string_limit:
            half = self.string_limit // 2
            self.cut = True
            return {"repr": text[:half] + "..." + text[-half:], "cut": len(text)}
        return {"repr": text}

    def leaf(self, obj: object) -> dict:
        node: dict = {"type": type_name(obj)}
        described = describe_callable(obj) if isinstance(obj, _CALLABLES) else None
        if described is not None:
            node.update(described)
            return node
        node.update(self.safe_repr(obj))
        if isinstance(obj, (str, bytes, bytearray, list, tuple, dict, set, frozenset)):
            node["len"] = len(obj)
        return node

    def node(self, obj: object, depth: int, seen: set) -> dict:
        self.budget -= 1
        if self.budget < 0:
            self.cut = True
            return {"type": type_name(obj), "omitted": 1}
        t = type(obj)
        if issubclass(t, _LEAVES + _CALLABLES) or depth >= self.options.depth or id(obj) in seen:
            node = self.leaf(obj)
            if id(obj) in seen and not issubclass(t, _SCALARS):
                node["cycle"] = True
            return node
        seen.add(id(obj))
        try:
            if issubclass(t, dict):
                return self.mapping(obj, depth, seen)  # type: ignore[arg-type]
            if issubclass(t, _SEQUENCES) or _is_deque(t):
                return self.sequence(obj, depth, seen)
            return self.instance(obj, depth, seen)
        finally:
            seen.discard(id(obj))

    def _edges(self, n: int) -> tuple[int, int]:
        """How many items to show from the start and the end of a container of n items."""
        if self.options.verbose:
            if n > ITEMS_LIMIT_VERBOSE:
                return ITEMS_LIMIT_VERBOSE, 0
            return n, 0
        if n > ITEMS_SHOWN:
            return ITEMS_EDGE, ITEMS_EDGE
        return n, 0

    def sequence(self, obj, depth: int, seen: set) -> dict:
        items = list(obj) if not isinstance(obj, (list, tuple)) else obj
        if isinstance(obj, (set, frozenset)):
            items = _sorted_if_possible(items)
        n = len(items)
        head, tail = self._edges(n)
        out = [self.node(x, depth + 1, seen) for x in items[:head]]
        if head + tail < n:
            self.cut = True
            out.append({"omitted": n - head - tail})
            out.extend(self.node(x, depth + 1, seen) for x in items[n - tail :])
        return {"type": type_name(obj), "len": n, "items": out}

    def mapping(self, obj: dict, depth: int, seen: set) -> dict:
        pairs = list(obj.items())
        n = len(pairs)
        head, tail = self._edges(n)

        def entry(kv):
            return {"key": self.node(kv[0], depth + 1, seen), "value": self.node(kv[1], depth + 1, seen)}

        out = [entry(kv) for kv in pairs[:head]]
        if head + tail < n:
            self.cut = True
            out.append({"omitted": n - head - tail})
            out.extend(entry(kv) for kv in pairs[n - tail :])
        return {"type": type_name(obj), "len": n, "entries": out}

    def instance(self, obj: object, depth: int, seen: set) -> dict:
        attrs = _attributes(obj)
        if attrs is None:  # nothing to expand (a C object, a function): show its repr
            return self.leaf(obj)
        n = len(attrs)
        head, tail = self._edges(n)
        out = [{"name": k, "value": self.node(v, depth + 1, seen)} for k, v in attrs[:head]]
        if head + tail < n:
            self.cut = True
            out.append({"omitted": n - head - tail})
            out.extend({"name": k, "value": self.node(v, depth + 1, seen)} for k, v in attrs[n - tail :])
        return {"type": type_name(obj), "attrs": out}


def _short(e: BaseException) -> str:
    try:
        return str(e)[:200]
    except Exception:
        return "?"


def _is_deque(t: type) -> bool:
    collections = sys.modules.get("collections")
    return collections is not None and issubclass(t, collections.deque)


def _sorted_if_possible(items):
    try:
        return sorted(items)
    except Exception:
        return list(items)


def _attributes(obj: object) -> list | None:
    """An object's own attributes from __dict__ and __slots__, without calling properties."""
    found: list = []
    try:
        d = object.__getattribute__(obj, "__dict__")
    except Exception:
        d = None
    if isinstance(d, dict):
        found.extend((str(k), v) for k, v in d.items())
    for klass in type(obj).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        if isinstance(slots, str):
            slots = (slots,)
        for name in slots:
            if name in ("__dict__", "__weakref__"):
                continue
            descriptor = klass.__dict__.get(name)
            if descriptor is None or not hasattr(descriptor, "__get__"):
                continue
            try:
                found.append((name, descriptor.__get__(obj, type(obj))))
            except AttributeError:
                continue  # slot not set
            except Exception as e:
                found.append((name, f"<error: {type(e).__name__}>"))
    if d is None and not found:
        return None
    return found


def value_tree(obj: object, options: TreeOptions) -> dict:
    """One value's tree; its root carries ``cut_any`` when anything in it was bounded."""
    r = _TreeBuilder(options)
    if options.raw:
        limit = r.string_limit if options.verbose else STRING_LIMIT_VERBOSE // 16
        r.string_limit = limit
        tree = r.leaf(obj)
    else:
        tree = r.node(obj, 0, set())
    if r.cut:
        tree["cut_any"] = True
        if options.verbose:
            tree["cut_verbose"] = True  # cut although -v was on: the hint must not say "-v"
    return tree


def describe_callable(obj: object) -> dict | None:
    """``qualname``, ``file``, ``line``, ``signature`` and a one-line ``repr`` of a function or
    method, from its code object: nothing is called and nothing imported into the target."""
    function = getattr(obj, "__func__", obj)  # a bound method: its function
    code = function if isinstance(function, types.CodeType) else getattr(function, "__code__", None)
    qualname = getattr(function, "__qualname__", None) or getattr(code, "co_name", None)
    if not isinstance(qualname, str):
        return None
    module = getattr(function, "__module__", None)
    name = f"{module}.{qualname}" if isinstance(module, str) and module != "builtins" else qualname
    if not isinstance(code, types.CodeType):  # a builtin: no source to point at
        return {"qualname": name, "repr": f"<built-in {name}>"}
    signature = "" if isinstance(function, types.CodeType) else _signature(function, code)
    where = f"{code.co_filename}:{code.co_firstlineno}"
    bound = " (bound method)" if isinstance(obj, types.MethodType) else ""
    return {
        "qualname": name,
        "file": code.co_filename,
        "line": code.co_firstlineno,
        "signature": signature,
        "repr": f"<function {name}{signature} at {where}>{bound}",
    }


def _signature(function: object, code: types.CodeType) -> str:
    """``(a, b=2, *args, c, **kw)`` from the code object and the defaults (never inspect, which
    might not be imported in the target and would evaluate annotations)."""
    try:
        positional = code.co_argcount
        names = code.co_varnames
        defaults = getattr(function, "__defaults__", None) or ()
        kwdefaults = getattr(function, "__kwdefaults__", None) or {}
        posonly = getattr(code, "co_posonlyargcount", 0)
        parts = []
        first_default = positional - len(defaults)
        for i in range(positional):
            part = names[i]
            if i >= first_default:
                part += "=" + _short_repr(defaults[i - first_default])
            parts.append(part)
            if posonly and i == posonly - 1:
                parts.append("/")
        index = positional
        kwonly = code.co_kwonlyargcount
        varargs = bool(code.co_flags & 0x04)
        if varargs:
            parts.append("*" + names[positional + kwonly])
        elif kwonly:
            parts.append("*")
        for i in range(index, index + kwonly):
            part = names[i]
            if part in kwdefaults:
                part += "=" + _short_repr(kwdefaults[part])
            parts.append(part)
        if code.co_flags & 0x08:
            parts.append("**" + names[positional + kwonly + (1 if varargs else 0)])
        return "(" + ", ".join(parts) + ")"
    except Exception:  # an odd code object: the name and place still tell enough
        return "(...)"


def _short_repr(value: object) -> str:
    try:
        text = repr(value)
    except Exception:
        return "?"
    return text if len(text) <= 40 else text[:37] + "..."
