"""Hostile programs run inside the real sandbox, on every backend (local namespaces; the Docker
pool where a daemon is reachable): each gets its verdict, the runner keeps answering, and no
process of the sandbox uid (nor container) survives. Never run these programs outside it."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sandbox.backends.local import RUNNER
from tests.docker_support import make_pool, sandbox_containers

_UID = 61900


@pytest.fixture(params=["local", pytest.param("docker", marks=pytest.mark.docker)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _uid_processes(uid: int) -> list[str]:
    out = subprocess.run(["ps", "-o", "pid=", "-u", str(uid)], capture_output=True, text=True)
    return out.stdout.split()


def run_hostile(backend: str, program: str, expected: str = "", time_s: float = 1.0,
                **job: Any) -> dict[str, Any]:
    """Judge `program` on one stdin/stdout test, then prove the same runner still judges correctly."""
    async def go() -> dict[str, Any]:
        pool = make_pool(backend, 1, _UID)
        await pool.start()
        try:
            result = await pool.execute({"language": "python", "program": program,
                                         "tests": [{"stdin": "", "expected": expected}],
                                         "limits": {"time_s": time_s, "memory_mb": 256}, **job})
            again = await pool.execute({"language": "python", "program": "print(input())",
                                        "tests": [{"stdin": "ok", "expected": "ok"}]})
            assert again["verdict"] == "AC"
            assert pool.replaced == 0  # the runner survived its program: no restart was needed
            # Local runners and their zygotes stay root; in a container the runner and its zygote
            # are the uid's only legitimate processes.
            assert len(_uid_processes(_UID)) == (0 if backend == "local" else 2)
            return result
        finally:
            await pool.close()
    result = asyncio.run(go())
    assert _uid_processes(_UID) == []
    assert sandbox_containers() == []
    return result


def test_infinite_loop_is_tle(backend: str) -> None:
    assert run_hostile(backend, "while True: pass")["verdict"] == "TLE"


def test_sleep_forever_is_wall_tle(backend: str) -> None:
    assert run_hostile(backend, "import time\ntime.sleep(1000)")["verdict"] == "TLE"


def test_fork_bomb_is_contained(backend: str) -> None:
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    assert run_hostile(backend, bomb)["verdict"] == "TLE"


def test_allocating_10gb_is_mle(backend: str) -> None:
    assert run_hostile(backend, "x = bytearray(10 * 1024**3)\nprint(len(x))")["verdict"] == "MLE"


def test_100mb_of_output_is_ole_quickly(backend: str) -> None:
    result = run_hostile(backend, "import sys\nsys.stdout.write('x' * 100_000_000)", time_s=5.0,
                         limits={"time_s": 5.0, "memory_mb": 512, "output_bytes": 1 << 20})
    assert result["verdict"] == "OLE"
    assert result["tests"][0]["wall_s"] < 5


def test_os_exit_before_flush_loses_output(backend: str) -> None:
    assert run_hostile(backend, "import os\nprint(42)\nos._exit(0)", "42")["verdict"] == "WA"


def test_closing_stdout_is_wrong_answer(backend: str) -> None:
    assert run_hostile(backend, "import os\nos.close(1)\nprint(42)", "42")["verdict"] in ("WA", "RE")


def test_detached_daemon_is_killed(backend: str) -> None:
    daemon = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
              "        time.sleep(300)\n    os._exit(0)\nprint(42)\n")
    assert run_hostile(backend, daemon, "42")["verdict"] == "AC"


def test_network_is_unreachable(backend: str) -> None:
    probe = ("import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n"
             "    print('connected')\nexcept OSError:\n    print('blocked')\n")
    assert run_hostile(backend, probe, "blocked")["verdict"] == "AC"


def test_cannot_write_outside_work_dir(backend: str) -> None:
    # Opening with "r+" asks for write access without changing the file, should the check fail.
    target = Path(__file__).resolve().parent.parent / "pwned.txt"
    runner = str(RUNNER) if backend == "local" else "/opt/sandbox/runner.py"
    probe = (f"import os\nopened = []\nfor path, mode in (({str(target)!r}, 'w'), ('/pwned.txt', 'w'), "
             f"({runner!r}, 'r+')):\n    try:\n        open(path, mode).close()\n        opened.append(path)\n"
             "    except OSError:\n        pass\nprint(opened or 'denied')\n")
    assert run_hostile(backend, probe, "denied")["verdict"] == "AC"
    assert not target.exists()


def test_server_environment_is_invisible(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASCADE_TEST_SECRET", "s3cr3t-value")
    probe = ("import os, glob\nseen = ' '.join(os.environ.values())\n"
             "for p in glob.glob('/proc/*/environ'):\n    try:\n        seen += open(p).read()\n"
             "    except OSError:\n        pass\nprint('leak' if 's3cr3t' in seen else 'clean')\n")
    assert run_hostile(backend, probe, "clean")["verdict"] == "AC"


def test_kill_all_is_contained(backend: str) -> None:
    # Local: the only other processes (runner, zygote) are root's, out of reach; the program goes on.
    # In a container it kills the zygote (same uid), which ends the test as RE; the next test gets a
    # fresh zygote (run_hostile checks the runner still judges, unreplaced).
    verdict = run_hostile(backend, "import os, signal\nos.kill(-1, signal.SIGKILL)\nprint(1)", "1")["verdict"]
    assert verdict == ("AC" if backend == "local" else "RE")


def test_stopping_every_process_is_contained(backend: str) -> None:
    # In a container this stops the zygote: the runner stops waiting for it after a grace period,
    # replaces it, and the next test is judged as usual (run_hostile checks). Locally it reaches nothing.
    verdict = run_hostile(backend, "import os, signal\nos.kill(-1, signal.SIGSTOP)\nprint(1)", "1")["verdict"]
    assert verdict == ("AC" if backend == "local" else "TLE")


# Programs that look for the expected output in their own memory instead of computing it. The
# expected output below shares nothing with the input, so only such a search could print it.
_SECRET = "SECRET-7f3a91c2"
_FRAME_WALK = """
import sys
f = sys._getframe()
while f is not None:
    for value in list(f.f_locals.values()):
        if isinstance(value, dict) and "expected" in value:
            print(value["expected"]); sys.exit(0)
    f = f.f_back
