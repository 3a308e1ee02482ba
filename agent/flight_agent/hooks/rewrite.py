"""Hooks inside the observed function's own code object (CPython 3.9-3.11).

Before 3.12 there is no per-function event to hook, and any wrapper is one more frame: in the
target's tracebacks, for ``sys._getframe(1)``, ``inspect.stack()``, ``warnings.warn(stacklevel=2)``
and logging's caller lookup. So the function gets a copy of its code object with three additions,
and no frame in between its caller and itself:

- a prologue after the function's own preamble (``GEN_START`` / ``COPY_FREE_VARS``, ``MAKE_CELL``,
  ``RESUME``): ``enter(<every parameter's value>)``;
- before each ``RETURN_VALUE``: ``value = leave(value, False)``;
- an outermost handler for what the function raises: ``leave(exception, True)``, then ``RERAISE``,
  which keeps the exception's traceback as it was (no entry is added for the function again).

Every original instruction keeps its line (and 3.11's columns), its exception handler and its jump
targets; the added instructions have the line of the instruction they precede (none for the
handler), so a debugger sees the same line events. What stays visible (docs/commands.md): the
function's ``__code__`` is another code object while observed (``dis``, ``co_code``,
``co_consts``, offsets), a ``sys.settrace`` / ``sys.setprofile`` function sees the two hook calls,
and on 3.9 a traceback's ``tb_frame.f_lineno`` (not ``tb_lineno``) of the observed frame reads
its last line.

``instrument`` returns None for code it cannot handle safely (a function already nesting many
blocks on 3.9/3.10, an interpreter it does not know): the probe then uses the wrapper instead.
"""

from __future__ import annotations

import opcode
import sys
import types

VERSION = sys.version_info[:2]
SUPPORTED = (3, 9) <= VERSION <= (3, 11)

_OP = opcode.opmap
_EXTENDED_ARG = opcode.EXTENDED_ARG
_HAVE_ARGUMENT = opcode.HAVE_ARGUMENT
_JREL = frozenset(opcode.hasjrel)
_JABS = frozenset(opcode.hasjabs)
_CACHES = list(getattr(opcode, "_inline_cache_entries", ()))  # 3.11: cache units after each op
_BACKWARD = frozenset(op for op in _JREL if "JUMP_BACKWARD" in opcode.opname[op])
_RETURN_VALUE = _OP["RETURN_VALUE"]
_SETUPS = frozenset(_OP[name] for name in ("SETUP_FINALLY", "SETUP_WITH", "SETUP_ASYNC_WITH") if name in _OP)
CO_VARARGS, CO_VARKEYWORDS = 0x04, 0x08
MAX_SETUPS = 9  # 3.9/3.10: the block stack holds 20; each setup is at most two blocks deep, plus ours


def _caches(op: int) -> int:
    return _CACHES[op] if op < len(_CACHES) else 0


class _Ins:
    __slots__ = ("op", "arg", "target", "pos", "handler", "offset", "units")

    def __init__(self, op: int, arg: int = 0, target=None, pos=None, handler=None):
        self.op = op
        self.arg = arg
        self.target = target  # the instruction a jump goes to
        self.pos = pos  # 3.9: line; 3.10: line or None; 3.11: (line, end_line, col, end_col)
        self.handler = handler  # 3.11: (handler instruction, depth, lasti) or None
        self.offset = 0  # in code units, once laid out
        self.units = 0


# -- reading a code object ------------------------------------------------------------------------


