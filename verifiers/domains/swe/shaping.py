"""The Cascade SWE reward up to the judge: -1 unparseable, 0 no-op, 1 lexically identical.

Order matters: the golden patch is checked first (a golden patch that does not parse or changes
nothing is the dataset's fault: `error`, never a reward, unlike SWE-RL's 1.0 when both sides are
empty); then the prediction is parsed (-1 if it cannot be), checked for being a no-op (0, before any
similarity, where SWE-RL would give -1 or 1.0), optionally syntax-checked, and compared lexically.
What remains is a `Candidate` for the judge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from verifiers.domains.swe import syntax
from verifiers.domains.swe.answer import NoAnswer, detect_format, patch_text, unfence_diff
from verifiers.domains.swe.changes import FileChange, PatchError, changed, render
from verifiers.domains.swe.label import SweLabel
from verifiers.domains.swe.search_replace import parse_search_replace
from verifiers.domains.swe.settings import SweSettings
from verifiers.domains.swe.similarity import lexical_similarity
from verifiers.domains.swe.unified import parse_unified
from verifiers.sample import Sample
from verifiers.verdict import Status, Verdict


@dataclass(frozen=True, slots=True)
class Candidate:
    """A parsed, non-trivial prediction that is not lexically identical to the reference."""

    s_lex: float
    golden_patch: str
    candidate_patch: str
    details: dict[str, Any] = field(default_factory=dict)


def unparseable(reason: str, **details: Any) -> Verdict:
    return Verdict.failed(Status.FORMAT_ERROR, reason, reward=-1.0, **details)


def grade_lexically(sample: Sample[SweLabel], settings: SweSettings) -> Verdict | Candidate:
    label, cap = sample.label, settings.max_patch_chars
    contents = label.relevant_file_contents or {}
    try:
        gold_changes = _within_cap(parse_unified(unfence_diff(label.golden_patch), contents), cap)
    except PatchError as exc:
        return Verdict.failed(Status.ERROR, f"bad label: golden_patch: {exc}")
    gold = changed(gold_changes)
    if not gold:
        return Verdict.failed(Status.ERROR, "bad label: golden_patch changes no file")
    try:
        text = patch_text(sample.response, sample.prompt)
    except NoAnswer as exc:
        return unparseable(str(exc))
    if len(text) > cap:
        return unparseable(f"answer longer than swe.max_patch_chars ({len(text)} > {cap})")
    fmt = label.format or detect_format(text)
    details: dict[str, Any] = {"format": fmt}
    if not text.strip():
        return Verdict.failed(Status.INCORRECT, "empty patch: leaves every file unchanged", **details)
    if fmt == "search_replace" and label.relevant_file_contents is None:
        return Verdict.failed(Status.ERROR, "bad label: relevant_file_contents is required for search_replace answers")
    try:
        if fmt == "search_replace":
            changes = parse_search_replace(text, contents)
        else:
            changes = parse_unified(unfence_diff(text), contents)
        _within_cap(changes, cap)
    except PatchError as exc:
        return unparseable(str(exc), **details)
    pred = changed(changes)
    if not pred:
        return Verdict.failed(Status.INCORRECT, "patch leaves every file unchanged", **details)
    if settings.syntax_check:
        details["syntax"] = report = syntax.check(changes)
        broken = sorted(path for path, state in report.items() if state == "broken")
        if broken and settings.syntax_error_unparseable:
            return unparseable(f"patch breaks the syntax of {', '.join(broken)}", **details)
    s_lex, per_file = lexical_similarity(pred, gold)
    details.update(s_lex=s_lex, files=per_file)
    if s_lex == 1.0:
        return Verdict(Status.CORRECT, 1.0, 1.0, details)
    return Candidate(s_lex, render(gold_changes), render(changes), details)


def _within_cap(changes: list[FileChange], cap: int) -> list[FileChange]:
    for change in changes:
        if len(change.diff) > cap:
            raise PatchError(
                f"{change.path}: normalised diff longer than swe.max_patch_chars ({len(change.diff)} > {cap})"
            )
    return changes
