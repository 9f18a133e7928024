"""`docker compose up verifiers` brings up a working service (the README's deployment path): the
API plus its sandbox replicas, code scored in them through `/score`, and nothing left after `down`."""

import concurrent.futures
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, free_port, wait_until_ready
from tests import hostile_programs as hp
from tests import judge_problems as jp
from tests.docker_support import BASE_IMAGE, SANDBOX_TAG, compose_command, require_docker

pytestmark = [pytest.mark.docker, pytest.mark.slow]


STATUS = {"AC": "correct", "TLE": "timeout"}  # every other runner verdict of a program is `incorrect`


def _judge_items() -> tuple[list[dict[str, Any]], list[str]]:
    """Competitive-programming labels: every interactor (both conventions; the testlib C++ one built
    against the header the operator mounted) against every kind of solution, a solution that goes
    after its interactor, and one problem solved in every language."""
    items, expected = [], []
    for interactor, hidden in jp.INTERACTORS.values():
        inputs, answers = jp.guess_tests(hidden)
        for kind, languages in jp.GUESSERS.items():
            count = 1 if kind == "silent" else len(inputs)
            label = {"tests": {"inputs": inputs[-count:], "outputs": answers[-count:]}, "interactor": interactor,
                     "time_limit_s": 1}
            for language, (program, verdict) in languages.items():
                items.append({"domain": "code", "label": label, "response": f"```{language}\n{program}\n```"})
                expected.append(STATUS.get(verdict, "incorrect"))
    guess = {"tests": {"inputs": ["1000 777\n"], "outputs": ["777\n"]},
             "interactor": jp.INTERACTORS["guess-kattis-py"][0], "time_limit_s": 1}
    for language, program in (("python", hp.KILL_INTERACTOR_PY), ("cpp", hp.KILL_INTERACTOR_CPP)):
        items.append({"domain": "code", "label": guess, "response": f"```{language}\n{program}\n```"})
        expected.append("incorrect")
    for language, program in jp.SUMS.items():
        items.append({"domain": "code", "label": {"tests": jp.SUM_TESTS, "language": language},
                      "response": f"```\n{program}\n```"})
        expected.append("correct")
    return items, expected


