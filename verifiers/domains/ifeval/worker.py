"""What an ifeval worker process runs: bind the label, check the response.

Checks run in killable workers because the official regexes are quadratic on some hostile
inputs (`^\\s*\\*` over a long run of blank lines): a response that makes a check overrun is a
`timeout` verdict for that response, never a stalled event loop.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from verifiers.domains.ifeval import text_units
from verifiers.domains.ifeval.catalog import Mode, Predicate, bind, follow
from verifiers.domains.ifeval.settings import IFEvalSettings


def configure(settings: IFEvalSettings) -> None:
    """Load the Punkt parameters and langdetect's profiles before the worker reports ready. The
    settings go unused: a check gets its mode with each call."""
    text_units.count_sentences("Warm up. Twice.")
    text_units.detect_language("warm up the language profiles")


@functools.lru_cache(maxsize=4096)
def _predicate(instruction_id: str, kwargs_json: str) -> Predicate:
    return bind(instruction_id, json.loads(kwargs_json))


def check(instruction_ids: list[str], kwargs: list[dict[str, Any] | None], response: str, mode: Mode) -> list[bool]:
    predicates = [_predicate(i, json.dumps(k, sort_keys=True)) for i, k in zip(instruction_ids, kwargs, strict=True)]
    return follow(predicates, response, mode)
