"""The math policies that are settings: decimal comma, the final answer without a box, percentages."""

from __future__ import annotations

from typing import Any

import pytest

from verifiers.domains.math.extract import decimal_commas
from verifiers.engine import Engine
from verifiers.sample import Sample
from verifiers.settings import Settings
from verifiers.text import answer_phrase


@pytest.mark.parametrize(("text", "read"), [
    ("1,22", "1.22"), ("0,111", "0.111"), ("-1,5", "-1.5"), ("x = 2,75 m", "x = 2.75 m"), ("1{,}5", "1.5"),
    ("1000,99", "1000.99"), ("1,2345", "1.2345"),
    # thousands groups, as math-verify reads them
    ("1,000", "1,000"), ("12,345,678", "12,345,678"), ("1{,}000", "1{,}000"), ("-3,500", "-3,500"),
    # lists, pairs, intervals, sets: no decimal comma
    ("1,2,3", "1,2,3"), ("(1,5)", "(1,5)"), ("[0,1)", "[0,1)"), ("[-4,0]", "[-4,0]"), (r"\{1,2\}", r"\{1,2\}"),
    ("{1,3}", "{1,3}"), ("1, 2", "1, 2"), ("-10,-8,4", "-10,-8,4"),
    (r"\frac{1,5}{2}", r"\frac{1,5}{2}"),  # right after a brace reads as a set, as `{1,3}` does
])
def test_decimal_commas(text: str, read: str) -> None:
    assert decimal_commas(text) == read


@pytest.mark.parametrize(("text", "phrase", "answer"), [
    ("So x = 3.\nAnswer: 7", "Answer: 7", "7"),
    ("**Answer:** $\\frac{1}{2}$\n\nDone.", "Answer:** $\\frac{1}{2}$", "$\\frac{1}{2}$"),
    ("The final answer is $28\\%$. I hope it is correct.", "answer is $28\\%$.", "$28\\%$."),
    ("Answer: 3.5 cm. That is all.", "Answer: 3.5 cm.", "3.5 cm."),
    ("Answer:\n\n  42  \nbye", "Answer:\n\n  42", "42"),
    ("Answer: 1. Later, the answer is 2", "answer is 2", "2"),
    ("ANSWER IS: B", "ANSWER IS: B", "B"),
])
def test_answer_phrase(text: str, phrase: str, answer: str) -> None:
    found = answer_phrase(text, 100)
    assert found is not None and text[found.start : found.end] == phrase and found.answer == answer


@pytest.mark.parametrize("text", ["to answer this we need 7", "no phrase at all", "Answer:", "Answer:  \n\n"])
def test_no_answer_phrase(text: str) -> None:
    assert answer_phrase(text, 100) is None


async def statuses(pairs: list[tuple[str, str]], **math: Any) -> list[str]:
    async with Engine(Settings(domains=["math"], math={"workers": 1, **math})) as engine:
        samples = [Sample("math", response, engine.parse_label("math", reference)) for reference, response in pairs]
        return [v.status.value for v in await engine.score(samples)]


NO_BOX = [
    ("7", "The final answer is $7$. I hope it is correct."),
    ("7", "3 + 4 = 7, so\n**Answer:** 7"),
    ("10455", "The final answer is $10,455$."),
    ("7", "We get 3 + 4 and then 7."),  # no box, no phrase: math-verify's extraction finds 7
    ("7", "Answer: 8. Check: 3 + 4 = 7"),  # the phrase says 8; math-verify's last number is 7
    ("7", r"first \boxed{6}, Answer: 7"),  # a box wins over a phrase in every mode
]


@pytest.mark.parametrize(("mode", "expected"), [
    ("math_verify", ["correct", "correct", "correct", "correct", "correct", "incorrect"]),
    ("answer_phrase", ["correct", "correct", "correct", "format_error", "incorrect", "incorrect"]),
    ("reject", ["format_error"] * 5 + ["incorrect"]),
])
async def test_final_answer_without_a_box(mode: str, expected: list[str]) -> None:
    assert await statuses(NO_BOX, no_box=mode) == expected


PERCENT = [("0.25", r"\boxed{25\%}"), ("25", r"\boxed{25\%}"), ("12.5", r"\boxed{12.5\%}"),
           (r"\frac{1}{8}", r"\boxed{12.5 percent}"), (r"25\%", r"\boxed{0.25}"), (r"25\%", r"\boxed{25}")]


@pytest.mark.parametrize(("mode", "expected"), [
    ("math_verify", ["correct", "correct", "incorrect", "correct", "correct", "correct"]),
    ("fraction", ["correct", "incorrect", "incorrect", "correct", "correct", "incorrect"]),
    ("number", ["incorrect", "correct", "correct", "incorrect", "incorrect", "correct"]),
])
async def test_percentages(mode: str, expected: list[str]) -> None:
    assert await statuses(PERCENT, percent=mode) == expected


async def test_decimal_comma_reaches_reference_and_answer() -> None:
    pairs = [("1,22", r"\boxed{1.22}"), ("1.22", r"\boxed{1,22}"), ("2,5", r"\boxed{\frac{5}{2}}"),
             ("(1,5)", r"\boxed{(1,5)}")]
    assert await statuses(pairs) == ["incorrect", "incorrect", "incorrect", "correct"]
    assert await statuses(pairs, decimal_comma=True) == ["correct", "correct", "correct", "correct"]