def _decode(code: types.CodeType) -> tuple:
    """(instructions, {code unit: instruction}) with EXTENDED_ARG folded in and caches skipped."""
    raw = code.co_code
    instructions, at = [], {}
    unit, ext, start = 0, 0, None
    count = len(raw) // 2
    while unit < count:
        op, arg = raw[2 * unit], raw[2 * unit + 1]
        if start is None:
            start = unit
        if op == _EXTENDED_ARG:
            ext = (ext | arg) << 8
            unit += 1
            continue
        ins = _Ins(op, ext | arg)
        ins.offset = start
        end = unit + 1 + _caches(op)
        ins.units = end - start
        for u in range(start, end):
            at[u] = ins
        instructions.append(ins)
        unit, ext, start = end, 0, None
    for ins in instructions:
        if ins.op in _JREL or ins.op in _JABS:
            ins.target = at[_jump_target(ins)]
    return instructions, at


def _jump_target(ins: _Ins) -> int:
    """The code unit a jump goes to."""
    end = ins.offset + ins.units
    if VERSION < (3, 10):  # arguments in bytes
        return end + ins.arg // 2 if ins.op in _JREL else ins.arg // 2
    if ins.op in _JABS:
        return ins.arg
    return end - ins.arg if ins.op in _BACKWARD else end + ins.arg


def _read_positions(code: types.CodeType, instructions: list) -> None:
    if VERSION >= (3, 11):
        positions = list(code.co_positions())
        for ins in instructions:
            ins.pos = positions[ins.offset]
        return
    if VERSION >= (3, 10):
        ranges = list(code.co_lines())  # (start byte, end byte, line or None)
        index = 0
        for ins in instructions:
            byte = 2 * ins.offset
            while index < len(ranges) and ranges[index][1] <= byte:
                index += 1
            ins.pos = ranges[index][2] if index < len(ranges) and ranges[index][0] <= byte else None
        return
    # 3.9: co_lnotab, read as PyCode_Addr2Line does
    table = code.co_lnotab
    line, addr, pair = code.co_firstlineno, 0, 0
    for ins in instructions:
        byte = 2 * ins.offset
        while pair < len(table):
            if addr + table[pair] > byte:
                break
            addr += table[pair]
            delta = table[pair + 1]
            line += delta - 256 if delta >= 128 else delta
            pair += 2
        ins.pos = line


def _parse_varint(data: bytes, i: int) -> tuple:
    b = data[i]
    value = b & 63
    while b & 64:
        i += 1
        b = data[i]
        value = (value << 6) | (b & 63)
    return value, i + 1


def _read_exception_table(code: types.CodeType, at: dict) -> None:
    data = code.co_exceptiontable
    i = 0
    while i < len(data):
        start, i = _parse_varint(data, i)
        size, i = _parse_varint(data, i)
        target, i = _parse_varint(data, i)
        depth_lasti, i = _parse_varint(data, i)
        handler = (at[target], depth_lasti >> 1, bool(depth_lasti & 1))
        for unit in range(start, start + size):
            ins = at.get(unit)
            if ins is not None and ins.handler is None:
                ins.handler = handler


# -- writing one ----------------------------------------------------------------------------------


def _ext_count(arg: int) -> int:
    return 0 if arg < 1 << 8 else 1 if arg < 1 << 16 else 2 if arg < 1 << 24 else 3


def _jump_arg(ins: _Ins, target: int) -> int:
    end = ins.offset + ins.units
    if VERSION < (3, 10):
        return 2 * (target - end) if ins.op in _JREL else 2 * target
    if ins.op in _JABS:
        return target
    return end - target if ins.op in _BACKWARD else target - end


def _layout(instructions: list, redirect: dict) -> None:
    """Offsets and sizes until the jumps' EXTENDED_ARGs fit (sizes only grow: a spare
    EXTENDED_ARG 0 is harmless)."""
    ext = {id(ins): _ext_count(ins.arg) for ins in instructions}
    while True:
        unit = 0
        for ins in instructions:
            ins.offset = unit
            ins.units = ext[id(ins)] + 1 + _caches(ins.op)
            unit += ins.units
        grown = False
        for ins in instructions:
            if ins.target is not None:
                target = redirect.get(id(ins.target), ins.target)
                ins.arg = _jump_arg(ins, target.offset)
                if ins.arg < 0:
                    raise ValueError("a jump went the wrong way")
                needed = _ext_count(ins.arg)
                if needed > ext[id(ins)]:
                    ext[id(ins)] = needed
                    grown = True
        if not grown:
            return