"""
_MEMORY_SCAN = """
import re, sys
mem = open("/proc/self/mem", "rb")
for line in open("/proc/self/maps"):
    fields = line.split()
    if "r" not in fields[1] or len(fields) > 5 and fields[5].startswith("/"):
        continue  # anonymous memory and the heap only: where the interpreter keeps its objects
    lo, hi = (int(x, 16) for x in fields[0].split("-"))
    try:
        mem.seek(lo)
        found = re.search(rb"SECRET-[0-9a-f]{8}", mem.read(hi - lo))
    except (OSError, OverflowError, ValueError):
        continue
    if found:
        print(found.group().decode()); sys.exit(0)
"""


@pytest.mark.parametrize("program", [_FRAME_WALK, _MEMORY_SCAN], ids=["frame_walk", "memory_scan"])
def test_expected_outputs_are_out_of_the_programs_reach(backend: str, program: str) -> None:
    """Tests are forked from a zygote that never held a job: before it, a frame walk took AC."""
    result = run_hostile(backend, program, _SECRET, time_s=2.0)
    # WA: searched and found nothing; RE: /proc/self/mem refused (local tests switch uid, which
    # makes them non-dumpable).
    assert result["verdict"] in ("WA", "RE"), result


def test_runner_death_is_retried_then_reported() -> None:
    """A job that kills its runner twice surfaces as HostFailure (infra_error), never a verdict."""
    from sandbox.backends.base import HostFailure
    from sandbox.backends.local import LocalHost

    async def go() -> None:
        pool = make_pool("local", 2, _UID)
        await pool.start()
        try:
            job = {"language": "python", "program": "import time\ntime.sleep(5)",
                   "tests": [{"stdin": "", "expected": ""}], "limits": {"time_s": 5.0}}
            task = asyncio.create_task(pool.execute(job))
            for _ in range(2):  # poison the runner holding the job, then the one it is retried on
                await asyncio.sleep(0.5)
                for host in pool.busy:
                    assert isinstance(host, LocalHost)
                    if host.proc is not None and host.proc.returncode is None:
                        host.proc.kill()
            with pytest.raises(HostFailure):
                await task
            ok = await pool.execute({"language": "python", "program": "print(1)",
                                     "tests": [{"stdin": "", "expected": "1"}]})
            assert ok["verdict"] == "AC"
        finally:
            await pool.close()
    asyncio.run(go())
