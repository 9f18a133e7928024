"""The Docker pool under failure: a container killed mid-batch costs no verdict, and the pool heals."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from typing import Any

import pytest

from sandbox.backends.docker import RUNNER_CAPABILITIES, DockerHost, DockerPool
from tests.conftest import ROOT
from tests.docker_support import make_pool, sandbox_containers, sandbox_image

pytestmark = pytest.mark.docker

_UID = 62900


def test_killed_container_mid_batch_is_retried_and_replaced() -> None:
    async def go() -> tuple[list[dict[str, Any]], int, int, int]:
        pool = make_pool("docker", 2, _UID)
        await pool.start()
        try:
            jobs = [{"language": "python", "program": "import time\ntime.sleep(0.4)\nprint(int(input()) * 2)",
                     "tests": [{"stdin": str(i), "expected": str(2 * i)}], "limits": {"time_s": 2.0}}
                    for i in range(8)]
            batch = asyncio.gather(*(pool.execute(j) for j in jobs))
            await asyncio.sleep(0.2)
            victims = [h for h in pool.busy if isinstance(h, DockerHost) and h.container is not None]
            assert victims
            await asyncio.to_thread(victims[0].container.kill)
            results = await batch
            return results, pool.replaced, pool.alive, len(sandbox_containers(os.getpid()))
        finally:
            await pool.close()

    results, replaced, alive, containers = asyncio.run(go())
    assert [r["verdict"] for r in results] == ["AC"] * 8
    assert replaced >= 1 and alive == 2 and containers == 2  # healed: a fresh container took its place
    assert sandbox_containers(os.getpid()) == []


def test_containers_are_hardened() -> None:
    """The runner is root with RUNNER_CAPABILITIES only; tests run as the host's uid, without
    any; the socket directory is size-capped and reachable by us and the container's root only."""
    async def go() -> tuple[dict[str, Any], dict[str, Any], str, os.stat_result, str]:
        pool = make_pool("docker", 1, _UID)
        await pool.start()
        try:
            host = pool.hosts[0]
            assert isinstance(host, DockerHost) and isinstance(pool, DockerPool)
            await asyncio.to_thread(host.container.reload)
            for _ in range(100):  # the next job's init may still be starting (its parent, forked by the zygote)
                top = await asyncio.to_thread(host.container.top)
                if len(top["Processes"]) == 3:
                    break
                await asyncio.sleep(0.05)
            mounts = subprocess.run(["findmnt", "-n", "-o", "FSTYPE,OPTIONS", pool.socket_root], capture_output=True,
                                    text=True).stdout
            return dict(host.container.attrs), top, mounts, os.stat(host.socket_dir), host.socket_dir
        finally:
            await pool.close()

    attrs, top, mounts, socket_dir, path = asyncio.run(go())
    hc = attrs["HostConfig"]
    assert hc["NetworkMode"] == "none" and hc["ReadonlyRootfs"] and hc["CapDrop"] == ["ALL"]
    assert sorted(hc["CapAdd"]) == sorted(RUNNER_CAPABILITIES)
    assert "no-new-privileges" in hc["SecurityOpt"] and hc["PidsLimit"] > 0 and hc["Memory"] > 0
    assert hc["NanoCpus"] > 0 and {"/tmp", "/work"} <= set(hc["Tmpfs"]) and attrs["Config"]["User"] == "0:0"
    assert f"--test-uid {_UID}" in " ".join(attrs["Config"]["Cmd"])
    uid = top["Titles"].index("UID")
    assert [p[uid] for p in top["Processes"]] == ["root"] * 3  # runner, zygote, the next job's init; no test
    assert socket_dir.st_mode & 0o007 == 0, oct(socket_dir.st_mode)  # not world-reachable
    if os.geteuid() == 0:
        assert mounts.startswith("tmpfs") and "size=64k" in mounts, mounts
    assert not os.path.exists(path)
    assert sandbox_containers(os.getpid()) == []


def test_containers_of_a_killed_api_are_removed_by_the_next_pool() -> None:
    """An API SIGKILLed with a warm pool cannot clean up; the next pool on this host does."""
    crash = ("import asyncio, os, signal\nfrom sandbox.backends.docker import ContainerSpec, DockerPool\n"
             "async def main():\n"
             f"    pool = DockerPool(1, ContainerSpec(image={sandbox_image()!r}), base_uid={_UID})\n"
             "    await pool.start()\n    os.kill(os.getpid(), signal.SIGKILL)\nasyncio.run(main())\n")
    proc = subprocess.Popen([sys.executable, "-c", crash], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stderr=subprocess.PIPE, text=True)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, stderr
    assert len(sandbox_containers(proc.pid)) == 1  # the orphan

    async def go() -> None:
        pool = make_pool("docker", 1, _UID)
        await pool.start()
        await pool.close()

    asyncio.run(go())
    assert sandbox_containers(proc.pid) == []


def test_cpp_compiles_and_runs_in_the_container() -> None:
    """g++ works under a read-only root: it builds in the tmpfs work dir, which allows exec."""
    good = "#include <iostream>\nint main() { long long a, b; std::cin >> a >> b; std::cout << a * b << '\\n'; }"

    async def go() -> tuple[dict[str, Any], dict[str, Any]]:
        pool = make_pool("docker", 1, _UID)
        await pool.start()
        try:
            tests = [{"stdin": "6 7", "expected": "42"}, {"stdin": "100000 100000", "expected": "10000000000"}]
            ok = await pool.execute({"language": "cpp", "program": good, "tests": tests})
            ce = await pool.execute({"language": "cpp", "program": "int main() { return x; }", "tests": tests})
            return ok, ce
        finally:
            await pool.close()

    ok, ce = asyncio.run(go())
    assert ok["verdict"] == "AC" and [t["verdict"] for t in ok["tests"]] == ["AC", "AC"]
    assert ce["verdict"] == "CE" and "x" in ce["compile"]["detail"]


def test_image_without_runner_fails_start_and_leaves_nothing() -> None:
    """A container that exits instead of serving is a clear start failure, not a hang or a leak."""
    from sandbox.backends.base import HostFailure
    from sandbox.backends.docker import ContainerSpec, DockerPool
    from tests.docker_support import BASE_IMAGE

    async def go() -> str:
        pool = DockerPool(1, ContainerSpec(image=BASE_IMAGE), base_uid=_UID)  # no /opt/sandbox/runner.py
        with pytest.raises(HostFailure) as err:
            await pool.start()
        return str(err.value)

    sandbox_image()  # same daemon check as the other tests
    assert "exited" in asyncio.run(go())
    assert sandbox_containers(os.getpid()) == []


def test_program_cannot_reach_the_runner_socket() -> None:
    """Tests run as another uid than the runner: its socket (and the directory holding it) is out
    of their reach, so no test can unlink it, or plant a fake runner beside it."""
    unlink = "import os\nos.unlink('/run/sandbox/runner.sock')\nprint(1)"

    async def go() -> tuple[str, str, int]:
        pool = make_pool("docker", 1, _UID)
        await pool.start()
        try:
            first = await pool.execute({"language": "python", "program": unlink,
                                        "tests": [{"stdin": "", "expected": "1"}]})
            second = await pool.execute({"language": "python", "program": "print(2)",
                                         "tests": [{"stdin": "", "expected": "2"}]})
            return first["verdict"], second["verdict"], pool.replaced
        finally:
            await pool.close()

    assert asyncio.run(go()) == ("RE", "AC", 0)  # RE: PermissionError
    assert sandbox_containers(os.getpid()) == []
