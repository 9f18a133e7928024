"""The mcq domain: a table of response shapes with their verdicts, the label schema, and the HTTP paths."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from verifiers.domains.mcq.label import McqLabel
from verifiers.domains.mcq.verifier import McqVerifier
from verifiers.metrics import Metrics
from verifiers.sample import Sample
from verifiers.settings import Settings
from verifiers.verifier import VerifierContext

GPQA = {"answer": "B", "options": ["2.5 eV", "5.0 eV", "10 eV", "1.2 eV"]}
LETTER_ONLY = {"answer": "B"}
TEN = {"answer": "J", "num_options": 10}
TEXTS = {"answer": "D", "options": {"A": "Karyotyping", "B": "Polymerase chain reaction",
                                    "C": "Western blot", "D": "A polygenic risk score"}}

OK, WRONG, FORMAT = "correct", "incorrect", "format_error"

# (response, label, status, letters read, form)
SHAPES: list[tuple[str, dict[str, Any], str, str | None, str | None]] = [
    # boxed
    (r"The energy doubles, so \boxed{B}", GPQA, OK, "B", "boxed"),
    (r"\boxed{b}", GPQA, OK, "B", "boxed"),
    (r"\boxed{(B)}", GPQA, OK, "B", "boxed"),
    (r"\boxed{\text{B}}", GPQA, OK, "B", "boxed"),
    (r"\boxed{\textbf{(B)}}", GPQA, OK, "B", "boxed"),
    (r"\boxed{B: 5.0 eV}", GPQA, OK, "B", "boxed"),
    (r"\boxed{B) 5.0 eV}", GPQA, OK, "B", "boxed"),
    (r"Therefore $\boxed{B}$.", GPQA, OK, "B", "boxed"),
    (r"\boxed{ [B] }", GPQA, OK, "B", "boxed"),
    (r"\boxed{A}", GPQA, WRONG, "A", "boxed"),
    (r"\boxed{E}", GPQA, FORMAT, "E", "boxed"),
    (r"\boxed{B, C}", GPQA, WRONG, "B,C", "boxed"),
    (r"\boxed{B \text{ or } C}", GPQA, WRONG, "B,C", "boxed"),
    (r"\boxed{5.0 eV}", GPQA, OK, "B", "boxed"),
    (r"\boxed{42}", GPQA, FORMAT, None, None),
    (r"first \boxed{A}, then on reflection \boxed{B}", GPQA, OK, "B", "boxed"),
    (r"\boxed{J}", TEN, OK, "J", "boxed"),
    (r"\boxed{K}", TEN, FORMAT, "K", "boxed"),
    # answer phrases
    ("Answer: B", GPQA, OK, "B", "answer_phrase"),
    ("ANSWER: B", GPQA, OK, "B", "answer_phrase"),
    ("Answer: b", GPQA, OK, "B", "answer_phrase"),
    ("**Answer:** B", GPQA, OK, "B", "answer_phrase"),
    ("Answer: **B**", GPQA, OK, "B", "answer_phrase"),
    ("**Answer: (B)**", GPQA, OK, "B", "answer_phrase"),
    ("Answer: $B$", GPQA, OK, "B", "answer_phrase"),
    ("The answer is (B).", GPQA, OK, "B", "answer_phrase"),
    ("The correct answer is B because the photon energy doubles.", GPQA, OK, "B", "answer_phrase"),
    ("Final Answer: The final answer is B. I hope it is correct.", GPQA, OK, "B", "answer_phrase"),
    ("Answer: B) 5.0 eV", GPQA, OK, "B", "answer_phrase"),
    ("Answer: Option B", GPQA, OK, "B", "answer_phrase"),
    ("Answer: I think it's B.", GPQA, OK, "B", "answer_phrase"),
    ("So, the answer is: the correct option is C", GPQA, WRONG, "C", "answer_phrase"),
    ("Answer: B/C", GPQA, WRONG, "B,C", "answer_phrase"),
    ("Answer: B and D", GPQA, WRONG, "B,D", "answer_phrase"),
    ("Answer: b or c", GPQA, WRONG, "B,C", "answer_phrase"),
    ("Answer: B (B)", GPQA, OK, "B", "answer_phrase"),
    ("Answer: 5.0 eV", GPQA, OK, "B", "answer_phrase"),
    ("Answer: 10 eV.", GPQA, WRONG, "C", "answer_phrase"),
    ("Answer: Z", GPQA, FORMAT, "Z", "answer_phrase"),
    ("Answer: a bit more than 5 eV", GPQA, FORMAT, None, None),
    ("Answer: A polygenic risk score", TEXTS, OK, "D", "answer_phrase"),
    ("Answer: A", TEXTS, WRONG, "A", "answer_phrase"),
    ("Answer: C", LETTER_ONLY, WRONG, "C", "answer_phrase"),
    (r"\boxed{A}. Wait, no. Answer: B", GPQA, OK, "B", "answer_phrase"),
    ("Answer: B\n\nChecking again, " r"\boxed{C}", GPQA, WRONG, "C", "boxed"),
    # marked letters
    ("The correct option is **B**.", GPQA, OK, "B", "marked"),
    ("**B**", GPQA, OK, "B", "marked"),
    (r"Hence \textbf{B}.", GPQA, OK, "B", "marked"),
    ("The energy doubles, so it must be (B).", GPQA, OK, "B", "marked"),
    ("Either **B** or **C**.", GPQA, WRONG, "B,C", "marked"),
    ("### Final Answer\n\nB", GPQA, OK, "B", "marked"),
    ("E = hc/lambda, halving lambda doubles E.\n\nB.", GPQA, OK, "B", "marked"),
    # option texts in the last line
    ("The photon carries 5.0 eV.", GPQA, OK, "B", "option_text"),
    ("It is either 5.0 eV or 10 eV.", GPQA, WRONG, "B,C", "option_text"),
    ("The technique to use is polymerase chain reaction", TEXTS, WRONG, "B", "option_text"),
    # thinking, nothing, prose
    (r"<think>A? maybe C</think>\boxed{B}", GPQA, OK, "B", "boxed"),
    (r"<think>unfinished \boxed{B}", GPQA, FORMAT, None, None),
    ("No idea.", GPQA, FORMAT, None, None),
    ("The photon carries 7 eV.", GPQA, FORMAT, None, None),
]


def test_the_table_is_large() -> None:
    assert len(SHAPES) >= 40 and {s[2] for s in SHAPES} == {OK, WRONG, FORMAT}


@pytest.fixture(scope="module")
def verifier() -> McqVerifier:
    return McqVerifier(VerifierContext(settings=Settings(), metrics=Metrics(), peer=lambda domain: None))


@pytest.mark.parametrize(("response", "label", "status", "letters", "form"), SHAPES)
async def test_response_shapes(verifier: McqVerifier, response: str, label: dict[str, Any], status: str,
                         letters: str | None, form: str | None) -> None:
    verdict = await verifier.verify(Sample("mcq", response, McqLabel.model_validate(label)))
    assert verdict.status.value == status, verdict.details
    assert verdict.reward == (1.0 if status == OK else 0.0)
    assert verdict.details.get("extracted") == letters and verdict.details.get("form") == form


async def test_long_responses_are_read_from_the_tail(verifier: McqVerifier) -> None:
    reasoning = "Option (A) fails because the photon energy is wrong. " * 2000  # 100 KB of prose
    verdict = await verifier.verify(Sample("mcq", reasoning + "\n\nAnswer: B", McqLabel.model_validate(GPQA)))
    assert verdict.status.value == OK


@pytest.mark.parametrize(("label", "answer", "letters"), [
    ("C", "C", ("A", "B", "C", "D")),
    ({"answer": " (c) "}, "C", ("A", "B", "C", "D")),
    ({"answer": "B", "options": '["x", "y", "z"]'}, "B", ("A", "B", "C")),
    ({"answer": "E", "options": [{"A": "p"}, {"C": "q"}, {"E": "r"}]}, "E", ("A", "C", "E")),
    ({"answer": "b", "options": {"a": 1, "b": 2}}, "B", ("A", "B")),
    ({"answer": "J", "num_options": 10}, "J", tuple("ABCDEFGHIJ")),
])
def test_label_forms(label: Any, answer: str, letters: tuple[str, ...]) -> None:
    parsed = McqLabel.model_validate(label)
    assert (parsed.answer, parsed.letters) == (answer, letters)


@pytest.mark.parametrize(("label", "field"), [
    ({"answer": "E"}, "answer"),
    ({"answer": "BC"}, "answer"),
    ({"answer": "D", "options": ["x", "y", "z"]}, "answer"),
    ({"answer": "A", "options": {"A": "x", "AB": "y"}}, "options"),
    ({"answer": "A", "options": ["only one"]}, "options"),
    ({"answer": "A", "options": ["x", "y"], "num_options": 3}, "num_options"),
    ({"answer": "A", "num_options": 1}, "num_options"),
    ({"options": ["x", "y"]}, "answer"),
])
def test_bad_labels_name_the_field(label: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        McqLabel.model_validate(label)
    assert field in {str(e["loc"][0]) for e in info.value.errors() if e["loc"]}


def test_over_http(server: str) -> None:
    items = [{"domain": "mcq", "response": r"\boxed{B}", "label": GPQA},
             {"domain": "mcq", "response": "Answer: B or C", "label": {"answer": "B"}},
             {"domain": "mcq", "response": "Answer: 5.0 eV",
              "label": '{"answer": "B", "options": ["2.5 eV", "5.0 eV"]}'}]
    results = httpx.post(f"{server}/score", json={"items": items}, timeout=30).json()["results"]
    assert [(r["status"], r["reward"], r["mask"]) for r in results] == [
        ("correct", 1.0, False), ("incorrect", 0.0, False), ("correct", 1.0, False)]
    bad = httpx.post(f"{server}/score", json={"domain": "mcq", "response": "B", "label": {"answer": "F"}}, timeout=30)
    assert bad.status_code == 422
    assert [e["loc"] for e in bad.json()["detail"]] == [["body", "label", "answer"]]
    reply = httpx.post(f"{server}/get_reward", json={
        "query": ["Q? Answer: D"], "prompts": ["Q?"], "labels": [{"domain": "mcq", "answer": "D"}]}, timeout=30).json()
    assert reply["rewards"] == [1.0] and reply["extra_logs"]["domain_mcq"] == [1.0]
