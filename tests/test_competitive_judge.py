"""The competitive-programming judge at the runner, on every backend (local as root, local as an
ordinary account, Docker; compose: tests/test_compose.py): interactive problems under both
conventions with every kind of solution, interactors and solutions that misbehave, compiled judge
programs kept, and the hostile suite in every language. Never run these programs outside the
sandbox."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sandbox.backends.pool import RunnerPool
from tests import hostile_programs as hp
from tests import judge_problems as jp
from tests.docker_support import BACKENDS, RUN_UID, on_pool_of

_UID = RUN_UID + 10  # and the next one
_LIMITS = {"time_s": 1.0, "memory_mb": 256}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _interactive(program: str, language: str, interactor: dict[str, Any], inputs: list[str],
                 answers: list[str]) -> dict[str, Any]:
    return {"language": language, "program": program, "interactor": interactor, "testlib_h": jp.TESTLIB_H,
            "tests": [{"stdin": i, "expected": a} for i, a in zip(inputs, answers)], "limits": _LIMITS}


def _gather(backend: str, jobs: list[dict[str, Any]], size: int = 2) -> list[dict[str, Any]]:
    async def go(pool: RunnerPool) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(pool.execute(job) for job in jobs)))
    return list(on_pool_of(backend, size, go, _UID))


def test_interactive_problems_get_the_right_verdict_every_time(backend: str) -> None:
    """A guessing game and an adaptive one, each under the Kattis and the testlib convention
    (interactors in Python and C++), against correct, wrong, silent, flooding and early-exit
    solutions in Python and C++: AC, WA, TLE (both sides waiting), WA (the query limit), WA."""
    jobs, expected = [], []
    for name, (interactor, hidden) in jp.INTERACTORS.items():
        inputs, answers = jp.guess_tests(hidden)
        for kind, languages in jp.GUESSERS.items():
            for language, (program, verdict) in languages.items():
                count = 1 if kind == "silent" else len(inputs)  # one wall-clock wait is enough
                jobs.append(_interactive(program, language, interactor, inputs[-count:], answers[-count:]))
                expected.append((name, kind, language, verdict))
    results = _gather(backend, jobs)
    got = [(*e[:3], r["verdict"]) for e, r in zip(expected, results)]
    assert got == expected, [r for e, r in zip(expected, results) if r["verdict"] != e[3]]
    silent = results[[e[1] for e in expected].index("silent")]
    assert "idle" in silent["tests"][0]["detail"]


def test_a_solution_cannot_reach_its_interactor(backend: str) -> None:
    """A solution that stops and kills every process it can name and looks for the interactor's
    files and descriptors (the hidden number) gets neither AC nor makes the label an `error`:
    the interactor lives in namespaces it cannot see into (or, in a container, as another uid)."""
    interactor = jp.INTERACTORS["guess-kattis-py"][0]
    jobs = [_interactive(program, language, interactor, ["1000 777\n"], ["777\n"])
            for program, language in ((hp.KILL_INTERACTOR_PY, "python"), (hp.KILL_INTERACTOR_CPP, "cpp"))]
    results = _gather(backend, jobs)
    assert [r["verdict"] for r in results] == ["WA", "WA"], results
    assert all("answered 1, the number was 777" in r["tests"][0]["detail"] for r in results)


def test_interactors_that_misbehave_are_the_labels_fault(backend: str) -> None:
    """An interactor that crashes, or never exits after its verdict, makes the sample an `error`
    (JE) naming it; one that leaves a daemon behind still judges, and the daemon is swept (the
    pool's leak check); a testlib interactor's unknown exit status is JE too."""
    inputs, answers = jp.guess_tests(True)
    right = jp.GUESSERS["correct"]["python"][0]
    kattis = dict(jp.INTERACTORS["guess-kattis-py"][0])
    jobs = [_interactive(right, "python", {**kattis, "program": program}, inputs[-1:], answers[-1:]) for program in
            (hp.INTERACTOR_CRASHES, hp.interactor_hangs(jp.GUESS_KATTIS_PY),
             hp.interactor_leaves_a_daemon(jp.GUESS_KATTIS_PY))]
    odd = {"program": "import sys\nsys.exit(5)\n", "language": "python", "convention": "testlib"}
    jobs.append(_interactive(right, "python", odd, inputs[-1:], answers[-1:]))
    crashes, hangs, daemon, exit5 = _gather(backend, jobs)
    assert (crashes["verdict"], hangs["verdict"], daemon["verdict"], exit5["verdict"]) == ("JE", "JE", "AC", "JE")
    assert "exited with status 1" in crashes["detail"] and "RuntimeError" in crashes["detail"]
    assert "did not end after the program did" in hangs["detail"]
    assert "exited with status 5" in exit5["detail"]


def test_judge_programs_are_compiled_once_and_fail_as_the_labels(backend: str) -> None:
    """A compiled checker is built for the first job of a label and reused by the next; one that
    does not compile, or includes testlib.h when the job carries none, is JE."""
    tests = [{"stdin": i, "expected": a} for i, a in zip(jp.SPLIT_INPUTS, jp.SPLIT_ANSWERS)]
    checker = {"program": jp.SPLIT_TESTLIB_CPP, "language": "cpp", "convention": "testlib"}
    job = {"language": "python", "program": jp.SPLITTERS["halves"], "tests": tests, "checker": checker,
           "testlib_h": jp.TESTLIB_H, "limits": _LIMITS}

    async def go(pool: RunnerPool) -> list[dict[str, Any]]:
        first = await pool.execute(job)
        again = await pool.execute(job)
        broken = await pool.execute({**job, "checker": {**checker, "program": "int main( {"}})
        headless = await pool.execute({k: v for k, v in job.items() if k != "testlib_h"}
                                      | {"checker": {**checker, "program": checker["program"] + "// another label"}})
        return [first, again, broken, headless]

    first, again, broken, headless = on_pool_of(backend, 1, go, _UID)
    assert (first["verdict"], first["judges"]) == ("AC", {"checker": "compiled"})
    assert (again["verdict"], again["judges"]) == ("AC", {"checker": "cached"})
    assert broken["verdict"] == "JE" and "checker does not compile" in broken["detail"]
    assert headless["verdict"] == "JE" and "testlib.h" in headless["detail"]


@pytest.mark.parametrize("language", ["pypy", "c", "cpp", "java"])
def test_hostile_suite_in_every_language(backend: str, language: str) -> None:
    """The hostile suite of tests/hostile_programs.py in `language` (Python's is in
    test_sandbox_hostile.py): each attack gets its verdict on one pool, which then still judges a
    correct sample right, with no runner replaced and nothing left behind."""
    cases = hp.cases_for(language)

    async def go(pool: RunnerPool) -> list[tuple[str, str, Any]]:
        out = []
        for name, program, expected, verdicts, extra in cases:
            # 2 s of CPU: a wall-clock backstop of 6 s, so a slow start on a busy machine is no TLE.
            job = {"language": language, "program": program, "tests": [{"stdin": "", "expected": expected}],
                   "limits": {**_LIMITS, "time_s": 2.0}, **extra}
            result = await pool.execute(job)
            out.append((name, result["verdict"], verdicts))
        return out

    results = on_pool_of(backend, 1, go, _UID)
    wrong = [(name, got, want) for name, got, want in results if got not in ((want,) if isinstance(want, str) else want)]
    assert wrong == []
