"""Checks flight_agent.hooks.rewrite on the interpreter that runs this script (3.9-3.11).

    python rewrite_check.py AGENT_DIR

1. Structure: every function of a set of standard-library modules is instrumented and decoded
   again; each original instruction must be there, in order, with the same opcode and argument
   (jumps: to the same instruction, or to the hook before a return), the same line (3.11: the
   same position) and the same exception handler (3.11). The added instructions are the prologue,
   the hooks before each return and one handler.
2. Behaviour: the functions of those modules run a workload instrumented (every function's
   __code__ replaced, hooks counting calls) and must give exactly what they give unobserved; every
   call that started must have left once, raised ones as raised.

Prints one JSON line: {"functions": N, "instrumented": N, "fallbacks": [...], "calls": N,
"problems": [...]}.
"""

from __future__ import annotations

import json
import sys
import types

sys.path.insert(0, sys.argv[1])

from flight_agent.hooks import rewrite  # noqa: E402

MODULES = [
    "json.decoder",
    "json.encoder",
    "json",
    "textwrap",
    "difflib",
    "fractions",
    "statistics",
    "pprint",
    "string",
    "tokenize",
    "ast",
    "email.message",
    "email.feedparser",
    "email._header_value_parser",
    "email.utils",
    "urllib.parse",
    "ipaddress",
    "shlex",
    "csv",
    "configparser",
    "html.parser",
    "argparse",
    "decimal",
    "_pydecimal",
    "asyncio.tasks",
    "asyncio.base_events",
    "inspect",
    "dataclasses",
    "enum",
    "functools",
    "collections",
    "heapq",
    "bisect",
    "base64",
    "calendar",
    "datetime",
    "_pydatetime",
    "typing",
    "re",
    "sre_parse",
    "sre_compile",
    "re._parser",
    "re._compiler",
]

problems: list = []


def functions_of(module) -> list:
    found, seen = [], set()

    def visit(obj, depth=0):
        if id(obj) in seen or depth > 3:
            return
        seen.add(id(obj))
        if isinstance(obj, types.FunctionType):
            if getattr(obj, "__module__", None) == module.__name__:
                found.append(obj)
        elif isinstance(obj, (staticmethod, classmethod)):
            visit(obj.__func__, depth)
        elif isinstance(obj, property):
            for f in (obj.fget, obj.fset, obj.fdel):
                if f is not None:
                    visit(f, depth)
        elif isinstance(obj, type) and obj.__module__ == module.__name__:
            for value in list(vars(obj).values()):
                visit(value, depth + 1)

    for value in list(vars(module).values()):
        visit(value)
    return found


def all_codes(code: types.CodeType) -> list:
    out = [code]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            out.extend(all_codes(const))
    return out


GENERATOR_FLAGS = 0x20 | 0x200  # generators are never observed


