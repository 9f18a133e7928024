"""The code label and its translation into runner tests.

Accepted `tests` shapes (the datasets' own conventions, so labels need no conversion):
- stdin/stdout: `{"inputs": [str], "outputs": [str]}` (TACO/APPS/CodeContests);
- call-based: the same plus `"fn_name"`; an input is an argument list, or a LiveCodeBench string of
  one JSON value per line; a function or a `class Solution` method;
- HumanEval: `{"check": "def check(candidate): ...", "entry_point": "f"}`;
- DESIGN.md's `{"assert_code": str, "entry_point"?: str}`: a HumanEval `check(candidate)` (called
  with the entry point) or bare asserts, one test;
- bare asserts: `["assert f(1) == 2", ...]`, one test each (MBPP).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class CodeLabel(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tests: dict[str, Any] | list[str]
    language: Literal["python", "cpp"] | None = None
    time_limit_s: float | None = Field(None, gt=0, le=60)
    memory_mb: int | None = Field(None, ge=32, le=16384)
    checker: Literal["tokens", "exact"] | dict[str, str] | None = None
    early_exit: bool | None = None
    reward_mode: Literal["all", "fraction"] = "all"


def runner_tests(tests: dict[str, Any] | list[str]) -> tuple[list[dict[str, Any]], str | None]:
    """(runner tests, fn_name). Raises ValueError for a shape we do not know."""
    if isinstance(tests, list):
        return [{"code": a} for a in tests], None
    if "check" in tests:
        entry = _entry_point(tests)
        if entry is None:
            raise ValueError("HumanEval tests need entry_point")
        return [{"code": f"{tests['check']}\n\ncheck({entry})\n"}], None
    if "assert_code" in tests:
        code, entry = tests["assert_code"], _entry_point(tests)
        if not isinstance(code, str) or not code.strip():
            raise ValueError("assert_code must be a non-empty string")
        calls_check = entry is not None and re.search(r"^def check\(", code, re.MULTILINE) is not None
        return [{"code": f"{code}\n\ncheck({entry})\n" if calls_check else code}], None
    inputs, outputs = tests.get("inputs"), tests.get("outputs")
    if not isinstance(inputs, list) or not isinstance(outputs, list) or len(inputs) != len(outputs):
        raise ValueError("tests need equally long lists 'inputs' and 'outputs'")
    fn_name = tests.get("fn_name")
    if fn_name:
        return [{"args": _args(i), "expected": _value(o)} for i, o in zip(inputs, outputs, strict=True)], fn_name
    return [{"stdin": _text(i), "expected": _text(o)} for i, o in zip(inputs, outputs, strict=True)], None


def _entry_point(tests: dict[str, Any]) -> str | None:
    """The function the check is called with: a name, since it is pasted into the test code."""
    entry = tests.get("entry_point")
    if entry is None or entry == "":
        return None
    if not (isinstance(entry, str) and entry.isidentifier()):
        raise ValueError(f"entry_point must be a function name, got {entry!r}")
    return entry


def _text(value: Any) -> str:
    return "\n".join(map(str, value)) if isinstance(value, list) else str(value)


def _args(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [json.loads(line) for line in value.splitlines() if line.strip()]
    return [value]


def _value(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
