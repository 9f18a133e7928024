"""The compose backend trusts a runner socket only if a runner's uid serves it. A fake runner
(what a test could try to plant in the shared socket volume, to answer other samples' jobs with
AC) is refused, even in a directory it managed to write to. Harmless programs only: the genuine
runner here serves with `--isolation none`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from sandbox.backends.base import HostFailure
from sandbox.backends.compose import compose_pool
from sandbox.backends.local import DEFAULT_PYTHON, RUNNER

# Answers every job with AC, as a planted fake runner would.
_FAKE_RUNNER = """
import json, os, socket, struct, sys
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
srv.listen(8)
while True:
    conn, _ = srv.accept()
    with conn:
        while head := conn.recv(4):
            size = struct.unpack(">I", head)[0]
            while size > 0:
                size -= len(conn.recv(size))
            body = json.dumps({"verdict": "AC", "tests": [{"verdict": "AC"}]}).encode()
            conn.sendall(struct.pack(">I", len(body)) + body)
"""


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 10
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert path.exists(), path


@pytest.mark.skipif(os.geteuid() != 0, reason="needs a second uid to play the fake runner")
def test_a_socket_not_served_by_a_runner_is_refused() -> None:
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o777)  # as if a test had found a way in
        fake, genuine = Path(d) / "0-fake.sock", Path(d) / "1-genuine.sock"  # the fake sorts first
        procs = [subprocess.Popen([DEFAULT_PYTHON, "-c", _FAKE_RUNNER, str(fake)], user=65534, group=65534),
                 subprocess.Popen([sys.executable, "-I", str(RUNNER), "serve", "--socket", str(genuine)])]
        try:
            _wait_for(fake)
            _wait_for(genuine)

            async def go() -> tuple[str, str]:
                pool = compose_pool(1, d)
                await pool.start()
                try:
                    wrong = await pool.execute({"language": "python", "program": "print(1)",
                                                "tests": [{"stdin": "", "expected": "2"}]})
                finally:
                    await pool.close()
                lone = compose_pool(1, d)
                lone.hosts[0].timeout_s = 1.0  # type: ignore[attr-defined]
                procs[1].kill()
                procs[1].wait()
                genuine.unlink()
                with pytest.raises(HostFailure) as refused:
                    await lone.start()
                return wrong["verdict"], str(refused.value)

            verdict, refusal = asyncio.run(go())
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()
    assert verdict == "WA"  # judged by the genuine runner, never answered by the fake
    assert "refusing runner socket" in refusal and "uid 65534" in refusal, refusal