def _emit_code(instructions: list) -> bytes:
    out = bytearray()
    for ins in instructions:
        n = ins.units - 1 - _caches(ins.op)
        for k in range(n, 0, -1):
            out += bytes((_EXTENDED_ARG, (ins.arg >> (8 * k)) & 0xFF))
        out += bytes((ins.op, ins.arg & 0xFF))
        out += b"\0\0" * _caches(ins.op)
    return bytes(out)


def _lnotab(instructions: list, firstlineno: int) -> bytes:
    """3.9's co_lnotab: (byte increment, signed line increment) pairs at each change of line."""
    out = bytearray()
    prev_byte, prev_line = 0, firstlineno
    for ins in instructions:
        if ins.pos == prev_line:
            continue
        byte_delta, line_delta = 2 * ins.offset - prev_byte, ins.pos - prev_line
        while byte_delta > 255:
            out += bytes((255, 0))
            byte_delta -= 255
        while line_delta > 127:
            out += bytes((byte_delta, 127))
            byte_delta, line_delta = 0, line_delta - 127
        while line_delta < -128:
            out += bytes((byte_delta, 128))
            byte_delta, line_delta = 0, line_delta + 128
        out += bytes((byte_delta, line_delta & 0xFF))
        prev_byte, prev_line = 2 * ins.offset, ins.pos
    return bytes(out)


def _linetable_310(instructions: list, firstlineno: int) -> bytes:
    """3.10's co_linetable: one (bytes, line delta or -128) pair per range, as the compiler writes it."""
    ranges: list = []
    for ins in instructions:
        if ranges and ranges[-1][2] == ins.pos:
            ranges[-1][1] = 2 * (ins.offset + ins.units)
        else:
            ranges.append([2 * ins.offset, 2 * (ins.offset + ins.units), ins.pos])
    out = bytearray()
    prev_line = firstlineno
    for start, end, line in ranges:
        byte_delta = end - start
        if line is None:
            line_delta = -128
        else:
            line_delta, prev_line = line - prev_line, line
            while line_delta > 127:
                out += bytes((0, 127))
                line_delta -= 127
            while line_delta < -127:
                out += bytes((0, (-127) & 0xFF))
                line_delta += 127
        while byte_delta > 254:
            out += bytes((254, line_delta & 0xFF))
            line_delta = -128 if line is None else 0
            byte_delta -= 254
        out += bytes((byte_delta, line_delta & 0xFF))
    return bytes(out)


def _write_varint(out: bytearray, value: int) -> None:
    while value >= 64:
        out.append(64 | (value & 63))
        value >>= 6
    out.append(value)


def _write_svarint(out: bytearray, value: int) -> None:
    _write_varint(out, ((-value) << 1) | 1 if value < 0 else value << 1)


def _linetable_311(instructions: list, firstlineno: int) -> bytes:
    """3.11's location table: entries of up to 8 code units, long form or no location."""
    units: list = []
    for ins in instructions:
        units.extend([ins.pos] * ins.units)
    out = bytearray()
    prev_line = firstlineno
    i = 0
    while i < len(units):
        pos = units[i]
        n = 1
        while n < 8 and i + n < len(units) and units[i + n] == pos:
            n += 1
        line, end_line, col, end_col = pos if pos is not None else (None, None, None, None)
        if line is None:
            out.append(0x80 | (15 << 3) | (n - 1))
        elif col is None and end_col is None and end_line in (None, line):
            out.append(0x80 | (13 << 3) | (n - 1))
            _write_svarint(out, line - prev_line)
            prev_line = line
        else:
            out.append(0x80 | (14 << 3) | (n - 1))
            _write_svarint(out, line - prev_line)
            _write_varint(out, (end_line if end_line is not None else line) - line)
            _write_varint(out, col + 1 if col is not None else 0)
            _write_varint(out, end_col + 1 if end_col is not None else 0)
            prev_line = line
        i += n
    return bytes(out)


