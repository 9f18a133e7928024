"""Find the final `\\boxed{...}` answer without scanning (or trusting) the whole response."""

from __future__ import annotations

from dataclasses import dataclass

_BOX_COMMANDS = ("\\boxed", "\\fbox")
_MAX_CANDIDATES = 8  # truncated boxes tried before giving up; bounds hostile inputs


@dataclass(frozen=True, slots=True)
class Boxed:
    content: str | None  # None when the box exists but is longer than the limit
    too_long: bool = False


def last_boxed(text: str, limit: int) -> Boxed | None:
    """The last well-formed `\\boxed{...}` (or `\\fbox{...}`) in `text`, or None if there is none.

    Scans backwards from the end, so the cost is proportional to the distance from the last box
    to the end plus at most `limit` characters per candidate, not to the response length. A
    truncated box (unbalanced braces) is skipped in favour of an earlier, complete one. A box
    whose content exceeds `limit` characters is reported as `too_long` instead of being read.
    """
    end = len(text)
    for _ in range(_MAX_CANDIDATES):
        start = max(text.rfind(cmd, 0, end) for cmd in _BOX_COMMANDS)
        if start < 0:
            return None
        arg = start + (len("\\boxed") if text.startswith("\\boxed", start) else len("\\fbox"))
        found = _braced_argument(text, arg, limit)
        if found is not None:
            return found
        end = start
    return None


def _braced_argument(text: str, i: int, limit: int) -> Boxed | None:
    """The `{...}` group starting at `text[i]` (after optional spaces); None if unbalanced."""
    n = len(text)
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
                return Boxed(text[i + 1 : j])
        j += 1
    if stop < n:
        return Boxed(None, too_long=True)
    return None
