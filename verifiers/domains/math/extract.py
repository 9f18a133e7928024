"""Find the final `\\boxed{...}` answer without scanning (or trusting) the whole response."""

from __future__ import annotations

import re
from dataclasses import dataclass

_BOX_COMMANDS = ("\\boxed", "\\fbox")
_MAX_CANDIDATES = 8  # truncated boxes tried before giving up; bounds hostile inputs
# math-verify joins a box with up to five boxes before it when only a connector separates them
# (`\boxed{1} and \boxed{2}` answers {1, 2}); same bound here.
MAX_GROUP = 6
_CONNECTOR_CHARS = 48
# What may separate the boxes of one multi-part answer: spacing, punctuation, math delimiters,
# "and"/"or", a variable being named (`y_2 =`), and a short \text{...} such as
# `\text{ for part (a) and }`. Any other prose between two boxes means the earlier one is a step
# of the reasoning, not part of the answer.
_CONNECTOR = re.compile(
    r"(?:\s|[,;&~]|\$|\\[(),;:! \[\]]|\\q?quad\b|\band\b|\bor\b|\\text\s*\{[^{}]{0,32}\}"
    r"|\b[A-Za-z](?:_\{?\w{1,3}\}?)?\s*=)*"
)


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


def answer_boxes(text: str, limit: int) -> list[Boxed]:
    """The boxes that make up the final answer: the last box and the boxes chained to it.

    Empty when there is no box. A multi-part answer boxed piecewise (`\\boxed{(2, 2)} \\quad
    \\text{and} \\quad \\boxed{(6, 2)}`) is one answer, as in math-verify; a box earlier in the
    reasoning is not. An overlong box ends the group (it is reported, never read).
    """
    last = last_boxed(text, limit)
    if last is None:
        return []
    group = [last]
    while len(group) < MAX_GROUP and not group[0].too_long:
        previous = last_boxed(text, limit, end=group[0].start)
        if previous is None or previous.too_long:
            break
        gap = text[previous.end : group[0].start]
        if len(gap) > _CONNECTOR_CHARS or not _CONNECTOR.fullmatch(gap):
            break
        group.insert(0, previous)
    return group


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