def _write_exception_varint(out: bytearray, value: int, start: bool) -> None:
    chunks = [value & 63]
    value >>= 6
    while value:
        chunks.append(value & 63)
        value >>= 6
    chunks.reverse()
    for k, chunk in enumerate(chunks):
        byte = chunk | (64 if k < len(chunks) - 1 else 0) | (128 if start and k == 0 else 0)
        out.append(byte)


def _exception_table(instructions: list) -> bytes:
    out = bytearray()
    i = 0
    while i < len(instructions):
        handler = instructions[i].handler
        if handler is None:
            i += 1
            continue
        j = i
        while j + 1 < len(instructions) and instructions[j + 1].handler == handler:
            j += 1
        start = instructions[i].offset
        end = instructions[j].offset + instructions[j].units
        target, depth, lasti = handler
        _write_exception_varint(out, start, True)
        _write_exception_varint(out, end - start, False)
        _write_exception_varint(out, target.offset, False)
        _write_exception_varint(out, (depth << 1) | int(lasti), False)
        i = j + 1
    return bytes(out)


# -- the instrumentation --------------------------------------------------------------------------


def parameter_count(code: types.CodeType) -> int:
    return (
        code.co_argcount
        + code.co_kwonlyargcount
        + bool(code.co_flags & CO_VARARGS)
        + bool(code.co_flags & CO_VARKEYWORDS)
    )


def _preamble_length(instructions: list) -> int:
    if VERSION >= (3, 11):
        for i, ins in enumerate(instructions):
            if ins.op == _OP["RESUME"]:
                return i + 1
        raise ValueError("no RESUME")
    if VERSION >= (3, 10) and instructions and instructions[0].op == _OP["GEN_START"]:
        return 1
    return 0


def _load_parameters(code: types.CodeType) -> list:
    """Instructions that push every parameter's value (a parameter that a nested function
    captures lives in a cell)."""
    loads = []
    for index, name in enumerate(code.co_varnames[: parameter_count(code)]):
        if name in code.co_cellvars:
            arg = index if VERSION >= (3, 11) else code.co_cellvars.index(name)
            loads.append(_Ins(_OP["LOAD_DEREF"], arg))
        else:
            loads.append(_Ins(_OP["LOAD_FAST"], index))
    return loads


def _call(n: int) -> list:
    if VERSION >= (3, 11):
        return [_Ins(_OP["PRECALL"], n), _Ins(_OP["CALL"], n)]
    return [_Ins(_OP["CALL_FUNCTION"], n)]


