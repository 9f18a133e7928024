"""Math-Verify's own test suite, replayed through `/score`.

`tests/data/math_verify_cases.jsonl` holds the parametrized cases of huggingface/Math-Verify's
tests (extracted by `scripts/math_verify_cases.py`; data only). A case applies to us when its test
configures Math-Verify the way we do: LaTeX and expression extraction, 6-digit float rounding,
strict comparison, no set-relation comparison. Every applicable case must give the expected
verdict, except the deliberate differences below, which are documented in docs/domains/math.md.
"""

import json

import httpx
import pytest

from tests.conftest import ROOT
from verifiers.engine import Engine
from verifiers.sample import Sample
from verifiers.settings import Settings

CASES = [json.loads(line) for line in (ROOT / "tests/data/math_verify_cases.jsonl").read_text().splitlines()]
OUR_CONFIG = {"match_types": ["latex", "expr"], "precision": 6, "strict": True, "allow_set_relation_comp": False}
APPLICABLE = [c for c in CASES if all(c[k] == v for k, v in OUR_CONFIG.items())]

# source suffix -> (our status, why we differ)
DELIBERATE = {
    "test_all.py::test_math_extraction_additional_cases[17]": (
        "incorrect",
        "the response boxes intermediate results and states the final answer unboxed; the final "
        "answer is the last \\boxed{} by contract, so the last box (255) is graded",
    ),
    "test_open_thoughts.py::test_open_thoughts[7]": (
        "error",
        "the reference does not parse to any mathematical object (\\pm inside a list of "
        "equations); Math-Verify falls back to comparing raw strings, we report a bad reference",
    ),
    "test_yujianll.py::test_string_extraction[9]": (
        "incorrect",
        "1 - 1/e against 1 + 1/e written with an upright e: Math-Verify reads both as 1 (a known "
        "false positive, see CORRECTED below); we read \\mathrm{e} as e",
    ),
}


def _score(server: str, cases: list[dict]) -> list[dict]:
    items = [{"domain": "math", "response": c["pred"], "label": c["gold"]} for c in cases]
    response = httpx.post(f"{server}/score", json={"items": items}, timeout=300)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_cases_were_extracted():
    assert len(APPLICABLE) >= 140
    assert all(c["expected"] in (0, 1) for c in APPLICABLE)


def test_applicable_math_verify_cases_agree(server):
    disagreements = []
    for case, result in zip(APPLICABLE, _score(server, APPLICABLE)):
        source = case["source"].split(":tests/", 1)[1]
        expected = "correct" if case["expected"] else "incorrect"
        if source in DELIBERATE:
            assert result["status"] == DELIBERATE[source][0], (source, result)
        elif result["status"] != expected:
            disagreements.append((source, case["gold"][:60], case["pred"][-60:], expected, result))
    assert not disagreements, "\n".join(map(str, disagreements))


@pytest.mark.parametrize("source", sorted(DELIBERATE))
def test_each_deliberate_difference_is_a_real_case(source):
    assert any(c["source"].endswith(source) for c in APPLICABLE)


# Known Math-Verify 0.9.0 false positives/negatives (research notes §3.3) that we correct.
CORRECTED = [
    # tiny numbers round equal at 6 digits
    (r"\frac{1}{2004!}", r"\boxed{\frac{1}{2006!}}", "incorrect"),
    (r"\frac{1}{2^{99}}", r"\boxed{\frac{1}{2^{98}}}", "incorrect"),
    (r"\frac{1}{2^{99}}", r"\boxed{2^{-99}}", "correct"),
    # upright e cut the expression short
    (r"1 - \frac{1}{\mathrm{e}}", r"\boxed{1 + \frac{1}{\mathrm{e}}}", "incorrect"),
    (r"1 - \frac{1}{e}", r"\boxed{1 - \frac{1}{\mathrm{e}}}", "correct"),
]


def test_known_math_verify_false_positives_are_corrected(server):
    items = [{"domain": "math", "response": response, "label": reference} for reference, response, _ in CORRECTED]
    results = httpx.post(f"{server}/score", json={"items": items}, timeout=60).json()["results"]
    assert [r["status"] for r in results] == [expected for *_, expected in CORRECTED]


# Math-Verify's decimal-comma cases (expression-only tests, so outside APPLICABLE): `1,22` is 1.22.
DECIMAL_COMMA = ["test_all.py::test_number_extraction[6]", "test_all.py::test_number_extraction[17]"]
# What `math.decimal_comma` costs on the applicable cases: a list written without spaces reads as
# one decimal (`\boxed{1,2}` as 1.2), which is why the policy is off by default.
DECIMAL_COMMA_COST = {
    "test_all.py::test_math_extraction_additional_cases[27]",  # \boxed{1,2} for {1, 2}
    "test_numina_cases.py::test_numina_cases[13]",  # \boxed{-2,1}
    "test_numina_cases.py::test_numina_cases[25]",  # reference 21,16 or 11
    "test_numina_cases.py::test_numina_cases[28]",  # \boxed{6,8}
    "test_open_thoughts.py::test_open_thoughts[27]",  # \boxed{1,2}
}


async def _statuses(cases: list[dict], **math: object) -> list[str]:
    async with Engine(Settings(domains=["math"], math={"workers": 2, **math})) as engine:
        samples = [Sample("math", c["pred"], engine.parse_label("math", c["gold"])) for c in cases]
        return [v.status.value for v in await engine.score(samples)]


async def test_decimal_comma_policy():
    cases = [next(c for c in CASES if c["source"].endswith(s)) for s in DECIMAL_COMMA]
    assert cases[0]["gold"] == "1,22" and all(c["expected"] == 1 for c in cases)
    assert await _statuses(cases, decimal_comma=True) == ["correct", "correct"]
    assert (await _statuses(cases))[0] == "incorrect"  # off: 1,22 is the pair 1, 22

    off, on = await _statuses(APPLICABLE), await _statuses(APPLICABLE, decimal_comma=True)
    changed = {c["source"].split(":tests/", 1)[1] for c, a, b in zip(APPLICABLE, off, on, strict=True) if a != b}
    assert changed == DECIMAL_COMMA_COST
