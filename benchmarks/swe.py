"""SWE lexical similarity: difflib.SequenceMatcher(autojunk=False) vs our s_lex ratio, in one run.

Workload: a generated Python module, a "golden" and a "predicted" edit of it with overlapping but
different changed lines, both normalised the way the swe domain normalises patches
(`content_diff`), then cut to 1, 5 and 20 KB. For each size the same pair is scored by the baseline
(`difflib.SequenceMatcher(None, pred, gold, autojunk=False).ratio()`, SWE-RL's call) and by
`verifiers.domains.swe.similarity.ratio` (cydifflib); the ratios must be identical to the bit.

Run: `python -m benchmarks.swe`. Prints per-size timings and the speed-up; exits 1 if a ratio
differs or the 20 KB speed-up is below 10x.
"""

from __future__ import annotations

import difflib
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from verifiers.domains.swe.changes import content_diff  # noqa: E402
from verifiers.domains.swe.similarity import ratio  # noqa: E402

SIZES_KB = (1, 5, 20)
BAR_AT_20_KB = 10.0


def module(rng: random.Random, lines: int) -> list[str]:
    out = []
    for i in range(lines):
        if i % 12 == 0:
            out += ["", f"def handler_{i}(request, timeout={rng.randint(1, 60)}):"]
        out.append(f"    value_{i} = compute_{rng.randrange(40)}(request.arg_{i % 7}, {rng.randint(0, 999)})")
    return out


def edited(lines: list[str], rng: random.Random, every: int) -> str:
    out = list(lines)
    for i in range(0, len(out), every):
        if out[i].startswith("    value_"):
            out[i] = out[i].replace("compute_", f"checked_compute_{rng.randrange(3)}_")
    return "\n".join(out) + "\n"


def pair(size: int) -> tuple[str, str]:
    rng = random.Random(size)
    lines = module(rng, size // 12)
    before = "\n".join(lines) + "\n"
    gold = content_diff(before, edited(lines, random.Random(1), 5))
    pred = content_diff(before, edited(lines, random.Random(2), 4))
    if len(gold) < size or len(pred) < size:
        raise AssertionError("generated diffs too short")
    return pred[:size], gold[:size]


def timed(fn: Callable[[], float], min_s: float = 0.5) -> tuple[float, float]:
    """(result, seconds per call), repeating until min_s has passed."""
    calls, start = 0, time.perf_counter()
    while True:
        result = fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_s:
            return result, elapsed / calls


def main() -> int:
    print(f"{'size':>6} {'difflib ms':>11} {'s_lex ms':>9} {'speed-up':>9}  ratio")
    ok = True
    for kb in SIZES_KB:
        pred, gold = pair(kb * 1024)
        expected, base_s = timed(lambda: difflib.SequenceMatcher(None, pred, gold, autojunk=False).ratio())
        ours, ours_s = timed(lambda: ratio(pred, gold))
        speedup = base_s / ours_s
        identical = ours == expected
        print(f"{kb:>4}KB {base_s * 1e3:>11.2f} {ours_s * 1e3:>9.2f} {speedup:>8.1f}x  {ours!r}"
              f"{'' if identical else f' != difflib {expected!r}'}")
        ok &= identical and (kb != 20 or speedup >= BAR_AT_20_KB)
    print("bar (identical ratios, >= 10x at 20 KB):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
