"""The code domain as a competitive-programming judge, end to end on the real local sandbox:
languages, subtasks and partial scores, checkers of every convention, file I/O, interactive
problems, and labels that cannot be judged."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import ValidationError

from sandbox.runner import LANGUAGES, Language
from tests import judge_problems as jp
from tests.docker_support import RUN_UID
from verifiers.domains.code.label import CodeLabel
from verifiers.domains.code.settings import CodeSettings
from verifiers.domains.code.verifier import CodeVerifier
from verifiers.metrics import Metrics
from verifiers.sample import Sample
from verifiers.settings import Settings
from verifiers.verdict import Status, Verdict
from verifiers.verifier import VerifierContext


@pytest.fixture(scope="module")
def testlib_header(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("testlib") / "testlib.h"
    path.write_text(jp.TESTLIB_H)
    return str(path)


def judge(items: list[tuple[str, dict[str, Any]]], testlib_header: str | None = None) -> list[Verdict]:
    async def go() -> list[Verdict]:
        settings = Settings(code=CodeSettings(runners=2, base_uid=RUN_UID + 20, testlib_header=testlib_header))
        verifier = CodeVerifier(VerifierContext(settings, Metrics(), peer=lambda domain: verifier))
        await verifier.start()
        try:
            samples = [Sample("code", r, CodeLabel.model_validate(label)) for r, label in items]
            return await verifier.verify_batch(samples)
        finally:
            await verifier.close()
    return asyncio.run(go())


def fenced(code: str, tag: str = "python") -> str:
    return f"<think>...</think>\n```{tag}\n{code}\n```\n"


def test_every_language_solves_the_same_problem() -> None:
    """Java, C, C++ and PyPy solutions are judged like Python's: the fence tag picks the language,
    or the label names it (PyPy has no tag of its own: a label runs Python answers on it)."""
    tags = {"python": "python", "pypy": "python", "cpp": "cpp", "c": "c", "java": "java"}
    items = [(fenced(code, tags[lang]), {"tests": jp.SUM_TESTS, **({"language": lang} if lang == "pypy" else {})})
             for lang, code in jp.SUMS.items()]
    wrong_java = jp.SUMS["java"].replace("in.nextLong() + in.nextLong()", "in.nextLong() - in.nextLong()")
    verdicts = judge([*items, (fenced(wrong_java, "java"), {"tests": jp.SUM_TESTS})])
    assert [v.status for v in verdicts] == [Status.CORRECT] * len(jp.SUMS) + [Status.INCORRECT], \
        [v.details for v in verdicts]


def test_runtimes_that_reserve_memory_and_deep_recursion() -> None:
    """A JVM reserves far more address space than it uses: a hello world runs under the default
    512 MB, which counts what it uses. A recursive DFS at depth 10^5 (and a memoised recursion,
    which costs C stack per level) is not a runtime error: a 256 MB stack, as at Codeforces."""
    hello = "public class Main { public static void main(String[] a) { System.out.println(\"hello\"); } }"
    deep_input, deep_output = jp.deep_path()
    verdicts = judge([
        (fenced(hello, "java"), {"tests": {"inputs": [""], "outputs": ["hello"]}}),
        (fenced(jp.DEEP_DFS), {"tests": {"inputs": [deep_input], "outputs": [deep_output]}, "time_limit_s": 10}),
    ])
    assert [v.status for v in verdicts] == [Status.CORRECT, Status.CORRECT], [v.details for v in verdicts]
    assert verdicts[0].details["tests"][0]["memory_kb"] < 512 * 1024


def test_ioi_subtasks_score_their_points() -> None:
    """Three subtasks (20, 30, 50 points; each includes the smaller ones' tests): solutions that
    pass 0, 1, 2 and 3 of them score exactly 0, 20, 50 and 100 points, normalised to 0..1; the
    all-tests rule and all-or-nothing agree where they should."""
    inputs, outputs = jp.ioi_tests()
    label = {"tests": {"inputs": inputs, "outputs": outputs}, "subtasks": jp.IOI_SUBTASKS, "reward_mode": "ioi"}
    solutions = [fenced(jp.IOI_SOLUTIONS[k]) for k in range(4)]
    ioi = judge([(s, label) for s in solutions])
    assert [v.reward for v in ioi] == [0.0, 0.2, 0.5, 1.0]
    assert [v.status for v in ioi] == [Status.INCORRECT] * 3 + [Status.CORRECT]
    assert [[s["score"] for s in v.details["subtasks"]] for v in ioi[:3]] == [[0, 0, 0], [20, 0, 0], [20, 30, 0]]
    assert [s["first_failing_test"] for s in ioi[1].details["subtasks"]] == [None, 2, 2]
    # Per-subtask early exit: after test 2 fails, every subtask holding tests 3-5 is lost.
    assert [t["verdict"] for t in ioi[1].details["tests"]][3:] == ["SKIPPED"] * 3
    fraction = judge([(solutions[2], {**label, "reward_mode": "fraction"}), (solutions[2], {**label, "reward_mode": "all"})])
    assert [v.reward for v in fraction] == [0.5, 0.0]


def test_partial_scores_are_summed_as_ioi_sums_them(testlib_header: str) -> None:
    """A checker's per-test scores (CMS: the score on stdout; testlib: quitp): a subtask earns
    its points times its lowest test score, the total is their sum."""
    targets = ["10\n", "10\n", "4\n"]
    subtasks = [{"points": 40, "tests": [0, 1]}, {"points": 60, "tests": [2]}]
    checkers = [{"program": jp.PARTIAL_CMS_PY, "language": "python", "convention": "cms"},
                {"program": jp.PARTIAL_TESTLIB_CPP, "language": "cpp", "convention": "testlib"}]
    # k = 5 on every test: 40 * min(0.5, 0.5) + 60 * min(1) = 80 points.
    items = [(fenced("print(5)"), {"tests": {"inputs": ["", "", ""], "outputs": targets}, "subtasks": subtasks,
                                   "reward_mode": "ioi", "checker": checker}) for checker in checkers]
    verdicts = judge(items, testlib_header)
    assert [v.reward for v in verdicts] == [0.8, 0.8], [v.details for v in verdicts]
    assert [t["verdict"] for t in verdicts[0].details["tests"]] == ["PA", "PA", "AC"]


def test_checkers_accept_any_valid_answer(testlib_header: str) -> None:
    """A problem with many right answers, judged by a testlib checker and by a Kattis output
    validator: every valid answer is accepted, a wrong one is not; a checker that reports FAIL
    (here: the jury's answer is wrong) makes the sample an `error`, never a wrong answer."""
    tests = {"inputs": jp.SPLIT_INPUTS, "outputs": jp.SPLIT_ANSWERS}
    checkers = {"testlib": {"program": jp.SPLIT_TESTLIB_CPP, "language": "cpp", "convention": "testlib"},
                "kattis": {"program": jp.SPLIT_KATTIS_PY, "language": "python", "convention": "kattis"}}
    items = [(fenced(code), {"tests": tests, "checker": checker})
             for checker in checkers.values() for code in jp.SPLITTERS.values()]
    bad_jury = {"inputs": ["10\n"], "outputs": ["3 3\n"]}
    items += [(fenced(jp.SPLITTERS["ones"]), {"tests": bad_jury, "checker": checker}) for checker in checkers.values()]
    verdicts = judge(items, testlib_header)
    statuses = [v.status for v in verdicts]
    assert statuses == [Status.CORRECT] * 3 + [Status.INCORRECT] + [Status.CORRECT] * 3 + [Status.INCORRECT] \
        + [Status.ERROR, Status.ERROR], [v.details for v in verdicts]
    assert "FAIL" in verdicts[-2].details["reason"] and "the jury's answer" in verdicts[-2].details["reason"]
    assert "exited with status 1" in verdicts[-1].details["reason"]
    assert "3 + 8 is not 10" not in str(verdicts[0].details)  # an accepted answer carries no complaint


def test_kattis_default_validator_flags() -> None:
    """Kattis' default validator: case-insensitive tokens unless case_sensitive, floats within
    float_tolerance, whitespace exact with space_change_sensitive."""
    def label(flags: str, output: str) -> dict[str, Any]:
        return {"tests": {"inputs": [""], "outputs": [output]}, "checker": {"convention": "kattis", "flags": flags}}
    verdicts = judge([
        (fenced("print('YES', 3.1415)"), label("float_tolerance 1e-3", "yes 3.14159\n")),
        (fenced("print('YES', 3.15)"), label("float_tolerance 1e-3", "yes 3.14159\n")),
        (fenced("print('YES')"), label("case_sensitive", "yes\n")),
        (fenced("print('a  b')"), label("space_change_sensitive", "a b\n")),
        (fenced("print('a b')"), label("space_change_sensitive", "a b\n")),
        (fenced("print('a b')"), label("float_tolerance", "a b\n")),
    ])
    assert [v.status for v in verdicts] == [Status.CORRECT, Status.INCORRECT, Status.INCORRECT, Status.INCORRECT,
                                            Status.CORRECT, Status.ERROR]
    assert "needs a number" in verdicts[-1].details["reason"]


def test_testlib_judges_need_the_operators_header() -> None:
    """testlib.h is never downloaded: without code.testlib_header a testlib judge is an `error`
    that names the setting (a program that does not include the header needs none)."""
    tests = {"inputs": jp.SPLIT_INPUTS, "outputs": jp.SPLIT_ANSWERS}
    checker = {"program": jp.SPLIT_TESTLIB_CPP, "language": "cpp", "convention": "testlib"}
    (verdict,) = judge([(fenced(jp.SPLITTERS["ones"]), {"tests": tests, "checker": checker})], testlib_header=None)
    assert verdict.status is Status.ERROR and "code.testlib_header" in verdict.details["reason"]


def test_file_io() -> None:
    """CodeContests' input_file/output_file: the answer is what the program writes to output.txt;
    one that prints to stdout instead is wrong, as at the judge."""
    label = {"tests": {"inputs": ["3 4\n", "10 -2\n"], "outputs": ["7\n", "8\n"]},
             "input_file": "input.txt", "output_file": "output.txt"}
    verdicts = judge([(fenced(jp.FILE_IO_RIGHT), label), (fenced(jp.FILE_IO_STDOUT), label),
                      (fenced(jp.FILE_IO_STDOUT), {**label, "output_file": ""})])
    assert [v.status for v in verdicts] == [Status.CORRECT, Status.INCORRECT, Status.CORRECT]


def test_interactive_through_the_verifier(testlib_header: str) -> None:
    """An interactive label end to end (the full matrix of solutions, conventions and backends
    runs at the runner: tests/test_competitive_judge.py)."""
    interactor, hidden = jp.INTERACTORS["guess-testlib-cpp"]
    inputs, answers = jp.guess_tests(hidden)
    label = {"tests": {"inputs": inputs, "outputs": answers}, "interactor": interactor, "time_limit_s": 1}
    verdicts = judge([(fenced(jp.GUESSERS[kind]["cpp"][0], "cpp"), label) for kind in ("correct", "wrong", "silent")],
                     testlib_header)
    assert [v.status for v in verdicts] == [Status.CORRECT, Status.INCORRECT, Status.TIMEOUT]


def test_labels_that_cannot_be_judged() -> None:
    """Schema violations are refused when the label is read (422 on /score); a missing compiler
    is a clear `error` naming the language and its package."""
    base = {"tests": jp.SUM_TESTS}
    for bad, message in [({"language": "cobol"}, "unknown language 'cobol'"),
                         ({"checker": {"convention": "testlib"}}, "needs its program"),
                         ({"interactor": {"program": "x", "convention": "cms"}}, "kattis or testlib"),
                         ({"input_file": "../x"}, "file name"),
                         ({"reward_mode": "best"}, "reward_mode")]:
        with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
            CodeLabel.model_validate({**base, **bad})
    cobol = Language("cobol", ("cobol",), "main.cob", ("cobc", "-x", "{src}"), 30.0, ("{exe}",), ("gnucobol4",))
    assert cobol.missing() == "language cobol is not installed in this sandbox: no cobc (Debian package gnucobol4)"
    assert all(lang.missing() is None for lang in LANGUAGES.values())  # CI installs them all (.ci/setup-languages.sh)
    (subtask_out_of_range,) = judge([(fenced("print(1)"), {**base, "subtasks": [{"points": 1, "tests": [7]}]})])
    assert subtask_out_of_range.status is Status.ERROR and "subtasks name tests [7]" in \
        subtask_out_of_range.details["reason"]
