"""reload module [class] method: recompile one function from its edited source file and swap its
code into the live process; ``--undo`` puts the original back (detach does too).

Only the function's code object changes (``__code__``, and ``__defaults__`` /
``__kwdefaults__`` when they are literals): every reference to the function, in a dict of
handlers, a bound method or a thread running it, sees the new code at its next call. Calls
already running finish with the old code. Refused, with the reason, where a swap would not be
what the edited file says: the file does not compile, the function is gone, its closure changed
shape, it became (or stopped being) a generator or a coroutine, its decorators changed, it uses
names the module does not have (a new import), its defaults changed to something that is not a
literal, or it is being observed (stop the watch first). Source is read as the target's user,
from the path the code object names.
"""

from __future__ import annotations

import sys
import types

from ..arguments import Arguments
from ..connection import Connection
from ..errors import CommandError
from ..hooks import probe
from ..hooks.locate import _member
from ..lookup import LookupFailure, find_class, find_global, find_module

# Some stdlib modules are imported where they are used, not at the agent's start: each
# would enter the target's sys.modules. Annotations name them through this block only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast

_SHAPE_FLAGS = 0x20 | 0x80 | 0x100 | 0x200  # generator, coroutine, iterable coroutine, async generator
_DIFF_LIMIT = 400  # lines of a diff sent back


class Reloaded:
    """One swapped function: what to put back, and the source its current code came from."""

    def __init__(self, function: types.FunctionType, name: str, source: str | None):
        self.function = function
        self.name = name
        self.code = function.__code__
        self.defaults = function.__defaults__
        self.kwdefaults = function.__kwdefaults__
        self.source = source  # the text its current code came from; None: the process never held it

    def restore(self) -> None:
        self.function.__code__ = self.code
        self.function.__defaults__ = self.defaults
        self.function.__kwdefaults__ = self.kwdefaults


_reloaded: dict = {}  # id(function) -> Reloaded


def _function(module_name: str, class_name: str | None, method_name: str) -> tuple:
    """(function, its name for the user, whether it is a static/class method, the module)."""
    module = find_module(module_name)
    kind = None
    if class_name:
        raw = _member(find_class(module_name, class_name), method_name)
        name = f"{module_name}.{class_name}.{method_name}"
        if isinstance(raw, (staticmethod, classmethod)):
            kind, raw = type(raw).__name__, raw.__func__
    else:
        raw = find_global(module, method_name)
        name = f"{module_name}.{method_name}"
    function = raw
    while not isinstance(function, types.FunctionType) and hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    if not isinstance(function, types.FunctionType):
        raise CommandError(f"{name} is a {type(raw).__name__}, not a function written in Python: it cannot be reloaded")
    return function, name, kind, module, raw