def check_structure(code: types.CodeType) -> bool:
    """True when instrumented (False: a fallback, which is fine)."""
    new = rewrite.instrument(code, "ENTER", "LEAVE")
    if new is None:
        return False
    old_ins, _ = rewrite._decode(code)
    new_ins, new_at = rewrite._decode(new)
    rewrite._read_positions(code, old_ins)
    rewrite._read_positions(new, new_ins)
    if rewrite.VERSION >= (3, 11):
        _, old_at = rewrite._decode(code)
        old_ins, old_at = rewrite._decode(code)
        rewrite._read_positions(code, old_ins)
        rewrite._read_exception_table(code, old_at)
        rewrite._read_exception_table(new, new_at)
    # the layout: preamble, prologue, the body with hooks before each return, the handler
    eleven = rewrite.VERSION >= (3, 11)
    n_params = rewrite.parameter_count(code)
    prologue = (1 + 1 + n_params + 1 + 2 + 1) if eleven else (1 + n_params + 1 + 1 + 1 + 1)
    epilogue = 7 if eleven else 5
    handler = 8
    preamble = rewrite._preamble_length(old_ins)
    matches, j = {}, 0
    for k, ins in enumerate(old_ins):
        if k == preamble:
            j += prologue
        if ins.op == rewrite._RETURN_VALUE and k >= preamble:
            j += epilogue
        matches[id(ins)] = new_ins[j] if j < len(new_ins) else None
        j += 1
    returns = sum(1 for k, ins in enumerate(old_ins) if ins.op == rewrite._RETURN_VALUE and k >= preamble)
    expected = prologue + returns * epilogue + handler
    added = len(new_ins) - len(old_ins)
    name = getattr(code, "co_qualname", code.co_name)
    for ins in old_ins:
        got = matches[id(ins)]
        if got is None or got.op != ins.op or (ins.target is None and got.arg != ins.arg):
            problems.append(f"{name}: op {ins.op} at {ins.offset} is not where it should be")
            return True
    name = getattr(code, "co_qualname", code.co_name)
    if added != expected:
        problems.append(f"{name}: {added} instructions added, expected {expected}")
    for ins in old_ins:
        new = matches[id(ins)]
        if ins.pos != new.pos:
            problems.append(f"{name}: position of op {ins.op} at {ins.offset}: {ins.pos} -> {new.pos}")
            break
        if ins.target is not None:
            want = matches[id(ins.target)]
            got = new.target
            if got is not want:
                # a jump to a return goes to the hook before it: the instructions just before want
                k = new_ins.index(want)
                if ins.target.op != rewrite._RETURN_VALUE or got is not new_ins[k - epilogue]:
                    problems.append(f"{name}: jump of op {ins.op} at {ins.offset} goes elsewhere")
                    break
        if rewrite.VERSION >= (3, 11):
            if ins.handler is None:
                if new.handler is None or new.handler[0].op != rewrite._OP["PUSH_NULL"] or new.handler[1:] != (0, True):
                    if ins.op != rewrite._RETURN_VALUE and old_ins.index(ins) >= rewrite._preamble_length(old_ins):
                        problems.append(
                            f"{name}: uncovered op {ins.op} at {ins.offset} not covered by the probe's handler"
                        )
                        break
            elif (
                new.handler is None
                or new.handler[0] is not matches[id(ins.handler[0])]
                or new.handler[1:] != ins.handler[1:]
            ):
                problems.append(f"{name}: handler of op {ins.op} at {ins.offset} changed")
                break
    return True


def structure() -> tuple:
    count = instrumented = 0
    fallbacks = []
    for name in MODULES:
        module = sys.modules.get(name)
        if module is None:
            try:
                module = __import__(name, fromlist=["_"])
            except ImportError:
                continue
        for fn in functions_of(module):
            for code in all_codes(fn.__code__):
                if code.co_flags & GENERATOR_FLAGS or code.co_name.startswith("<"):
                    continue
                count += 1
                try:
                    if check_structure(code):
                        instrumented += 1
                    else:
                        fallbacks.append(getattr(code, "co_qualname", code.co_name))
                except Exception as e:  # a crash of the rewriter is a problem too
                    problems.append(f"{code.co_name}: {type(e).__name__}: {e}")
    return count, instrumented, fallbacks


# -- behaviour ------------------------------------------------------------------------------------


class Counter:
    def __init__(self):
        self.open = 0
        self.calls = 0
        self.raised = 0
        self.depth_errors = 0

    def enter(self, values):
        self.open += 1
        self.calls += 1

    def leave(self, value, raised):
        self.open -= 1
        if raised:
            self.raised += 1
            if not isinstance(value, BaseException):
                self.depth_errors += 1
        return value


