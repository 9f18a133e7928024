"""Code execution throughput: one `python3` subprocess per test (baseline) vs our sandbox runners
on local namespaces (as root, and as an ordinary account) and in the Docker pool.

All of them run the same correct stdin/stdout solutions, 10 tests per problem, in one process run,
so the ratios are meaningful on any machine. The ordinary-account column needs root (it starts
the runners as `nobody`, the path `make serve` takes for an ordinary user); the Docker column a
daemon and the sandbox image (`docker build -t cascade-sandbox:latest sandbox/`); without them
they are reported as skipped.

Then an interactive workload: a program that answers each of an interactor's numbers with the
next one, for 1 and for EXCHANGES exchanges per test, in the local sandbox and as two bare
processes joined by pipes. The difference between the two lengths gives the cost of one exchange
(the sandbox's overhead per exchange is what it adds to the bare pipes') and of a test without any.
Usage: PYTHONPATH=. python -m benchmarks.code [problems] [docker image]
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from sandbox.backends.docker import ContainerSpec, DockerPool
from sandbox.backends.local import DEFAULT_PYTHON, LocalPool
from sandbox.backends.pool import RunnerPool

SOLUTIONS = [
    ("a, b = map(int, input().split())\nprint(a + b)", lambda i: (f"{i} {i * 7}", f"{i * 8}")),
    ("n = int(input())\nprint(sum(range(n + 1)))", lambda i: (f"{i * 100}", str(sum(range(i * 100 + 1))))),
    ("s = input()\nprint(s[::-1])", lambda i: (f"abc{i}xyz", f"abc{i}xyz"[::-1])),
    ("import sys\nxs = list(map(int, sys.stdin.read().split()))\nprint(max(xs))",
     lambda i: (" ".join(map(str, range(i, i + 50))), str(i + 49))),
]


def problems(count: int) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(SOLUTIONS[p % len(SOLUTIONS)][0], [SOLUTIONS[p % len(SOLUTIONS)][1](p * 10 + t) for t in range(10)])
            for p in range(count)]


def baseline(items: list[tuple[str, list[tuple[str, str]]]]) -> float:
    """What a naive verifier does: write the file, `subprocess.run(["python3", file])` per test.

    The interpreter is the runners' own (`DEFAULT_PYTHON`), not a `python3` on PATH that may be a
    slow pyenv shell shim, so the ratio measures the design, not the shim."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for k, (program, tests) in enumerate(items):
            path = os.path.join(tmp, f"p{k}.py")
            with open(path, "w") as f:
                f.write(program)
            for stdin, expected in tests:
                out = subprocess.run([DEFAULT_PYTHON, path], input=stdin, capture_output=True, text=True, timeout=10)
                assert out.stdout.split() == expected.split(), (program, stdin, out)
    return time.perf_counter() - start


async def ours(items: list[tuple[str, list[tuple[str, str]]]], pool: RunnerPool) -> float:
    """Every problem as one job on `pool`, all submitted at once; timed after the pool is warm."""
    await pool.start()
    try:
        jobs: list[dict[str, Any]] = [
            {"language": "python", "program": p, "limits": {"time_s": 2, "memory_mb": 256},
             "tests": [{"stdin": i, "expected": o} for i, o in tests]} for p, tests in items]
        start = time.perf_counter()
        results = await asyncio.gather(*(pool.execute(j) for j in jobs))
        elapsed = time.perf_counter() - start
        assert all(r["verdict"] == "AC" for r in results), results
        return elapsed
    finally:
        await pool.close()


ROUNDS = 3
EXCHANGES = 2000
ECHO_INTERACTOR = """
import sys
n = int(open(sys.argv[1]).read())
for i in range(n):
    print(i, flush=True)
    if int(sys.stdin.readline()) != i + 1:
        sys.exit(43)
sys.exit(42)
"""
ECHO_PROGRAM = "import sys\nfor line in sys.stdin:\n    print(int(line) + 1, flush=True)\n"


def bare_exchange(exchanges: int, tests: int) -> float:
    """Seconds per test for the interactor and the program as bare processes joined by pipes."""
    with tempfile.TemporaryDirectory() as tmp:
        files = {name: os.path.join(tmp, name) for name in ("interactor.py", "program.py", "input")}
        for name, text in (("interactor.py", ECHO_INTERACTOR), ("program.py", ECHO_PROGRAM),
                           ("input", str(exchanges))):
            with open(files[name], "w") as f:
                f.write(text)
        start = time.perf_counter()
        for _ in range(tests):
            to_judge_r, to_judge_w = os.pipe()
            to_program_r, to_program_w = os.pipe()
            judge = subprocess.Popen([DEFAULT_PYTHON, files["interactor.py"], files["input"], "x", tmp],
                                     stdin=to_judge_r, stdout=to_program_w)
            program = subprocess.Popen([DEFAULT_PYTHON, files["program.py"]], stdin=to_program_r, stdout=to_judge_w)
            for fd in (to_judge_r, to_judge_w, to_program_r, to_program_w):
                os.close(fd)
            assert judge.wait() == 42
            program.wait()
        return (time.perf_counter() - start) / tests


