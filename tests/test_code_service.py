"""Hostile code through the real HTTP service: verdicts come back and the service keeps answering."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from tests.conftest import running_server
from tests.docker_support import sandbox_containers, sandbox_image


def _fenced(code: str) -> str:
    return f"```python\n{code}\n```"


@pytest.mark.parametrize("backend", ["local", pytest.param("docker", marks=pytest.mark.docker)])
def test_service_survives_hostile_batch(backend: str) -> None:
    env = {"VERIFIERS_DOMAINS": '["code"]', "VERIFIERS_CODE__RUNNERS": "2",
           "VERIFIERS_CODE__BASE_UID": "63000", "VERIFIERS_CODE__TIME_LIMIT_S": "1",
           "VERIFIERS_CODE__BACKEND": backend}
    if backend == "docker":
        env["VERIFIERS_CODE__DOCKER_IMAGE"] = sandbox_image()
    label = {"tests": {"inputs": ["4"], "outputs": ["16"]}}
    programs = {
        "fork_bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
        "kill_all": "import os, signal\nos.kill(-1, signal.SIGKILL)",
        "memory": "x = bytearray(10 * 1024**3)",
        "correct": "print(int(input()) ** 2)",
    }
    with running_server(env=env) as url:
        items = [{"domain": "code", "response": _fenced(p), "label": label} for p in programs.values()]
        reply = httpx.post(f"{url}/score", json={"items": items}, timeout=60).json()
        statuses = [r["status"] for r in reply["results"]]
        assert statuses == ["timeout", "incorrect", "incorrect", "correct"]
        # kill(-1) reaches nothing of ours. Locally no other process is even visible (ESRCH: the
        # program raises, RE); in a container the runner's are, as root's (EPERM: kill returns 0 and
        # the program ends without output, WA).
        kill_all = "RE" if backend == "local" else "WA"
        assert [r["details"]["verdict"] for r in reply["results"]] == ["TLE", kill_all, "MLE", "AC"]
        assert httpx.get(f"{url}/ready", timeout=5).status_code == 200
    for uid in (63000, 63001):
        ps = subprocess.run(["ps", "-o", "pid=", "-u", str(uid)], capture_output=True, text=True)
        assert ps.stdout.split() == []
    assert sandbox_containers() == []  # shutdown removed the pool's containers