def workload() -> list:
    import asyncio
    import csv
    import difflib
    import email.feedparser
    import email.utils
    import fractions
    import io
    import ipaddress
    import json
    import pprint
    import shlex
    import statistics
    import string
    import textwrap
    import tokenize
    import urllib.parse

    out = []
    data = {"a": [1, 2.5, None, True, {"b": "c\u00e9\n"}], "n": list(range(30))}
    text = json.dumps(data, indent=2, sort_keys=True)
    out.append(text)
    out.append(json.loads(text))
    out.append(json.JSONDecoder().decode('{"x": [1, 2, {"y": "z"}]}'))
    try:
        json.loads("{bad")
    except ValueError as e:
        out.append(str(e))
    out.append(textwrap.fill("lorem ipsum dolor sit amet " * 20, width=33))
    out.append(textwrap.dedent("    a\n      b\n    c"))
    out.append(list(difflib.unified_diff("abcdefg\nhij".splitlines(), "abXdefg\nhiZ".splitlines())))
    out.append(difflib.SequenceMatcher(None, "kitten sitting", "sitting kitten").ratio())
    out.append(str(fractions.Fraction(3, 7) + fractions.Fraction("1.25")))
    out.append(statistics.median([5, 1, 4, 2, 3]))
    out.append(statistics.pstdev([1.5, 2.5, 2.5, 2.75, 3.25, 4.75]))
    out.append(pprint.pformat({f"k{i}": list(range(i)) for i in range(12)}, width=40))
    out.append(string.Template("$a and ${b}").substitute(a=1, b="two"))
    out.append(string.capwords("hello   world  again"))
    out.append([t.string for t in tokenize.generate_tokens(io.StringIO("x = (1 + 2) * f(y)\n").readline)])
    out.append(urllib.parse.urlparse("https://u:p@h.example:8080/a/b;p?q=1&r=2#f"))
    out.append(urllib.parse.parse_qs("a=1&a=2&b=%20x"))
    out.append(urllib.parse.quote("a b/c?d"))
    out.append([str(n) for n in ipaddress.ip_network("10.1.0.0/29").hosts()])
    out.append(shlex.split("a 'b c' \"d e\" f\\ g"))
    rows = io.StringIO()
    csv.writer(rows).writerows([["a", "b,c"], [1, 'q"uote']])
    out.append(list(csv.reader(io.StringIO(rows.getvalue()))))
    msg = email.feedparser.FeedParser()
    msg.feed("From: A <a@example.com>\nSubject: hi\nContent-Type: text/plain\n\nbody\n")
    parsed = msg.close()
    out.append((parsed["From"], parsed.get_payload(), email.utils.parseaddr(parsed["From"])))

    async def main():
        async def job(i):
            await asyncio.sleep(0.001 * (i % 3))
            if i == 4:
                raise KeyError(i)
            return i * i

        results = await asyncio.gather(*(job(i) for i in range(6)), return_exceptions=True)
        return [repr(r) for r in results]

    out.append(asyncio.run(main()))
    return out


def behaviour() -> int:
    baseline = repr(workload())
    counter = Counter()
    patched = []
    for name in MODULES:
        module = sys.modules.get(name)
        if module is None:
            continue
        for fn in functions_of(module):
            code = fn.__code__
            if code.co_flags & GENERATOR_FLAGS:
                continue
            new = rewrite.instrument(code, counter.enter, counter.leave)
            if new is not None:
                fn.__code__ = new
                patched.append((fn, code))
    try:
        observed = repr(workload())
    finally:
        for fn, code in patched:
            fn.__code__ = code
    if observed != baseline:
        problems.append("the workload gave another result while instrumented")
    if counter.open != 0:
        problems.append(f"{counter.open} calls never left")
    if counter.depth_errors:
        problems.append(f"{counter.depth_errors} raised leaves without an exception")
    if counter.calls < 1000:
        problems.append(f"only {counter.calls} instrumented calls ran")
    return counter.calls


count, instrumented, fallbacks = structure()
calls = behaviour()
print(
    json.dumps(
        {
            "functions": count,
            "instrumented": instrumented,
            "fallbacks": fallbacks,
            "calls": calls,
            "problems": problems[:50],
        }
    )
)
