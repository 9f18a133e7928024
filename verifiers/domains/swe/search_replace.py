"""Agentless SEARCH/REPLACE edits applied to `relevant_file_contents`.

    ### path/to/file.py
    <<<<<<< SEARCH
    old lines
    =======
    new lines
    >>>>>>> REPLACE

(optionally inside a fenced block). Blocks apply in order; a SEARCH text must occur in the current
file starting at a line start (its first occurrence is replaced), otherwise the answer is
unparseable. An empty SEARCH creates a file that is not among the contents. SEARCH == REPLACE is
accepted here and becomes a no-op (reward 0), where SWE-RL rejects it (-1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from verifiers.domains.swe.changes import FileChange, PatchError, content_diff, normalise_newlines

MARKER = "<<<<<<< SEARCH"
_BLOCK = re.compile(
    r"^###[ \t]*(?P<path>[^\n]+?)[ \t]*\n(?:```[^\n]*\n)?<<<<<<< SEARCH[ \t]*\n"
    r"(?P<search>.*?)^=======[ \t]*\n(?P<replace>.*?)^>>>>>>> REPLACE[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


def parse_search_replace(text: str, contents: Mapping[str, str]) -> list[FileChange]:
    """One `FileChange` per edited file. Raises `PatchError` naming the block that fails."""
    text = normalise_newlines(text)
    blocks = list(_BLOCK.finditer(text))
    if not blocks:
        raise PatchError("no SEARCH/REPLACE block found ('### PATH' then <<<<<<< SEARCH / ======= / >>>>>>> REPLACE)")
    if text.count(MARKER) != len(blocks):
        raise PatchError(f"{text.count(MARKER)} SEARCH markers but {len(blocks)} complete blocks")
    original: dict[str, str] = {}
    current: dict[str, str] = {}
    for number, block in enumerate(blocks, 1):
        path, search, replace = block["path"].strip(), block["search"], block["replace"]
        if path not in current:
            if path in contents:
                original[path] = current[path] = normalise_newlines(contents[path])
            elif search == "":
                original[path] = current[path] = ""
            else:
                raise PatchError(f"block {number}: {path!r} is not among relevant_file_contents")
        current[path] = _replace(current[path], search, replace, number, path)
    return [FileChange(p, content_diff(original[p], current[p]), original[p], current[p]) for p in current]


def _replace(content: str, search: str, replace: str, number: int, path: str) -> str:
    if search == "":
        if content:
            raise PatchError(f"block {number}: empty SEARCH for existing file {path!r}")
        return replace
    # Anchor at a line start; a final line without newline still matches a SEARCH that ends in one.
    padded = "\n" + content + ("" if content.endswith("\n") else "\n")
    at = padded.find("\n" + search)
    if at < 0:
        raise PatchError(f"block {number}: SEARCH text not found in {path!r}")
    result = padded[:at + 1] + replace + padded[at + 1 + len(search):]
    return result[1:] if content.endswith("\n") or not result.endswith("\n") else result[1:-1]
