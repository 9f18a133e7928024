"""`docker compose up verifiers` brings up a working service (the README's deployment path): the
API plus its sandbox replicas, code scored in them through `/score`, and nothing left after `down`."""

import concurrent.futures
import os
import signal
import subprocess
import time

import httpx
import pytest

from tests.conftest import ROOT, free_port, wait_until_ready
from tests.docker_support import BASE_IMAGE, compose_command, require_docker

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_compose_up_verifiers_serves_and_tears_down():
    require_docker()
    port = free_port()
    env = {**os.environ, "BASE_IMAGE": BASE_IMAGE, "VERIFIERS_PORT": str(port),
           "COMPOSE_PROJECT_NAME": f"cvtest{port}"}
    compose = compose_command()
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
        programs = {  # program -> expected status, hostile ones included: the replicas contain them
            "a, b = map(int, input().split())\nprint(a + b)": "correct",
            "print(7)": "incorrect",
            "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=2)\nprint(7)": "incorrect",
            "import os, signal\nos.kill(-1, signal.SIGKILL)": "incorrect",
            "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass": "timeout",
        }
        items = [{"domain": "code", "label": label, "response": f"```python\n{p}\n```"} for p in programs]
        r = httpx.post(f"{url}/score", json={"items": items}, timeout=120)
        assert r.status_code == 200, r.text
        assert [x["status"] for x in r.json()["results"]] == list(programs.values())
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
