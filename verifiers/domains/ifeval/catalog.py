"""Binding labels to predicates, and the strict / loose evaluation of a response.

`bind` validates one (instruction id, kwargs) pair and returns a predicate on the response text.
`follow` applies IFEval's two modes: strict checks the response as is (an all-whitespace response
follows nothing); loose passes an instruction if any of the official eight variants passes
(the response, without its first line, without its last line, without both, and each of those
with every `*` removed), which forgives a markdown wrapper or a chatty first or last line.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from verifiers.domains.ifeval import (  # noqa: F401 - they register the instructions
    extended_checks,
    ifbench_formats,
    ifbench_words,
    ifeval_checks,
)
from verifiers.domains.ifeval.args import InstructionError
from verifiers.domains.ifeval.spec import REGISTRY, UNSUPPORTED

Mode = Literal["strict", "loose"]
Predicate = Callable[[str], bool]


def bind(instruction_id: str, kwargs: Mapping[str, Any] | None) -> Predicate:
    """The predicate for one instruction; raises InstructionError naming the id and argument."""
    spec = REGISTRY.get(instruction_id)
    if spec is None and instruction_id in UNSUPPORTED:
        raise InstructionError(instruction_id, f"unsupported instruction: {UNSUPPORTED[instruction_id]}")
    if spec is None:
        raise InstructionError(instruction_id, "unknown instruction id (see docs/domains/ifeval.md)")
    if kwargs is not None and not isinstance(kwargs, Mapping):
        raise InstructionError(instruction_id, f"kwargs must be an object, got {type(kwargs).__name__}")
    return functools.partial(spec.check, **spec.signature.bind(instruction_id, kwargs))


def bind_all(instruction_ids: Sequence[str], kwargs: Sequence[Mapping[str, Any] | None]) -> list[Predicate]:
    if len(instruction_ids) != len(kwargs):
        raise InstructionError(
            "*", f"instruction_id_list has {len(instruction_ids)} ids but kwargs has {len(kwargs)} entries"
        )
    if not instruction_ids:
        raise InstructionError("*", "instruction_id_list is empty")
    return [bind(i, k) for i, k in zip(instruction_ids, kwargs, strict=True)]


def loose_variants(response: str) -> list[str]:
    lines = response.split("\n")
    trimmed = ["\n".join(lines[1:]).strip(), "\n".join(lines[:-1]).strip(), "\n".join(lines[1:-1]).strip()]
    return [response, response.replace("*", ""), *trimmed, *(t.replace("*", "") for t in trimmed)]


def follow(predicates: Sequence[Predicate], response: str, mode: Mode) -> list[bool]:
    """One bool per instruction: is it followed in `mode`?"""
    variants = [response] if mode == "strict" else loose_variants(response)
    variants = list(dict.fromkeys(v for v in variants if v.strip()))  # distinct, in the official order
    return [any(p(v) for v in variants) for p in predicates]
