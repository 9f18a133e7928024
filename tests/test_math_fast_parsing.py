"""The parser speed-ups (two-stage prediction, direct integer literals) must give math-verify's
exact results, only faster.

Each input is parsed by an unmodified math-verify and again after `fast_parsing.install()`,
in a fresh interpreter (the install is process-wide), and the SymPy trees are compared exactly.
Inputs: every gold and prediction of Math-Verify's own test cases, the benchmark's answer shapes,
inputs that SLL cannot finish alone (syntax errors, which must still fail the same way) and number
literals of every form (leading zeros, thousands separators, decimals, percent, non-ASCII digits).
"""

import json
import subprocess
import sys

from tests.conftest import ROOT

CASES = ROOT / "tests" / "data" / "math_verify_cases.jsonl"

_COMPARE = r"""
import json, logging, sys
logging.disable(logging.CRITICAL)
import sympy
from math_verify import parse
from verifiers.domains.math import fast_parsing

def run(texts):
    out = []
    for text in texts:
        try:
            out.append([sympy.srepr(p) if isinstance(p, sympy.Basic) else repr(p) for p in parse(text, parsing_timeout=None)])
        except Exception as exc:
            out.append(["raised " + type(exc).__name__])
    return out

texts = json.load(sys.stdin)
before = run(texts)
fast_parsing.install()
after = run(texts)
print(json.dumps([[t, b, a] for t, b, a in zip(texts, before, after) if b != a]))
"""


def _inputs() -> list[str]:
    texts = []
    for line in CASES.read_text().splitlines():
        case = json.loads(line)
        texts += [case["gold"], case["pred"]]
    shapes = [r"\frac{12}{40}", r"3\sqrt{5}", "x^2+6x+9", "(3, 8]", r"\{3, 8, 11\}", "2307.0", r"\pi/3",
              r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"x \in [1, 2) \cup (3, \infty)", r"\frac{1}{2} + \frac{", r"\sqrt[3]{",
              r"a = b = c", r"f(x) = \left\{ x \right.", r"\log_2 8 + \ln e", r"50\%", r"\{1, 2\} \cap \{2\}",
              "007", "0", "000", "1,000,000", "0,5", "3.14", "-12", "12.50", r"7\%", "١٢", "2^{10}", "10^{-3}"]
    texts += [f"\\boxed{{{s}}}" for s in shapes] + [f"${s}$" for s in shapes]
    return texts


def test_fast_parsing_returns_exactly_what_math_verify_returns():
    texts = _inputs()
    run = subprocess.run([sys.executable, "-c", _COMPARE], input=json.dumps(texts), capture_output=True,
                         text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads(run.stdout) == [], run.stdout[:3000]
    assert len(texts) > 550
