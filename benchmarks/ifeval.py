"""IFEval throughput: lm-eval's IFEval checks vs ours, in one run, on the same 541 items.

Workload: 541 IFEval-shaped prompts (the size of the IFEval benchmark) with generated responses,
every one of the 25 instruction ids present (`tests/ifeval_generate.py`, fixed seed). Measured:
CPU seconds (`time.process_time`) to check every item in this process, strict and loose, for

1. baseline: lm-eval 0.4.13 `tasks/ifeval/utils.py` (`test_instruction_following_strict/loose`);
2. ours:     `verifiers.domains.ifeval.catalog` (`bind_all` + `follow`), what each worker runs.

Ours memoises language detection within a run (loose mode checks up to eight variants of one
response); the memo is cleared before every repeat. Both paths are warmed first (Punkt parameters, langdetect profiles) on a workload of another seed.
Results are compared item by item, so the benchmark also fails loudly on any disagreement.

Run: `python -m benchmarks.ifeval [--items 541] [--repeats 3]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import ifeval_reference  # noqa: E402
from tests.ifeval_generate import triples  # noqa: E402
from verifiers.domains.ifeval import text_units  # noqa: E402
from verifiers.domains.ifeval.catalog import bind_all, follow  # noqa: E402

Items = list[tuple[list[str], list[dict[str, Any]], str]]


def cpu_seconds(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=541)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    reference = ifeval_reference.load(Path(tempfile.mkdtemp(prefix="nltk_data")))
    warm, items = triples(200, seed=99), triples(args.items, seed=2024)

    def ours(work: Items, mode: str) -> list[list[bool]]:
        text_units.detect_language.cache_clear()  # every repeat starts cold: no reuse across runs
        return [follow(bind_all(ids, kw), text, mode) for ids, kw, text in work]  # type: ignore[arg-type]

    def theirs(work: Items, mode: str) -> list[list[bool]]:
        return [ifeval_reference.follow(reference, ids, kw, text, mode) for ids, kw, text in work]

    for mode in ("strict", "loose"):
        ours(warm, mode), theirs(warm, mode)
        base_s, base = cpu_seconds(lambda: theirs(items, mode), args.repeats)
        our_s, mine = cpu_seconds(lambda: ours(items, mode), args.repeats)
        agree = sum(a == b for a, b in zip(base, mine))  # type: ignore[arg-type]
        print(f"{mode:6}  {len(items)} items  lm-eval {base_s:.3f} s CPU  ours {our_s:.3f} s CPU  "
              f"ratio {base_s / our_s:.2f}x  agreement {agree}/{len(items)}")


if __name__ == "__main__":
    main()
