"""Hostile programs inside the real sandbox, on every backend: local runners as root and as an
ordinary account, and the Docker pool. Each attack gets the verdict it deserves, correct samples
judged beside or after it keep theirs, the runner keeps answering, and nothing of the sandbox
(process, container, file) survives. Never run these programs outside the sandbox."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from sandbox.backends.pool import RunnerPool
from tests import hostile_programs as hp
from tests.conftest import ROOT
from tests.docker_support import BACKENDS, CORRECT_JOB, RUN_UID, make_pool, on_pool_of, sandbox_image

_UID = RUN_UID  # and the next one: pools of two runners


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _job(program: str, tests: list[dict[str, Any]], time_s: float = 1.0, **extra: Any) -> dict[str, Any]:
    return {"language": "python", "program": program, "tests": tests,
            "limits": {"time_s": time_s, "memory_mb": 256}, **extra}


def on_pool(backend: str, size: int, go: Any) -> Any:
    return on_pool_of(backend, size, go, _UID)


def run_hostile(backend: str, job: dict[str, Any]) -> dict[str, Any]:
    async def go(pool: RunnerPool) -> dict[str, Any]:
        return await pool.execute(job)
    return dict(on_pool(backend, 1, go))


@pytest.mark.parametrize("case", hp.cases(), ids=[c[0] for c in hp.cases()])
def test_hostile_program_gets_its_verdict(backend: str, case: tuple[str, str, str, Any, dict[str, Any]]) -> None:
    _, program, expected, verdicts, extra = case
    job = _job(program, [{"stdin": "", "expected": expected}], **extra)
    result = run_hostile(backend, job)
    assert result["verdict"] in ((verdicts,) if isinstance(verdicts, str) else verdicts), result


def test_cpu_of_unwaited_workers_counts(backend: str) -> None:
    """Four workers burning 0.6 s each, never waited for: the test used 2.4 s, not 0.006 s."""
    result = run_hostile(backend, _job(hp.UNWAITED_WORKERS, [{"stdin": "", "expected": "42"}]))
    assert result["verdict"] == "TLE" and result["tests"][0]["time_s"] > 1.0, result


_SECRET = "SECRET-7f3a91c2"
_ASSERTS = f"def check(candidate):\n    assert candidate(1) == 2, {_SECRET!r}\n    assert candidate(41) == 42\n\ncheck(f)\n"


@pytest.mark.parametrize("program", [hp.FORGED_REPORT, hp.ASSERT_READER], ids=["forged_report", "assert_reader"])
def test_assert_tests_cannot_be_forged(backend: str, program: str) -> None:
    """The asserts run in a driver process the program cannot reach: it can neither write the
    driver's report nor read the asserts (which hold the expected values)."""
    async def go(pool: RunnerPool) -> list[dict[str, Any]]:
        hostile = _job(program, [{"code": _ASSERTS}])
        honest = _job("def f(x):\n    return x + 1\n", [{"code": _ASSERTS}])
        wrong = _job("def f(x):\n    return x\n", [{"code": _ASSERTS}])
        return list(await asyncio.gather(pool.execute(hostile), pool.execute(honest), pool.execute(wrong)))

    hostile, honest, wrong = on_pool(backend, 2, go)
    assert hostile["verdict"] in ("WA", "RE"), hostile
    assert honest["verdict"] == "AC", honest
    assert wrong["verdict"] == "WA" and _SECRET in wrong["tests"][0]["detail"], wrong


# Programs that look for the expected output in their own memory instead of computing it. The
# expected output below shares nothing with the input, so only such a search could print it.
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
    """Tests are forked from processes that never held a job: before that, a frame walk took AC."""
    result = run_hostile(backend, _job(program, [{"stdin": "", "expected": _SECRET}], time_s=2.0))
    assert result["verdict"] in ("WA", "RE"), result


