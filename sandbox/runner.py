"""Run all tests of one program and judge them. Standard library only: the image copies this file alone.

Processes (`docs/sandbox.md` has the full picture):

    runner ── zygote ── job init (one per job) ── test processes (the program; its assert driver)

- The **runner** reads jobs (framed JSON) and judges; it never forks a test itself, so no test can
  inherit a job's expected outputs from its memory.
- The **zygote** is a second interpreter, exec'd fresh with common modules preloaded, that never
  reads a job. For each job it forks a **job init**.
- The **job init** is PID 1 of a fresh PID, mount and IPC namespace (backends that allow
  namespaces) with a fresh `/tmp`, `/dev/shm` and `/proc`: nothing a sample leaves behind outlives
  its job, and since it is its namespace's init, the sample's processes can neither kill nor stop
  it. It forks each test process from its preloaded interpreter, reaps every process of the test
  (orphans included, so their CPU time is counted), and kills them all after each test.
- A **test process** sets its limits, drops every privilege (another uid, or no capabilities in a
  user namespace), sets `no_new_privs` and a seccomp filter, then runs the program in-process
  (Python) or execs it (a compiled binary). Assert tests run their asserts in a separate **driver**
  process that calls the program's functions over a pipe: the program can neither read the asserts
  nor write the driver's report.

`runner.py sandbox ...` is the local backend's entry point: it builds the namespaces and a private,
read-only root file system (bubblewrap's layout) and then serves as PID 1 of it. `runner.py serve`
serves in place (containers, where Docker built the sandbox). Wire format: 4-byte big-endian
length + UTF-8 JSON, one job per frame, one result per frame.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import enum
import errno
import fcntl
import gc
import importlib
import io
import json
import math
import os
import resource
import select
import selectors
import shutil
import signal
import socket
import struct
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, TypedDict, cast

if TYPE_CHECKING:
    import argparse

# ---------------------------------------------------------------- the wire types


class Limits(TypedDict, total=False):
    time_s: float  # CPU seconds, summed over every process and thread of the test
    memory_mb: int  # address space per process, and resident memory summed over the test's processes
    output_bytes: int  # more stdout than this is OLE
    nproc: int  # processes at once (RLIMIT_NPROC, where the uid is the runner's own)


class Test(TypedDict, total=False):
    stdin: str
    expected: Any
    args: list[Any]  # call-based: the job's fn_name is called with these
    code: str  # assert-based: run by the driver against the program's functions


class Job(TypedDict, total=False):
    language: str  # "python" | "cpp"
    program: str
    tests: list[Test]
    fn_name: str | None
    checker: Any  # "tokens" | "exact" | {"program": python source}
    limits: Limits
    early_exit: bool


class TestResult(TypedDict, total=False):
    verdict: str
    time_s: float
    wall_s: float
    memory_kb: int
    detail: str


class JobResult(TypedDict, total=False):
    verdict: str
    tests: list[TestResult]
    compile: dict[str, Any]
    error: str  # the runner itself failed: the host turns this into infra_error


class Verdict(str, enum.Enum):  # noqa: UP042 - the sandbox's interpreter may predate StrEnum (3.11)
    AC = "AC"  # accepted
    WA = "WA"  # wrong answer
    TLE = "TLE"  # over the CPU limit (or the wall-clock backstop)
    MLE = "MLE"  # over the memory limit
    RE = "RE"  # runtime error: a signal or a non-zero exit
    OLE = "OLE"  # over the output limit
    CE = "CE"  # compile error


CHILD_SETUP_FAILED = 99  # exit status of a test process whose sandbox setup failed (an infra fault)
SANDBOX_UNAVAILABLE = 70  # exit status of `runner.py sandbox` when the kernel refuses to build it
UNAVAILABLE_PREFIX = "sandbox unavailable: "  # starts its one line on stderr then
DEFAULT_LIMITS: Limits = {"time_s": 2.0, "memory_mb": 512, "output_bytes": 1 << 24, "nproc": 64}
COMPILE_LIMITS: Limits = {"time_s": 30.0, "memory_mb": 2048, "output_bytes": 1 << 16, "nproc": 64}

_MAX_FRAME = 256 * 1024 * 1024
_STDERR_KEEP = 4096
# The zygote and a job init answer within milliseconds, unless a test's processes crowd them off
# the CPU (a fork bomb at its process limit): then later, but surely. The host's job budget stays
# the backstop for a runner that really hangs.
_REPLY_TIMEOUT_S = 30.0
_POLL_S = 0.02  # how often a running test's CPU and memory are summed
_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_PATH = "/usr/local/bin:/usr/bin:/bin"
SANDBOX_PATH = "/opt/sandbox/runner.py"  # where this file sits inside a sandbox (image and local root)


def wall_limit_s(time_s: float) -> float:
    """The wall-clock backstop of a test. Generous: the verdict is CPU time, so a busy machine (or a
    neighbour's CPU hog) must not turn a correct program into TLE; only sleepers meet this limit."""
    return max(3 * time_s, time_s + 3.0)


# ---------------------------------------------------------------- framing


def read_frame(stream: BinaryIO) -> Any | None:
    """Return the next JSON message, or None at a clean end of stream."""
    head = _read_exact(stream, 4)
    if head is None:
        return None
    (size,) = struct.unpack(">I", head)
    if size > _MAX_FRAME:
        raise ValueError(f"frame of {size} bytes exceeds {_MAX_FRAME}")
    body = _read_exact(stream, size)
    if body is None:
        raise EOFError("stream ended inside a frame")
    return json.loads(body.decode("utf-8"))


def write_frame(stream: BinaryIO, message: Any) -> None:
    body = json.dumps(message).encode("utf-8")
    stream.write(struct.pack(">I", len(body)) + body)
    stream.flush()


def _read_exact(stream: BinaryIO, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


# ---------------------------------------------------------------- output checkers


def _num(tok: str) -> float | None:
    try:
        value = float(tok)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def tokens_equal(got: str, want: str, tol: float = 1e-6) -> bool:
    """Whitespace-token compare; tokens that both parse as finite numbers match within abs/rel tol."""
    a, b = got.split(), want.split()
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x == y:
            continue
        fx, fy = _num(x), _num(y)
        if fx is None or fy is None:
            return False
        if abs(fx - fy) > tol and abs(fx - fy) > tol * abs(fy):
            return False
    return True


def _canon(value: Any) -> Any:
    """JSON round trip: tuples become lists, so `(1, 2) == [1, 2]` as in LiveCodeBench."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return repr(value)


def values_equal(got: Any, want: Any) -> bool:
    got, want = _canon(got), _canon(want)
    if got == want:
        return True
    if isinstance(got, (int, float)) and isinstance(want, (int, float)) and not isinstance(got, bool):
        return abs(got - want) <= 1e-6 or abs(got - want) <= 1e-6 * abs(want)
    return False


# ---------------------------------------------------------------- values between the program and its driver
#
# The driver (trusted asserts) calls the program's functions over a pipe. Values travel as tagged
# JSON and are rebuilt from plain builtins on the driver's side, so whatever the program sends it
# cannot hand the asserts an object with its own `__eq__`: only data crosses.

_MAX_RPC_FRAME = 64 * 1024 * 1024


class Unencodable(TypeError):
    """A value that cannot leave the program's process (an object of its own class, a file...)."""


def encode_value(value: Any, depth: int = 0) -> Any:
    if depth > 200:
        raise Unencodable("value nested too deeply")
    if value is None or type(value) is bool:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, list):
        return [encode_value(v, depth + 1) for v in value]
    if isinstance(value, tuple):
        return {"t": [encode_value(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"d": [[encode_value(k, depth + 1), encode_value(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, (set, frozenset)):
        return {"f" if isinstance(value, frozenset) else "s": [encode_value(v, depth + 1) for v in value]}
    if isinstance(value, (bytes, bytearray)):
        return {"b": bytes(value).hex()}
    if isinstance(value, complex):
        return {"c": [value.real, value.imag]}
    if isinstance(value, range):
        return {"r": [value.start, value.stop, value.step]}
    if hasattr(value, "__next__"):  # a generator, map or zip: the driver gets an iterator over its items
        return {"i": [encode_value(v, depth + 1) for v in value]}
    raise Unencodable(f"a {type(value).__name__} object cannot be compared outside the program")


def decode_value(data: Any, depth: int = 0) -> Any:
    """Rebuild a value from untrusted tagged JSON; raises ValueError on anything malformed."""
    if depth > 200:
        raise ValueError("value nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode_value(v, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise ValueError("malformed value")
    ((tag, body),) = data.items()
    if tag == "d" and isinstance(body, list):
        return {_hashable(decode_value(k, depth + 1)): decode_value(v, depth + 1) for k, v in body}
    if tag == "b" and isinstance(body, str):
        return bytes.fromhex(body)
    if tag == "c" and isinstance(body, list) and len(body) == 2:
        return complex(float(body[0]), float(body[1]))
    if tag == "r" and isinstance(body, list) and len(body) == 3 and all(type(x) is int for x in body):
        return range(*body)
    if not isinstance(body, list):
        raise ValueError("malformed value")
    items = [decode_value(v, depth + 1) for v in body]
    builders: dict[str, Callable[[list[Any]], Any]] = {
        "t": tuple,
        "s": lambda xs: {_hashable(x) for x in xs},
        "f": lambda xs: frozenset(map(_hashable, xs)),
        "i": iter,
    }
    if tag not in builders:
        raise ValueError(f"unknown value tag {tag!r}")
    return builders[tag](items)


def _hashable(value: Any) -> Any:
    hash(value)  # TypeError for a list used as a key: the program sent something no dict holds
    return value


# ---------------------------------------------------------------- the kernel, through ctypes

_LIBC = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER, PR_CAP_AMBIENT = 28, 38, 36, 47
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP = 0x10000000, 0x20000000, 0x40000000, 0x02000000
CLONE_NEWTIME = 0x00000080
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE, MS_SHARED = 32, 4096, 16384, 1 << 18, 1 << 20
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2


class KernelRefused(OSError):
    """A system call the sandbox needs failed; the message names the call and its arguments."""


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise KernelRefused(err, f"{what}: {os.strerror(err)}")
    return result


def prctl(option: int, arg: int = 0, what: str = "prctl") -> int:
    return _check(_LIBC.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), what)


def unshare(flags: int) -> None:
    _check(_LIBC.unshare(flags), f"unshare({_clone_names(flags)})")


def _clone_names(flags: int) -> str:
    names = {
        CLONE_NEWUSER: "CLONE_NEWUSER",
        CLONE_NEWNS: "CLONE_NEWNS",
        CLONE_NEWPID: "CLONE_NEWPID",
        CLONE_NEWNET: "CLONE_NEWNET",
        CLONE_NEWIPC: "CLONE_NEWIPC",
        CLONE_NEWUTS: "CLONE_NEWUTS",
    }
    return "|".join(name for bit, name in names.items() if flags & bit)


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = [None if s is None else s.encode() for s in (source, target, fstype, data)]
    result = _LIBC.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3])
    _check(result, f"mount({source!r}, {target!r}, {fstype!r}, {flags:#x})")


def umount(target: str) -> None:
    _check(_LIBC.umount2(target.encode(), MNT_DETACH), f"umount({target!r})")


# Syscall numbers the sandbox itself needs or denies, per architecture (asm/unistd_64.h on
# x86_64; asm-generic/unistd.h on aarch64).
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_NR: dict[str, dict[str, int]] = {
    "x86_64": {
        "pivot_root": 155,
        "capset": 126,
        "clone": 56,
        "clone3": 435,
        "ptrace": 101,
        "process_vm_readv": 310,
        "process_vm_writev": 311,
        "mount": 165,
        "umount2": 166,
        "chroot": 161,
        "unshare": 272,
        "setns": 308,
        "keyctl": 250,
        "add_key": 248,
        "request_key": 249,
        "bpf": 321,
        "perf_event_open": 298,
        "userfaultfd": 323,
        "kexec_load": 246,
        "kexec_file_load": 320,
        "init_module": 175,
        "finit_module": 313,
        "delete_module": 176,
        "reboot": 169,
        "swapon": 167,
        "swapoff": 168,
        "acct": 163,
        "settimeofday": 164,
        "clock_settime": 227,
        "clock_adjtime": 305,
        "adjtimex": 159,
        "syslog": 103,
        "quotactl": 179,
        "lookup_dcookie": 212,
        "open_by_handle_at": 304,
        "name_to_handle_at": 303,
        "iopl": 172,
        "ioperm": 173,
        "fanotify_init": 300,
        "vhangup": 153,
        "nfsservctl": 180,
        "uselib": 134,
        "sysfs": 139,
        "_sysctl": 156,
        "ustat": 136,
        "io_uring_setup": 425,
        "io_uring_enter": 426,
        "io_uring_register": 427,
        "fsopen": 430,
        "fsconfig": 431,
        "fsmount": 432,
        "fspick": 433,
        "move_mount": 429,
        "open_tree": 428,
        "mount_setattr": 442,
        "pidfd_getfd": 438,
        "kcmp": 312,
        "sethostname": 170,
        "setdomainname": 171,
        "create_module": 174,
        "get_kernel_syms": 177,
        "query_module": 178,
    },
    "aarch64": {
        "pivot_root": 41,
        "capset": 91,
        "clone": 220,
        "clone3": 435,
        "ptrace": 117,
        "process_vm_readv": 270,
        "process_vm_writev": 271,
        "mount": 40,
        "umount2": 39,
        "chroot": 51,
        "unshare": 97,
        "setns": 268,
        "keyctl": 219,
        "add_key": 217,
        "request_key": 218,
        "bpf": 280,
        "perf_event_open": 241,
        "userfaultfd": 282,
        "kexec_load": 104,
        "kexec_file_load": 294,
        "init_module": 105,
        "finit_module": 273,
        "delete_module": 106,
        "reboot": 142,
        "swapon": 224,
        "swapoff": 225,
        "acct": 89,
        "settimeofday": 170,
        "clock_settime": 112,
        "clock_adjtime": 266,
        "adjtimex": 171,
        "syslog": 116,
        "quotactl": 60,
        "lookup_dcookie": 18,
        "open_by_handle_at": 265,
        "name_to_handle_at": 264,
        "fanotify_init": 262,
        "vhangup": 58,
        "nfsservctl": 42,
        "io_uring_setup": 425,
        "io_uring_enter": 426,
        "io_uring_register": 427,
        "fsopen": 430,
        "fsconfig": 431,
        "fsmount": 432,
        "fspick": 433,
        "move_mount": 429,
        "open_tree": 428,
        "mount_setattr": 442,
        "pidfd_getfd": 438,
        "kcmp": 272,
        "sethostname": 161,
        "setdomainname": 162,
    },
}
_ARCH = os.uname().machine
# What a test may not do, after nsjail's and Docker's default policies: debug or read other
# processes, enter or make namespaces, load kernel code, touch keyrings, clocks, swap, quotas.
# `clone` is allowed unless it asks for a namespace; `clone3` answers ENOSYS (its flags sit in
# memory a filter cannot read), so libc falls back to `clone`. The job init installs the filter
# for itself and so for every test it forks (one install per runner, not per process); it still
# renews a job's mount and IPC namespaces, so `mount`, `umount2` and `unshare` of exactly those
# two pass the filter, and the kernel refuses them to a test (they need CAP_SYS_ADMIN, which no
# test holds), as Docker's default policy leaves them to the capability check.
DENIED_SYSCALLS = tuple(
    name
    for name in _NR.get(_ARCH, {})
    if name not in ("pivot_root", "capset", "clone", "clone3", "unshare", "mount", "umount2")
)
_NAMESPACE_FLAGS = (
    CLONE_NEWUSER
    | CLONE_NEWNS
    | CLONE_NEWPID
    | CLONE_NEWNET
    | CLONE_NEWIPC
    | CLONE_NEWUTS
    | CLONE_NEWCGROUP
    | CLONE_NEWTIME
)
_RENEWED_FLAGS = CLONE_NEWNS | CLONE_NEWIPC


def _syscall(name: str, *args: Any) -> int:
    return _check(_LIBC.syscall(_NR[_ARCH][name], *args), name)


def seccomp_filter() -> bytes:
    """A classic-BPF seccomp program: DENIED_SYSCALLS, namespaces in clone, and unshare of
    anything but a mount and IPC namespace answer EPERM; clone3 answers ENOSYS."""
    if _ARCH not in _AUDIT_ARCH:
        raise KernelRefused(errno.ENOSYS, f"no seccomp policy for architecture {_ARCH}")
    nr = _NR[_ARCH]
    ld, jeq, jset, jge, ret = 0x20, 0x15, 0x45, 0x35, 0x06
    allow, kill = 0x7FFF0000, 0x80000000
    eperm, enosys = 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS
    # (code, jt label, jf label, k); labels are resolved to relative offsets below.
    prog: list[tuple[int, Any, Any, int]] = [
        (ld, None, None, 4),
        (jeq, None, "kill", _AUDIT_ARCH[_ARCH]),
        (ld, None, None, 0),
    ]
    if _ARCH == "x86_64":
        prog.append((jge, "deny", None, 0x40000000))  # the x32 ABI's numbers would dodge the list
    for name in DENIED_SYSCALLS:
        prog.append((jeq, "deny", None, nr[name]))
    prog += [
        (jeq, "clone", None, nr["clone"]),
        (jeq, "unshare", None, nr["unshare"]),
        (jeq, "enosys", None, nr["clone3"]),
        (ret, None, None, allow),
    ]
    labels = {"clone": len(prog)}
    prog += [(ld, None, None, 16), (jset, "deny", None, _NAMESPACE_FLAGS), (ret, None, None, allow)]
    labels["unshare"] = len(prog)
    prog += [(ld, None, None, 16), (jset, "deny", None, 0xFFFFFFFF & ~_RENEWED_FLAGS), (ret, None, None, allow)]
    labels["deny"] = len(prog)
    prog.append((ret, None, None, eperm))
    labels["enosys"] = len(prog)
    prog.append((ret, None, None, enosys))
    labels["kill"] = len(prog)
    prog.append((ret, None, None, kill))
    out = b""
    for i, (code, jt, jf, k) in enumerate(prog):
        jt_off = labels[jt] - i - 1 if jt else 0
        jf_off = labels[jf] - i - 1 if jf else 0
        out += struct.pack("HBBI", code, jt_off, jf_off, k)
    return out


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class SeccompFilter:
    """A compiled filter, ready to install (kept alive: the kernel copies it only at install)."""

    def __init__(self, program: bytes) -> None:
        self.buffer = ctypes.create_string_buffer(program)
        self.fprog = _SockFprog(len(program) // 8, ctypes.cast(self.buffer, ctypes.c_void_p))

    def install(self) -> None:
        """For this process and every process it forks from now on (needs no_new_privs)."""
        _check(_LIBC.prctl(22, 2, ctypes.byref(self.fprog), 0, 0), "prctl(PR_SET_SECCOMP)")  # MODE_FILTER


def drop_bounding_set() -> None:
    """No capability can be gained again, even by exec (needs CAP_SETPCAP; a no-op without it)."""
    for cap in range(64):
        if _LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 and ctypes.get_errno() == errno.EINVAL:
            break


def lock_root_out() -> None:
    """Securebits (each locked) that stop uid 0 from gaining capabilities on exec or keeping them
    across a uid change: for processes that are uid 0 of a user namespace (an ordinary user's
    tests), inherited by every process forked afterwards."""
    # NOROOT, NO_SETUID_FIXUP, KEEP_CAPS and NO_CAP_AMBIENT_RAISE, each with its lock bit
    prctl(PR_SET_SECUREBITS, 0x01 | 0x02 | 0x04 | 0x08 | 0x20 | 0x80, "prctl(PR_SET_SECUREBITS)")


def drop_capabilities() -> None:
    """Give up every capability this process holds: the ambient set, then the permitted,
    effective and inheritable sets (with the bounding set gone and root locked out, for good)."""
    _LIBC.prctl(PR_CAP_AMBIENT, 4, 0, 0, 0)  # PR_CAP_AMBIENT_CLEAR_ALL
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()
    _syscall("capset", ctypes.byref(header), ctypes.byref(data))


# ---------------------------------------------------------------- how tests are confined


@dataclass
class Sandbox:
    """How this runner confines tests (its command line, fixed for its life).

    `isolation`: "namespaces" (the local backend: each job gets its own PID, mount and IPC
    namespace), "container" (Docker built the sandbox; the runner is root in it with a few
    capabilities, tests run as `test_uid`, per-job state is emptied instead of remounted), or
    "none" (the runner's own unit tests, on harmless programs only)."""

    isolation: str = "none"
    test_uid: int | None = None  # None: tests keep the runner's uid and drop every capability
    work_root: str = "/work"
    tmp_mb: int = 512
    shm_mb: int = 64
    work_mb: int = 512
    seccomp: SeccompFilter | None = field(default=None, repr=False)

    @property
    def namespaces(self) -> bool:
        return self.isolation == "namespaces"

    def to_json(self) -> str:
        """How the zygote is told (one argument: it parses no command line, so it imports less,
        and every fork of it copies less)."""
        return json.dumps(
            {
                "isolation": self.isolation,
                "test_uid": self.test_uid,
                "work_root": self.work_root,
                "tmp_mb": self.tmp_mb,
                "shm_mb": self.shm_mb,
                "work_mb": self.work_mb,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Sandbox:
        return cls(**json.loads(text), seccomp=_seccomp())

    def describe(self) -> dict[str, Any]:
        """What the host reports in /ready: how tests are confined here."""
        return {
            "isolation": self.isolation,
            "seccomp": bool(self.seccomp),
            "test_uid": "own uid, no capabilities" if self.test_uid is None else self.test_uid,
            "user_namespace": self.namespaces and os.geteuid() == 0 and _in_user_namespace(),
        }


def _in_user_namespace() -> bool:
    try:
        with open("/proc/self/uid_map") as f:
            return f.read().split() != ["0", "0", "4294967295"]
    except OSError:
        return False


# ---------------------------------------------------------------- inside a test process


def _child_setup(box: Sandbox, request: dict[str, Any], fds: list[int]) -> None:
    """Limits, privileges, seccomp; `fds` become 0, 1, 2, ... Any failure exits CHILD_SETUP_FAILED
    before the ready byte is written, so the runner can tell it from the program's own exit."""
    os.setsid()
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 64) for fd in fds]  # above every target: none is clobbered
    for target, fd in enumerate(high):
        os.dup2(fd, target)
    os.closerange(len(fds), 65536)
    limits: Limits = request["limits"]
    cpu = max(1, math.ceil(float(limits["time_s"])))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    mem = int(limits["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    nproc = int(limits.get("nproc", 64))  # per uid: each runner's tests have a uid of their own
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    try:  # should the runner's cgroup fill up, the kernel's OOM killer takes a test, not the runner
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass
    if box.test_uid is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setresgid(box.test_uid, box.test_uid, box.test_uid)
        os.setresuid(box.test_uid, box.test_uid, box.test_uid)  # clears every capability
    elif box.isolation != "none":
        drop_capabilities()
    os.chdir(request["workdir"])  # no_new_privs and the seccomp filter are the job init's, inherited
    os.environ.clear()
    os.environ.update({"PATH": _PATH, "HOME": request["workdir"], "LANG": "C.UTF-8"})


def _ready(fd: int) -> None:
    """Tell the runner the sandbox is set up: from here on, how the process ends is the program's."""
    os.write(fd, b"1")
    os.close(fd)


def _python_streams() -> None:
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", write_through=True)


def _run_program(request: dict[str, Any], ready_fd: int) -> None:
    """The program in this (forked, preloaded) interpreter; then the call-based call, or serving
    the driver's calls on fds 3 and 4. Never returns."""
    code = 1
    try:
        _python_streams()
        if hasattr(sys, "set_int_max_str_digits"):
            sys.set_int_max_str_digits(0)
        sys.setrecursionlimit(100_000)
        sys.argv = ["solution.py"]
        namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
        role = request["role"]
        try:
            program = compile(request["program"], "solution.py", "exec")
            del request["program"]
            _ready(ready_fd)
            exec(program, namespace)
            if role == "call":
                value = _resolve(namespace, request["fn_name"])(*request["args"])
                os.write(3, json.dumps(_canon(value)).encode())
            elif role == "serve":
                sys.stdout.flush()
                _serve_driver(namespace, os.fdopen(3, "rb", buffering=0), os.fdopen(4, "wb", buffering=0))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException as exc:  # noqa: BLE001 - the program's own exception is its RE, reported
            code = 1
            _report_exception(exc)
        with contextlib.suppress(BaseException):  # a closed or broken stdout is the program's
            sys.stdout.flush()
    finally:
        os._exit(code & 0xFF)


def _report_exception(exc: BaseException) -> None:
    """The traceback with raw writes: after a MemoryError, allocating wrappers may fail."""
    os.write(2, f"\n{type(exc).__name__}: ".encode())
    with contextlib.suppress(BaseException):
        os.write(2, "".join(traceback.format_exception(exc))[-2000:].encode("utf-8", "replace"))


def _resolve(namespace: dict[str, Any], name: str) -> Any:
    """LiveCodeBench: a top-level function, else a method of `class Solution`."""
    if name in namespace and callable(namespace[name]):
        return namespace[name]
    sol = namespace.get("Solution")
    if sol is not None and hasattr(sol, name):
        return getattr(sol(), name)
    raise NameError(f"function {name!r} not defined")


def _serve_driver(namespace: dict[str, Any], calls: BinaryIO, replies: BinaryIO) -> None:
    """Answer the driver: {"names"} lists our globals, {"get": name} sends a value, {"call": name,
    "args", "kwargs"} calls a function and sends its result and its list/dict/set arguments after
    the call (so asserts that check an in-place change see it)."""
    while True:
        try:
            request = read_frame(calls)
        except (EOFError, ValueError, OSError):
            return
        if request is None:
            return
        try:
            if "names" in request:
                reply: dict[str, Any] = {"names": _describe(namespace)}
            elif "get" in request:
                reply = {"value": encode_value(namespace[request["get"]])}
            else:
                args = decode_value(request["args"])
                kwargs = decode_value(request["kwargs"])
                value = namespace[request["call"]](*args, **kwargs)
                reply = {
                    "value": encode_value(value),
                    "args": [encode_value(a) if isinstance(a, (list, dict, set)) else None for a in args],
                }
        except Unencodable as exc:
            reply = {"unencodable": str(exc)}
        except Exception as exc:  # noqa: BLE001 - the program's exception goes back to the asserts
            reply = {"raise": [type(exc).__name__, str(exc)[:2000]]}
        write_frame(replies, reply)


def _describe(namespace: dict[str, Any]) -> dict[str, list[str]]:
    """Our globals as the driver should see them: a callable, a module to import, or a value."""
    out: dict[str, list[str]] = {}
    for name, value in namespace.items():
        if name.startswith("__"):
            continue
        if isinstance(value, type(sys)):
            out[name] = ["module", value.__name__]
        elif callable(value):
            out[name] = ["callable"]
        else:
            out[name] = ["value"]
    return out


class ProgramGone(Exception):
    """The program's process ended (or broke the protocol) while the asserts were calling it."""


class _Remote:
    """The driver's end of the pipes to the program."""

    def __init__(self, calls: BinaryIO, replies: BinaryIO) -> None:
        self.calls, self.replies = calls, replies

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            write_frame(self.calls, request)
            head = _read_exact(self.replies, 4)
            if head is None:
                raise ProgramGone("the program's process ended")
            (size,) = struct.unpack(">I", head)
            if size > _MAX_RPC_FRAME:
                raise ProgramGone(f"the program sent a reply of {size} bytes")
            body = _read_exact(self.replies, size)
            if body is None:
                raise ProgramGone("the program's process ended")
            reply = json.loads(body)
        except (OSError, ValueError, RecursionError) as exc:
            raise ProgramGone(f"the program broke the call protocol: {type(exc).__name__}") from exc
        if not isinstance(reply, dict):
            raise ProgramGone("the program broke the call protocol")
        return reply

    def value(self, reply: dict[str, Any]) -> Any:
        """The value a reply carries, or the exception it reports, raised here."""
        if "raise" in reply:
            name, message = (str(x) for x in list(reply["raise"])[:2])
            builtin = getattr(builtins, name, None)
            cls = (
                builtin
                if isinstance(builtin, type) and issubclass(builtin, Exception)
                else type(name if name.isidentifier() else "ProgramError", (Exception,), {})
            )
            raise cls(message)
        if "unencodable" in reply:
            raise TypeError(str(reply["unencodable"]))
        try:
            return decode_value(reply["value"])
        except (KeyError, ValueError, TypeError, RecursionError) as exc:
            raise ProgramGone(f"the program sent a malformed value: {exc}") from exc


class _RemoteFunction:
    """Stands in for one of the program's functions in the asserts' namespace."""

    def __init__(self, remote: _Remote, name: str) -> None:
        self.remote, self.__name__ = remote, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            request = {"call": self.__name__, "args": encode_value(list(args)), "kwargs": encode_value(kwargs)}
        except Unencodable as exc:
            raise TypeError(f"cannot pass this argument to the program: {exc}") from exc
        reply = self.remote.ask(request)
        value = self.remote.value(reply)
        changed = reply.get("args")
        for arg, after in zip(args, changed if isinstance(changed, list) else [], strict=False):
            if after is not None:
                try:
                    _update_in_place(arg, decode_value(after))
                except (ValueError, TypeError, RecursionError) as exc:
                    raise ProgramGone(f"the program sent a malformed value: {exc}") from exc
        return value


def _update_in_place(arg: Any, after: Any) -> None:
    if isinstance(arg, list) and isinstance(after, list):
        arg[:] = after
    elif isinstance(arg, (dict, set)) and isinstance(after, type(arg)):
        arg.clear()
        arg.update(after)


def _run_driver(request: dict[str, Any], ready_fd: int) -> None:
    """Run the asserts against the program's functions; report on fd 5. Never returns."""
    outcome: dict[str, Any]
    try:
        code = compile(request["code"], "tests.py", "exec")
        _ready(ready_fd)
        remote = _Remote(os.fdopen(3, "wb", buffering=0), os.fdopen(4, "rb", buffering=0))
        namespace: dict[str, Any] = {"__name__": "__main__"}
        for name, kind in remote.ask({"names": True}).get("names", {}).items():
            if not (isinstance(name, str) and name.isidentifier() and isinstance(kind, list) and kind):
                raise ProgramGone("the program broke the call protocol")
            if kind[0] == "module":
                # A module only the program has: the asserts will say if they need it.
                with contextlib.suppress(Exception):
                    namespace[name] = importlib.import_module(str(kind[1]))
            elif kind[0] == "callable":
                namespace[name] = _RemoteFunction(remote, name)
            else:
                with contextlib.suppress(TypeError):
                    namespace[name] = remote.value(remote.ask({"get": name}))
        exec(code, namespace)
        outcome = {"ran": True}
    except ProgramGone as exc:
        outcome = {"gone": str(exc)}
    except AssertionError:
        outcome = {"failed": _last_lines(traceback.format_exc())}
    except BaseException as exc:  # noqa: BLE001 - whatever the asserts raised is the test's outcome
        outcome = {"raised": f"{type(exc).__name__}: {exc}"[:2000]}
    try:
        os.write(5, json.dumps(outcome).encode())
    finally:
        os._exit(0)


def _last_lines(trace: str) -> str:
    lines = [line.strip() for line in trace.strip().splitlines() if line.strip()]
    return " | ".join(lines[-2:])[-500:]


def _test_process(box: Sandbox, fds: list[int], workdir: str) -> None:
    """In a freshly forked child of the job init: read the request, confine, run. Never returns.

    `fds`: the request memfd, then the fds the process gets as 0, 1, 2, ..., the last of which is
    the ready pipe."""
    try:
        with os.fdopen(fds[0], "rb") as f:
            request = json.loads(f.read())
        request["workdir"] = workdir
        _child_setup(box, request, fds[1:])
        ready = len(fds) - 2
        role = request["role"]
        if role == "exec":
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # Python ignores it; a compiled program must not
            _ready(ready)
            os.execve(request["argv"][0], request["argv"], dict(os.environ))
        elif role == "driver":
            prctl(PR_SET_DUMPABLE, 0)  # the program may share our uid: no /proc/<us>/mem for it
            _run_driver(request, ready)
        else:
            _run_program(request, ready)
    except BaseException:  # noqa: BLE001 - any failure before the program runs is a set-up failure
        pass
    os._exit(CHILD_SETUP_FAILED)


# ---------------------------------------------------------------- job init: PID 1 of a job's namespaces
#
# The runner, the zygote and a job init talk over SOCK_SEQPACKET sockets: one JSON message per
# packet, file descriptors riding along, no framing to get out of step.

_MAX_MESSAGE = 1 << 20


def send_message(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    socket.send_fds(sock, [json.dumps(message).encode()], fds or [], socket.MSG_NOSIGNAL)


def recv_message(sock: socket.socket, max_fds: int = 0) -> tuple[dict[str, Any] | None, list[int]]:
    """The next message and its fds; (None, []) when the peer is gone."""
    data, fds, _, _ = socket.recv_fds(sock, _MAX_MESSAGE, max_fds)
    if not data:
        return None, fds
    message = json.loads(data)
    if not isinstance(message, dict):
        raise ValueError("malformed message")
    return message, fds


class JobInitProcess:
    """The init's own state: which spawned processes are whose (by the runner's sequence number),
    and the work directories it made for them."""

    def __init__(self, box: Sandbox, sock: socket.socket) -> None:
        self.box, self.sock = box, sock
        self.tracked: dict[int, int] = {}  # pid -> seq
        self.dirs: list[str] = []  # the current test's work directories
        self.root = box.work_root  # the job's: a fresh tmpfs (namespaces), emptied (container), temporary ("none")
        self.build = os.path.join(self.root, "build")

    def serve(self) -> None:
        """Serve job, spawn, sweep, seal and end requests until the runner goes; never returns.

        As the namespace's init (or a subreaper) we reap the tests' orphans too, so their CPU time
        adds up in ours (RUSAGE_CHILDREN), and whether any process is left is one waitid away."""
        prctl(PR_SET_DUMPABLE, 0)
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # as PID 1, signals without a handler are ignored
        if not self.box.namespaces:
            prctl(PR_SET_CHILD_SUBREAPER, 1)
        # Once here, not in every test process: what every process forked from now on inherits.
        drop_bounding_set()
        if self.box.test_uid is None and self.box.isolation != "none":
            lock_root_out()
        prctl(PR_SET_NO_NEW_PRIVS, 1, "prctl(PR_SET_NO_NEW_PRIVS)")
        if self.box.seccomp:
            self.box.seccomp.install()
        wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(wake_w)
        sel = selectors.DefaultSelector()
        sel.register(self.sock, selectors.EVENT_READ)
        sel.register(wake_r, selectors.EVENT_READ)
        while True:
            for key, _ in sel.select():
                if key.fd == wake_r:
                    while _readable(wake_r) and os.read(wake_r, 4096):
                        pass
                    self._report_ends()
                    continue
                try:
                    message, fds = recv_message(self.sock, 16)
                except (OSError, ValueError):
                    message, fds = None, []
                if message is None:
                    self._end_job()
                    os._exit(0)
                self._handle(message, fds)

    def _handle(self, message: dict[str, Any], fds: list[int]) -> None:
        op = message["op"]
        if op == "spawn":
            self._spawn(int(message["seq"]), str(message["dir"]), fds)
        elif op == "sweep":
            exits = _sweep(self.box, self.tracked)
            self._remove_dirs()
            send_message(self.sock, {"op": op, "cpu": _children_cpu(), "exits": exits})
        elif op == "seal":
            send_message(self.sock, {"op": op, "exe": self._seal(str(message["exe"]))})
        elif op == "job":
            self._new_job()
            send_message(self.sock, {"op": op})
        elif op == "end":
            self._end_job()
            send_message(self.sock, {"op": op, "cpu": _children_cpu()})

    def _new_job(self) -> None:
        """A sample's own /tmp, /dev/shm, /work and System V IPC. In namespaces: a new mount and
        IPC namespace each time (the previous job's are freed with its last process), where the
        copied old tmpfs mounts are detached and fresh ones mounted; no process is forked for it."""
        if self.box.namespaces:
            unshare(CLONE_NEWNS | CLONE_NEWIPC)
            for path, size, mode in (
                ("/tmp", self.box.tmp_mb, "1777"),
                ("/dev/shm", self.box.shm_mb, "1777"),
                (self.box.work_root, self.box.work_mb, "0755"),
            ):
                umount(path)
                mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size}m,mode={mode}")
        elif self.box.isolation == "none":
            self.root = tempfile.mkdtemp(prefix="cascade-job-")
            self.build = os.path.join(self.root, "build")

    def _spawn(self, seq: int, directory: str, fds: list[int]) -> None:
        if directory == "build":
            workdir = self.build
        else:
            workdir = os.path.join(self.root, f"t{seq}")
            self.dirs.append(workdir)
        os.mkdir(workdir)
        if self.box.test_uid is not None and os.geteuid() == 0:
            os.chown(workdir, self.box.test_uid, self.box.test_uid)
        pid = os.fork()
        if pid == 0:
            _test_process(self.box, fds, workdir)
        for fd in fds:
            os.close(fd)
        self.tracked[pid] = seq

    def _report_ends(self) -> None:
        """Tell the runner about spawned processes that ended; say whether the test is over
        (nothing of it left), in which case its work dirs go and no sweep is needed."""
        ends = _reap(self.tracked, block=False)
        if not ends:
            return
        alone = _no_children()
        if alone:
            self._remove_dirs()
        for seq, end in ends.items():
            send_message(
                self.sock, {"exit": seq, "end": end, "alone": alone and not self.tracked, "cpu": _children_cpu()}
            )

    def _remove_dirs(self) -> None:
        for path in self.dirs:
            shutil.rmtree(path, ignore_errors=True)
        self.dirs.clear()

    def _seal(self, exe: str) -> str | None:
        """After the compile: the build directory becomes read-only to tests, so no test can swap
        the program for the next one. The program's path, if the compiler left it there."""
        path = os.path.join(self.build, exe)
        if not os.path.isfile(path):
            return None
        if os.geteuid() == 0 and self.box.test_uid is not None:
            os.chown(path, 0, 0)
            os.chown(self.build, 0, 0)
        os.chmod(path, 0o555)
        os.chmod(self.build, 0o555)
        if self.box.namespaces:  # a test in a user namespace owns what we own: read-only by mount
            mount(self.build, self.build, None, MS_BIND)
            mount(None, self.build, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        return path

    def _end_job(self) -> None:
        """Kill whatever of the job is left. In a container, where /tmp, /dev/shm, /work and
        System V IPC outlive the job, empty them before the next one; in namespaces the next job's
        fresh ones replace them."""
        _sweep(self.box, self.tracked)
        self._remove_dirs()
        if self.box.isolation == "container":
            _empty_container_state(self.box)
        elif self.box.isolation == "none":
            shutil.rmtree(self.root, ignore_errors=True)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _no_children() -> bool:
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return False


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def _reap(tracked: dict[int, int], block: bool) -> dict[int, list[float]]:
    """Reap exited children; return the tracked ones' [status, cpu seconds, maxrss KB] by seq."""
    out: dict[int, list[float]] = {}
    while True:
        try:
            pid, status, usage = os.wait4(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return out
        if pid == 0:
            return out
        if pid in tracked:
            out[tracked.pop(pid)] = [status, usage.ru_utime + usage.ru_stime, usage.ru_maxrss]


def _sweep(box: Sandbox, tracked: dict[int, int]) -> dict[int, list[float]]:
    """Kill every process of the test (setsid daemons and fork bombs included) and reap them all."""
    if box.namespaces:
        # As PID 1, kill(-1) reaches every other process of the namespace, and no fork can slip
        # past it: a process with SIGKILL pending cannot fork.
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        return _reap(tracked, block=True)
    if box.test_uid is not None:
        # A container: every process of the test uid is the test's. Freeze them all first (a
        # fork bomb would refill the process table as fast as we walk it killing), then kill.
        uid = box.test_uid
        for _ in range(10_000):
            running = live_processes(lambda pid: os.stat(f"/proc/{pid}").st_uid == uid and _state(pid) != b"T")
            if not running:
                break
            _signal_all(running, signal.SIGSTOP)
        for _ in range(10_000):
            stopped = live_processes(lambda pid: os.stat(f"/proc/{pid}").st_uid == uid)
            if not stopped:
                break
            _signal_all(stopped, signal.SIGKILL)
        return _reap(tracked, block=True)
    # "none": the runner's own tests of harmless programs; their process groups are enough.
    out: dict[int, list[float]] = {}
    for pid, seq in list(tracked.items()):
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        _, status, usage = os.wait4(pid, 0)
        out[seq] = [status, usage.ru_utime + usage.ru_stime, usage.ru_maxrss]
    tracked.clear()
    return {**out, **_reap(tracked, block=False)}


def proportional_kb(pids: list[int]) -> int:
    """The memory these processes use together (the sum of their PSS): each page once, however
    many forks share it. Dearer than RSS, so read only when the RSS sum is over a limit."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                for line in f:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError, IndexError):
            continue
    return total


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def _state(pid: int) -> bytes:
    with open(f"/proc/{pid}/stat", "rb") as f:
        return f.read().rsplit(b")", 1)[1].split()[0]


def live_processes(candidate: Callable[[int], bool]) -> list[int]:
    """The non-zombie processes whose pid passes `candidate` (which may raise OSError: it exited)."""
    live = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if candidate(int(name)) and _state(int(name)) not in (b"Z", b"X"):
                live.append(int(name))
        except (OSError, IndexError):
            continue
    return live


# ---------------------------------------------------------------- the zygote


def zygote_main(box: Sandbox, sock: socket.socket) -> None:
    """Fork a job init per request ({"op": "init"} with its socket); reply {"ok"} once it runs.
    Never holds a job: the runner keeps those. Asked once per runner, and again should an init
    ever fail."""
    prctl(PR_SET_DUMPABLE, 0)
    # The preloaded modules' objects leave the cyclic GC's reach: a collection in a forked test
    # would otherwise touch every one of them, copying the pages they share with us.
    gc.collect()
    gc.freeze()
    while True:
        try:
            message, fds = recv_message(sock, 1)
        except (OSError, ValueError):
            return
        if message is None or len(fds) != 1:
            return
        pid = os.fork()
        if pid == 0:
            _start_job_init(box, fds[0])
        os.close(fds[0])
        _, status = os.waitpid(pid, 0)  # it exits once the init is forked: the init is then adopted
        try:
            send_message(sock, {"ok": os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0})
        except OSError:
            return  # the runner is gone


def _start_job_init(box: Sandbox, job_fd: int) -> None:
    """In the zygote's child: enter new PID, mount and IPC namespaces, fork their init (which
    mounts its /proc), send its pid as the runner sees it, exit."""
    code = 1
    try:
        sock = socket.socket(fileno=job_fd)
        if box.namespaces:
            unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC)
            for path in ("/tmp", "/dev/shm", box.work_root):  # what each job's unshare replaces
                mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m")
        pid = os.fork()
        if pid == 0:
            try:
                if box.namespaces:
                    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
                JobInitProcess(box, sock).serve()
            except BaseException as exc:  # noqa: BLE001 - reported on stderr, the process exits 1
                sys.stderr.write(f"job init failed: {exc!r}\n")
            os._exit(1)
        send_message(sock, {"init": pid})
        code = 0
    except BaseException as exc:  # noqa: BLE001 - reported on stderr, the process exits 1
        sys.stderr.write(f"cannot start a job init: {exc!r}\n")
    os._exit(code)


class _Zygote:
    """The runner's side of the zygote: exec'd fresh (so it holds nothing of ours), asked for a
    job init, and started again should it ever fail."""

    def __init__(self, box: Sandbox) -> None:
        self.box = box
        self.pid = -1
        self.sock: socket.socket | None = None

    def _start(self) -> socket.socket:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        os.set_inheritable(theirs.fileno(), True)
        path = SANDBOX_PATH if self.box.namespaces else os.path.abspath(__file__)
        argv = [sys.executable, "-I", path, "zygote", str(theirs.fileno()), self.box.to_json()]
        self.pid = os.posix_spawn(sys.executable, argv, dict(os.environ))
        theirs.close()
        ours.settimeout(_REPLY_TIMEOUT_S)
        self.sock = ours
        return ours

    def stop(self) -> None:
        if self.sock is not None:
            self.sock.close()
        if self.pid > 0:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
        self.pid, self.sock = -1, None

    def job_init(self) -> JobInit:
        """A fresh job init; raises RuntimeError if the zygote fails twice in a row."""
        for _ in range(2):
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                sock = self.sock or self._start()
                send_message(sock, {"op": "init"}, [theirs.fileno()])
                theirs.close()
                reply, _ = recv_message(sock)
                if reply is not None and reply.get("ok"):
                    return JobInit(ours, {os.getpid(), self.pid}, self.box.isolation != "none")
            except (OSError, ValueError, RuntimeError):
                pass
            theirs.close()
            ours.close()
            self.stop()
        raise RuntimeError("the zygote could not start a job init twice in a row")


class JobInit:
    """The runner's side of one job's init: spawn test processes, learn how they ended, sweep."""

    def __init__(self, sock: socket.socket, infra: set[int], isolated: bool) -> None:
        sock.settimeout(_REPLY_TIMEOUT_S)
        self.sock = sock
        first = self._recv()
        if "init" not in first:
            raise RuntimeError("the job init did not start")
        self.pid = int(first["init"])  # in our PID namespace
        self.infra = {*infra, self.pid}  # processes of ours, never a test's
        self.isolated = isolated  # every process but ours is a test's (a namespace or a container)
        self.seq = 0
        self.ends: dict[int, list[float]] = {}  # how spawned processes ended, by seq
        self.alone_cpu: float | None = None  # the init's CPU total when it last had no process left
        self.cpu_reaped = 0.0  # that total at the end of the previous test

    def _recv(self) -> dict[str, Any]:
        try:
            message, _ = recv_message(self.sock)
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"the job init stopped answering: {exc!r}") from exc
        if message is None:
            raise RuntimeError("the job init stopped answering")
        return message

    def _note(self, message: dict[str, Any]) -> bool:
        """Take an unasked report of a process's end; False if `message` is something else."""
        if "exit" not in message:
            return False
        self.ends[int(message["exit"])] = message["end"]
        self.alone_cpu = float(message["cpu"]) if message["alone"] else None
        return True

    def pump(self) -> None:
        """Read one message (the socket was readable)."""
        self._note(self._recv())

    def _ask(self, message: dict[str, Any]) -> dict[str, Any]:
        send_message(self.sock, message)
        while True:
            reply = self._recv()
            if not self._note(reply):
                return reply

    def spawn(self, request: dict[str, Any], fds: list[int], directory: str = "test") -> int:
        """Start a test process (without waiting for it): its sequence number. `directory`:
        "test" for a work dir of its own, "build" for the job's build directory."""
        self.seq += 1
        self.alone_cpu = None
        memfd = os.memfd_create("request")
        try:
            os.write(memfd, json.dumps(request).encode())
            os.lseek(memfd, 0, os.SEEK_SET)
            send_message(self.sock, {"op": "spawn", "seq": self.seq, "dir": directory}, [memfd, *fds])
        finally:
            os.close(memfd)
        return self.seq

    def finish(self, seqs: tuple[int, ...]) -> float:
        """End a test: the CPU seconds its processes used. No round trip when the init already
        said that nothing of it is left; otherwise it kills whatever is."""
        if self.alone_cpu is not None and all(s in self.ends for s in seqs):
            total = self.alone_cpu
        else:
            reply = self._ask({"op": "sweep"})
            for seq, end in reply["exits"].items():
                self.ends[int(seq)] = end
            total = float(reply["cpu"])
        cpu, self.cpu_reaped, self.alone_cpu = total - self.cpu_reaped, total, None
        return cpu

    def seal(self, exe: str) -> str | None:
        """Make the build directory read-only to tests; the path of `exe` in it, if it is there."""
        path = self._ask({"op": "seal", "exe": exe})["exe"]
        return None if path is None else str(path)

    def usage(self) -> tuple[float, int, list[int]]:
        """(CPU seconds, resident KB, pids) of the test so far, from /proc: the live test processes'
        own CPU and their reaped children's, plus what the init reaped since the last test. Every
        process but ours is the test's in a namespace or container; elsewhere (isolation "none",
        harmless programs only) nothing is watched: RLIMIT_CPU and the wall clock remain."""
        if not self.isolated:
            return 0.0, 0, []
        ticks = pages = 0
        pids = live_processes(self._is_test)
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            ticks += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
            pages += int(fields[21])
        reaped = 0.0
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            reaped = max(0.0, (int(fields[13]) + int(fields[14])) / _TICK - self.cpu_reaped)
        except (OSError, IndexError):
            pass
        return ticks / _TICK + reaped, pages * _PAGE // 1024, pids

    def _is_test(self, pid: int) -> bool:
        return pid not in self.infra

    def begin(self) -> None:
        """A new job: fresh /tmp, /dev/shm, /work and IPC namespace (or emptied ones)."""
        self._ask({"op": "job"})

    def end(self) -> None:
        """End the job: whatever of it is left is killed (and, in a container, emptied)."""
        self.cpu_reaped = float(self._ask({"op": "end"})["cpu"])

    def kill(self) -> None:
        """Give up on this init (it failed): it and, in namespaces, every process of its jobs go."""
        self.sock.close()
        _signal_all([self.pid], signal.SIGKILL)


# ---------------------------------------------------------------- running one test


@dataclass
class Launch:
    """What to start for one test: the program's role and, for assert tests, a driver beside it."""

    request: dict[str, Any]  # role "exec" (argv) | "run" | "call" (fn_name, args) | "serve", + program
    stdin: str = ""
    driver: dict[str, Any] | None = None  # {"code": asserts} for assert tests
    directory: str = "test"  # "build": the job's build directory (the compile)


@dataclass
class Outcome:
    """How a test's processes ended, before any output is checked."""

    status: int  # the program's wait status
    cpu: float  # seconds over every process of the test but the driver
    wall: float
    memory_kb: int
    ole: bool = False
    wall_tle: bool = False
    cpu_tle: bool = False  # the sum over its processes crossed the limit while it ran
    mem_over: bool = False  # the sum of its processes' resident memory crossed the limit
    set_up: bool = True  # False: the sandbox failed to set the program's process up (an infra fault)
    stdout: bytes = b""
    stderr: bytes = b""
    result: bytes = b""  # call-based: the JSON value; assert tests: the driver's report


class TestRun:
    """One test: spawn its processes, drain their output while watching its resources, tear down."""

    def __init__(self, init: JobInit, launch: Launch, limits: Limits) -> None:
        self.init, self.launch, self.limits = init, launch, limits
        self.time_limit = float(limits["time_s"])
        self.cap = int(limits["output_bytes"])
        self.mem_limit_kb = int(limits["memory_mb"]) * 1024
        self.buffers: dict[str, bytearray] = {name: bytearray() for name in ("out", "err", "res", "ready")}
        self.fds: dict[int, str] = {}
        self.main = self.driver = -1  # sequence numbers of the spawned processes

    def run(self) -> Outcome:
        start = time.monotonic()
        self._spawn()
        ole = wall_tle = cpu_tle = mem_over = False
        try:
            ole, wall_tle, cpu_tle, mem_over = self._drain(start)
        finally:
            wall = time.monotonic() - start
            spawned = (self.main,) if self.driver < 0 else (self.main, self.driver)
            cpu = self.init.finish(spawned)
            for fd in self.fds:
                os.close(fd)
        ends = self.init.ends
        main = ends.pop(self.main, [signal.SIGKILL, 0.0, 0])
        driver = ends.pop(self.driver, None)
        if driver is not None:
            cpu -= driver[1]
        return Outcome(
            status=int(main[0]),
            cpu=max(cpu, 0.0),
            wall=wall,
            memory_kb=int(main[2]),
            ole=ole,
            wall_tle=wall_tle,
            cpu_tle=cpu_tle,
            mem_over=mem_over,
            set_up=self.buffers["ready"].startswith(b"1"),
            stdout=bytes(self.buffers["out"][: self.cap]),
            stderr=bytes(self.buffers["err"]),
            result=bytes(self.buffers["res"]),
        )

    def _pipe(self, name: str) -> int:
        r, w = os.pipe()
        self.fds[r] = name
        self.buffers.setdefault(name, bytearray())
        return w

    def _spawn(self) -> None:
        stdin = os.memfd_create("stdin")
        os.write(stdin, self.launch.stdin.encode())
        os.lseek(stdin, 0, os.SEEK_SET)
        out_w, err_w, ready_w = self._pipe("out"), self._pipe("err"), self._pipe("ready")
        theirs = [stdin, out_w, err_w, ready_w]
        base = {"limits": self.limits, **self.launch.request}
        try:
            if self.launch.driver is None:
                extra = [self._pipe("res")] if base["role"] == "call" else []
                theirs += extra
                self.main = self.init.spawn(base, [stdin, out_w, err_w, *extra, ready_w], self.launch.directory)
                return
            calls_r, calls_w = os.pipe()
            replies_r, replies_w = os.pipe()
            res_w, driver_ready_w = self._pipe("res"), self._pipe("driver_ready")
            devnull = os.open(os.devnull, os.O_RDWR)
            theirs += [calls_r, calls_w, replies_r, replies_w, res_w, driver_ready_w, devnull]
            self.main = self.init.spawn(base, [stdin, out_w, err_w, calls_r, replies_w, ready_w])
            driver = {
                "role": "driver",
                **self.launch.driver,
                "limits": {**self.limits, "time_s": self.time_limit + 5.0},
            }
            self.driver = self.init.spawn(
                driver, [devnull, devnull, devnull, calls_w, replies_r, res_w, driver_ready_w]
            )
        finally:
            for fd in theirs:
                os.close(fd)

    def _drain(self, start: float) -> tuple[bool, bool, bool, bool]:
        """Read output until the test is over; returns (ole, wall_tle, cpu_tle, mem_over)."""
        wall_limit = wall_limit_s(self.time_limit)
        # Over when the process whose end decides it has ended (the driver of an assert test, else
        # the program) and its pipes are drained; descendants holding them open are not waited for.
        decisive = self.driver if self.launch.driver is not None else self.main
        sel = selectors.DefaultSelector()
        for fd in self.fds:
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)
        sel.register(self.init.sock, selectors.EVENT_READ)
        next_poll = start + _POLL_S
        next_pss = start  # the PSS sum is dear: at most every ten polls, and only when RSS is over
        ended_at = None
        try:
            while True:
                now = time.monotonic()
                if now - start >= wall_limit:
                    return False, True, False, False
                if now >= next_poll:
                    next_poll = now + _POLL_S
                    cpu, rss_kb, pids = self.init.usage()
                    if cpu > self.time_limit:
                        return False, False, True, False
                    if rss_kb > self.mem_limit_kb and now >= next_pss:
                        next_pss = now + 10 * _POLL_S
                        if proportional_kb(pids) > self.mem_limit_kb:
                            return False, False, False, True
                if ended_at is None and decisive in self.init.ends:
                    ended_at = now
                if ended_at is not None and (len(sel.get_map()) == 1 or now - ended_at > 0.02):
                    return False, False, False, False
                timeout = min(next_poll, start + wall_limit) - now
                for key, _ in sel.select(max(0.0, timeout if ended_at is None else min(timeout, 0.005))):
                    if key.fileobj is self.init.sock:
                        self.init.pump()
                        continue
                    if self._read(sel, key.fd):
                        return True, False, False, False
        finally:
            sel.close()

    def _read(self, sel: selectors.BaseSelector, fd: int) -> bool:
        """Read what `fd` holds; True when stdout went over the cap (OLE)."""
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return False
        if not chunk:
            sel.unregister(fd)
            return False
        name = self.fds[fd]
        buf = self.buffers[name]
        buf.extend(chunk)
        if name == "err" and len(buf) > _STDERR_KEEP:
            del buf[: len(buf) - _STDERR_KEEP]
        return name in ("out", "res") and len(buf) > (self.cap if name == "out" else _MAX_RPC_FRAME)


# ---------------------------------------------------------------- judging


def judge(job: Job, test: Test, raw: Outcome, special_judge: Callable[[Test, str, str, str], bool]) -> TestResult:
    """Turn a raw outcome into a verdict; resource verdicts win over output checks."""
    status = raw.status
    stderr = raw.stderr.decode("utf-8", "replace")
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    limits = job["limits"]
    time_limit = float(limits["time_s"])
    out: TestResult = {"time_s": round(raw.cpu, 4), "wall_s": round(raw.wall, 4), "memory_kb": raw.memory_kb}
    mem_kb = int(limits["memory_mb"]) * 1024
    verdict: Verdict
    if raw.ole:
        verdict = Verdict.OLE
    elif (
        raw.wall_tle
        or raw.cpu_tle
        or sig == signal.SIGXCPU
        or raw.cpu > time_limit
        or (sig == signal.SIGKILL and raw.cpu >= 0.9 * time_limit)
    ):
        verdict = Verdict.TLE
    elif (
        raw.mem_over or "MemoryError" in stderr or "std::bad_alloc" in stderr or (sig and raw.memory_kb >= 0.9 * mem_kb)
    ):
        verdict = Verdict.MLE
    elif "code" in test:
        verdict = _assert_verdict(raw, sig, code, stderr, out)
    elif sig or code != 0:
        verdict = Verdict.RE
        out["detail"] = _exit_detail(sig, code, stderr)
    elif "args" in test:
        try:
            got = json.loads(raw.result.decode() or "null") if raw.result else None
        except ValueError:
            got = None
        verdict = Verdict.AC if raw.result and values_equal(got, test["expected"]) else Verdict.WA
    else:
        verdict = Verdict.AC if check_output(job, test, raw.stdout, special_judge) else Verdict.WA
    out["verdict"] = verdict.value
    return out


def _exit_detail(sig: int, code: int, stderr: str) -> str:
    return (f"signal {sig}" if sig else f"exit code {code}") + (": " + stderr[-500:] if stderr else "")


def _assert_verdict(raw: Outcome, sig: int, code: int, stderr: str, out: TestResult) -> Verdict:
    """The driver's report decides: every assert ran (AC), one failed (WA), the asserts raised
    (RE), or the program ended under a call (RE; WA when it exited cleanly before they were done)."""
    try:
        report = json.loads(raw.result) if raw.result else {}
    except ValueError:
        report = {}
    if not isinstance(report, dict):
        report = {}
    if report.get("ran") is True:
        return Verdict.AC
    if "failed" in report:
        out["detail"] = f"assertion failed: {report['failed']}"
        return Verdict.WA
    if "raised" in report:
        out["detail"] = f"the tests raised {report['raised']}"
        return Verdict.RE
    if sig or code != 0:
        out["detail"] = _exit_detail(sig, code, stderr)
        return Verdict.RE
    out["detail"] = "the process exited before the tests ran to the end"
    return Verdict.WA


def check_output(job: Job, test: Test, stdout: bytes, special_judge: Callable[[Test, str, str, str], bool]) -> bool:
    got = stdout.decode("utf-8", "replace")
    want = str(test.get("expected", ""))
    checker = job.get("checker") or "tokens"
    if checker == "exact":
        return got == want
    if isinstance(checker, dict) and "program" in checker:
        return special_judge(test, got, want, str(checker["program"]))
    return tokens_equal(got, want)


def job_budget_s(job: Mapping[str, Any]) -> float:
    """Upper bound on a job's honest runtime (the host's deadline): every test at its wall limit,
    the compile at its own, the special judge's runs, and slack."""
    limits = job.get("limits", {})
    per_test = wall_limit_s(float(limits.get("time_s", DEFAULT_LIMITS["time_s"]))) + 0.5
    compile_s = wall_limit_s(COMPILE_LIMITS["time_s"]) if job.get("language") == "cpp" else 0.0
    runs = 2 if isinstance(job.get("checker"), dict) else 1
    return compile_s + runs * per_test * max(1, len(job.get("tests", []))) + 10.0


# ---------------------------------------------------------------- one job


class JobRun:
    """All tests of one job under one job init: compile once, run each test, stop early if asked."""

    def __init__(self, init: JobInit, job: Job) -> None:
        self.init, self.job = init, job

    def execute(self, launch: Launch, limits: Limits) -> Outcome:
        return TestRun(self.init, launch, limits).run()

    def special_judge(self, test: Test, got: str, want: str, program: str) -> bool:
        """A Python checker run in the sandbox like a test: stdin = JSON {input, output,
        expected}; exit 0 accepts."""
        payload = json.dumps({"input": test.get("stdin", ""), "output": got, "expected": want})
        raw = self.execute(Launch({"role": "run", "program": program}, stdin=payload), self.job["limits"])
        return os.WIFEXITED(raw.status) and os.WEXITSTATUS(raw.status) == 0 and not raw.ole

    def compile_cpp(self) -> tuple[str | None, dict[str, Any]]:
        """g++ in the sandbox, in the job's build directory (read-only to the tests afterwards);
        a compile error is CE. The source reaches the compiler on its stdin."""
        gxx = shutil.which("g++") or "/usr/bin/g++"
        argv = [gxx, "-O2", "-std=c++17", "-x", "c++", "-o", "main", "-"]
        launch = Launch({"role": "exec", "argv": argv}, stdin=self.job["program"], directory="build")
        raw = self.execute(launch, COMPILE_LIMITS)
        compiled = raw.set_up and os.WIFEXITED(raw.status) and os.WEXITSTATUS(raw.status) == 0
        exe = self.init.seal("main") if compiled else None
        info: dict[str, Any] = {"ok": exe is not None, "wall_s": round(raw.wall, 3)}
        if exe is None:
            info["detail"] = raw.stderr.decode("utf-8", "replace")[-2000:]
        return exe, info

    def run(self) -> JobResult:
        job = self.job
        result: JobResult = {"tests": []}
        exe = None
        if job.get("language", "python") == "cpp":
            exe, info = self.compile_cpp()
            result["compile"] = info
            if exe is None:
                result["verdict"] = Verdict.CE.value
                return result
        for test in job["tests"]:
            raw = self.execute(_launch(job, test, exe), job["limits"])
            if not raw.set_up:
                raise RuntimeError(f"the sandbox could not set up a test process: {raw.stderr[-500:]!r}")
            result["tests"].append(judge(job, test, raw, self.special_judge))
            if result["tests"][-1]["verdict"] != Verdict.AC.value and job.get("early_exit", True):
                break
        bad = [t["verdict"] for t in result["tests"] if t["verdict"] != Verdict.AC.value]
        result["verdict"] = bad[0] if bad else Verdict.AC.value
        return result


def _launch(job: Job, test: Test, exe: str | None) -> Launch:
    """What runs for `test`: never `job` or `test` whole, since they hold the expected outputs."""
    stdin = test.get("stdin", "")
    if exe is not None:
        return Launch({"role": "exec", "argv": [exe]}, stdin=stdin)
    if "code" in test:
        return Launch({"role": "serve", "program": job["program"]}, driver={"code": test["code"]})
    if "args" in test:
        return Launch(
            {"role": "call", "program": job["program"], "fn_name": job.get("fn_name"), "args": test["args"]},
            stdin=stdin,
        )
    return Launch({"role": "run", "program": job["program"]}, stdin=stdin)


class Runner:
    """Jobs in, results out, through one job init that lives as long as the runner: each job
    gets fresh namespaces from it without a process being started for the job."""

    def __init__(self, box: Sandbox) -> None:
        self.box = box
        if box.isolation != "namespaces":
            prctl(PR_SET_CHILD_SUBREAPER, 1)  # a failed init's orphans come to us
        signal.signal(signal.SIGCHLD, lambda *_: _reap_orphans())  # a killed init, a restarted zygote
        self.zygote = _Zygote(box)
        self.init: JobInit | None = self.zygote.job_init()  # now, not in the first job's time

    def run_job(self, job: Job) -> JobResult:
        """Execute all tests of one job; stop at the first failure unless early_exit is false."""
        job = cast(Job, {**job, "limits": {**DEFAULT_LIMITS, **job.get("limits", {})}})
        init = self.init or self.zygote.job_init()
        self.init = None  # until the job is over and the init proved well
        init.begin()
        try:
            result = JobRun(init, job).run()
            init.end()
        except BaseException:
            init.kill()  # and the next job gets a fresh one
            raise
        self.init = init
        if not job["tests"]:
            result["sandbox"] = self.box.describe()  # type: ignore[typeddict-unknown-key]
        return result


def _empty_container_state(box: Sandbox) -> None:
    """A container keeps its /tmp, /dev/shm, /work and System V IPC objects between jobs: empty
    them (the init is root with CAP_DAC_OVERRIDE and CAP_FOWNER there; IPC objects go as their
    owner, since removing another's needs CAP_SYS_ADMIN)."""
    for root in ("/tmp", "/dev/shm", box.work_root):
        for entry in _listdir(root):
            path = os.path.join(root, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(path)
    if box.test_uid is not None and any(_sysv_ids(kind) for kind in ("shm", "sem", "msg")):
        pid = os.fork()
        if pid == 0:
            try:
                os.setresuid(box.test_uid, box.test_uid, box.test_uid)
                _remove_sysv_objects()
            finally:
                os._exit(0)
        os.waitpid(pid, 0)


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def _sysv_ids(kind: str) -> list[int]:
    try:
        with open(f"/proc/sysvipc/{kind}") as f:
            return [int(row.split()[1]) for row in f.read().splitlines()[1:] if row.strip()]
    except (OSError, ValueError, IndexError):
        return []


def _remove_sysv_objects() -> None:
    """System V shared memory, semaphores and queues outlive their processes (IPC_RMID = 0)."""
    for ipc_id in _sysv_ids("shm"):
        _LIBC.shmctl(ipc_id, 0, None)
    for ipc_id in _sysv_ids("sem"):
        _LIBC.semctl(ipc_id, 0, 0)
    for ipc_id in _sysv_ids("msg"):
        _LIBC.msgctl(ipc_id, 0, None)


def _reap_orphans() -> None:
    """As PID 1 (or a subreaper) we inherit ended job inits: collect them, never blocking."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# ---------------------------------------------------------------- serving


def serve_stream(runner: Runner, rfile: BinaryIO, wfile: BinaryIO, healthy: Callable[[], bool] | None = None) -> None:
    """Serve jobs until end of stream; exit the process after a job if `healthy()` turns false."""
    while True:
        job = read_frame(rfile)
        if job is None:
            return
        try:
            result = runner.run_job(job)
        except Exception as exc:  # noqa: BLE001 - the runner failed, not the program: the host says infra_error
            runner.zygote.stop()  # and the next job gets a fresh zygote
            result = {"error": f"{type(exc).__name__}: {exc}"}
        write_frame(wfile, result)
        if healthy is not None and not healthy():
            sys.exit(3)


def serve_socket(runner: Runner, path: str, mode: int, group: int | None) -> None:
    """Serve one connection at a time on a Unix socket (containers run with no network).

    Tests run as another uid and cannot reach the socket's directory; should the socket vanish
    anyway, the runner exits after the job, so the container is restarted rather than orphaned."""
    staging = f"{path}.{os.getpid()}.tmp"
    if os.path.exists(staging):
        os.unlink(staging)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(staging)
    if group is not None:
        os.chown(staging, -1, group)
    os.chmod(staging, mode)
    srv.listen(1)
    os.replace(staging, path)  # the path appears only once it accepts connections
    inode = os.stat(path).st_ino

    def healthy() -> bool:
        try:
            return os.stat(path).st_ino == inode
        except OSError:
            return False

    while True:
        conn, _ = srv.accept()
        with (
            conn,
            conn.makefile("rb") as r,
            conn.makefile("wb") as w,
            contextlib.suppress(EOFError, OSError, ValueError),  # the client went away: serve the next
        ):
            serve_stream(runner, cast(BinaryIO, r), cast(BinaryIO, w), healthy)
        if not healthy():
            sys.exit(3)


def _serve_stdio(runner: Runner) -> None:
    """Protocol on fds duplicated away from 0/1, so nothing a library prints corrupts it."""
    rfd, wfd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    with os.fdopen(rfd, "rb") as r, os.fdopen(wfd, "wb") as w:
        serve_stream(runner, r, w)


# ---------------------------------------------------------------- the local sandbox: namespaces and a private root

_ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "alternatives",
    "localtime",
    "timezone",
    "java-17-openjdk",
    "java-21-openjdk",
)
_TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


def enter_sandbox(cgroups: list[str], user: tuple[int, int] | None) -> None:
    """Join `cgroups`, become `user` if given (a root service running its sandboxes as an ordinary
    account), then enter new namespaces: PID, mount, network, IPC and UTS; as an ordinary user,
    inside a new user namespace that maps our uid to 0 (`unshare --map-root-user`)."""
    for path in cgroups:  # before the namespaces: a cgroup is joined by its host path
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    if user is not None:
        os.setgroups([])
        os.setresgid(user[1], user[1], user[1])
        os.setresuid(user[0], user[0], user[0])
        prctl(PR_SET_DUMPABLE, 1)  # a uid change clears it, and /proc/self/uid_map would stay root's
    uid, gid = os.geteuid(), os.getegid()
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    if uid != 0:
        flags |= CLONE_NEWUSER
    unshare(flags)
    if uid != 0:
        for name, content in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(content)


def build_root(binds: list[str], runner_path: str) -> None:
    """The private root, bubblewrap's way: a tmpfs becomes / with the old root under it, the new
    root is built from read-only binds of the old, then the old is detached.

    It holds /usr (and the usrmerge links), the few /etc files compilers and the dynamic linker
    read, the interpreter's prefix, `binds` and this file; a /dev with null, zero, full, random and
    urandom; a /proc of our PID namespace; mount points for /tmp, /dev/shm and /work. No home, no
    checkout, no /srv, /data, /var, /run, /sys and no host socket. Must run as PID 1 of the new
    PID namespace: /proc is mounted while the host's is still visible (a user namespace may
    mount a procfs only then)."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount propagates back to the host
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    os.chdir("/tmp")
    os.mkdir("newroot")
    os.mkdir("oldroot")
    _syscall("pivot_root", b".", b"oldroot")
    os.chdir("/")
    new, old = "/newroot", "/oldroot"
    mount("tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=4m")
    for name in _TOP_LEVEL:
        host = f"{old}/{name}"
        if os.path.islink(host):
            os.symlink(os.readlink(host), f"{new}/{name}")
        elif os.path.isdir(host):
            _bind(host, f"{new}/{name}")
    _bind(f"{old}/usr", f"{new}/usr")
    os.mkdir(f"{new}/etc")
    for name in _ETC_FILES:
        if os.path.lexists(f"{old}/etc/{name}"):
            _bind(f"{old}/etc/{name}", f"{new}/etc/{name}")
    for name, content in (
        ("passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/sh\n"),
        ("group", "root:x:0:\nnogroup:x:65534:\n"),
        ("hosts", "127.0.0.1 localhost\n::1 localhost\n"),
    ):
        with open(f"{new}/etc/{name}", "w") as f:
            f.write(content)
    for path in binds:
        if os.path.exists(old + path) and not os.path.exists(new + path):
            _bind(old + path, new + path)
    _bind(old + runner_path, new + SANDBOX_PATH)
    os.mkdir(f"{new}/dev")
    mount("tmpfs", f"{new}/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k")
    for name in ("null", "zero", "full", "random", "urandom"):
        _bind(f"{old}/dev/{name}", f"{new}/dev/{name}", read_only=False)
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, f"{new}/dev/{name}")
    for mount_point in ("/dev/shm", "/proc", "/tmp", "/work"):
        os.makedirs(new + mount_point, exist_ok=True)
    os.chmod(f"{new}/tmp", 0o1777)
    mount("proc", f"{new}/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _remount_read_only(f"{new}/dev", MS_NOSUID | MS_NOEXEC)
    umount(old)
    os.chdir(new)
    _syscall("pivot_root", b".", b".")
    umount(".")
    os.chdir("/")
    _remount_read_only("/", MS_NOSUID | MS_NODEV)


def _bind(source: str, target: str, read_only: bool = True) -> None:
    """Bind `source` at `target` (created, with its parents), read-only unless told otherwise."""
    if os.path.islink(source):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink(os.readlink(source), target)
        return
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    mount(source, target, None, MS_BIND | MS_REC)
    if read_only:
        _remount_read_only(target, MS_NOSUID | MS_NODEV)


def _remount_read_only(target: str, extra: int) -> None:
    """Remount read-only, keeping the flags the kernel locked on a mount from a more privileged
    namespace (a user namespace may add flags to such a mount, never drop them)."""
    st = os.statvfs(target)
    keep = 0
    for st_flag, ms_flag in (
        (os.ST_NOSUID, MS_NOSUID),
        (os.ST_NODEV, MS_NODEV),
        (os.ST_NOEXEC, MS_NOEXEC),
        (os.ST_NOATIME, MS_NOATIME),
        (os.ST_NODIRATIME, MS_NODIRATIME),
        (os.ST_RELATIME, MS_RELATIME),
    ):
        if st.f_flag & st_flag:
            keep |= ms_flag
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | keep | extra)


def sandbox_main(args: argparse.Namespace) -> int:
    """`runner.py sandbox`: enter namespaces, fork their PID 1, which builds the root and serves
    on stdin/stdout. Failures are one line on stderr and exit status SANDBOX_UNAVAILABLE."""
    os.umask(0o022)
    binds = [os.path.realpath(sys.base_prefix), *(os.path.realpath(p) for p in args.bind)]
    runner_path = os.path.realpath(__file__)
    try:
        user = None
        if args.user:
            uid, gid = (int(x) for x in args.user.split(":"))
            user = (uid, gid)
        enter_sandbox(args.cgroup, user)
    except (OSError, KernelRefused) as exc:
        sys.stderr.write(f"{UNAVAILABLE_PREFIX}cannot enter namespaces: {exc}\n")
        return SANDBOX_UNAVAILABLE
    alive_r, alive_w = os.pipe()  # EOF for the child once we are gone (its getppid() is 0: we are outside)
    pid = os.fork()
    if pid:
        os.close(alive_r)
        # We stay outside the PID namespace; if we are killed, its init (our child) dies with us.
        signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGKILL))
        _, status = os.waitpid(pid, 0)
        return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1
    try:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        os.close(alive_w)
        if _readable(alive_r):  # we were killed before the death signal was armed
            os._exit(1)
        os.close(alive_r)
        build_root(binds, runner_path)
        socket.sethostname("sandbox")
        box = _box(args)
        runner = Runner(box)
    except (OSError, KernelRefused, RuntimeError) as exc:
        sys.stderr.write(f"{UNAVAILABLE_PREFIX}cannot build the sandbox: {exc}\n")
        os._exit(SANDBOX_UNAVAILABLE)
    _serve_stdio(runner)
    os._exit(0)


def _seccomp() -> SeccompFilter | None:
    try:
        return SeccompFilter(seccomp_filter())
    except KernelRefused:
        return None  # no policy for this architecture: /ready says "seccomp": false


def _box(args: argparse.Namespace) -> Sandbox:
    return Sandbox(
        isolation=args.isolation,
        test_uid=args.test_uid,
        work_root=args.work_root,
        tmp_mb=args.tmp_mb,
        shm_mb=args.shm_mb,
        work_mb=args.work_mb,
        seccomp=_seccomp(),
    )


_CLAIMS: list[int] = []  # the fds holding our uid claim, open for our whole life


def claim_uid(directory: str, first: int) -> int:
    """The first uid from `first` that no other runner sharing `directory` holds. A claim is an
    flock, so it ends with its runner (a crashed replica's uid is free again at once)."""
    for uid in range(first, first + 10_000):
        fd = os.open(os.path.join(directory, f".uid-{uid}.lock"), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        _CLAIMS.append(fd)
        return uid
    raise RuntimeError(f"no free test uid in {directory}")


_PRELOAD = (
    "collections",
    "itertools",
    "functools",
    "heapq",
    "bisect",
    "math",
    "re",
    "string",
    "typing",
    "fractions",
    "decimal",
    "random",
    "statistics",
    "copy",
    "operator",
    "array",
    "dataclasses",
    "traceback",
    "encodings.idna",
    "glob",
)


def _preload() -> None:
    """Import what solutions commonly use once, before forking: cheaper tests, fewer file reads."""
    for name in _PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _parser() -> argparse.ArgumentParser:
    import argparse  # not in the zygote, which every test is a fork of

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--test-uid", type=int, default=None, help="run tests as this uid (the runner is root)")
    common.add_argument("--work-root", default="/work", help="where per-test work dirs are made")
    common.add_argument("--tmp-mb", type=int, default=512, help="per-job /tmp (namespaces)")
    common.add_argument("--shm-mb", type=int, default=64, help="per-job /dev/shm (namespaces)")
    common.add_argument("--work-mb", type=int, default=512, help="per-job work dirs (namespaces)")
    parser = argparse.ArgumentParser(prog="runner.py", description=(__doc__ or "").split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sandbox = sub.add_parser("sandbox", parents=[common], help="the local backend: build namespaces, serve on stdio")
    sandbox.add_argument("--bind", action="append", default=[], help="one more host path, read-only")
    sandbox.add_argument("--cgroup", action="append", default=[], help="a cgroup directory to join first")
    sandbox.add_argument("--user", metavar="UID:GID", help="become this ordinary account first (needs root)")
    sandbox.set_defaults(isolation="namespaces")
    serve = sub.add_parser("serve", parents=[common], help="serve in place: a container, or the runner's own tests")
    serve.add_argument("--isolation", choices=["container", "none"], default="none")
    transport = serve.add_mutually_exclusive_group(required=True)
    transport.add_argument("--stdio", action="store_true")
    transport.add_argument("--socket", metavar="PATH")
    serve.add_argument("--socket-mode", type=lambda s: int(s, 8), default=0o600)
    serve.add_argument("--socket-group", type=int, default=None)
    serve.add_argument(
        "--claim-uid-in",
        metavar="DIR",
        help="replicas sharing DIR take distinct uids from "
        "--test-uid upwards (RLIMIT_NPROC counts per uid: one replica's fork bomb must not "
        "starve another's tests)",
    )
    return parser


def main(argv: list[str]) -> int:
    if argv[1:2] == ["zygote"]:  # runner.py zygote FD SANDBOX_JSON, started by the runner itself
        _preload()
        zygote_main(Sandbox.from_json(argv[3]), socket.socket(fileno=int(argv[2])))
        return 0
    args = _parser().parse_args(argv[1:])
    if args.command == "sandbox":
        return sandbox_main(args)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if args.claim_uid_in:
        args.test_uid = claim_uid(args.claim_uid_in, args.test_uid)
    box = _box(args)
    if box.isolation == "container":
        os.makedirs(box.work_root, exist_ok=True)
    runner = Runner(box)
    if args.socket:
        serve_socket(runner, args.socket, args.socket_mode, args.socket_group)
    else:
        _serve_stdio(runner)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
