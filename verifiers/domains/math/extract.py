"""Find the final `\\boxed{...}` answer without scanning (or trusting) the whole response, and read
decimal commas when the policy asks for it."""

from __future__ import annotations

import re

from verifiers.text import Boxed, last_boxed

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


# A digit run, a comma (or LaTeX's `{,}`), a digit run: a decimal comma, unless the number is an item
# of a list (`1,2,3`: a comma on either side) or opens a bracketed pair or set (`(1,5)`, `[0,1)`,
# `{1,3}`, `\\{1,2\\}`), which no decimal comma does. The lookbehind also keeps a match from starting
# after a minus sign it should have included.
_DECIMAL_COMMA = re.compile(r"(?<![\d,.(\[{-])(-?\d+)(?:,|\{,\})(\d+)(?!\d|,\d|\{,\})")
_THOUSANDS_HEAD = re.compile(r"-?[1-9]\d{0,2}")


def decimal_commas(text: str) -> str:
    """`text` with its decimal commas read as points: `1,22` -> `1.22`, `0,111` -> `0.111`.

    A comma followed by exactly three digits after a one-to-three-digit head not starting with 0
    (`1,000`, `12,345`) groups thousands, as math-verify reads it, and stays.
    """

    def point(m: re.Match[str]) -> str:
        head, tail = m.group(1), m.group(2)
        if len(tail) == 3 and _THOUSANDS_HEAD.fullmatch(head):
            return m.group(0)
        return f"{head}.{tail}"

    return _DECIMAL_COMMA.sub(point, text) if "," in text else text
