"""`verifiers score --report`: a 10,000-item mixed file scored for real, and the report's contents
checked against the results file; then the report opened in headless Chromium with nothing but the
file itself loaded."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.browser import chromium
from tests.conftest import ROOT
from verifiers.text import NO_FINAL_ANSWER

_CODE_LABEL = {"tests": {"inputs": ["3", "5"], "outputs": ["9", "25"]}}
_IF_LABEL = {"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}


def mixed_rows(n: int, seed: int = 0) -> list[str]:
    """`n` JSONL lines: math (right, wrong, unboxed prose, cut thinking, an unparseable reference),
    code (right, wrong, no code block), ifeval; every 1000th a math response quoting `</script>`.
    (Every line is an item: a line that is not one stops `verifiers score` before it scores anything.)"""
    rng = random.Random(seed)
    math = [("\\boxed{12}", "12"), ("so \\boxed{13}", "12"), ("the answer is plain to see", "12"),
            ("<think>let me think about this for a very long", "12"), ("\\boxed{1}", "\\frac{")]
    code = ["print(int(input()) ** 2)", "print(int(input()) * 2)", None]
    rows = []
    for i in range(n):
        r = rng.random()
        if i % 1000 == 999:
            rows.append(json.dumps({"domain": "math", "response": "</script> not an answer", "label": "12"}))
        elif r < 0.9:
            response, answer = math[rng.randrange(len(math))]
            rows.append(json.dumps({"domain": "math", "response": f"<think>work {i % 7}</think>{response}"
                                    if not response.startswith("<think>") else response, "label": answer}))
        elif r < 0.95:
            program = code[rng.randrange(len(code))]
            response = "I cannot write that." if program is None else f"```python\n{program}\n```"
            rows.append(json.dumps({"domain": "code", "response": response, "label": _CODE_LABEL}))
        else:
            rows.append(json.dumps({"domain": "ifeval", "response": "No commas here" if r < 0.98 else "a, b",
                                    "label": _IF_LABEL}))
    return rows


def _response(row: str) -> str:
    return str(json.loads(row)["response"])


def _report_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert found, "no data block"
    return dict(json.loads(found.group(1)))


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[dict[str, Any]], Path]:
    tmp = tmp_path_factory.mktemp("report")
    rows = mixed_rows(10_000)
    src, out, report = tmp / "items.jsonl", tmp / "results.jsonl", tmp / "report.html"
    src.write_text("\n".join(rows) + "\n")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "VERIFIERS_DOMAINS": '["math", "code", "ifeval"]',
           "VERIFIERS_CODE__BASE_UID": "63800"}
    command = [sys.executable, "-m", "verifiers", "score", str(src), "-o", str(out), "--report", str(report)]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = [json.loads(line) for line in out.read_text().splitlines()]
    return rows, results, report


def test_report_counts_match_the_results_file(scored: tuple[list[str], list[dict[str, Any]], Path]) -> None:
    rows, results, report = scored
    data = _report_data(report.read_text())
    assert data["items"] == len(results) == 10_000
    expected: dict[str, Counter[str]] = {}
    for row, result in zip(rows, results, strict=True):
        expected.setdefault(json.loads(row)["domain"], Counter())[result["status"]] += 1
    assert set(data["domains"]) == set(expected) == {"math", "code", "ifeval"}
    for domain, counts in expected.items():
        shown = {s: n for s, n in data["domains"][domain]["statuses"].items() if n}
        assert shown == dict(counts), domain
    rewards = data["domains"]["math"]["reward"]["histogram"]
    assert rewards["values"] == [0.0, 1.0]
    assert sum(rewards["counts"]) == sum(n for s, n in expected["math"].items() if s != "infra_error")


def test_report_groups_reasons_with_a_real_example_each(scored: tuple[list[str], list[dict[str, Any]], Path]) -> None:
    rows, results, report = scored
    data = _report_data(report.read_text())
    reasons = {(r["status"], r["reason"]): r for d in data["domains"].values() for r in d["reasons"]}
    for key in [("format_error", "no answer could be extracted"), ("format_error", NO_FINAL_ANSWER),
                ("error", "reference answer does not parse"),
                ("format_error", "no fenced code block in the final answer")]:
        assert key in reasons, sorted(reasons)
        example = reasons[key]
        # The example is the first item with that reason, as the results file says, with its text.
        first = next(i for i, r in enumerate(results)
                     if r["status"] == key[0] and r["details"].get("reason", "").startswith(key[1]))
        assert example["line"] == first + 1
        assert _response(rows[first]).endswith(example["excerpt"].lstrip("…"))
        assert example["count"] == sum(1 for r in results if r["status"] == key[0]
                                       and r["details"].get("reason", "").startswith(key[1]))
    warned = {(w["domain"], w["kind"]) for w in data["warnings"]}
    assert ("math", "format_error") in warned and ("math", "label_error") in warned
    assert ("code", "format_error") in warned
    assert data["slowest"] and all(row["items"] >= 1 and row["lines"] for row in data["slowest"])


def test_report_is_self_contained_and_renders_offline(scored: tuple[list[str], list[dict[str, Any]], Path]) -> None:
    _, _, report = scored
    html = report.read_text()
    assert not re.search(r'(?:src|href)\s*=\s*["\']?(?:https?:)?//', html)
    assert "<link" not in html and not re.search(r"<script[^>]*\ssrc=", html)
    assert "</script> not an answer" not in html  # a quoted `</script>` in the data cannot end its block
    with chromium() as page:
        page.navigate(report.as_uri())
        page.wait_for("document.body.dataset.rendered === '1'", 15)
        assert [r["url"] for r in page.requests()] == [report.as_uri()]
        assert page.errors() == []
        plots = page.evaluate("[...document.querySelectorAll('svg.plot')].map(p => Number(p.dataset.points))")
        assert len(plots) == 6 and all(n > 0 for n in plots)  # verdicts and rewards for three domains
        text = page.evaluate("document.body.innerText")
        assert "no answer could be extracted" in text and "Slowest items" in text
        page.screenshot("report.png")


@pytest.mark.parametrize(
    ("second_line", "report_name", "problem"),
    [
        ("not JSON", "report.html", "in.jsonl:2: not valid JSON"),
        (json.dumps({"domain": "math", "response": "x", "label": "2"}), "no-such-dir/report.html", "cannot write"),
    ],
)
def test_a_bad_line_or_an_unwritable_report_is_one_line_and_exit_2_before_scoring(
    tmp_path: Path, second_line: str, report_name: str, problem: str
) -> None:
    src, out, report = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / report_name
    src.write_text(json.dumps({"domain": "math", "response": "\\boxed{2}", "label": "2"}) + "\n" + second_line + "\n")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "VERIFIERS_DOMAINS": '["math"]',
           "VERIFIERS_MATH__WORKERS": "1"}
    command = [sys.executable, "-m", "verifiers", "score", str(src), "-o", str(out), "--report", str(report)]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert line.startswith("verifiers: ") and problem in line, line
    assert not report.exists()
    assert not out.exists() or out.read_bytes() == b""  # opened before the report, but nothing scored
