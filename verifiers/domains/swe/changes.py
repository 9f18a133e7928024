"""What a patch does to each file, in the one normalised form both sides are compared in.

Whatever the answer format, a patch becomes a list of `FileChange`s whose `diff` is the text that
lexical similarity compares. When the pre-edit file is known, `diff` is regenerated from the
(before, after) contents with `difflib.unified_diff(n=3)` minus its two header lines (SWE-RL's
normal form), so a SEARCH/REPLACE answer and a git diff of the same edit compare equal, and hunk
line numbers or git's `@@ ... def f` section headings never count. When it is not known, `diff` is
the patch's own hunks (ranges without section heading, then the lines), as SWE-RL does for diffs.
An empty `diff` means the file is unchanged.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


class PatchError(ValueError):
    """The patch cannot be parsed or applied to the files it edits (reward -1 for a prediction,
    a dataset error for the golden patch). The message says what is wrong and where."""


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str
    diff: str
    before: str | None = None
    after: str | None = None


def normalise_newlines(text: str) -> str:
    """CRLF and CR become LF: line-ending style is not an edit, on either side."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def content_diff(before: str, after: str) -> str:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=3)
    return "\n".join(list(lines)[2:])


def changed(changes: list[FileChange]) -> dict[str, str]:
    """path -> diff of the files the patch really changes."""
    return {c.path: c.diff for c in changes if c.diff}


def render(changes: list[FileChange]) -> str:
    """The normalised patch as one text (what the judge reads)."""
    return "\n".join(f"--- a/{c.path}\n+++ b/{c.path}\n{c.diff}" for c in changes if c.diff)
