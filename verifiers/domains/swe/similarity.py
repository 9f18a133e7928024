"""s_lex: SWE-RL's lexical similarity of two patches, computed with a C SequenceMatcher.

Per file in the union of files either patch changes: the `SequenceMatcher(autojunk=False)` ratio of
the two normalised diffs, or 0 when only one side changes the file (touching unrelated files is
not rewarded); s_lex is the mean. `cydifflib` is a C port of difflib whose ratios are bit-identical
(asserted in `benchmarks/swe.py` and the tests) and far faster on long inputs, where difflib's
autojunk=False matcher is quadratic. Callers cap the diff lengths (`swe.max_patch_chars`).
"""

from __future__ import annotations

from collections.abc import Mapping

from cydifflib import SequenceMatcher


def ratio(a: str, b: str) -> float:
    return float(SequenceMatcher(None, a, b, autojunk=False).ratio())


def lexical_similarity(pred: Mapping[str, str], gold: Mapping[str, str]) -> tuple[float, dict[str, float]]:
    """(mean, per-file ratios) over changed files; both mappings hold only non-empty diffs."""
    if not pred or not gold:
        raise ValueError("lexical similarity needs a change on both sides")
    per_file = {
        path: ratio(pred[path], gold[path]) if path in pred and path in gold else 0.0
        for path in sorted(set(pred) | set(gold))
    }
    return sum(per_file.values()) / len(per_file), per_file
