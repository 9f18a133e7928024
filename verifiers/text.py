"""Text conventions shared by every domain: where the final answer starts."""

from __future__ import annotations

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
NO_FINAL_ANSWER = "thinking block never closed (no </think>)"  # every domain's format_error reason


def final_answer(response: str, prompt: str | None = None) -> str | None:
    """The part of a response that is graded: the text after the last `</think>`.

    Returns None for a thinking response that never closed its thinking block (truncated at the
    length cap or malformed): there is no final answer to grade, which is a `format_error`, not a
    wrong answer. A response counts as thinking if it opens `<think>` itself or its chat template
    opened one at the end of the prompt.
    """
    close = response.rfind(THINK_CLOSE)
    if close >= 0:
        return response[close + len(THINK_CLOSE) :]
    if THINK_OPEN in response:
        return None
    if prompt is not None and prompt.rstrip().endswith(THINK_OPEN):
        return None
    return response
