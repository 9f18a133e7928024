"""Typed instruction arguments: a label's kwargs are checked before any response is.

The official IFEval code fills a missing or negative argument with a *random* value and drops
falsy ones, so a malformed label silently becomes a different instruction. Here every argument
is declared with its type; a missing required argument, a wrong type or an out-of-range value is
an `InstructionError` that names the instruction and the argument, and the verdict is `error`.
A `None` value means "absent" (NVIDIA's dataset stores the union of all argument names per row,
with nulls for the unused ones).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

RELATIONS = ("less than", "at least")


class InstructionError(ValueError):
    """A label problem: unknown id, missing/ill-typed/unexpected argument."""

    def __init__(self, instruction_id: str, problem: str, argument: str | None = None) -> None:
        self.instruction_id = instruction_id
        self.argument = argument
        self.problem = problem
        where = f"{instruction_id!r}" + (f" argument {argument!r}" if argument else "")
        super().__init__(f"instruction {where}: {problem}")


@dataclass(frozen=True, slots=True)
class Arg:
    """One keyword argument: `convert` returns the checked value or raises ValueError."""

    name: str
    convert: Callable[[Any], Any]
    required: bool = True
    default: Any = None


def integer(minimum: int = 0) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        # JSON and parquet round trips turn 3 into 3.0; a bool is never a count.
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise ValueError(f"expected an integer, got {value!r}")
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {value!r}")
        return int(value)

    return convert


def text(strip: bool = False, allow_empty: bool = False) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {type(value).__name__}")
        out = value.strip() if strip else value
        if not allow_empty and not out.strip():
            raise ValueError("must not be empty")
        return out

    return convert


def choice(options: Collection[str]) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in options:
            raise ValueError(f"must be one of {sorted(options)}, got {value!r}")
        return str(value)

    return convert


def relation(value: Any) -> str:
    return choice(RELATIONS)(value)


def text_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValueError(f"expected a list of strings, got {type(value).__name__}")
    if not value:
        raise ValueError("must not be empty")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"every item must be a non-empty string, got {item!r}")
    return tuple(value)


def pattern(value: Any) -> str:
    """A string the official checker uses as a regular expression (unescaped)."""
    out = text()(value)
    try:
        re.compile(out)
    except re.error as exc:
        raise ValueError(
            f"{out!r} is not a valid regular expression ({exc}); the official checker searches keywords as regexes"
        ) from None
    return out


def pattern_list(value: Any) -> tuple[str, ...]:
    return tuple(pattern(item) for item in text_list(value))


@dataclass(frozen=True, slots=True)
class Signature:
    """The arguments of one instruction."""

    args: tuple[Arg, ...] = field(default_factory=tuple)

    def bind(self, instruction_id: str, raw: Mapping[str, Any] | None) -> dict[str, Any]:
        given = {k: v for k, v in (raw or {}).items() if v is not None}
        known = {a.name for a in self.args}
        for name in given:
            if name not in known:
                expected = ", ".join(sorted(known)) or "none"
                raise InstructionError(instruction_id, f"unexpected argument (expected: {expected})", name)
        bound: dict[str, Any] = {}
        for arg in self.args:
            if arg.name not in given:
                if arg.required:
                    raise InstructionError(instruction_id, "missing required argument", arg.name)
                bound[arg.name] = arg.default
                continue
            try:
                bound[arg.name] = arg.convert(given[arg.name])
            except ValueError as exc:
                raise InstructionError(instruction_id, str(exc), arg.name) from None
        return bound
