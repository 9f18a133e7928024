"""A memory and pids cgroup per local runner, where this process may make one.

Per-test limits (RLIMIT_AS per process, the runner's sum of resident memory) bound what a test
uses; a cgroup bounds the runner as a whole, so that no test, however many processes it forks,
can take more of the machine than its runner's share, and the kernel's OOM killer stays inside it.
Usable as root (cgroup v1 controller hierarchies, or the v2 unified one) and, on v2, as an
ordinary user whose own cgroup is delegated to them (systemd's `Delegate=yes`, as for
`user@.service`). Elsewhere `find_tree` says why not, and the runners go without one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass

_CONTROLLERS = ("memory", "pids", "cpu")  # cpu: runners share the CPU equally (default weights)


@dataclass(frozen=True, slots=True)
class Cgroup:
    """One runner's cgroup: a directory per controller hierarchy (v1) or one directory (v2)."""

    dirs: tuple[str, ...]
    version: int

    def set_limits(self, memory_bytes: int, pids: int) -> None:
        for d in self.dirs:
            if self.version == 2:
                _write(d, "memory.max", str(memory_bytes))
                _write(d, "memory.swap.max", "0", optional=True)
                _write(d, "pids.max", str(pids))
            elif os.path.exists(os.path.join(d, "memory.limit_in_bytes")):
                # memory+swap may never be below memory: raise it first, lower it last.
                order = ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]
                if memory_bytes > int(_read(os.path.join(d, "memory.limit_in_bytes")) or 0):
                    order.reverse()
                for name in order:
                    _write(d, name, str(memory_bytes), optional=name.startswith("memory.memsw"))
            elif os.path.exists(os.path.join(d, "pids.max")):
                _write(d, "pids.max", str(pids))

    def remove(self) -> None:
        """Kill what is left in it and remove it (a runner's namespace normally dies with its PID 1)."""
        for d in self.dirs:
            for _ in range(100):
                pids = _read_pids(d)
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


@dataclass(frozen=True, slots=True)
class CgroupTree:
    """Where this process makes its runners' cgroups: `bases` under each hierarchy, one per pool."""

    bases: tuple[str, ...]
    version: int

    def create(self, name: str) -> Cgroup:
        dirs = tuple(os.path.join(base, name) for base in self.bases)
        for d in dirs:
            os.makedirs(d, exist_ok=True)
        return Cgroup(dirs, self.version)

    def remove(self) -> None:
        for base in self.bases:
            with contextlib.suppress(OSError):
                os.rmdir(base)


def find_tree(pool_name: str) -> tuple[CgroupTree | None, str]:
    """The cgroup tree for a pool of runners, or (None, why there is none)."""
    mounts = _cgroup_mounts()
    own = _own_cgroups()
    v1 = {c: m for c, m in mounts.items() if c in _CONTROLLERS}
    if "memory" in v1 and "pids" in v1:
        if os.geteuid() != 0:
            return None, "cgroup v1 needs root (no delegation to ordinary users)"
        bases = tuple(_join(mount, _relative(own.get(c, "/"), root), pool_name) for c, (mount, root) in v1.items())
        return _made(CgroupTree(bases, 1))
    if "" not in mounts:
        return None, "no cgroup hierarchy with the memory and pids controllers is mounted"
    mount, root = mounts[""]
    top = os.path.join(mount, _relative("/", root).lstrip("/"))
    if not {"memory", "pids"} <= set(_read(os.path.join(top, "cgroup.controllers")).split()):
        return None, f"cgroup v2 at {mount} offers no memory and pids controllers"
    if os.geteuid() == 0:
        # The top of our view may hold processes but needs none moved: make the pool's subtree there.
        try:
            _write(top, "cgroup.subtree_control", "+memory +pids")
            _write(top, "cgroup.subtree_control", "+cpu", optional=True)
        except OSError as exc:
            return None, f"cannot enable the memory and pids controllers at {top}: {exc}"
        return _made(CgroupTree((_join(top, "/", pool_name),), 2), enable=True)
    return _delegated(os.path.join(mount, _relative(own.get("", "/"), root).lstrip("/")), pool_name)


def _delegated(own: str, pool_name: str) -> tuple[CgroupTree | None, str]:
    """An ordinary user's own cgroup, delegated to them: move this process into a leaf of it (v2
    allows processes only in leaves once controllers are enabled), then make the pool beside it."""
    if not os.access(os.path.join(own, "cgroup.subtree_control"), os.W_OK):
        return None, (
            f"cgroup {own} is not delegated to uid {os.geteuid()} (run the service in a systemd unit "
            "with Delegate=yes, e.g. `systemd-run --user --scope -p Delegate=yes make serve`)"
        )
    try:
        leaf = os.path.join(own, "cascade-api")
        os.makedirs(leaf, exist_ok=True)
        _write(leaf, "cgroup.procs", str(os.getpid()))
        _write(own, "cgroup.subtree_control", "+memory +pids")
    except OSError as exc:
        return None, f"cannot use the delegated cgroup {own}: {exc}"
    return _made(CgroupTree((_join(own, "/", pool_name),), 2), enable=True)


def _made(tree: CgroupTree, enable: bool = False) -> tuple[CgroupTree | None, str]:
    try:
        for base in tree.bases:
            os.makedirs(base, exist_ok=True)
            if enable:
                _write(base, "cgroup.subtree_control", "+memory +pids")
                _write(base, "cgroup.subtree_control", "+cpu", optional=True)
    except OSError as exc:
        tree.remove()
        return None, f"cannot create cgroups under {tree.bases[0]}: {exc}"
    return tree, f"cgroup v{tree.version}"


def _cgroup_mounts() -> dict[str, tuple[str, str]]:
    """controller -> (mount point, mount root); "" for the v2 unified hierarchy."""
    out: dict[str, tuple[str, str]] = {}
    try:
        with open("/proc/self/mountinfo") as f:
            lines = f.read().splitlines()
    except OSError:
        return out
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        if tail[0] == "cgroup2":
            out.setdefault("", (fields[4], fields[3]))
        elif tail[0] == "cgroup":
            for option in tail[2].split(","):
                if option in _CONTROLLERS:
                    out.setdefault(option, (fields[4], fields[3]))
    return out


def _own_cgroups() -> dict[str, str]:
    """controller -> our cgroup path in its hierarchy; "" for v2."""
    out: dict[str, str] = {}
    for line in _read("/proc/self/cgroup").splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(",") if parts[1] else [""]:
                out[controller] = parts[2]
    return out


def _relative(path: str, mount_root: str) -> str:
    """`path` (from /proc/self/cgroup) relative to a hierarchy mounted from `mount_root`."""
    if mount_root != "/" and path.startswith(mount_root):
        path = path[len(mount_root) :] or "/"
    return path


def _join(mount: str, path: str, name: str) -> str:
    return os.path.join(mount, path.lstrip("/"), name)


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _read_pids(d: str) -> list[int]:
    return [int(x) for x in _read(os.path.join(d, "cgroup.procs")).split()]


def _write(d: str, name: str, value: str, optional: bool = False) -> None:
    try:
        with open(os.path.join(d, name), "w") as f:
            f.write(value)
    except OSError:
        if not optional:
            raise
