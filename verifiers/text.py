"""Text conventions shared by every domain: where the final answer starts, and how it is marked
(the last `\\boxed{...}`, the last "Answer:" phrase)."""

from __future__ import annotations

import re
from dataclasses import dataclass

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
NO_FINAL_ANSWER = "thinking block never closed (no </think>)"  # every domain's format_error reason
_BOX_COMMANDS = ("\\boxed", "\\fbox")
_MAX_CANDIDATES = 8  # truncated boxes tried before giving up; bounds hostile inputs
# "Answer:", "**Answer:**", "Final Answer:", "the (correct) answer is", "ANSWER IS:": the word answer
# then a colon or "is". The word alone ("to answer this, ...") is prose, not a marker.
_ANSWER_PHRASE = re.compile(r"\banswer\b[\s*]*(?::|\bis\b[\s*]*:?)", re.IGNORECASE)
# What the phrase says ends with its line or its sentence ("Answer: 8. Check: 3 + 4 = 7"); a point
# inside a number or before lowercase text ("3.5", "e.g. x") does not end it.
_NEXT_SENTENCE = re.compile(r"\.\s+(?=[A-Z])")


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


@dataclass(frozen=True, slots=True)
class Boxed:
    content: str | None  # None when the box exists but is longer than the limit
    too_long: bool = False
    start: int = -1  # index of the box command in the text
    end: int = -1  # index just past its closing brace


def last_boxed(text: str, limit: int, end: int | None = None) -> Boxed | None:
    """The last well-formed `\\boxed{...}` (or `\\fbox{...}`) in `text[:end]`, or None.

    Scans backwards from the end, so the cost is proportional to the distance from the last box
    to the end plus at most `limit` characters per candidate, not to the response length. A
    truncated box (unbalanced braces) is skipped in favour of an earlier, complete one. A box
    whose content exceeds `limit` characters is reported as `too_long` instead of being read.
    """
    end = len(text) if end is None else end
    for _ in range(_MAX_CANDIDATES):
        start = max(text.rfind(cmd, 0, end) for cmd in _BOX_COMMANDS)
        if start < 0:
            return None
        arg = start + (len("\\boxed") if text.startswith("\\boxed", start) else len("\\fbox"))
        found = _braced_argument(text, start, arg, limit, end)
        if found is not None:
            return found
        end = start
    return None


def _braced_argument(text: str, start: int, i: int, limit: int, n: int) -> Boxed | None:
    """The `{...}` group starting at `text[i]` (after optional spaces) within `text[:n]`; None
    if unbalanced."""
    while i < n and text[i] == " ":
        i += 1
    if i >= n or text[i] != "{":
        return None
    depth = 0
    j = i
    stop = min(n, i + limit + 2)
    while j < stop:
        c = text[j]
        if c == "\\":
            j += 2  # an escaped brace (\{ or \}) does not change the depth
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return Boxed(text[i + 1 : j], start=start, end=j + 1)
        j += 1
    if stop < n:
        return Boxed(None, too_long=True, start=start)
    return None


@dataclass(frozen=True, slots=True)
class Phrase:
    """The last "Answer:" phrase of a text: `text[start:end]` spans the phrase and what it says,
    `answer` is what it says."""

    start: int
    end: int
    answer: str


def answer_phrase(text: str, limit: int) -> Phrase | None:
    """The last "Answer:" / "answer is" phrase in `text` and what follows it: the rest of that line or
    sentence, or the next non-empty line when the phrase ends its line; at most `limit` characters.
    None when there is no such phrase or nothing follows it."""
    last = None
    for match in _ANSWER_PHRASE.finditer(text):
        last = match
    if last is None:
        return None
    rest = text[last.end() : last.end() + limit]
    body = len(rest) - len(rest.lstrip(" \t\r\n*"))  # spacing, blank lines, the "**" of "**Answer:**"
    line_end = rest.find("\n", body)
    line = rest[body : len(rest) if line_end < 0 else line_end]
    sentence_end = _NEXT_SENTENCE.search(line)
    answer = (line if sentence_end is None else line[: sentence_end.start() + 1]).rstrip()
    if not answer:
        return None
    return Phrase(last.start(), last.end() + body + len(answer), answer)
