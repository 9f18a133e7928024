"""The runner's checkers, its value codec and both transports (harmless programs only: these run
the runner with `--isolation none`, outside any namespace, so never put a hostile program here)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sandbox import runner
from sandbox.backends.local import RUNNER

JOB: dict[str, Any] = {"language": "python", "program": "print(sum(map(int, input().split())))",
                       "tests": [{"stdin": "1 2", "expected": "3"}, {"stdin": "2 2", "expected": "5"},
                                 {"stdin": "3 3", "expected": "6"}]}


def test_tokens_equal_tolerates_float_error_and_whitespace() -> None:
    assert runner.tokens_equal("0.3333333  \n1\n\n", "0.33333333333 1")
    assert runner.tokens_equal("1000000.5", "1000000.50000001")
    assert not runner.tokens_equal("0.33", "0.3333333")
    assert not runner.tokens_equal("1 2", "1 2 3")
    assert not runner.tokens_equal("nan", "nan1")


def test_values_equal_treats_tuples_as_lists() -> None:
    assert runner.values_equal((0, 1), [0, 1])
    assert runner.values_equal(0.1 + 0.2, 0.3)
    assert not runner.values_equal([1, 2], [2, 1])


def _frame(job: dict[str, Any]) -> bytes:
    import json
    body = json.dumps(job).encode()
    return len(body).to_bytes(4, "big") + body


def test_stdio_transport_runs_jobs_in_sequence_with_early_exit() -> None:
    proc = subprocess.run([sys.executable, "-I", str(RUNNER), "serve", "--stdio"],
                          input=_frame(JOB) + _frame({**JOB, "early_exit": False}),
                          capture_output=True, timeout=30)
    import io
    stream = io.BytesIO(proc.stdout)
    first, second = runner.read_frame(stream), runner.read_frame(stream)
    assert [t["verdict"] for t in first["tests"]] == ["AC", "WA"]
    assert [t["verdict"] for t in second["tests"]] == ["AC", "WA", "AC"]
    assert first["verdict"] == second["verdict"] == "WA"
    assert runner.read_frame(stream) is None


def test_socket_transport_and_special_judge(tmp_path: Path) -> None:
    path = tmp_path / "runner.sock"
    proc = subprocess.Popen([sys.executable, "-I", str(RUNNER), "serve", "--socket", str(path)])
    try:
        deadline = time.monotonic() + 10
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        spj = ("import json, sys\nd = json.load(sys.stdin)\n"
               "sys.exit(0 if sorted(d['output'].split()) == sorted(d['expected'].split()) else 1)\n")
        job = {"language": "python", "program": "print(3, 1, 2)", "checker": {"program": spj},
               "tests": [{"stdin": "", "expected": "1 2 3"}]}
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(path))
            with s.makefile("rwb") as f:
                f.write(_frame(job))
                f.flush()
                result = runner.read_frame(f)  # type: ignore[arg-type]
        assert result["verdict"] == "AC"
    finally:
        proc.kill()
        proc.wait()


def test_values_cross_to_the_driver_as_plain_data() -> None:
    """What a program returns reaches the asserts rebuilt from builtins: same types, same values."""
    values = [None, True, 0, -7, 2**100, 1.5, float("inf"), "s", [1, [2]], (1, (2,)), {1: "a", (2, 3): [4]},
              {1, 2}, frozenset({3}), b"\x00\xff", 1 + 2j, range(1, 10, 2)]
    for value in values:
        back = runner.decode_value(json.loads(json.dumps(runner.encode_value(value))))
        assert back == value and type(back) is type(value), value
    assert list(runner.decode_value(runner.encode_value(x for x in "ab"))) == ["a", "b"]


def test_a_programs_own_objects_never_reach_the_asserts() -> None:
    """An object with its own `__eq__` (equal to everything) cannot be sent; whatever bytes a
    program writes instead decode to plain data or are refused."""
    class Liar:
        def __eq__(self, other: object) -> bool:
            return True

    with pytest.raises(runner.Unencodable):
        runner.encode_value([1, Liar()])
    for forged in ({"x": 1}, {"t": 5}, {"d": [[[1], 2]]}, {"b": "!!"}, {"r": [1, "2", 3]}, {"t": [1], "s": [2]}):
        with pytest.raises((ValueError, TypeError)):
            runner.decode_value(forged)


def test_seccomp_policy_denies_what_a_test_must_not_do() -> None:
    program = runner.seccomp_filter()
    assert len(program) % 8 == 0 and len(program) // 8 < 255  # classic BPF, short jumps only
    assert {"ptrace", "setns", "bpf", "keyctl", "perf_event_open", "io_uring_setup"} <= set(runner.DENIED_SYSCALLS)
    # unshare, mount and umount2 pass it only for what the job init renews (a job's mount and IPC
    # namespaces), which no test may do anyway: the hostile `escalation` case tries them all.
    assert {"unshare", "mount", "umount2"}.isdisjoint(runner.DENIED_SYSCALLS)


def test_job_budget_covers_every_wall_limit() -> None:
    """The host's deadline for a job is never shorter than the runner's own limits add up to."""
    job = {"language": "cpp", "tests": [{}] * 3, "limits": {"time_s": 2.0}, "checker": {"program": ""}}
    assert runner.job_budget_s(job) >= runner.wall_limit_s(30.0) + 2 * 3 * runner.wall_limit_s(2.0)