def instrument(code: types.CodeType, enter, leave) -> types.CodeType | None:
    """A copy of ``code`` that calls ``enter(parameter values)`` when it starts and
    ``leave(value, False)`` / ``leave(exception, True)`` when it returns / raises, with no frame of
    its own. None when this code cannot be instrumented safely (the caller falls back)."""
    if not SUPPORTED:
        return None
    instructions, at = _decode(code)
    if VERSION < (3, 11) and sum(1 for ins in instructions if ins.op in _SETUPS) >= MAX_SETUPS:
        return None  # a block stack overflow would be fatal: use the wrapper
    _read_positions(code, instructions)
    if VERSION >= (3, 11):
        _read_exception_table(code, at)
    consts = code.co_consts
    enter_index, leave_index, false_index, true_index = range(len(consts), len(consts) + 4)
    consts = consts + (enter, leave, False, True)

    preamble_end = _preamble_length(instructions)
    preamble, body = instructions[:preamble_end], instructions[preamble_end:]
    first_pos = next((ins.pos for ins in body if ins.pos is not None and ins.pos != (None,) * 4), None)
    if VERSION < (3, 10) and first_pos is None:
        first_pos = code.co_firstlineno

    handler_start: _Ins
    load = _OP["LOAD_CONST"]
    prologue = [] if VERSION < (3, 11) else [_Ins(_OP["PUSH_NULL"])]
    prologue += [_Ins(load, enter_index)] + _load_parameters(code)
    prologue += [_Ins(_OP["BUILD_TUPLE"], parameter_count(code))] + _call(1) + [_Ins(_OP["POP_TOP"])]
    if VERSION >= (3, 11):
        handler = [
            _Ins(_OP["PUSH_NULL"]),
            _Ins(load, leave_index),
            _Ins(_OP["COPY"], 3),
            _Ins(load, true_index),
            *_call(2),
            _Ins(_OP["POP_TOP"]),
            _Ins(_OP["RERAISE"], 1),
        ]
    else:
        handler = [
            _Ins(_OP["DUP_TOP_TWO"]),
            _Ins(_OP["POP_TOP"]),
            _Ins(load, leave_index),
            _Ins(_OP["ROT_TWO"]),
            _Ins(load, true_index),
            _Ins(_OP["CALL_FUNCTION"], 2),
            _Ins(_OP["POP_TOP"]),
            _Ins(_OP["RERAISE"], 1 if VERSION >= (3, 10) else 0),
        ]
        prologue.append(_Ins(_OP["SETUP_FINALLY"], 0, target=handler[0]))
    handler_start = handler[0]
    for ins in prologue:
        ins.pos = first_pos
    for ins in handler:
        ins.pos = None if VERSION >= (3, 10) else (body[-1].pos if body else first_pos)

    ours = (handler_start, 0, True)
    new_body = []
    redirect: dict = {}  # id(RETURN_VALUE) -> the first instruction before it: jumps to a return go there
    for ins in body:
        if VERSION >= (3, 11) and ins.handler is None:
            ins.handler = ours
        if ins.op != _RETURN_VALUE:
            new_body.append(ins)
            continue
        if VERSION >= (3, 11):
            epilogue = [
                _Ins(_OP["PUSH_NULL"]),
                _Ins(_OP["SWAP"], 2),
                _Ins(load, leave_index),
                _Ins(_OP["SWAP"], 2),
                _Ins(load, false_index),
                *_call(2),
            ]
        else:
            epilogue = [
                _Ins(_OP["POP_BLOCK"]),
                _Ins(load, leave_index),
                _Ins(_OP["ROT_TWO"]),
                _Ins(load, false_index),
                _Ins(_OP["CALL_FUNCTION"], 2),
            ]
        for added in epilogue:
            added.pos = ins.pos
            added.handler = None if ins.handler is ours else ins.handler
        if ins.handler is ours:
            ins.handler = None  # what leave() raises is not observed again
        redirect[id(ins)] = epilogue[0]
        new_body.extend(epilogue)
        new_body.append(ins)

    result = preamble + prologue + new_body + handler
    _layout(result, redirect)
    for ins in result:  # jumps to a return now go to the hook before it
        if ins.target is not None and id(ins.target) in redirect:
            ins.target = redirect[id(ins.target)]
    if VERSION >= (3, 11):
        for ins in result:
            if ins.handler is not None and id(ins.handler[0]) in redirect:
                ins.handler = (redirect[id(ins.handler[0])],) + ins.handler[1:]
    stacksize = max(code.co_stacksize, parameter_count(code) + 3) + 10
    changes: dict = {"co_code": _emit_code(result), "co_consts": consts, "co_stacksize": stacksize}
    if VERSION >= (3, 11):
        changes["co_linetable"] = _linetable_311(result, code.co_firstlineno)
        changes["co_exceptiontable"] = _exception_table(result)
    elif VERSION >= (3, 10):
        changes["co_linetable"] = _linetable_310(result, code.co_firstlineno)
    else:
        changes["co_lnotab"] = _lnotab(result, code.co_firstlineno)
    return code.replace(**changes)
