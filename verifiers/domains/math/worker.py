"""What runs inside a math worker process: math-verify on one (reference, answer) pair.

math-verify's own timeouts are disabled (they use SIGALRM, take whole seconds only, and cannot
interrupt SymPy's C code); the parent kills this process when it overruns instead. Nothing here
ever calls `str()` on a parsed SymPy object: printing a pathological expression can hang forever,
so only the string half of math-verify's parse result is returned.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

import sympy
from math_verify import parse, verify

from verifiers.domains.math import DISTINCT_TINY_NUMBERS, fast_parsing
from verifiers.domains.math.settings import MathSettings

logging.getLogger("math_verify").setLevel(logging.CRITICAL)

_references: OrderedDict[str, list[Any]] = OrderedDict()
_reference_cache_size = 10_000
_percent = "math_verify"


# One of each common answer shape (MATH-style datasets), compared both ways: SymPy's first
# conversion of each kind of expression builds caches that later checks reuse.
WARM_UP = (
    (r"\frac{3}{7}", r"\frac{6}{14}"),
    (r"\frac{3}{7}", r"0.43"),
    (r"2\sqrt{5}", r"\sqrt{20}"),
    (r"2\sqrt{5}", r"5\sqrt{2}"),
    (r"x^2+4x+4", r"(x+2)^2"),
    (r"x^2+4x+4", r"x^2-4"),
    (r"(2, 5]", r"[2, 5]"),
    (r"(2, 5]", r"(2,5]"),
    (r"\{1, 3, 4\}", r"\{4, 3, 1\}"),
    (r"\{1, 3, 4\}", r"\{1, 3\}"),
    (r"127", r"127.0"),
    (r"127", r"128"),
    (r"\frac{\pi}{3}", r"\pi/3"),
    (r"-\frac{1}{2}", r"-0.5"),
    (r"x=3", r"3"),
    (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"\begin{pmatrix} 1 \\ 3 \end{pmatrix}"),
    (r"50\%", r"0.5"),
    (r"\infty", r"\infty"),
    (r"3+2i", r"2i+3"),
    (r"\log_2 8", r"3"),
)


def configure(settings: MathSettings) -> None:
    """Called once at worker start with the math settings.

    Installs the parser speed-ups of `fast_parsing`, which change speed, not results. Also warms
    math-verify up: its first LaTeX parse initialises the ANTLR grammar and SymPy's
    caches (about a second), which must not land on the first live request.
    """
    global _reference_cache_size, _percent
    _reference_cache_size = settings.reference_cache_size
    _percent = settings.percent
    fast_parsing.install()
    for reference, answer in WARM_UP:
        check(reference, answer, boxed=True)
    _references.clear()


def _as_latex(reference: str) -> str:
    """Anchor a bare reference so math-verify reads it as one LaTeX answer (`3x-y=0` unanchored
    parses as `0`)."""
    stripped = _normalise(reference.strip())
    if "\\boxed" in stripped or stripped.startswith(("$", "\\(", "\\[")):
        return stripped
    return "\\boxed{" + stripped + "}"


def _normalise(latex: str) -> str:
    """Upright `\\mathrm{e}` is Euler's number; math-verify cuts the expression at it instead
    (`1 - \\frac{1}{\\mathrm{e}}` becomes the string `1 - \\frac{1}{`), which made `1 - 1/e` and
    `1 + 1/e` both unparseable."""
    return latex.replace("\\mathrm{e}", "e")


# Below this magnitude, math-verify's 6-digit rounding makes distinct numbers equal
# (1/2004! "equals" 1/2006!); such pairs are compared by relative difference instead.
_TINY = sympy.Float("1e-6")


def _tiny_numbers_differ(gold: list[Any], target: list[Any]) -> bool:
    for g in gold:
        for t in target:
            if isinstance(g, sympy.Expr) and isinstance(t, sympy.Expr) and g.is_number and t.is_number:
                a, b = sympy.N(g, 30), sympy.N(t, 30)
                if not (a.is_real and b.is_real):
                    continue
                scale = max(abs(a), abs(b))
                if 0 < scale < _TINY and abs(a - b) > scale * _TINY:
                    return True
    return False


# latex2sympy reads `X\%` (and "X percent") as X * UnevaluatedExpr(1/100), which math-verify compares
# leniently: the value X/100, and for an integer X also X itself. `math.percent` replaces the marker:
# `fraction` by 1/100 (exactly X/100), `number` by 1 (X, the sign ignored).
_PERCENT_MARK = sympy.UnevaluatedExpr(sympy.Rational(1, 100))
_PERCENT_AS = {"fraction": sympy.Rational(1, 100), "number": sympy.Integer(1)}


def _read_percent(parsed: list[Any]) -> list[Any]:
    value = _PERCENT_AS.get(_percent)
    if value is None:
        return parsed
    return [p.xreplace({_PERCENT_MARK: value}) if isinstance(p, sympy.Basic) else p for p in parsed]


def _parsed_reference(reference: str) -> list[Any]:
    hit = _references.get(reference)
    if hit is not None:
        _references.move_to_end(reference)
        return hit
    parsed = _read_percent(parse(_as_latex(reference), parsing_timeout=None))
    if _reference_cache_size:
        _references[reference] = parsed
        if len(_references) > _reference_cache_size:
            _references.popitem(last=False)
    return parsed


def check(reference: str, candidate: str, boxed: bool) -> tuple[str, dict[str, Any]]:
    """Return (status, details) for one pair.

    `candidate` is either the content of the final box (`boxed=True`) or the tail of a response
    with no box, left to math-verify's own extraction.
    """
    try:
        gold = _parsed_reference(reference)
        if all(isinstance(p, str) for p in gold):
            # math-verify falls back to the raw string when LaTeX parsing fails; a reference
            # compared as a raw string would reward any copy of the same typo.
            return "error", {"reason": "reference answer does not parse", "reference": reference}
        if boxed and candidate.strip() == reference:
            # Identical text parses to the identical object, which math-verify accepts; skipping
            # the second SymPy conversion matters because converting is most of the cost.
            return "correct", {"extracted": candidate.strip()}
        candidate = _normalise(candidate)
        text = "\\boxed{" + candidate + "}" if boxed else candidate
        target = _read_percent(parse(text, parsing_timeout=None))
        extracted = next((p for p in target if isinstance(p, str)), None)
        if not target:
            return "format_error", {"reason": "no answer could be extracted"}
        ok = verify(gold, target, timeout_seconds=None)
        if ok and _tiny_numbers_differ(gold, target):
            return "incorrect", {"extracted": extracted, "reason": DISTINCT_TINY_NUMBERS}
        return ("correct" if ok else "incorrect"), {"extracted": extracted}
    except MemoryError:
        return "error", {"reason": "answer exhausted the worker's memory limit"}
    except RecursionError:
        return "error", {"reason": "answer nests too deeply to evaluate"}
