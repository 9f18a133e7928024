"""The instruction registry: id -> typed arguments, check function, and where the semantics come from.

Check functions are plain `check(text, **arguments) -> bool`; modules register them with the
`instruction` decorator, and `catalog.bind` turns (id, kwargs) into a one-argument predicate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from verifiers.domains.ifeval.args import Arg, Signature

Check = Callable[..., bool]


@dataclass(frozen=True, slots=True)
class InstructionSpec:
    id: str
    signature: Signature
    check: Check
    source: str


REGISTRY: dict[str, InstructionSpec] = {}
# Known ids that cannot be checked exactly offline: id -> what is missing (the verdict is `error`).
UNSUPPORTED: dict[str, str] = {}


def instruction(instruction_id: str, *args: Arg, source: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        if instruction_id in REGISTRY:
            raise RuntimeError(f"instruction {instruction_id!r} registered twice")
        REGISTRY[instruction_id] = InstructionSpec(instruction_id, Signature(args), fn, source)
        return fn

    return register