@pytest.fixture
def host_dataset() -> Iterator[list[Path]]:
    """A training set on the host's disk, world-readable, where datasets live: /srv, /data, /tmp,
    /home and the checkout. Its expected outputs must stay out of the sandbox's reach."""
    marker = uuid.uuid4().hex[:8]
    row = f'{{"input": "7 35 {marker}", "output": "SECRET-{marker}"}}\n'
    dirs = [Path("/srv") / f"cascade-test-{marker}", Path("/data") / f"cascade-test-{marker}",
            Path(tempfile.gettempdir()) / f"cascade-test-{marker}", Path("/home") / f"cascade-test-{marker}",
            ROOT / f".cascade-test-{marker}"]
    made = []
    for d in dirs:
        try:
            d.mkdir(parents=True, mode=0o755)
        except OSError:
            continue
        (d / "train.jsonl").write_text(row)
        (d / "train.jsonl").chmod(0o644)
        made.append(d)
    try:
        yield made
    finally:
        for d in made:
            shutil.rmtree(d, ignore_errors=True)
        for parent in (Path("/data"),):
            if parent.exists() and not any(parent.iterdir()):
                parent.rmdir()


_DATASET_SEARCH = """
import json, os, sys
query = input().strip()
roots = sys.argv[1:] + ["/srv", "/data", "/tmp", "/home", "/root", "/mnt", "/media"]
for root in roots:
    for dirpath, dirs, files in os.walk(root):
        for name in files:
            try:
                for line in open(os.path.join(dirpath, name), errors="ignore"):
                    if query in line:
                        print(json.loads(line)["output"]); sys.exit(0)
            except (OSError, ValueError, KeyError):
                pass
print("not found")
"""


def test_host_files_are_invisible(backend: str, host_dataset: list[Path]) -> None:
    """A program that finds its test in the training set on disk and prints the paired output."""
    marker = host_dataset[0].name.rsplit("-", 1)[1]
    program = _DATASET_SEARCH.replace("sys.argv[1:]", repr([str(d) for d in host_dataset]))
    result = run_hostile(backend, _job(program, [{"stdin": f"7 35 {marker}", "expected": f"SECRET-{marker}"}],
                                       time_s=5.0))
    assert result["verdict"] == "WA", result


@pytest.fixture
def host_listeners() -> Iterator[dict[str, Any]]:
    """What a sandbox must not reach on this machine: a TCP listener on the host's loopback, a
    0777 Unix socket in the file system and an abstract Unix socket. Each records what connects."""
    accepted: list[str] = []
    tcp = socket.create_server(("127.0.0.1", 0))
    # Not under /tmp, which every sandbox (even the old one) mounts a private copy over.
    base = Path("/var/tmp") if os.access("/var/tmp", os.W_OK) else Path(tempfile.gettempdir())
    path = base / f"cascade-probe-{uuid.uuid4().hex[:8]}.sock"
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(path))
    path.chmod(0o777)
    abstract_name = f"\0cascade-probe-{uuid.uuid4().hex[:8]}"
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind(abstract_name)
    servers = {"tcp": tcp, "unix": unix, "abstract": abstract}
    for name, server in servers.items():
        server.listen(8)
        server.settimeout(0.2)

        def serve(name: str = name, server: socket.socket = server) -> None:
            while server.fileno() != -1:
                try:
                    conn, _ = server.accept()
                except (TimeoutError, OSError):
                    continue
                accepted.append(name)
                conn.close()
        threading.Thread(target=serve, daemon=True).start()
    try:
        yield {"port": tcp.getsockname()[1], "path": str(path), "abstract": abstract_name, "accepted": accepted}
    finally:
        for server in servers.values():
            server.close()
        path.unlink(missing_ok=True)