def _definition(tree: ast.Module, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The def of ``Outer.method`` (a qualified name without <locals>) in a parsed file."""
    import ast

    parts = qualname.split(".")
    scope: list = tree.body
    found: ast.AST | None = None
    for i, part in enumerate(parts):
        found = None
        for node in scope:
            last = i == len(parts) - 1
            if last and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == part:
                found = node  # the last def of that name wins, as at import
            elif not last and isinstance(node, ast.ClassDef) and node.name == part:
                found = node
        if found is None:
            return None
        scope = found.body
    return found if isinstance(found, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def _code_in(code: types.CodeType, firstlineno: int, name: str) -> types.CodeType | None:
    """The code object compiled for the def at ``firstlineno`` (decorators included), anywhere
    in a compiled module's constants."""
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if const.co_name == name and const.co_firstlineno == firstlineno:
                return const
            inner = _code_in(const, firstlineno, name)
            if inner is not None:
                return inner
    return None


def _decorators(node: ast.AST) -> list:
    import ast

    return [ast.dump(d) for d in getattr(node, "decorator_list", [])]


def _literal_defaults(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> tuple:
    """(__defaults__, __kwdefaults__) of the new def when every default is a literal."""
    import ast

    args = node.args
    try:
        defaults = tuple(ast.literal_eval(d) for d in args.defaults) or None
        kwdefaults = {
            a.arg: ast.literal_eval(d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None
        } or None
    except ValueError:
        raise CommandError(
            f"{name}: a default value is not a literal; a swap of the code would keep the old defaults"
            " (restart, or reload the module)"
        ) from None
    return defaults, kwdefaults


def _global_names(code: types.CodeType) -> set:
    """Names the code (and code nested in it) may read as globals."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _missing_globals(old: types.CodeType, new: types.CodeType, function: types.FunctionType) -> list:
    """Names new code uses that old code did not and that neither the module nor builtins have.
    co_names also holds attribute names, so only names that are new and unknown count."""
    known = set(function.__globals__) | set(dir(sys.modules["builtins"]))
    return sorted(n for n in _global_names(new) - _global_names(old) if n not in known and _is_global_load(new, n))


def _is_global_load(code: types.CodeType, name: str) -> bool:
    import dis  # the stdlib's; loaded only for a reload

    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME") and instruction.argval == name:
            return True
    return any(_is_global_load(c, name) for c in code.co_consts if isinstance(c, types.CodeType))


def _segment(lines: list, node: ast.FunctionDef | ast.AsyncFunctionDef) -> list:
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return lines[start - 1 : getattr(node, "end_lineno", node.lineno)]


def _old_text(filename: str, firstlineno: int, qualname: str) -> str | None:
    """The function's text as the process loaded it, when the process still holds that file's
    text (linecache entries made before the edit: a traceback or a warning it printed)."""
    import ast

    linecache = sys.modules.get("linecache")
    entry = getattr(linecache, "cache", {}).get(filename) if linecache else None
    if not entry or len(entry) < 3:
        return None
    lines = entry[2]
    try:
        tree = ast.parse("".join(lines))
    except SyntaxError:
        return None
    node = _definition(tree, qualname)
    if node is None or min([node.lineno] + [d.lineno for d in node.decorator_list]) != firstlineno:
        return None
    return "".join(_segment(lines, node))


def _diff(old: str | None, new: str, filename: str, code_old: types.CodeType, code_new: types.CodeType) -> list:
    import difflib

    if old is not None:
        lines = list(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                f"{filename} (running)",
                f"{filename} (file)",
            )
        )
        return [line.rstrip("\n") for line in lines][:_DIFF_LIMIT]
    # the running text is not in the process: say what the compiled code shows changed
    summary = [f"(the running source is not in the process: changes read from the compiled code of {filename})"]
    for label, before, after in (
        ("names", set(code_old.co_names), set(code_new.co_names)),
        (
            "constants",
            {repr(c) for c in code_old.co_consts if not isinstance(c, types.CodeType)},
            {repr(c) for c in code_new.co_consts if not isinstance(c, types.CodeType)},
        ),
        ("local variables", set(code_old.co_varnames), set(code_new.co_varnames)),
    ):
        summary += [f"- {label[:-1]}: {x}" for x in sorted(before - after)]
        summary += [f"+ {label[:-1]}: {x}" for x in sorted(after - before)]
    if code_old.co_code == code_new.co_code and len(summary) == 1:
        summary.append("(the bytecode is the same: only lines or positions moved)")
    summary.append(f"+ the function as the file has it now ({len(new.splitlines())} lines):")
    summary += ["+ " + line for line in new.splitlines()]
    return summary[:_DIFF_LIMIT]


def _reload(function: types.FunctionType, name: str, kind: str | None, raw) -> dict:
    import ast

    if probe.observes(function):
        raise CommandError(f"{name} is being observed (watch, trace, tt or monitor): stop that first, then reload")
    current = function.__code__
    filename = current.co_filename
    try:
        with open(filename, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CommandError(f"{name}: cannot read its source file {filename}: {e.strerror or e}") from None
    text = data.decode("utf-8", errors="replace")
    try:
        tree = ast.parse(data, filename)
        module_code = compile(tree, filename, "exec", dont_inherit=True)
    except SyntaxError as e:
        raise CommandError(f"{name}: {filename} does not compile: {e.msg} (line {e.lineno})") from None
    qualname = function.__qualname__
    if "<locals>" in qualname:
        raise CommandError(f"{name} is defined inside another function: reload the outer function")
    node = _definition(tree, qualname)
    if node is None:
        raise CommandError(f"{name}: {filename} has no def {qualname} any more")
    firstlineno = min([node.lineno] + [d.lineno for d in node.decorator_list])
    new = _code_in(module_code, firstlineno, node.name)
    if new is None:
        raise CommandError(f"{name}: the compiled file has no code for def {qualname}")
    entry = _reloaded.get(id(function))
    running_source = entry.source if entry is not None else _old_text(filename, current.co_firstlineno, qualname)
    lines = text.splitlines(keepends=True)
    new_text = "".join(_segment(lines, node))
    if new.co_freevars != current.co_freevars:
        raise CommandError(
            f"{name}: its closure changed shape (free variables {current.co_freevars} -> {new.co_freevars});"
            " reload the function that makes it"
        )
    if (new.co_flags ^ current.co_flags) & _SHAPE_FLAGS:
        raise CommandError(f"{name}: it became or stopped being a generator or coroutine; restart to apply")
    wrapped = raw is not function  # decorated with functools.wraps: the live object is a wrapper
    decorators = [d for d in node.decorator_list if not _is_method_kind(d)]
    new_kind = next((_kind_name(d) for d in node.decorator_list if _is_method_kind(d)), None)
    if running_source is not None:
        changed = _decorators_changed(running_source, node)
    else:  # without the running text: a kind that changed, or a wrapper whose decorator is gone
        changed = new_kind != kind or (wrapped and not decorators)
    if changed or new_kind != kind:
        raise CommandError(
            f"{name}: its decorators changed; a code swap cannot apply that (restart, or reload the module)"
        )
    missing = _missing_globals(current, new, function)
    if missing:
        raise CommandError(
            f"{name}: uses {', '.join(missing)}, which module {function.__module__} does not have (a new import?);"
            " import it first, e.g. console -c 'import ...', then reload"
        )
    defaults, kwdefaults = _literal_defaults(node, name)
    if running_source is not None and running_source == new_text:
        return {
            "kind": "reload",
            "target": name,
            "action": "unchanged",
            "file": filename,
            "line": firstlineno,
            "diff": [],
        }
    diff = _diff(running_source, new_text, filename, current, new)
    if entry is None:
        entry = _reloaded[id(function)] = Reloaded(function, name, running_source)
    function.__code__ = new
    function.__defaults__, function.__kwdefaults__ = defaults, kwdefaults
    entry.source = new_text
    return {"kind": "reload", "target": name, "action": "reloaded", "file": filename, "line": firstlineno, "diff": diff}


def _is_method_kind(decorator: ast.AST) -> bool:
    import ast

    return isinstance(decorator, ast.Name) and decorator.id in ("staticmethod", "classmethod")


def _kind_name(decorator: ast.AST) -> str:
    return decorator.id  # type: ignore[attr-defined]


def _decorators_changed(running_source: str, node: ast.AST) -> bool:
    import ast

    try:
        old = ast.parse(_dedent(running_source)).body[0]
    except (SyntaxError, IndexError):
        return False
    return _decorators(old) != _decorators(node)


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text)


def _undo(function: types.FunctionType, name: str) -> dict:
    entry = _reloaded.pop(id(function), None)
    if entry is None or entry.function is not function:
        raise CommandError(f"{name} was not reloaded: nothing to undo")
    if probe.observes(function):
        _reloaded[id(function)] = entry
        raise CommandError(f"{name} is being observed: stop that first, then undo")
    entry.restore()
    return {
        "kind": "reload",
        "target": name,
        "action": "undone",
        "file": entry.code.co_filename,
        "line": entry.code.co_firstlineno,
        "diff": [],
    }


def run(args: Arguments, connection: Connection) -> list:
    module_name = args.optional_text("module")
    if args.flag("undo") and module_name is None:  # reload --undo: every reloaded function
        if not _reloaded:
            raise CommandError("no function was reloaded: nothing to undo")
        return [_undo(entry.function, entry.name) for entry in list(_reloaded.values())]
    if module_name is None:
        raise CommandError("reload: which function? reload module [class] method")
    try:
        function, name, kind, _module, raw = _function(module_name, args.optional_text("class"), args.text("method"))
    except LookupFailure as e:
        raise CommandError(str(e)) from None
    if args.flag("undo"):
        return [_undo(function, name)]
    return [_reload(function, name, kind, raw)]


def reset(connection=None) -> None:
    """Detach (None) puts every reloaded function back; a client going away changes nothing (a
    reload is the user's edit, kept until undone or detach)."""
    if connection is None:
        for entry in list(_reloaded.values()):
            try:
                entry.restore()
            except Exception:
                pass
        _reloaded.clear()
