"""Post-edit syntax check of the touched files with tree-sitter.

A file is `ok`, `broken` (the edit introduced a parse error), `already_broken` (the pre-edit text
did not parse either, e.g. a partial file in the context, so the edit is not blamed) or `unchecked`
(content unknown or no grammar here). Python, the language of SWE-bench, SWE-Gym and R2E-Gym, uses
the `tree-sitter-python` wheel so it works offline; other languages use
`tree-sitter-language-pack` when its grammar is already downloaded (it fetches grammars on demand,
which an air-gapped host cannot do, so we never trigger a download while scoring).
"""

from __future__ import annotations

from functools import cache
from pathlib import PurePosixPath

from tree_sitter import Language, Parser

from verifiers.domains.swe.changes import FileChange

_PYTHON_SUFFIXES = {".py", ".pyi"}


@cache
def _parser(language: str) -> Parser | None:
    if language == "python":
        import tree_sitter_python

        return Parser(Language(tree_sitter_python.language()))
    import tree_sitter_language_pack as pack

    if language not in pack.downloaded_languages():
        return None
    return pack.get_parser(language)


def _language(path: str) -> str | None:
    if PurePosixPath(path).suffix in _PYTHON_SUFFIXES:
        return "python"
    import tree_sitter_language_pack as pack

    return pack.detect_language_from_path(path)


def _parses(parser: Parser, text: str) -> bool:
    # surrogatepass: model output may carry lone surrogates (valid JSON, not valid UTF-8).
    return not parser.parse(text.encode("utf-8", "surrogatepass")).root_node.has_error


def check(changes: list[FileChange]) -> dict[str, str]:
    """path -> ok | broken | already_broken | unchecked, for every changed file."""
    report: dict[str, str] = {}
    for change in changes:
        if not change.diff:
            continue
        language = _language(change.path)
        parser = _parser(language) if language else None
        if parser is None or change.after is None or change.before is None:
            report[change.path] = "unchecked"
        elif _parses(parser, change.after):
            report[change.path] = "ok"
        else:
            report[change.path] = "already_broken" if change.before and not _parses(parser, change.before) else "broken"
    return report
