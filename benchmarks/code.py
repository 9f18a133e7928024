"""Code execution throughput: one `python3` subprocess per test (baseline) vs our sandbox runners
on local namespaces (as root, and as an ordinary account) and in the Docker pool.

All of them run the same correct stdin/stdout solutions, 10 tests per problem, in one process run,
so the ratios are meaningful on any machine. The ordinary-account column needs root (it starts
the runners as `nobody`, the path `make serve` takes for an ordinary user); the Docker column a
daemon and the sandbox image (`docker build -t cascade-sandbox:latest sandbox/`); without them
they are reported as skipped.
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


if __name__ == "__main__":
    main()
