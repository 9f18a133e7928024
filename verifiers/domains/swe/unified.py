"""Unified diffs (`git diff` / `diff -u`) parsed with `unidiff` and applied to known files.

`unidiff.PatchSet` accepts garbage silently (zero files, no exception), so zero parsed files is an
error here. A hunk is applied where its old lines (context and removals) occur in the file, at the
stated line if they match there, else at the nearest match below the previous hunk; a hunk whose
old lines occur nowhere is an error, like `git apply` without fuzz.
"""

from __future__ import annotations

from collections.abc import Mapping

from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk, PatchedFile, PatchSet

from verifiers.domains.swe.changes import FileChange, PatchError, content_diff, normalise_newlines

DEV_NULL = "/dev/null"


def _strip_prefix(path: str) -> str:
    return path[2:] if path[:2] in ("a/", "b/") else path


def parse_unified(text: str, contents: Mapping[str, str]) -> list[FileChange]:
    """One `FileChange` per file the diff names. Raises `PatchError` for unparseable input."""
    text = normalise_newlines(text)
    try:
        patch = PatchSet(text)
    except UnidiffParseError as exc:
        raise PatchError(f"malformed unified diff: {exc}") from None
    if len(patch) == 0:
        raise PatchError("no file diff found (expected '--- a/PATH', '+++ b/PATH' and '@@' hunks)")
    # unidiff skips lines it does not understand, so a mangled '@@' header would silently drop its
    # hunk (and its edits): every '@@' line must have become a hunk.
    hunk_headers = sum(1 for line in text.splitlines() if line.startswith("@@"))
    if hunk_headers != sum(len(patched) for patched in patch):
        raise PatchError("malformed unified diff: an '@@' hunk header could not be parsed")
    state: dict[str, str | None] = {}
    original: dict[str, str | None] = {}
    headers: dict[str, str] = {}
    hunk_text: dict[str, list[str]] = {}
    for patched in patch:
        if patched.is_binary_file:
            continue
        source, target = _strip_prefix(patched.source_file), _strip_prefix(patched.target_file)
        path = source if patched.is_removed_file else target
        if path in state:
            before = state[path]
        elif patched.is_added_file or source == DEV_NULL:
            before = ""
        else:
            known = contents.get(source)
            before = None if known is None else normalise_newlines(known)
        original.setdefault(path, before)
        if patched.is_rename:
            headers[path] = f"rename from {source} to {target}\n"
            original.pop(source, None)
            state.pop(source, None)
        state[path] = None if before is None else _apply(before, patched, path)
        hunk_text.setdefault(path, []).extend(_hunk_text(h) for h in patched if _edits(h))
    changes = []
    for path, after in state.items():
        before = original[path]
        body = content_diff(before, after) if before is not None and after is not None else "\n".join(hunk_text[path])
        changes.append(FileChange(path, headers.get(path, "") + body, before, after))
    return changes


def _edits(hunk: Hunk) -> bool:
    return hunk.added > 0 or hunk.removed > 0


def _hunk_text(hunk: Hunk) -> str:
    lines = "".join(str(line) for line in hunk).strip()
    return f"@@ -{hunk.source_start},{hunk.source_length} +{hunk.target_start},{hunk.target_length} @@\n{lines}"


def _apply(before: str, patched: PatchedFile, path: str) -> str:
    lines = before.splitlines(keepends=True)
    out: list[str] = []
    pos = 0
    for hunk in patched:
        old = [line.value for line in hunk if line.is_context or line.is_removed]
        new = [line.value for line in hunk if line.is_context or line.is_added]
        start = _locate(lines, old, pos, hunk.source_start - 1 if old else hunk.source_start)
        if start is None:
            raise PatchError(f"{path}: hunk '@@ -{hunk.source_start},{hunk.source_length}' does not match the file")
        out += lines[pos:start]
        out += [_terminated(v) for v in new]
        pos = start + len(old)
    out += lines[pos:]
    return "".join(out)


def _terminated(value: str) -> str:
    return value if value.endswith("\n") else value + "\n"


def _locate(lines: list[str], old: list[str], pos: int, hint: int) -> int | None:
    """First index >= pos where `old` matches (ignoring line endings), nearest to `hint`."""
    want = [v.rstrip("\n") for v in old]
    n = len(want)
    if n == 0:
        return min(max(hint, pos), len(lines))
    have = [v.rstrip("\n") for v in lines]
    matches = [i for i in range(pos, len(have) - n + 1) if have[i : i + n] == want]
    return min(matches, key=lambda i: abs(i - hint)) if matches else None