def test_compose_up_verifiers_serves_and_tears_down(tmp_path: Path) -> None:
    require_docker()
    port = free_port()
    env = {**os.environ, "BASE_IMAGE": BASE_IMAGE, "VERIFIERS_PORT": str(port),
           "COMPOSE_PROJECT_NAME": f"cvtest{port}", "IMAGE_TAG": SANDBOX_TAG}
    # The operator's testlib.h (here the tests' minimal one), mounted into the API and named by its setting.
    header = tmp_path / "testlib.h"
    header.write_text(jp.TESTLIB_H)
    header.chmod(0o644)
    override = tmp_path / "testlib.yml"
    override.write_text(f"services:\n  verifiers:\n    environment:\n"
                        f"      VERIFIERS_CODE__TESTLIB_HEADER: /opt/testlib/testlib.h\n"
                        f"    volumes:\n      - {header}:/opt/testlib/testlib.h:ro\n")
    compose = [*compose_command(), "-f", str(ROOT / "docker-compose.yml"), "-f", str(override)]
    up = subprocess.run([*compose, "up", "-d", "--build", "verifiers"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=900)
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_ready(url, timeout_s=180)
        r = httpx.post(f"{url}/score", json={"domain": "math", "response": "\\boxed{\\frac{1}{2}}", "label": "0.5"},
                       timeout=30)
        assert r.status_code == 200 and r.json()["results"][0]["status"] == "correct"
        label = {"tests": {"inputs": ["3 4\n", "10 -2\n"], "outputs": ["7", "8"]}}
        correct = "a, b = map(int, input().split())\nprint(a + b)"
        items = [{"domain": "code", "label": label, "response": f"```python\n{correct}\n```"},
                 {"domain": "code", "label": label, "response": "```python\nprint(7)\n```"}]
        expected = ["correct", "incorrect"]
        # The whole hostile suite in every language, in the replicas: each gets its verdict, the
        # correct samples scored in the same batch keep theirs.
        for language in ("python", "pypy", "c", "cpp", "java"):
            for _, program, output, verdicts, extra in hp.cases_for(language):
                verdict = verdicts if isinstance(verdicts, str) else verdicts[0]
                limits = extra.get("limits", {})
                case = {"tests": {"inputs": [""], "outputs": [output]}, "language": language,
                        "time_limit_s": limits.get("time_s", 1.0 if language == "python" else 2.0),
                        "memory_mb": limits.get("memory_mb", 256)}
                items.append({"domain": "code", "label": case, "response": f"```\n{program}\n```"})
                expected.append(STATUS.get(verdict, "incorrect"))
        # A fake runner planted in the shared socket volume would answer other samples' jobs.
        plant = ("import os, socket\ns = socket.socket(socket.AF_UNIX)\ntry:\n"
                 "    s.bind('/run/sandbox/zz-fake.sock')\n    print('planted')\nexcept OSError:\n    print('denied')\n")
        items.append({"domain": "code", "label": {"tests": {"inputs": [""], "outputs": ["denied"]}},
                      "response": f"```python\n{plant}\n```"})
        expected.append("correct")
        items.append(items[0])
        expected.append("correct")
        r = httpx.post(f"{url}/score", json={"items": items}, timeout=900)
        assert r.status_code == 200, r.text
        assert [x["status"] for x in r.json()["results"]] == expected, r.json()
        items, expected = _judge_items()
        r = httpx.post(f"{url}/score", json={"items": items}, timeout=900)
        assert [x["status"] for x in r.json()["results"]] == expected, r.json()
        ready = httpx.get(f"{url}/ready", timeout=5).json()["domains"]["code"]
        assert ready["backend"] == "compose" and ready["runners_alive"] == ready["runners"]
        assert ready["runners_replaced"] == 0  # no hostile program took a runner down
        # A replica's runner crashes mid-batch (SIGKILL to its PID 1, as the OOM killer would):
        # its sample is retried on the other replica, compose restarts the crashed one, and the
        # API reconnects to it (the pool heals without a Docker socket).
        slow = {"domain": "code", "label": {"tests": {"inputs": ["2\n"], "outputs": ["4"]}},
                "response": "```python\nimport time\ntime.sleep(0.5)\nprint(int(input()) * 2)\n```"}
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            batch = ex.submit(httpx.post, f"{url}/score", json={"items": [slow] * 6}, timeout=120)
            time.sleep(0.7)
            replica = subprocess.run([*compose, "ps", "-q", "sandbox"], cwd=ROOT, env=env, capture_output=True,
                                     text=True).stdout.split()[0]
            pid = subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}}", replica], capture_output=True,
                                 text=True, check=True).stdout.strip()
            os.kill(int(pid), signal.SIGKILL)
            r = batch.result()
        assert [x["status"] for x in r.json()["results"]] == ["correct"] * 6
        healed = httpx.post(f"{url}/score", json={"items": [slow] * 4}, timeout=120).json()
        assert [x["status"] for x in healed["results"]] == ["correct"] * 4
        ready = httpx.get(f"{url}/ready", timeout=5).json()["domains"]["code"]
        assert ready["runners_alive"] == ready["runners"] and ready["runners_replaced"] >= 1
        # published on loopback only
        ps = subprocess.run([*compose, "ps"], cwd=ROOT, env=env, capture_output=True, text=True)
        assert f"127.0.0.1:{port}->8000" in ps.stdout
    finally:
        down = subprocess.run([*compose, "down", "-t", "5", "-v", "--rmi", "local"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert down.returncode == 0, down.stderr
    leftover = subprocess.run(["docker", "ps", "-q", "--filter", f"name=cvtest{port}"], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""
