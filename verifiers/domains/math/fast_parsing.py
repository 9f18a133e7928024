"""Speed-ups for math-verify's LaTeX parser that leave its results unchanged.

Profiling the math workers (GRPO-shaped answers: fractions, radicals, polynomials, intervals,
sets, integers) showed two avoidable costs inside latex2sympy, which math-verify pins exactly
(`latex2sympy2_extended==1.11.0` for math-verify 0.9.0):

1. ANTLR full-context (LL) prediction, ~80% of a parse: the grammar is ambiguous enough that the
   default mode falls back to it on nearly every answer, and the Python runtime does not cache
   those results. ANTLR documents the remedy, two-stage parsing: SLL prediction with the bail-out
   error strategy either returns *the same tree* LL would or gives up, in which case a fresh parser
   parses the input again exactly as latex2sympy does. Fresh, lexer included: a lexer that raised
   mid-token has skipped characters, and rewinding the first parser made `1 = \\zzz = x = 0` parse
   where LL fails.
2. Integer literals built through SymPy's string parser: `sympy.Number("24")` tokenises and
   `eval`s the string (~0.5 ms, a fifth of a check). For a plain run of ASCII digits,
   `sympy.Integer` builds the identical object directly; anything else takes the original path.

`tests/test_math_fast_parsing.py` parses every Math-Verify test input with and without these and
compares the SymPy trees. Installed only inside math worker processes (`worker.configure`), so
benchmarks that call math-verify directly measure it unmodified.
"""

from __future__ import annotations

from typing import Any

import sympy
from antlr4.atn.PredictionMode import PredictionMode
from antlr4.error.ErrorStrategy import BailErrorStrategy
from latex2sympy2_extended import latex2sympy2

_INSTALLED = False


def install() -> None:
    global _INSTALLED
    if not _INSTALLED:
        _two_stage_prediction()
        _direct_integer_literals()
        _INSTALLED = True


def _two_stage_prediction() -> None:
    converter = latex2sympy2._Latex2Sympy
    create_parser = converter.create_parser

    def two_stage_create_parser(self: Any, latex: str) -> Any:
        parser = create_parser(self, latex)
        parse_sll = parser.math

        def math() -> Any:
            parser._interp.predictionMode = PredictionMode.SLL
            parser._errHandler = BailErrorStrategy()
            try:
                return parse_sll()
            except Exception:  # noqa: BLE001 - whatever stops the SLL pass, the LL parse decides
                # A fresh lexer too: one that raised mid-token has already skipped characters.
                return create_parser(self, latex).math()

        parser.math = math
        return parser

    converter.create_parser = two_stage_create_parser


def _is_digits(value: Any) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit()


def _direct_integer_literals() -> None:
    # Both places latex2sympy turns literal text into a number: the module-level `convert_number`
    # (through its global `Number`) and the converter's `parse_number`.
    number = latex2sympy2.Number

    def direct_number(*args: Any) -> Any:
        return sympy.Integer(args[0]) if len(args) == 1 and _is_digits(args[0]) else number(*args)

    latex2sympy2.Number = direct_number

    converter = latex2sympy2._Latex2Sympy
    parse_number = converter.parse_number

    def direct_parse_number(self: Any, text: str) -> Any:
        digits = text.replace(",", "")
        return sympy.Integer(digits) if _is_digits(digits) else parse_number(self, text)

    converter.parse_number = direct_parse_number