async def sandbox_exchange(exchanges: int, tests: int, pool: RunnerPool) -> float:
    """Seconds per test for the same pair in the sandbox (one job of `tests` tests), after a warm-up."""
    job = {"language": "python", "program": ECHO_PROGRAM, "limits": {"time_s": 10, "memory_mb": 256},
           "interactor": {"program": ECHO_INTERACTOR, "language": "python", "convention": "kattis"},
           "tests": [{"stdin": str(exchanges), "expected": ""}] * tests}
    await pool.start()
    try:
        await pool.execute({**job, "tests": job["tests"][:1]})
        start = time.perf_counter()
        result = await pool.execute(job)
        elapsed = time.perf_counter() - start
        assert result["verdict"] == "AC", result
        return elapsed / tests
    finally:
        await pool.close()


def interactive() -> None:
    """The cost of one exchange and of an exchange-less test, sandbox and bare, best of ROUNDS."""
    tests = 5
    bare, ours = {}, {}
    for n in (1, EXCHANGES):
        bare[n] = min(bare_exchange(n, tests) for _ in range(ROUNDS))
        ours[n] = min(asyncio.run(sandbox_exchange(n, tests, LocalPool(1, base_uid=64000))) for _ in range(ROUNDS))
    per_bare = (bare[EXCHANGES] - bare[1]) / (EXCHANGES - 1)
    per_ours = (ours[EXCHANGES] - ours[1]) / (EXCHANGES - 1)
    print(f"interactive, {EXCHANGES} exchanges per test, best of {ROUNDS}:")
    print(f"  per exchange: local sandbox {per_ours * 1e6:6.1f} us, bare pipes {per_bare * 1e6:6.1f} us "
          f"(overhead {(per_ours - per_bare) * 1e6:+.1f} us per exchange)")
    print(f"  per test without exchanges: local sandbox {ours[1] * 1e3:6.1f} ms, bare processes {bare[1] * 1e3:6.1f} ms")


def docker_unavailable(image: str) -> str | None:
    """Why the Docker pool cannot run here, or None."""
    try:
        import docker

        docker.from_env().images.get(image)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    image = sys.argv[2] if len(sys.argv) > 2 else "cascade-sandbox:latest"
    runners = os.cpu_count() or 2
    items = problems(count)
    tests = sum(len(t) for _, t in items)
    t_base = baseline(items)
    skip = docker_unavailable(image)
    if skip:
        print(f"docker pool: skipped ({skip})")
    as_user = os.geteuid() == 0
    if not as_user:
        print("local runners as an ordinary account: this is the local column (not root)")
    # Our paths alternate for ROUNDS rounds and each keeps its best: on a shared machine a burst of
    # someone else's load then cannot decide the ratios between them.
    t_local = t_user = t_docker = float("inf")
    for _ in range(ROUNDS):
        t_local = min(t_local, asyncio.run(ours(items, LocalPool(runners, base_uid=64000))))
        if as_user:
            t_user = min(t_user, asyncio.run(ours(items, LocalPool(runners, base_uid=64000, run_as="nobody"))))
        if not skip:
            pool = DockerPool(runners, ContainerSpec(image=image), base_uid=64100)
            t_docker = min(t_docker, asyncio.run(ours(items, pool)))
    print(f"{count} problems x 10 tests = {tests} tests, {runners} runners, best of {ROUNDS} rounds")
    print(f"baseline subprocess per test: {tests / t_base:8.1f} tests/s ({t_base:.2f} s)")
    print(f"local runners (fork/test):    {tests / t_local:8.1f} tests/s ({t_local:.2f} s)  "
          f"{t_base / t_local:.1f}x baseline")
    if t_user < float("inf"):
        print(f"local, ordinary account:      {tests / t_user:8.1f} tests/s ({t_user:.2f} s)  "
              f"{t_base / t_user:.1f}x baseline, {t_local / t_user:.2f}x root")
    if t_docker < float("inf"):
        print(f"docker pool (fork/test):      {tests / t_docker:8.1f} tests/s ({t_docker:.2f} s)  "
              f"{t_base / t_docker:.1f}x baseline, {t_local / t_docker:.2f}x local")
    interactive()


if __name__ == "__main__":
    main()
