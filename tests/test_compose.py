"""`docker compose up verifiers` brings up a working service (the README's deployment path): the
API plus its sandbox replicas, code scored in them through `/score`, and nothing left after `down`."""

import os
import subprocess

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
        items = [{"domain": "code", "label": label, "response": f"```python\n{program}\n```"}
                 for program in ("a, b = map(int, input().split())\nprint(a + b)", "print(7)",
                                 "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=2)\nprint(7)")]
        r = httpx.post(f"{url}/score", json={"items": items}, timeout=60)
        assert r.status_code == 200, r.text
        assert [x["status"] for x in r.json()["results"]] == ["correct", "incorrect", "incorrect"]
        ready = httpx.get(f"{url}/ready", timeout=5).json()["domains"]["code"]
        assert ready["backend"] == "compose" and ready["runners_alive"] == ready["runners"]
        # published on loopback only
        ps = subprocess.run([*compose, "ps"], cwd=ROOT, env=env, capture_output=True, text=True)
        assert f"127.0.0.1:{port}->8000" in ps.stdout
    finally:
        down = subprocess.run([*compose, "down", "-t", "5", "-v", "--rmi", "local"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert down.returncode == 0, down.stderr
    leftover = subprocess.run(["docker", "ps", "-q", "--filter", f"name=cvtest{port}"], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""
