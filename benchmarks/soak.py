"""Soak: N minutes of mixed OpenRLHF-style load, then a check for anything left behind.

Each step is a small rollout (`--batch-size` prompts x `--n-samples`, math and code, fresh
references every step) whose single-sample `/get_reward` requests arrive spread over
`--spread-s` seconds, plus hostile samples that force the slow paths every step: a math answer
that hangs SymPy (its worker is killed and replaced) and a code answer that fork-bombs and sleeps
(its sandbox processes are killed). Reported:

- resident memory of every process of the service, by role, after a warm-up step and at the end
  (workers replaced during the run are counted in their role, hence the process counts);
- open file descriptors of the API process, start and end;
- after shutdown: processes of the service still alive, sandbox processes of its uids, sandbox
  containers it started (Docker backend).

Run: `PYTHONPATH=. python -m benchmarks.soak [--minutes 10] [--ray]`. Exits non-zero if anything leaked
or any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import orjson
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.loadgen import post_arrivals  # noqa: E402
from benchmarks.openrlhf_step import Step, check, make_step  # noqa: E402
from tests.conftest import local_ray_cluster, running_server, wait_until_ready  # noqa: E402

BASE_UID = 65000
_HOSTILE_MATH = r"\boxed{9^{9^{9^{9}}}}"
_HOSTILE_CODE = "import os, time\nfor _ in range(64):\n    try:\n        os.fork()\n    except OSError:\n        break\ntime.sleep(30)"


def hostile(step: int) -> Step:
    code_label = orjson.dumps({"domain": "code", "tests": {"inputs": [""], "outputs": ["1"]}}).decode()
    bodies = [
        {"query": [f"Problem {step}: </think>{_HOSTILE_MATH}"], "prompts": [f"Problem {step}: "], "labels": ["1"]},
        {"query": [f"</think>```python\n{_HOSTILE_CODE}\n```"], "prompts": [""], "labels": [code_label]},
    ]
    return Step([orjson.dumps(b) for b in bodies], ["math", "code"], [0.0, 0.0])


def role(proc: psutil.Process, api_pid: int) -> str:
    if proc.pid == api_pid:
        return "api"
    cmd = " ".join(proc.cmdline())
    if cmd.startswith("ray::NodePool"):
        return "ray actor"
    if "verifiers.worker_process" in cmd:
        return "math worker"
    if "runner.py" in cmd:
        return "sandbox runner"
    return proc.name()


@dataclass
class Snapshot:
    rss_mb: dict[str, float]
    count: dict[str, int]
    fds: int
    pids: set[int]


def actor_processes() -> list[psutil.Process]:
    """Our Ray actors (`--ray`) and everything they started. The raylets own them, not the API, and
    the raylets are this process's children (the local cluster), which tells them from other users'."""
    actors = [p for p in psutil.Process().children(recursive=True) if _cmdline(p).startswith("ray::NodePool")]
    return [*actors, *(c for a in actors for c in a.children(recursive=True))]


def _cmdline(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""


def snapshot(api_pid: int) -> Snapshot:
    api = psutil.Process(api_pid)
    rss: Counter[str] = Counter()
    count: Counter[str] = Counter()
    pids = set()
    for proc in [api, *api.children(recursive=True), *actor_processes()]:
        try:
            r = role(proc, api_pid)
            rss[r] += proc.memory_info().rss / 2**20
            count[r] += 1
            pids.add(proc.pid)
        except psutil.NoSuchProcess:
            continue
    return Snapshot(dict(rss), dict(count), api.num_fds(), pids)


def server_pid(port: int) -> int:
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if "serve" in cmd and "--port" in cmd and cmd[cmd.index("--port") + 1] == str(port):
            return proc.pid
    raise RuntimeError(f"no `verifiers serve --port {port}` process")


OWNER_LABEL = "cascade-verifiers.owner"  # "<host>:<pid>" of the process that started a sandbox container


def containers(owner_pids: set[int]) -> list[str]:
    """Sandbox containers (Docker backend) started by one of our processes, running or not; other
    users of the Docker daemon are not ours to count."""
    fmt = "{{.ID}} {{.Label \"%s\"}}" % OWNER_LABEL
    try:
        out = subprocess.run(["docker", "ps", "-a", "--filter", f"label={OWNER_LABEL}", "--format", fmt],
                             capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [cid for cid, _, owner in (line.partition(" ") for line in out.splitlines())
            if owner.rpartition(":")[2].isdigit() and int(owner.rpartition(":")[2]) in owner_pids]


def uid_processes(first: int, count: int) -> list[str]:
    uids = ",".join(str(first + i) for i in range(count))
    return subprocess.run(["ps", "-o", "pid=,comm=", "-u", uids], capture_output=True, text=True).stdout.split()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--n-samples", type=int, default=16)
    ap.add_argument("--spread-s", type=float, default=5.0)
    ap.add_argument("--workers", type=int, default=2, help="math workers and sandbox runners in total")
    ap.add_argument("--ray", action="store_true", help="serve through a 2-node local Ray cluster")
    args = ap.parse_args()

    per_pool = str(max(1, args.workers // 2) if args.ray else args.workers)
    env = {"VERIFIERS_MATH__WORKERS": per_pool, "VERIFIERS_CODE__RUNNERS": per_pool,
           "VERIFIERS_CODE__BASE_UID": str(BASE_UID)}
    with contextlib.ExitStack() as stack:
        serve_args = ["--ray", stack.enter_context(local_ray_cluster(nodes=2))] if args.ray else []
        elapsed, steps, totals, failures, start, end = soak(args, env, serve_args)
        time.sleep(2)
        survivors = start.pids | end.pids
        leaked = [p for p in survivors if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    sandbox_left = uid_processes(BASE_UID, args.workers * 2)
    new_containers = containers(survivors)

    print(f"\nsoak: {elapsed / 60:.1f} min, {steps} steps after a warm-up step, {totals['requests']} requests in all, "
          f"verdicts {dict((k, v) for k, v in totals.items() if k != 'requests')}, failed requests {failures}")
    print(f"{'role':16s} {'procs start':>11s} {'procs end':>9s} {'RSS start MB':>12s} {'RSS end MB':>10s}")
    for r in sorted(set(start.rss_mb) | set(end.rss_mb)):
        print(f"{r:16s} {start.count.get(r, 0):11d} {end.count.get(r, 0):9d} {start.rss_mb.get(r, 0):12.1f} "
              f"{end.rss_mb.get(r, 0):10.1f}")
    print(f"API process open fds: start {start.fds}, end {end.fds}")
    print(f"after shutdown: service processes alive {leaked}, sandbox-uid processes {sandbox_left}, "
          f"sandbox containers left {new_containers}")
    if failures or leaked or sandbox_left or new_containers:
        sys.exit("FAILED")


def soak(args: argparse.Namespace, env: dict[str, str],
         serve_args: list[str]) -> tuple[float, int, Counter[str], int, Snapshot, Snapshot]:
    """Run the load; (elapsed s, steps, verdict totals, failed requests, snapshot start, snapshot end)."""
    totals: Counter[str] = Counter()
    failures = 0
    with running_server(env=env, args=serve_args, timeout_s=180) as url:
        wait_until_ready(url, 300)
        pid = server_pid(int(url.rsplit(":", 1)[1]))

        def one_step(n: int) -> None:
            nonlocal failures
            step = make_step(args.batch_size, args.n_samples, 0.25, 4000, seed=n)
            extra = hostile(n)
            step = Step(step.bodies + extra.bodies, step.domains + extra.domains, step.expected + extra.expected)
            rng = random.Random(n)
            offsets = [rng.uniform(0, args.spread_s) for _ in step.bodies]
            report = check(f"step {n}", step, asyncio.run(post_arrivals(f"{url}/get_reward", step.bodies, offsets)))
            totals.update(report.statuses)
            totals["requests"] += len(step.bodies)
            failures += report.non_2xx + report.unanswered + report.wrong_code + report.statuses.get("infra_error", 0)

        one_step(0)  # warm-up: imports, first workers replaced, caches populated
        start = snapshot(pid)
        started = time.monotonic()
        n = 1
        while time.monotonic() - started < args.minutes * 60:
            one_step(n)
            if n % 10 == 0:
                print(f"{(time.monotonic() - started) / 60:5.1f} min: {n} steps, {totals['requests']} requests, "
                      f"failures {failures}", flush=True)
            n += 1
        end = snapshot(pid)
        return time.monotonic() - started, n - 1, totals, failures, start, end


if __name__ == "__main__":
    main()
