"""The code label and its translation into a runner job.

Accepted `tests` shapes (the datasets' own conventions, so labels need no conversion):
- stdin/stdout: `{"inputs": [str], "outputs": [str]}` (TACO/APPS/CodeContests); with an
  `interactor`, an input is the interactor's input file and an output its answer file;
- call-based: the same plus `"fn_name"`; an input is an argument list, or a LiveCodeBench string of
  one JSON value per line; a function or a `class Solution` method;
- HumanEval: `{"check": "def check(candidate): ...", "entry_point": "f"}`;
- DESIGN.md's `{"assert_code": str, "entry_point"?: str}`: a HumanEval `check(candidate)` (called
  with the entry point) or bare asserts, one test;
- bare asserts: `["assert f(1) == 2", ...]`, one test each (MBPP).

A competitive-programming label adds an `interactor`, a `checker` program (testlib, Kattis, CMS)
or Kattis' default validator with its flags, `subtasks` with points, and `input_file` /
`output_file` (docs/domains/code.md has one example per kind).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from sandbox.runner import LANGUAGES


def _known_language(value: str) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"unknown language {value!r}; known: {', '.join(LANGUAGES)}")
    return value


Language = Annotated[str, AfterValidator(_known_language)]  # a key of the sandbox's LANGUAGES table


def _file_name(value: str) -> str:
    """A file in the program's work dir."""
    if not value or "/" in value or value in (".", ".."):
        raise ValueError(f"must be a file name in the work dir, got {value!r}")
    return value


class JudgeProgram(BaseModel):
    """A program of the label's that judges the answer: an interactor or an output checker.

    `convention` says how it is called and what its exit says: `testlib` (`checker input output
    answer` / `interactor input output answer`; exit 0 OK, 1 WA, 2 PE, 3 FAIL, 7 points), `kattis`
    (`validator input answer feedback_dir [flags] < output`, exit 42 accepted, 43 wrong) or, for
    checkers, `cms` (`checker input answer output`, the score 0..1 on stdout). A Kattis checker
    without a program is Kattis' default output validator, configured by `flags`."""

    model_config = ConfigDict(extra="forbid")

    program: str | None = None
    language: Language = "cpp"
    convention: Literal["testlib", "kattis", "cms"]
    flags: list[str] = Field(default_factory=list, description="Kattis validator flags, e.g. float_tolerance 1e-6")

    @field_validator("flags", mode="before")
    @classmethod
    def _split_flags(cls, value: Any) -> Any:
        """problem.yaml's `validator_flags` is one string: accept it as such."""
        return value.split() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _needs_a_program(self) -> JudgeProgram:
        if not self.program and self.convention != "kattis":
            raise ValueError(f"a {self.convention} checker needs its program")
        return self


class SpecialJudge(BaseModel):
    """The Python special judge: JSON {input, output, expected} on stdin, exit 0 accepts."""

    model_config = ConfigDict(extra="forbid")

    program: str


class Subtask(BaseModel):
    points: float = Field(ge=0)
    tests: list[int] = Field(min_length=1, description="indices into the tests")


class CodeLabel(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tests: dict[str, Any] | list[str]
    language: Language | None = None
    time_limit_s: float | None = Field(None, gt=0, le=60)
    memory_mb: int | None = Field(None, ge=32, le=16384)
    checker: Literal["tokens", "exact"] | JudgeProgram | SpecialJudge | None = None
    interactor: JudgeProgram | None = None
    early_exit: bool | None = None
    reward_mode: Literal["all", "fraction", "ioi"] = "all"
    subtasks: list[Subtask] | None = None
    input_file: str | None = None
    output_file: str | None = None
    grader: dict[str, str] | None = Field(
        None, description="IOI: files built with the program (grader.cpp, task.h); name -> text"
    )

    @field_validator("input_file", "output_file")
    @classmethod
    def _io_file(cls, value: str | None) -> str | None:
        """CodeContests writes "" for stdin/stdout."""
        return _file_name(value) if value else None

    @field_validator("grader")
    @classmethod
    def _grader_files(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for name in value or {}:
            _file_name(name)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CodeLabel:
        if self.interactor is not None:
            if self.interactor.convention == "cms" or not self.interactor.program:
                raise ValueError("interactor: needs a program of the kattis or testlib convention")
            if isinstance(self.checker, SpecialJudge) or (
                isinstance(self.checker, JudgeProgram) and (self.checker.convention != "testlib")
            ):
                raise ValueError(
                    "an interactive problem's checker must be a testlib one (it reads the interactor's output file)"
                )
        return self


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


def judge_fields(label: CodeLabel, tests: list[dict[str, Any]]) -> dict[str, Any]:
    """The job fields of a competitive-programming label: its judge programs, file I/O and
    subtasks (the runner's `Job`). Raises ValueError for a label whose parts do not fit its tests."""
    stdio = all("stdin" in t for t in tests)
    job: dict[str, Any] = {}
    if label.interactor is not None:
        if not stdio:
            raise ValueError("an interactive problem needs stdin/stdout tests (the interactor's input and answer)")
        job["interactor"] = label.interactor.model_dump(exclude_none=True)
    if isinstance(label.checker, (JudgeProgram, SpecialJudge)):
        job["checker"] = label.checker.model_dump(exclude_none=True)
    elif label.checker is not None:
        job["checker"] = label.checker
    if label.input_file or label.output_file:
        if not stdio or label.interactor is not None:
            raise ValueError("input_file/output_file need stdin/stdout tests of a batch problem")
        job["files"] = {k: v for k, v in (("input", label.input_file), ("output", label.output_file)) if v}
    if label.grader:
        job["grader"] = label.grader
    if label.subtasks:
        out_of_range = sorted({i for s in label.subtasks for i in s.tests if not 0 <= i < len(tests)})
        if out_of_range:
            raise ValueError(f"subtasks name tests {out_of_range} of {len(tests)}")
        job["subtasks"] = [s.tests for s in label.subtasks]
        job["subtask_rule"] = "min" if label.reward_mode == "ioi" else "all"
    return job


def uses_testlib_h(job: dict[str, Any]) -> bool:
    """Whether a judge program of the job includes testlib.h (the operator's, code.testlib_header)."""
    return any(
        isinstance(p, dict) and '"testlib.h"' in (p.get("program") or "")
        for p in (job.get("interactor"), job.get("checker"))
    )


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
