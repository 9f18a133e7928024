"""Code execution throughput: one `python3` subprocess per test (baseline) vs our sandbox runners.

Both sides run the same correct stdin/stdout solutions, 10 tests per problem, in one process run,
so the ratio is meaningful on any machine. Usage: PYTHONPATH=. python benchmarks/code.py [problems]
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from sandbox.backends.local import DEFAULT_PYTHON, local_pool

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


async def ours(items: list[tuple[str, list[tuple[str, str]]]], runners: int) -> float:
    pool = local_pool(runners, base_uid=64000)
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


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    runners = os.cpu_count() or 2
    items = problems(count)
    tests = sum(len(t) for _, t in items)
    t_base = baseline(items)
    t_ours = asyncio.run(ours(items, runners))
    print(f"{count} problems x 10 tests = {tests} tests, {runners} runners")
    print(f"baseline subprocess per test: {tests / t_base:8.1f} tests/s ({t_base:.2f} s)")
    print(f"sandbox runners (fork/test):  {tests / t_ours:8.1f} tests/s ({t_ours:.2f} s)")
    print(f"ratio: {t_base / t_ours:.1f}x")


if __name__ == "__main__":
    main()
