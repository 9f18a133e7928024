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

from collections.abc import Mapping

from verifiers.domains.swe.changes import FileChange, PatchError, content_diff, normalise_newlines

MARKER = "<<<<<<< SEARCH"
_DIVIDER = "======="
_END = ">>>>>>> REPLACE"


def _blocks(text: str) -> list[tuple[str, str, str]]:
    """(path, search, replace) per block, in order; one linear pass over the lines, so hostile
    input (thousands of unterminated markers) costs no backtracking."""
    lines = text.split("\n")
    blocks: list[tuple[str, str, str]] = []
    i = 0
    while i < len(lines):
        if lines[i].rstrip() != MARKER:
            i += 1
            continue
        number = len(blocks) + 1
        path = _path_before(lines, i)
        if path is None:
            raise PatchError(f"block {number}: no '### PATH' line before {MARKER}")
        divider = _next(lines, i + 1, _DIVIDER)
        end = _next(lines, divider + 1, _END) if divider is not None else None
        if divider is None or end is None:
            raise PatchError(f"block {number}: unterminated (needs {_DIVIDER} and {_END})")
        blocks.append((path, _joined(lines[i + 1 : divider]), _joined(lines[divider + 1 : end])))
        i = end + 1
    return blocks


def _path_before(lines: list[str], marker: int) -> str | None:
    above = marker - 1
    if above >= 0 and lines[above].startswith("```"):
        above -= 1
    if above >= 0 and lines[above].startswith("###"):
        return lines[above][3:].strip() or None
    return None


def _next(lines: list[str], start: int, marker: str) -> int | None:
    for j in range(start, len(lines)):
        if lines[j].rstrip() == marker:
            return j
    return None


def _joined(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def parse_search_replace(text: str, contents: Mapping[str, str]) -> list[FileChange]:
    """One `FileChange` per edited file. Raises `PatchError` naming the block that fails."""
    blocks = _blocks(normalise_newlines(text))
    if not blocks:
        raise PatchError(f"no SEARCH/REPLACE block found ('### PATH' then {MARKER} / {_DIVIDER} / {_END})")
    original: dict[str, str] = {}
    current: dict[str, str] = {}
    for number, (path, search, replace) in enumerate(blocks, 1):
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
    result = padded[: at + 1] + replace + padded[at + 1 + len(search) :]
    return result[1:] if content.endswith("\n") or not result.endswith("\n") else result[1:-1]
