"""Differential test: our checks against lm-eval's IFEval module on generated pairs, both modes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from tests import ifeval_reference
from tests.ifeval_generate import IFEVAL_IDS, triples
from verifiers.domains.ifeval.catalog import bind_all, follow

N = 1200


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return ifeval_reference.load(Path(tmp_path_factory.mktemp("nltk_data")))


@pytest.mark.parametrize("mode", ["strict", "loose"])
def test_no_disagreement_with_lm_eval(reference: ModuleType, mode: str) -> None:
    outcomes: Counter[tuple[str, bool]] = Counter()
    disagreements = []
    for ids, kwargs, response in triples(N, seed=1234):
        ours = follow(bind_all(ids, kwargs), response, mode)  # type: ignore[arg-type]
        theirs = ifeval_reference.follow(reference, ids, kwargs, response, mode)
        if ours != theirs:
            disagreements.append((ids, kwargs, response, ours, theirs))
        outcomes.update(zip(ids, ours))
    assert not disagreements[:5]
    # Every IFEval id was exercised, and every id with a threshold both passed and failed.
    assert {i for i, _ in outcomes} == set(IFEVAL_IDS)
    never_both = [i for i in IFEVAL_IDS if not (outcomes[(i, True)] and outcomes[(i, False)])]
    assert never_both == [], never_both
