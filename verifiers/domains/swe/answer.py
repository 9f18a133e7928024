"""Where the patch is in a response, and which format it is in."""

from __future__ import annotations

import re

from verifiers.domains.swe.search_replace import MARKER
from verifiers.text import NO_FINAL_ANSWER, final_answer

_SOLUTION_OPEN, _SOLUTION_CLOSE = "<solution>", "</solution>"
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


class NoAnswer(ValueError):
    """The response has no final answer: its thinking block never closed."""


def patch_text(response: str, prompt: str | None) -> str:
    """The text after the last `</think>`, inside the last `<solution>...</solution>` when present
    (an unclosed `<solution>` takes the rest)."""
    answer = final_answer(response, prompt)
    if answer is None:
        raise NoAnswer(NO_FINAL_ANSWER)
    start = answer.rfind(_SOLUTION_OPEN)
    if start >= 0:
        answer = answer[start + len(_SOLUTION_OPEN) :]
        end = answer.find(_SOLUTION_CLOSE)
        answer = answer if end < 0 else answer[:end]
    return answer


def detect_format(text: str) -> str:
    return "search_replace" if MARKER in text else "unified_diff"


def unfence_diff(text: str) -> str:
    """A diff inside ```diff fences: the fenced bodies joined (fence lines would end hunks early)."""
    bodies = _FENCE.findall(text)
    return "\n".join(bodies) if bodies else text
