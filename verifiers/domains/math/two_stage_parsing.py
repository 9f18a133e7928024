"""Two-stage ANTLR prediction for math-verify's LaTeX parser: SLL first, full LL only on failure.

Profiling the math workers showed ~80% of their time in ANTLR's full-context (LL) prediction:
latex2sympy's grammar is ambiguous enough that the default mode falls back to full-context
prediction on nearly every answer, and the Python runtime does not cache those results. ANTLR
documents the standard remedy, two-stage parsing: SLL prediction with the bail-out error strategy
either returns *the same tree* LL would or gives up, in which case a fresh parser parses the
input again exactly as latex2sympy does. Fresh, lexer included: a lexer that raised mid-token has
skipped characters, and rewinding the first parser made `1 = \zzz = x = 0` parse where LL fails.
`tests/test_math_two_stage_parsing.py` compares the results on Math-Verify's own test inputs; an
answer parses 3-5x faster.

Both stages run inside `parser.math()`, before any conversion. Installed only inside math worker
processes (`worker.configure`), so benchmarks that call math-verify directly measure it unmodified.
math-verify pins latex2sympy2_extended exactly, so the hook point (`_Latex2Sympy.create_parser`)
changes only with a math-verify upgrade, and the comparison test is what catches it.
"""

from __future__ import annotations

from typing import Any

from antlr4.atn.PredictionMode import PredictionMode
from antlr4.error.ErrorStrategy import BailErrorStrategy
from latex2sympy2_extended import latex2sympy2


def install() -> None:
    converter = latex2sympy2._Latex2Sympy
    create_parser = converter.create_parser
    if getattr(create_parser, "two_stage", False):
        return

    def two_stage_create_parser(self: Any, latex: str) -> Any:
        parser = create_parser(self, latex)
        parse_sll = parser.math

        def math() -> Any:
            parser._interp.predictionMode = PredictionMode.SLL
            parser._errHandler = BailErrorStrategy()
            try:
                return parse_sll()
            except Exception:
                # A fresh lexer too: one that raised mid-token has already skipped characters.
                return create_parser(self, latex).math()

        parser.math = math
        return parser

    two_stage_create_parser.two_stage = True  # type: ignore[attr-defined]
    converter.create_parser = two_stage_create_parser