def test_network_and_host_sockets_are_unreachable(backend: str, host_listeners: dict[str, Any]) -> None:
    probe = (f"import socket\nreached = []\n"
             f"for family, address in ((socket.AF_INET, ('127.0.0.1', {host_listeners['port']})), "
             f"(socket.AF_UNIX, {host_listeners['path']!r}), (socket.AF_UNIX, {host_listeners['abstract']!r})):\n"
             "    try:\n        s = socket.socket(family)\n        s.settimeout(2)\n        s.connect(address)\n"
             "        reached.append(str(address))\n    except OSError:\n        pass\n"
             "print(reached or 'blocked')\n")
    result = run_hostile(backend, _job(probe, [{"stdin": "", "expected": "blocked"}], time_s=5.0))
    assert result["verdict"] == "AC", result
    assert host_listeners["accepted"] == []


def test_a_cpu_hog_cannot_make_its_neighbour_time_out(backend: str) -> None:
    """60 busy processes on one runner, each in a session of its own (so the kernel's per-session
    autogroups give each a full share); a correct program that needs 0.6 s of its 1.5 s of CPU,
    on the other runner at the same time, keeps AC. It used to become TLE: its wall limit ran out
    while the hog, every process within its own CPU limit, took the machine."""
    hog = ("import os\nfor _ in range(60):\n    if os.fork() == 0:\n        os.setsid()\n        while True:\n"
           "            pass\nos.wait()\n")
    busy = "n = int(input())\ns = 0\nfor i in range(n):\n    s += i * i % 7\nprint(s)\n"
    n = 7_000_000
    expected = str(sum(i * i % 7 for i in range(n)))

    async def go(pool: RunnerPool) -> tuple[dict[str, Any], dict[str, Any]]:
        hogging = asyncio.create_task(pool.execute(_job(hog, [{"stdin": "", "expected": ""}], time_s=2.0)))
        await asyncio.sleep(0.3)
        neighbour = await pool.execute(_job(busy, [{"stdin": str(n), "expected": expected}], time_s=1.5))
        return await hogging, neighbour

    hogged, neighbour = on_pool(backend, 2, go)
    assert hogged["verdict"] == "TLE", hogged
    assert neighbour["verdict"] == "AC", neighbour


def test_each_sample_gets_a_fresh_tmp_shm_and_ipc(backend: str) -> None:
    """A sample that fills /tmp and /dev/shm and leaves System V objects cannot make the next
    sample's correct program (tempfile, a multiprocessing lock) fail on the same runner."""
    async def go(pool: RunnerPool) -> dict[str, Any]:
        filled = await pool.execute(_job(hp.FILL_SHARED_STATE, [{"stdin": "", "expected": "1"}], time_s=10.0))
        assert filled["verdict"] == "AC", filled
        return dict(await pool.execute(_job(hp.NEEDS_CLEAN_STATE, [{"stdin": "21", "expected": "42"}], time_s=5.0)))

    result = on_pool(backend, 1, go)
    assert result["verdict"] == "AC", result


def test_memory_is_bounded_per_test_not_per_process(backend: str) -> None:
    """30 children of 300 MB each: MLE, and the machine's memory use never rises by the 9 GB they ask."""
    before = psutil.virtual_memory().used
    peak = [before]
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], psutil.virtual_memory().used)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        result = run_hostile(backend, _job(hp.MEMORY_SPREAD, [{"stdin": "", "expected": ""}],
                                           limits={"time_s": 5.0, "memory_mb": 512}))
    finally:
        done.set()
        watcher.join()
    assert result["verdict"] == "MLE", result
    assert peak[0] - before < 3 * 1024**3, f"memory rose by {(peak[0] - before) / 1024**3:.1f} GB"


def test_stopping_or_killing_every_process_costs_no_sample(backend: str) -> None:
    """A program that SIGSTOPs and SIGKILLs every pid it can name, in a 5-test job judged without
    early exit: the runner, its zygote and the job's init are out of its reach (stopping the zygote
    used to make the whole sample infra_error after a minute)."""
    job = _job(hp.STOP_EVERYTHING, [{"stdin": "", "expected": "1"}] * 5, early_exit=False)
    result = run_hostile(backend, job)
    assert [t["verdict"] for t in result["tests"]] == ["AC"] * 5, result


def test_runner_death_is_retried_then_reported() -> None:
    """A job that kills its runner twice surfaces as HostFailure (infra_error), never a verdict."""
    from sandbox.backends.base import HostFailure
    from sandbox.backends.local import LocalHost

    async def go() -> None:
        pool = make_pool("local", 2, _UID)
        await pool.start()
        try:
            job = _job("import time\ntime.sleep(5)", [{"stdin": "", "expected": ""}], time_s=5.0)
            task = asyncio.create_task(pool.execute(job))
            for _ in range(2):  # poison the runner holding the job, then the one it is retried on
                await asyncio.sleep(0.5)
                for host in pool.busy:
                    assert isinstance(host, LocalHost)
                    if host.proc is not None and host.proc.returncode is None:
                        host.proc.kill()
            with pytest.raises(HostFailure):
                await task
            assert (await pool.execute(CORRECT_JOB))["verdict"] == "AC"
        finally:
            await pool.close()
    asyncio.run(go())


_FROM_ELSEWHERE = """
import asyncio, sys
from sandbox.backends.local import LocalPool
async def main():
    pool = LocalPool(1, 61990, run_as=sys.argv[1] or None)
    await pool.start()
    try:
        job = {"language": "python", "program": "print(int(input()) * 2)", "tests": [{"stdin": "21", "expected": "42"}]}
        print((await pool.execute(job))["verdict"])
    finally:
        await pool.close()
asyncio.run(main())
"""


@pytest.mark.parametrize("as_user", [False, True], ids=["root", "ordinary-user"])
def test_local_backend_runs_from_a_checkout_under_tmp(as_user: bool) -> None:
    """The runner's own file under /tmp (a clone or venv there) stays visible to the sandbox,
    which mounts a private /tmp: this used to fail with IncompleteReadError."""
    from tests.docker_support import sandbox_user

    user = sandbox_user() if as_user else ""
    with tempfile.TemporaryDirectory(prefix="cascade-clone-") as clone:
        os.chmod(clone, 0o755)
        shutil.copytree(ROOT / "sandbox", Path(clone) / "sandbox", ignore=shutil.ignore_patterns("__pycache__"))
        for dirpath, dirnames, filenames in os.walk(clone):
            for name in dirnames:
                os.chmod(os.path.join(dirpath, name), 0o755)
            for name in filenames:
                os.chmod(os.path.join(dirpath, name), 0o644)
        done = subprocess.run([sys.executable, "-c", _FROM_ELSEWHERE, user], cwd=clone, env={"PYTHONPATH": clone},
                              capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "AC", done.stdout + done.stderr


@pytest.mark.docker
def test_where_namespaces_are_refused_the_error_says_why() -> None:
    """As an ordinary user in a container whose seccomp profile refuses namespaces (Docker's
    default), the local backend cannot start: the error names the cause and the alternatives."""
    image = sandbox_image()
    script = ("import asyncio\nfrom sandbox.backends.local import LocalPool\n"
              "async def main():\n    pool = LocalPool(1, 61000, python='/usr/bin/python3')\n"
              "    try:\n        await pool.start()\n    except Exception as exc:\n        print(exc)\n"
              "    finally:\n        await pool.close()\nasyncio.run(main())\n")
    done = subprocess.run(["docker", "run", "--rm", "--network", "none", "-u", "65534:65534", "-e", "PYTHONPATH=/src",
                           "-v", f"{ROOT / 'sandbox'}:/src/sandbox:ro", image, "python3", "-c", script],
                          capture_output=True, text=True, timeout=120)
    message = done.stdout
    assert "cannot enter namespaces" in message and "Operation not permitted" in message, done
    assert "code.backend: docker" in message and "compose" in message, message
