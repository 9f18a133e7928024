"""Run all tests of one program and judge them. Standard library only: the image copies this file alone.

Processes (`docs/sandbox.md` has the full picture):

    runner ── zygote ─┬─ job init (one per runner) ── test processes (the program; its assert driver)
                      └─ judge init (one per runner, once a label has judge programs) ── interactors, checkers

- The **runner** reads jobs (framed JSON) and judges; it never forks a test itself, so no test can
  inherit a job's expected outputs from its memory.
- The **zygote** is a second interpreter, exec'd fresh with common modules preloaded, that never
  reads a job. It forks the **job init** (and a new one should an init fail).
- The **job init** is PID 1 of a PID namespace of its own (backends that allow namespaces), with
  its `/proc`; for each job it enters fresh mount and IPC namespaces with a fresh `/tmp`,
  `/dev/shm` and `/work` (a container's are emptied instead): nothing a sample leaves behind
  outlives its job, and since it is its namespace's init, the sample's processes can neither kill
  nor stop it. It forks each test process from its preloaded interpreter, reaps every process of
  the test (orphans included, so their CPU time is counted), and kills them all after each test.
  Once a label with judge programs (an interactor, a checker) comes, a second, sibling init hosts
  them, renewed the same way for each job that has some: the program can neither see nor signal
  it (a uid of their own in a container).
- A **test process** sets its limits, drops every privilege (another uid, or no capabilities in a
  user namespace), sets `no_new_privs` and a seccomp filter, then runs the program in-process
  (Python) or execs it (a compiled binary, a JVM, PyPy: the `LANGUAGES` table). Assert tests run
  their asserts in a separate **driver** process that calls the program's functions over a pipe:
  the program can neither read the asserts nor write the driver's report.

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
import re
import resource
import select
import selectors
import shutil
import signal
import socket
import stat
import struct
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, BinaryIO, TypedDict, cast

if TYPE_CHECKING:
    import argparse

# ---------------------------------------------------------------- the wire types


class Limits(TypedDict, total=False):
    time_s: float  # CPU seconds, summed over every process and thread of the test
    memory_mb: int  # resident memory summed over the test's processes (and address space per process, see Language)
    output_bytes: int  # more stdout than this is OLE
    nproc: int  # processes at once (RLIMIT_NPROC, where the uid is the runner's own)
    stack_mb: int  # the stack of every thread started with the default size (RLIMIT_STACK; Java's -Xss)


class Test(TypedDict, total=False):
    stdin: str
    expected: Any
    args: list[Any]  # call-based: the job's fn_name is called with these
    code: str  # assert-based: run by the driver against the program's functions


class JudgeProgram(TypedDict, total=False):
    """A program of the label's (an interactor or an output checker), run on the judge side."""

    program: str  # its source; a Kattis checker without one is the default output validator
    language: str  # a key of LANGUAGES
    convention: str  # "testlib" | "kattis" | "cms" (checkers), "testlib" | "kattis" (interactors)
    flags: list[str]  # Kattis validator flags: extra arguments, and the default validator's options


class Job(TypedDict, total=False):
    language: str  # a key of LANGUAGES
    program: str
    tests: list[Test]
    fn_name: str | None
    checker: Any  # "tokens" | "exact" | {"program": python special judge} | JudgeProgram
    interactor: JudgeProgram  # interactive: the program talks to this instead of reading its input
    testlib_h: str  # the operator's testlib.h, when a judge program of the testlib convention needs it
    files: dict[str, str]  # {"input": name, "output": name}: file I/O in the work dir instead of stdin/stdout
    grader: dict[str, str]  # IOI: files built with the program (name -> text); its sources are compiled in
    subtasks: list[list[int]]  # test indices per subtask: early exit skips only tests of lost subtasks
    subtask_rule: str  # "min": a subtask is lost when a test scores 0 (IOI); "all": when one is not AC
    limits: Limits
    early_exit: bool


class TestResult(TypedDict, total=False):
    verdict: str
    score: float  # 0..1: 1 for AC, a checker's partial score for PA, else 0
    time_s: float
    wall_s: float
    memory_kb: int
    detail: str


class JobResult(TypedDict, total=False):
    verdict: str
    detail: str  # why, for a job-level verdict (JE: the label's judge program failed, a language is missing)
    tests: list[TestResult]
    compile: dict[str, Any]
    judges: dict[str, str]  # how each judge program of the label's was had: "compiled", "cached", "interpreted"
    error: str  # the runner itself failed: the host turns this into infra_error


class Verdict(str, enum.Enum):  # noqa: UP042 - the sandbox's interpreter may predate StrEnum (3.11)
    AC = "AC"  # accepted
    PA = "PA"  # partially accepted: a checker's score between 0 and 1
    WA = "WA"  # wrong answer
    TLE = "TLE"  # over the CPU limit (or the wall-clock backstop)
    MLE = "MLE"  # over the memory limit
    RE = "RE"  # runtime error: a signal or a non-zero exit
    OLE = "OLE"  # over the output limit
    CE = "CE"  # compile error
    JE = "JE"  # judge error: the label's interactor or checker failed, or its language is missing (the label's fault)
    SKIPPED = "SKIPPED"  # not run: every subtask it belongs to was already lost


CHILD_SETUP_FAILED = 99  # exit status of a test process whose sandbox setup failed (an infra fault)
SANDBOX_UNAVAILABLE = 70  # exit status of `runner.py sandbox` when the kernel refuses to build it
UNAVAILABLE_PREFIX = "sandbox unavailable: "  # starts its one line on stderr then
DEFAULT_LIMITS: Limits = {"time_s": 2.0, "memory_mb": 512, "output_bytes": 1 << 24, "nproc": 64, "stack_mb": 256}
COMPILE_MEMORY_MB = 2048

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
JUDGE_UID_OFFSET = 1000  # in a container, judge programs run as the test uid + this (Sandbox.judge_uid)
MAX_STACK_MB = 1024  # the zygote starts with this stack limit, so a test's stack can grow to any Limits.stack_mb


def wall_limit_s(time_s: float) -> float:
    """The wall-clock backstop of a test. Generous: the verdict is CPU time, so a busy machine (or a
    neighbour's CPU hog) must not turn a correct program into TLE; only sleepers meet this limit."""
    return max(3 * time_s, time_s + 3.0)


# ---------------------------------------------------------------- languages


@dataclass(frozen=True)
class Language:
    """Everything the sandbox needs to build and run one language; `LANGUAGES` is the one table.

    Argument templates: {src} the source file, {dir} the build directory, {exe} the binary in it,
    {main} the entry point `main_pattern` finds in the source (Java's public class), {memory_mb} and
    {stack_mb} the test's limits. The compile runs in the build directory (paths relative to it);
    `output` is what it must leave there. No `run`: Python, in the job init's preloaded interpreter."""

    name: str
    tags: tuple[str, ...]  # fence tags that select it (the first block of an answer: ```cpp)
    source: str  # the source file's name
    compile: tuple[str, ...] = ()  # argv; none: nothing to build
    compile_s: float = 0.0  # the compiler's CPU budget (its wall limit is wall_limit_s of it)
    run: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()  # the Debian packages that provide it, in the image and on the host
    output: str = "main"  # what a successful compile leaves in the build directory ({main} allowed)
    # RLIMIT_AS = the memory limit, so a huge allocation fails at once instead of racing the memory
    # poll. Off for runtimes that reserve far more address space than they use (the JVM): their
    # limit is the resident sum alone, which every language gets (`Limits.memory_mb`).
    address_space: bool = True
    main_pattern: str = ""  # a regex whose first group names {main}; "Main" when it finds none

    def argv(self, template: tuple[str, ...], build: str, source: str, limits: Limits) -> list[str]:
        values = {
            "src": os.path.join(build, self.source_name(source)),
            "dir": build,
            "exe": os.path.join(build, "main"),
            "main": self._main(source),
            "memory_mb": int(limits["memory_mb"]),
            "stack_mb": int(limits.get("stack_mb", 256)),
        }
        return [part.format(**values) for part in template]

    def source_name(self, source: str) -> str:
        return self.source.format(main=self._main(source))

    def output_name(self, source: str) -> str:
        return self.output.format(main=self._main(source))

    def _main(self, source: str) -> str:
        found = re.search(self.main_pattern, source, re.MULTILINE) if self.main_pattern else None
        return found.group(1) if found else "Main"

    def missing(self) -> str | None:
        """Why this sandbox cannot run the language (its compiler or runtime is not installed), or None."""
        for argv in (self.compile, self.run):
            if argv and "{" not in argv[0] and shutil.which(argv[0], path=_PATH) is None:
                return (
                    f"language {self.name} is not installed in this sandbox: no {argv[0]} "
                    f"(Debian package {', '.join(self.packages)})"
                )
        return None


_CODEFORCES_FLAGS = ("-O2", "-DONLINE_JUDGE", "-pipe")  # as Codeforces builds C and C++ (its stack: Limits.stack_mb)
LANGUAGES: dict[str, Language] = {
    lang.name: lang
    for lang in (
        Language("python", ("python", "py", "python3"), "solution.py", packages=("python3",)),
        # PyPy's build is a syntax check (as DOMjudge builds it: `pypy3 -m py_compile`).
        Language(
            "pypy",
            ("pypy", "pypy3"),
            "solution.py",
            ("pypy3", "-m", "py_compile", "{src}"),
            30.0,
            ("pypy3", "{src}"),
            ("pypy3",),
            output="solution.py",
        ),
        Language(
            "cpp",
            ("cpp", "c++", "cc", "cxx"),
            "main.cpp",
            ("g++", *_CODEFORCES_FLAGS, "-std=c++17", "-o", "{exe}", "{src}"),
            30.0,
            ("{exe}",),
            ("g++",),
        ),
        Language(
            "c",
            ("c",),
            "main.c",
            ("gcc", *_CODEFORCES_FLAGS, "-std=gnu11", "-o", "{exe}", "{src}", "-lm"),
            30.0,
            ("{exe}",),
            ("gcc", "libc6-dev"),
        ),
        Language(
            "java",
            ("java",),
            "{main}.java",
            ("javac", "-J-Xmx1g", "-J-XX:+UseSerialGC", "-encoding", "UTF-8", "-d", "{dir}", "{src}"),
            30.0,
            (
                "java",
                "-Xmx{memory_mb}m",
                "-Xss{stack_mb}m",
                "-XX:+UseSerialGC",
                "-DONLINE_JUDGE=true",
                "-cp",
                "{dir}",
                "{main}",
            ),
            ("openjdk-17-jdk-headless",),
            output="{main}.class",
            address_space=False,
            main_pattern=r"^\s*public\s+(?:(?:final|abstract|strictfp)\s+)*class\s+([A-Za-z_$][\w$]*)",
        ),
    )
}


def language_for_tag(tag: str | None) -> str:
    """The language a fence tag selects; Python for none or an unknown one."""
    for lang in LANGUAGES.values():
        if tag in lang.tags:
            return lang.name
    return "python"


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


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")  # what scanf's %lf reads: no "1_000", no "inf"


def _num(tok: str) -> float | None:
    if not _NUMBER.fullmatch(tok):
        return None
    value = float(tok)
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


def kattis_default(got: str, want: str, flags: list[str]) -> str | None:
    """Kattis' default output validator (problemtools, support/default_validator): None when `got`
    is accepted, else the reason. Tokens compare case-insensitively unless `case_sensitive`; with a
    float tolerance, an answer token that is a number accepts any number within the absolute or the
    relative tolerance; `space_change_sensitive` makes whitespace count exactly. Raises ValueError
    for a flag it does not know (the label's fault)."""
    case_sensitive = space_sensitive = False
    abs_tol = rel_tol = -1.0
    args = iter(flags)
    for flag in args:
        if flag == "case_sensitive":
            case_sensitive = True
        elif flag == "space_change_sensitive":
            space_sensitive = True
        elif flag in ("float_tolerance", "float_absolute_tolerance", "float_relative_tolerance"):
            value = _num(next(args, ""))
            if value is None:
                raise ValueError(f"validator flag {flag} needs a number")
            abs_tol = value if flag != "float_relative_tolerance" else abs_tol
            rel_tol = value if flag != "float_absolute_tolerance" else rel_tol
        else:
            raise ValueError(f"unknown output validator flag {flag!r}")
    split = (lambda text: re.findall(r"\s+|\S+", text)) if space_sensitive else str.split
    a, b = split(got), split(want)
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if y.isspace() or x.isspace():
            if x != y:
                return f"whitespace differs at token {i + 1}"
            continue
        fy = _num(y) if abs_tol >= 0 or rel_tol >= 0 else None
        if fy is not None:
            fx = _num(x)
            if fx is None or not (abs(fx - fy) <= abs_tol or abs(fx - fy) <= rel_tol * abs(fy)):
                return f"token {i + 1}: expected {y[:30]!r} within tolerance, got {x[:30]!r}"
        elif (x != y) if case_sensitive else (x.lower() != y.lower()):
            return f"token {i + 1}: expected {y[:30]!r}, got {x[:30]!r}"
    if len(a) != len(b):
        return "the output ended early" if len(a) < len(b) else "trailing output"
    return None


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
    judge_root: str = "/judge"  # compiled judge programs of labels, kept across jobs (`JobRun.build_judge`)
    tmp_mb: int = 512
    shm_mb: int = 64
    work_mb: int = 512
    seccomp: SeccompFilter | None = field(default=None, repr=False)
    judges: bool = False  # this side runs the label's judge programs (a judge init's view of the sandbox)

    @property
    def namespaces(self) -> bool:
        return self.isolation == "namespaces"

    @property
    def judge_uid(self) -> int | None:
        """The uid judge programs run as. In a container (no namespaces per job) a uid of their own,
        so the program, which runs beside them, can neither signal nor read them; with namespaces the
        judges get sibling namespaces the program cannot see into, and keep the test uid."""
        if self.isolation == "container" and self.test_uid is not None:
            return self.test_uid + JUDGE_UID_OFFSET
        return self.test_uid

    def to_json(self) -> str:
        """How the zygote is told (one argument: it parses no command line, so it imports less,
        and every fork of it copies less)."""
        return json.dumps(
            {
                "isolation": self.isolation,
                "test_uid": self.test_uid,
                "work_root": self.work_root,
                "judge_root": self.judge_root,
                "tmp_mb": self.tmp_mb,
                "shm_mb": self.shm_mb,
                "work_mb": self.work_mb,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Sandbox:
        return cls(**json.loads(text), seccomp=_seccomp())

    def describe(self) -> dict[str, Any]:
        """What the host reports in /ready: how tests are confined here, and which languages it runs."""
        return {
            "isolation": self.isolation,
            "seccomp": bool(self.seccomp),
            "test_uid": "own uid, no capabilities" if self.test_uid is None else self.test_uid,
            "user_namespace": self.namespaces and os.geteuid() == 0 and _in_user_namespace(),
            "languages": {name: lang.missing() or "ok" for name, lang in LANGUAGES.items()},
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
    if request.get("address_space", True):
        mem = int(limits["memory_mb"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    # Judges give programs a large stack (Codeforces 256 MB): deep recursion is no runtime error.
    stack = min(int(limits.get("stack_mb", DEFAULT_LIMITS["stack_mb"])), MAX_STACK_MB) << 20
    resource.setrlimit(resource.RLIMIT_STACK, (stack, stack))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    nproc = int(limits.get("nproc", 64))  # per uid: each runner's tests have a uid of their own
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    try:  # should the runner's cgroup fill up, the kernel's OOM killer takes the program, then a judge, never us
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("500" if box.judges else "1000")
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


def _ready(fd: int, until_exec: bool = False) -> None:
    """Tell the runner the sandbox is set up: from here on, how the process ends is the program's.
    `until_exec`: the pipe stays open until the exec that follows, so its end tells the runner that
    the program runs (an interactor must, before its program may fill the uid's process table)."""
    os.write(fd, b"1")
    if until_exec:
        fcntl.fcntl(fd, fcntl.F_SETFD, fcntl.FD_CLOEXEC)
    else:
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
        sys.setrecursionlimit(1_000_000)  # the stack (RLIMIT_STACK) is the real bound, as in a compiled language
        sys.argv = list(request.get("argv", ["solution.py"]))
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
            _ready(ready, until_exec=True)
            os.execvpe(request["argv"][0], request["argv"], dict(os.environ))  # PATH: the sandbox's own
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
# The most fds one message may carry (the kernel's SCM_MAX_FD): a spawn with a grader's files, the
# files of a compiled judge handed over. Fewer received than sent would pair names with wrong files.
_MAX_FDS = 253


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
    the work directories it made for them, and the files to hand over when they end."""

    def __init__(self, box: Sandbox, sock: socket.socket) -> None:
        self.box, self.sock = box, sock
        self.tracked: dict[int, int] = {}  # pid -> seq
        self.dirs: list[str] = []  # the current test's work directories
        self.collect: dict[int, tuple[str, list[str]]] = {}  # seq -> (its work dir, files to hand over at its end)
        self.root = box.work_root  # the job's: a fresh tmpfs (namespaces), emptied (container), temporary ("none")

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
                    message, fds = recv_message(self.sock, _MAX_FDS)
                except (OSError, ValueError):
                    message, fds = None, []
                if message is None:
                    self._end_job()
                    os._exit(0)
                self._handle(message, fds)

    def _handle(self, message: dict[str, Any], fds: list[int]) -> None:
        op = message["op"]
        if op == "spawn":
            self._spawn(
                int(message["seq"]),
                str(message["dir"]),
                fds,
                list(message.get("files", [])),
                list(message.get("collect", [])),
            )
        elif op == "sweep":
            exits = _sweep(self.box, self.tracked)
            self._remove_dirs()
            send_message(self.sock, {"op": op, "cpu": _children_cpu(), "exits": exits})
        elif op == "seal":
            send_message(self.sock, {"op": op, "dir": self._seal(_plain(str(message["dir"])), str(message["output"]))})
        elif op == "hand":
            names, handed = self._hand(_plain(str(message["dir"])))
            send_message(self.sock, {"op": op, "files": names}, handed)
            for fd in handed:
                os.close(fd)
        elif op == "job":
            self._new_job()
            send_message(self.sock, {"op": op})
        elif op == "end":
            self._end_job()
            send_message(self.sock, {"op": op, "cpu": _children_cpu()})

    def _new_job(self) -> None:
        """A sample's own /tmp, /dev/shm, /work and System V IPC. In namespaces: a new mount and
        IPC namespace each time (the previous job's are freed with its last process), where the
        copied old tmpfs mounts are detached and fresh ones mounted; no process is forked for it.
        The judges' side keeps its view of the compiled judges (and the program's side its empty
        one): mounted once when the init started, copied into every new mount namespace."""
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
        elif self.box.judges:  # a container: beside the program's work dirs, the judges' uid's alone
            self.root = os.path.join(self.box.work_root, "judge")
            shutil.rmtree(self.root, ignore_errors=True)  # none should be left: the last job's end emptied /work
            os.mkdir(self.root, 0o700)
            if self.box.test_uid is not None:
                os.chown(self.root, self.box.test_uid, self.box.test_uid)

    def _spawn(self, seq: int, directory: str, fds: list[int], files: list[str], collect: list[str]) -> None:
        """Fork a test process in a work dir of its own ("test"), or in a build directory (a
        compile). `fds`: the request, then one per name in `files` (their contents, written into
        the work dir first; a name ending in "/" is a directory), then the process's own."""
        if directory == "test":
            workdir = os.path.join(self.root, f"t{seq}")
            self.dirs.append(workdir)
        else:
            workdir = os.path.join(self.root, _plain(directory))
        os.mkdir(workdir)
        owner = self.box.test_uid if self.box.test_uid is not None and os.geteuid() == 0 else None
        for name, fd in zip(files, fds[1 : 1 + len(files)], strict=True):
            _write_from(
                fd,
                os.path.join(workdir, *(_plain(part) for part in name.rstrip("/").split("/"))),
                name.endswith("/"),
                owner,
            )
        fds = [fds[0], *fds[1 + len(files) :]]
        if owner is not None:
            os.chown(workdir, owner, owner)
        if collect:
            self.collect[seq] = (workdir, collect)
        pid = os.fork()
        if pid == 0:
            _test_process(self.box, fds, workdir)
        for fd in fds:
            os.close(fd)
        self.tracked[pid] = seq

    def _report_ends(self) -> None:
        """Tell the runner about spawned processes that ended, with the files it asked for (an
        output file, a judge's feedback); say whether the test is over (nothing of it left), in
        which case its work dirs go and no sweep is needed."""
        ends = _reap(self.tracked, block=False)
        if not ends:
            return
        handed = {seq: self._collected(seq) for seq in ends}
        alone = _no_children()
        if alone:
            self._remove_dirs()
        for seq, end in ends.items():
            names, fds = handed[seq]
            send_message(
                self.sock,
                {"exit": seq, "end": end, "alone": alone and not self.tracked, "cpu": _children_cpu(), "files": names},
                fds,
            )
            for fd in fds:
                os.close(fd)

    def _collected(self, seq: int) -> tuple[list[str], list[int]]:
        """The files `seq` was to leave, opened (regular files only, links not followed: a link to
        a file of ours would make us hand it over for the program)."""
        workdir, names = self.collect.pop(seq, ("", []))
        found, fds = [], []
        for name in names:
            fd = _open_regular(os.path.join(workdir, name))
            if fd is not None:
                found.append(name)
                fds.append(fd)
        return found, fds

    def _hand(self, directory: str) -> tuple[list[str], list[int]]:
        """Every file of a sealed build directory, opened: the runner keeps compiled judges."""
        root = os.path.join(self.root, directory)
        names, fds = [], []
        for dirpath, _, filenames in os.walk(root):
            for filename in filenames:
                fd = _open_regular(os.path.join(dirpath, filename))
                if fd is not None:
                    names.append(os.path.relpath(os.path.join(dirpath, filename), root))
                    fds.append(fd)
        return names, fds

    def _remove_dirs(self) -> None:
        for path in self.dirs:
            shutil.rmtree(path, ignore_errors=True)
        self.dirs.clear()

    def _seal(self, directory: str, output: str) -> str | None:
        """After the compile: the build directory becomes read-only to tests, so no test can swap
        the program for the next one. Its path, if the compiler left `output` there."""
        build = os.path.join(self.root, directory)
        if not os.path.isfile(os.path.join(build, output)):
            return None
        for dirpath, dirnames, filenames in os.walk(build):
            for name in [*dirnames, *filenames]:
                path = os.path.join(dirpath, name)
                if os.geteuid() == 0 and self.box.test_uid is not None:
                    os.lchown(path, 0, 0)
                if not os.path.islink(path):
                    os.chmod(path, 0o555)
        if os.geteuid() == 0 and self.box.test_uid is not None:
            os.chown(build, 0, 0)
        os.chmod(build, 0o555)
        if self.box.namespaces:  # a test in a user namespace owns what we own: read-only by mount
            mount(build, build, None, MS_BIND)
            mount(None, build, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        return build

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


def _plain(name: str) -> str:
    """A name the runner gave for a file or directory in a work dir: one path component."""
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"not a plain file name: {name!r}")
    return name


def _write_from(fd: int, path: str, directory: bool, owner: int | None) -> None:
    """Create `path` (parents within the work dir included) from what `fd` holds, or as a directory."""
    os.makedirs(path if directory else os.path.dirname(path), exist_ok=True)
    if not directory:
        with os.fdopen(fd, "rb", closefd=False) as src, open(path, "wb") as dst:
            os.lseek(fd, 0, os.SEEK_SET)
            shutil.copyfileobj(src, dst)
    os.close(fd)
    if owner is not None:
        os.chown(path, owner, owner)


def _open_regular(path: str) -> int | None:
    """An fd of the regular file at `path`, or None (none there, a link, a FIFO...)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    if stat.S_ISREG(os.fstat(fd).st_mode):
        return fd
    os.close(fd)
    return None


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
    """Fork a job init per request ({"op": "init", "judge": bool} with its socket); reply {"ok}
    once it runs. Never holds a job: the runner keeps those. Asked once per runner for the
    program's side (and once more for the judges' side, when a label first brings a judge
    program), and again should an init ever fail."""
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
            _start_job_init(box, fds[0], judge=bool(message.get("judge")))
        os.close(fds[0])
        _, status = os.waitpid(pid, 0)  # it exits once the init is forked: the init is then adopted
        try:
            send_message(sock, {"ok": os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0})
        except OSError:
            return  # the runner is gone


def _start_job_init(box: Sandbox, job_fd: int, judge: bool) -> None:
    """In the zygote's child: enter new PID, mount and IPC namespaces, fork their init (which
    mounts its /proc), send its pid as the runner sees it, exit.

    `judge`: the init of the label's judge programs (an interactor, a checker), a sibling of the
    program's: namespaces of its own, which the program can neither see nor signal, with the cache
    of compiled judges read-only; the program's side gets an empty /judge instead. Both are
    mounted here, once: every job's new mount namespace is a copy. In a container the judges run
    as a uid of their own (`Sandbox.judge_uid`), their work dirs that uid's alone."""
    code = 1
    try:
        sock = socket.socket(fileno=job_fd)
        if box.namespaces:
            unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC)
            for path in ("/tmp", "/dev/shm", box.work_root):  # what each job's unshare replaces
                mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m")
            if judge:
                _bind(box.judge_root, box.judge_root)
            else:
                mount(
                    "tmpfs", box.judge_root, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555"
                )
        if judge:
            box = replace(box, test_uid=box.judge_uid, judges=True)
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

    def job_init(self, judge: bool = False) -> JobInit:
        """A fresh job init (`judge`: the judges' side's); raises RuntimeError if the zygote fails
        twice in a row."""
        for _ in range(2):
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                sock = self.sock or self._start()
                send_message(sock, {"op": "init", "judge": judge}, [theirs.fileno()])
                theirs.close()
                reply, _ = recv_message(sock)
                if reply is not None and reply.get("ok"):
                    box = replace(self.box, test_uid=self.box.judge_uid, judges=True) if judge else self.box
                    return JobInit(ours, {os.getpid(), self.pid}, box)
            except (OSError, ValueError, RuntimeError):
                pass
            theirs.close()
            ours.close()
            self.stop()
        raise RuntimeError("the zygote could not start a job init twice in a row")


class JobInit:
    """The runner's side of one job's init: spawn test processes, learn how they ended, sweep."""

    def __init__(self, sock: socket.socket, infra: set[int], box: Sandbox) -> None:
        sock.settimeout(_REPLY_TIMEOUT_S)
        self.sock, self.box = sock, box
        first, _ = self._recv()
        if "init" not in first:
            raise RuntimeError("the job init did not start")
        self.pid = int(first["init"])  # in our PID namespace
        self.infra = {*infra, self.pid}  # processes of ours, never a test's
        self.isolated = box.isolation != "none"  # every process but ours is a test's (a namespace or a container)
        self.seq = 0
        self.ends: dict[int, list[float]] = {}  # how spawned processes ended, by seq
        self.files: dict[int, dict[str, int]] = {}  # the files they left that we asked for, by seq: open fds
        self.alone_cpu: float | None = None  # the init's CPU total when it last had no process left
        self.cpu_reaped = 0.0  # that total at the end of the previous test
        self._is_test: Callable[[int], bool] = self._not_infra  # until `share`

    def _recv(self) -> tuple[dict[str, Any], list[int]]:
        try:
            message, fds = recv_message(self.sock, _MAX_FDS)
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"the job init stopped answering: {exc!r}") from exc
        if message is None:
            raise RuntimeError("the job init stopped answering")
        return message, fds

    def _note(self, message: dict[str, Any], fds: list[int]) -> bool:
        """Take an unasked report of a process's end; False if `message` is something else."""
        if "exit" not in message:
            return False
        seq = int(message["exit"])
        self.ends[seq] = message["end"]
        self.files[seq] = dict(zip(message.get("files", []), fds, strict=True))
        self.alone_cpu = float(message["cpu"]) if message["alone"] else None
        return True

    def pump(self) -> None:
        """Read one message (the socket was readable)."""
        self._note(*self._recv())

    def _ask(self, message: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
        send_message(self.sock, message)
        while True:
            reply, fds = self._recv()
            if not self._note(reply, fds):
                return reply, fds

    def spawn(
        self,
        request: dict[str, Any],
        fds: list[int],
        directory: str = "test",
        files: Mapping[str, str] | None = None,
        collect: tuple[str, ...] = (),
    ) -> int:
        """Start a test process (without waiting for it): its sequence number. `directory`:
        "test" for a work dir of its own, else the name of a build directory (a compile). `files`
        are written into that directory first (a name ending in "/" is a directory); `collect`
        names files whose contents come back when the process ends (`take_file`)."""
        self.seq += 1
        self.alone_cpu = None
        contents = [_memfd(name, text) for name, text in (files or {}).items()]
        request_fd = _memfd("request", json.dumps(request))
        try:
            send_message(
                self.sock,
                {
                    "op": "spawn",
                    "seq": self.seq,
                    "dir": directory,
                    "files": list(files or {}),
                    "collect": list(collect),
                },
                [request_fd, *contents, *fds],
            )
        finally:
            for fd in (request_fd, *contents):
                os.close(fd)
        return self.seq

    def take_file(self, seq: int, name: str, cap: int) -> bytes | None:
        """What the process `seq` left in `name` (b"" if nothing), None when more than `cap` bytes."""
        fd = self.files.get(seq, {}).pop(name, None)
        if fd is None:
            return b""
        with os.fdopen(fd, "rb") as f:
            data = f.read(cap + 1)
        return None if len(data) > cap else data

    def hand_over(self, directory: str) -> dict[str, int]:
        """The files of a sealed build directory, as open fds by relative path."""
        reply, fds = self._ask({"op": "hand", "dir": directory})
        return dict(zip(reply["files"], fds, strict=True))

    def finish(self, seqs: tuple[int, ...]) -> float:
        """End a test: the CPU seconds its processes used. No round trip when the init already
        said that nothing of it is left; otherwise it kills whatever is."""
        if self.alone_cpu is not None and all(s in self.ends for s in seqs):
            total = self.alone_cpu
        else:
            reply, _ = self._ask({"op": "sweep"})
            for seq, end in reply["exits"].items():
                self.ends[int(seq)] = end
            total = float(reply["cpu"])
        cpu, self.cpu_reaped, self.alone_cpu = total - self.cpu_reaped, total, None
        return cpu

    def seal(self, directory: str, output: str) -> str | None:
        """Make a build directory read-only to tests; its path, if the compile left `output` in it."""
        path = self._ask({"op": "seal", "dir": directory, "output": output})[0]["dir"]
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

    def _not_infra(self, pid: int) -> bool:
        return pid not in self.infra

    def _in_namespace(self, pid: int) -> bool:
        return pid not in self.infra and os.stat(f"/proc/{pid}/ns/pid").st_ino == self.namespace

    def _of_uid(self, pid: int) -> bool:
        return pid not in self.infra and os.stat(f"/proc/{pid}").st_uid == self.uid

    def share(self) -> None:
        """Another side (the judges') runs beside this one from now on: count only our own
        processes, those of our PID namespace or, in a container, of our uid."""
        if self.box.namespaces:
            self.namespace = os.stat(f"/proc/{self.pid}/ns/pid").st_ino
            self._is_test = self._in_namespace
        elif self.box.test_uid is not None:
            self.uid = self.box.test_uid
            self._is_test = self._of_uid

    def begin(self) -> None:
        """A new job: fresh /tmp, /dev/shm, /work and IPC namespace (or emptied ones)."""
        self._ask({"op": "job"})

    def end(self) -> None:
        """End the job: whatever of it is left is killed (and, in a container, emptied)."""
        self._close_files()
        self.cpu_reaped = float(self._ask({"op": "end"})[0]["cpu"])

    def _close_files(self) -> None:
        for files in self.files.values():
            for fd in files.values():
                os.close(fd)
        self.files.clear()

    def kill(self) -> None:
        """Give up on this init (it failed): it and, in namespaces, every process of its jobs go."""
        self._close_files()
        self.sock.close()
        _signal_all([self.pid], signal.SIGKILL)


def _memfd(name: str, data: str) -> int:
    fd = os.memfd_create(name)
    os.write(fd, data.encode())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


# ---------------------------------------------------------------- running one test


@dataclass
class Launch:
    """What to start for one test: the program's role and, for assert tests, a driver beside it."""

    # role "exec" (argv, address_space) | "run" (program, argv) | "call" (fn_name, args) | "serve", + program
    request: dict[str, Any]
    stdin: str = ""
    driver: dict[str, Any] | None = None  # {"code": asserts} for assert tests
    directory: str = "test"  # else a build directory's name (a compile)
    files: dict[str, str] = field(default_factory=dict)  # written into its work dir first ("name/": a directory)
    collect: tuple[str, ...] = ()  # files of its work dir whose contents come back when it ends


@dataclass
class Outcome:
    """How a test's processes ended, before any output is checked."""

    status: int  # the program's wait status
    cpu: float  # seconds over every process of the test but the driver
    wall: float
    memory_kb: int
    stopped: str = ""  # why the runner stopped it: "ole", "wall", "cpu" (the sum over its processes), "memory"
    set_up: bool = True  # False: the sandbox failed to set the program's process up (an infra fault)
    stdout: bytes = b""
    stderr: bytes = b""
    result: bytes = b""  # call-based: the JSON value; assert tests: the driver's report
    ended: bool = True  # False: still running when the test was stopped (and then killed)
    files: dict[str, bytes | None] = field(default_factory=dict)  # Launch.collect: contents, None over the cap


class _Meter:
    """One side's CPU and resident memory against its limits, polled while a test runs."""

    def __init__(self, init: JobInit, limits: Limits) -> None:
        self.init = init
        self.time_limit, self.memory_kb = float(limits["time_s"]), int(limits["memory_mb"]) * 1024
        self.next_pss = 0.0  # the PSS sum is dear: at most every ten polls, and only when RSS is over

    def over(self, now: float) -> str:
        """ "cpu" or "memory" when the side is over that limit, else ""."""
        cpu, rss_kb, pids = self.init.usage()
        if cpu > self.time_limit:
            return "cpu"
        if rss_kb > self.memory_kb and now >= self.next_pss:
            self.next_pss = now + 10 * _POLL_S
            if proportional_kb(pids) > self.memory_kb:
                return "memory"
        return ""


class _Run:
    """Pipes to the runner and their reading, shared by a test's two shapes."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.time_limit = float(limits["time_s"])
        self.cap = int(limits["output_bytes"])
        self.buffers: dict[str, bytearray] = {}
        self.fds: dict[int, str] = {}  # read ends we hold, by the buffer they fill ("drain": discarded)

    def _pipe(self, name: str) -> int:
        r, w = os.pipe()
        self.fds[r] = name
        self.buffers.setdefault(name, bytearray())
        return w

    def _selector(self, inits: list[JobInit]) -> selectors.BaseSelector:
        sel = selectors.DefaultSelector()
        for fd in self.fds:
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)
        for init in inits:
            sel.register(init.sock, selectors.EVENT_READ, init)
        return sel

    def _wait(self, sel: selectors.BaseSelector, timeout: float) -> bool:
        """Take what arrives within `timeout`: exits from the inits, output from the pipes. True
        when stdout went over the cap (OLE)."""
        for key, _ in sel.select(max(0.0, timeout)):
            if isinstance(key.data, JobInit):
                key.data.pump()
            elif self._read(sel, key.fd):
                return True
        return False

    def _read(self, sel: selectors.BaseSelector, fd: int) -> bool:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return False
        if not chunk:
            sel.unregister(fd)
            return False
        name = self.fds[fd]
        if name == "drain":
            return False
        buf = self.buffers[name]
        buf.extend(chunk)
        if name.endswith("err") and len(buf) > _STDERR_KEEP:
            del buf[: len(buf) - _STDERR_KEEP]
        return name in ("out", "res") and len(buf) > (self.cap if name == "out" else _MAX_RPC_FRAME)

    def _close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds.clear()


class TestRun(_Run):
    """One program (and an assert test's driver) on one side: spawn, drain output while watching
    its resources, tear down."""

    def __init__(self, init: JobInit, launch: Launch, limits: Limits) -> None:
        super().__init__(limits)
        self.init, self.launch = init, launch
        self.main = self.driver = -1  # sequence numbers of the spawned processes

    def run(self) -> Outcome:
        start = time.monotonic()
        self._spawn()
        stopped, ended = "", False
        try:
            stopped = self._drain(start)
        finally:
            wall = time.monotonic() - start
            ended = self.main in self.init.ends
            cpu = self.init.finish((self.main,) if self.driver < 0 else (self.main, self.driver))
            self._close()
        ends = self.init.ends
        main = ends.pop(self.main, [signal.SIGKILL, 0.0, 0])
        driver = ends.pop(self.driver, None)
        if driver is not None:
            cpu -= driver[1]
        files = {name: self.init.take_file(self.main, name, self.cap) for name in self.launch.collect}
        return Outcome(
            status=int(main[0]),
            cpu=max(cpu, 0.0),
            wall=wall,
            memory_kb=int(main[2]),
            stopped=stopped,
            set_up=self.buffers["ready"].startswith(b"1"),
            stdout=bytes(self.buffers["out"][: self.cap]),
            stderr=bytes(self.buffers["err"]),
            result=bytes(self.buffers.get("res", b"")),
            ended=ended,
            files=files,
        )

    def _spawn(self) -> None:
        stdin = _memfd("stdin", self.launch.stdin)
        out_w, err_w, ready_w = self._pipe("out"), self._pipe("err"), self._pipe("ready")
        theirs = [stdin, out_w, err_w, ready_w]
        base = {"limits": self.limits, **self.launch.request}
        try:
            if self.launch.driver is None:
                extra = [self._pipe("res")] if base["role"] == "call" else []
                theirs += extra
                self.main = self.init.spawn(
                    base,
                    [stdin, out_w, err_w, *extra, ready_w],
                    self.launch.directory,
                    self.launch.files,
                    self.launch.collect,
                )
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
                "limits": {**self.limits, "time_s": self.time_limit + JUDGE_EXTRA_S},
            }
            self.driver = self.init.spawn(
                driver, [devnull, devnull, devnull, calls_w, replies_r, res_w, driver_ready_w]
            )
        finally:
            for fd in theirs:
                os.close(fd)

    def _drain(self, start: float) -> str:
        """Read output until the test is over; returns why the runner stopped it, or ""."""
        wall_limit = wall_limit_s(self.time_limit)
        # Over when the process whose end decides it has ended (the driver of an assert test, else
        # the program) and its pipes are drained; descendants holding them open are not waited for.
        decisive = self.driver if self.launch.driver is not None else self.main
        sel = self._selector([self.init])
        meter = _Meter(self.init, self.limits)
        next_poll = start + _POLL_S
        ended_at = None
        try:
            while True:
                now = time.monotonic()
                if now - start >= wall_limit:
                    return "wall"
                if now >= next_poll:
                    next_poll = now + _POLL_S
                    over = meter.over(now)
                    if over:
                        return over
                if ended_at is None and decisive in self.init.ends:
                    ended_at = now
                if ended_at is not None and (len(sel.get_map()) == 1 or now - ended_at > 0.02):
                    return ""
                timeout = min(next_poll, start + wall_limit) - now
                if self._wait(sel, timeout if ended_at is None else min(timeout, 0.005)):
                    return "ole"
        finally:
            sel.close()


class InteractiveRun(_Run):
    """A program and an interactor, each on its own side, talking over two pipes.

    The runner holds an end of each pipe, as Kattis' interactive runner does (problemtools,
    support/interactive/interactive.cc), so that which side ended first is well defined and neither
    side's end is caused by the other's: the interactor sees EOF only once the runner knows the
    program ended (and has swept its side), the program sees EOF only once the runner knows the
    interactor ended. The interactor never gets SIGPIPE (the runner holds a read end of the pipe to
    the program, and drains it once the program is gone); after an interactor's accepting end the
    program's late writes are drained too, after any other end its pipe is closed (the verdict came
    first). Each side has its own limits; the wall clock is one for both."""

    def __init__(
        self,
        sides: tuple[JobInit, JobInit],
        launches: tuple[Launch, Launch],
        limits: tuple[Limits, Limits],
        accepts: Callable[[int], bool],
    ) -> None:
        super().__init__(limits[0])
        self.sides, self.launches, self.side_limits = sides, launches, limits
        self.accepts = accepts  # does this wait status of the interactor's accept the interaction?
        self.seqs = [-1, -1]
        self.ended_first = ""  # "program" | "interactor"

    def run(self) -> tuple[Outcome, Outcome]:
        start = time.monotonic()
        held = self._spawn()
        cpu = [0.0, 0.0]
        stopped, done = "", [False, False]
        try:
            stopped = self._drain(start, held, cpu, done)
        finally:
            wall = time.monotonic() - start
            for i, side in enumerate(self.sides):
                cpu[i] += side.finish((self.seqs[i],))
            for fd in held.values():
                if fd >= 0:
                    os.close(fd)
            self._close()
        outcomes = []
        for i, (side, name) in enumerate(zip(self.sides, ("", "j"), strict=True)):
            end = side.ends.pop(self.seqs[i], [signal.SIGKILL, 0.0, 0])
            why = stopped.split(":")[1] if stopped.startswith(("program:", "interactor:")) else stopped
            mine = stopped.startswith(("program:", "interactor:")[i]) or (stopped == "wall" and not done[i])
            files = {n: side.take_file(self.seqs[i], n, self.cap) for n in self.launches[i].collect}
            outcomes.append(
                Outcome(
                    status=int(end[0]),
                    cpu=cpu[i],
                    wall=wall,
                    memory_kb=int(end[2]),
                    stopped=why if mine else "",
                    set_up=self.buffers[name + "ready"].startswith(b"1"),
                    stderr=bytes(self.buffers[name + "err"]),
                    ended=done[i],
                    files=files,
                )
            )
        return outcomes[0], outcomes[1]

    def _spawn(self) -> dict[str, int]:
        to_judge_r, to_judge_w = os.pipe()
        to_program_r, to_program_w = os.pipe()
        for fd in (to_judge_r, to_program_r):
            with contextlib.suppress(OSError):  # 1 MiB, as Kattis' runner: a burst of output does not block
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
        # The interactor first, and running before the program starts: a program that fills its
        # uid's process table (the judges may share it) cannot keep the interactor from starting.
        for i, (stdin, stdout, name) in ((1, (to_judge_r, to_program_w, "j")), (0, (to_program_r, to_judge_w, ""))):
            err_w, ready_w = self._pipe(name + "err"), self._pipe(name + "ready")
            launch = self.launches[i]
            try:
                self.seqs[i] = self.sides[i].spawn(
                    {"limits": self.side_limits[i], **launch.request},
                    [stdin, stdout, err_w, ready_w],
                    files=launch.files,
                    collect=launch.collect,
                )
            finally:
                os.close(err_w)
                os.close(ready_w)
            if i == 1:
                self._await_start("jready")
        return {
            "to_judge_r": to_judge_r,
            "to_judge_w": to_judge_w,
            "to_program_r": to_program_r,
            "to_program_w": to_program_w,
        }

    def _await_start(self, name: str) -> None:
        """Read the `name` ready pipe to its end: the process runs its program, or has ended."""
        fd = next(fd for fd, n in self.fds.items() if n == name)
        deadline = time.monotonic() + _REPLY_TIMEOUT_S
        while time.monotonic() < deadline and select.select([fd], [], [], deadline - time.monotonic())[0]:
            chunk = os.read(fd, 64)
            if not chunk:
                return
            self.buffers[name].extend(chunk)

    def _drain(self, start: float, held: dict[str, int], cpu: list[float], done: list[bool]) -> str:
        """Run the interaction to its end, noting in `done` which sides ended by themselves;
        returns why the runner stopped it ("wall", or "program:cpu", "interactor:memory"...), or ""."""
        wall_limit = wall_limit_s(self.time_limit)
        sel = self._selector(list(self.sides))
        meters = [_Meter(side, limits) for side, limits in zip(self.sides, self.side_limits, strict=True)]
        next_poll = start + _POLL_S
        last_end = None
        try:
            while True:
                now = time.monotonic()
                if now - start >= wall_limit:
                    return "wall"
                if now >= next_poll:
                    next_poll = now + _POLL_S
                    for i, who in enumerate(("program", "interactor")):
                        over = "" if done[i] else meters[i].over(now)
                        if over:
                            return f"{who}:{over}"
                for i, who in enumerate(("program", "interactor")):
                    if not done[i] and self.seqs[i] in self.sides[i].ends:
                        done[i], last_end = True, now
                        self.ended_first = self.ended_first or who
                        cpu[i] += self.sides[i].finish((self.seqs[i],))  # its daemons too: they may hold its pipes
                        self._after_end(i, sel, held)
                if all(done) and last_end is not None and (len(sel.get_map()) == 2 or now - last_end > 0.02):
                    return ""
                timeout = min(next_poll, start + wall_limit) - now
                self._wait(sel, timeout if not all(done) else min(timeout, 0.005))
        finally:
            sel.close()

    def _after_end(self, i: int, sel: selectors.BaseSelector, held: dict[str, int]) -> None:
        """Side `i` ended: let the other side see EOF, and stop holding what it wrote to us."""

        def release(name: str) -> None:
            os.close(held[name])
            held[name] = -1

        def drain(name: str) -> None:
            fd, held[name] = held[name], -1
            self.fds[fd] = "drain"
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)

        if i == 0:  # the program
            release("to_judge_w")
            drain("to_program_r")
            return
        release("to_program_w")
        if self.accepts(int(self.sides[1].ends[self.seqs[1]][0])):
            drain("to_judge_r")
        else:
            release("to_judge_r")


# ---------------------------------------------------------------- judging


@dataclass
class Check:
    """What a checker (or an interactor) said about one test."""

    verdict: Verdict
    score: float = 0.0
    detail: str = ""

    @staticmethod
    def scored(score: float, detail: str = "") -> Check:
        """A partial score: 1 is AC, 0 is WA, anything between is PA."""
        score = min(max(score, 0.0), 1.0)
        verdict = Verdict.AC if score >= 1.0 else Verdict.WA if score <= 0.0 else Verdict.PA
        return Check(verdict, score, detail)


ACCEPTED = Check(Verdict.AC, 1.0)
# Exit statuses of testlib judges (testlib.h: OK 0, WA 1, PE 2, FAIL 3, DIRT 4, POINTS 7,
# UNEXPECTED_EOF 8); FAIL is the judge's own failure, the label's fault. Partial scores (`quitp`)
# are read from "points X" on stderr as the fraction of the test.
_TESTLIB = {0: "AC", 1: "WA", 2: "presentation error", 4: "presentation error", 8: "unexpected end of output"}
TESTLIB_FAIL, TESTLIB_POINTS = 3, 7
KATTIS_AC, KATTIS_WA = 42, 43  # the Kattis problem package format's output validators and interactors


def judge_verdict(convention: str, raw: Outcome, feedback: str = "") -> Check:
    """What a judge program's end says, by its convention; a crash, a limit, an exit status the
    convention does not have or a testlib FAIL are the judge's own failure: JE."""
    who = "the label's judge program"
    message = (feedback or raw.stderr.decode("utf-8", "replace")).strip()[-1000:]
    if raw.stopped:
        return Check(
            Verdict.JE,
            detail=f"{who} went over its {'CPU time' if raw.stopped != 'memory' else 'memory'} "
            f"limit{' (wall clock)' if raw.stopped == 'wall' else ''}",
        )
    if os.WIFSIGNALED(raw.status):
        return Check(Verdict.JE, detail=f"{who} was killed by signal {os.WTERMSIG(raw.status)}: {message}")
    code = os.WEXITSTATUS(raw.status)
    if convention == "kattis":
        if code in (KATTIS_AC, KATTIS_WA):
            return Check(Verdict.AC, 1.0, message) if code == KATTIS_AC else Check(Verdict.WA, detail=message)
    elif convention == "testlib":
        if code in _TESTLIB:
            return Check(Verdict.AC, 1.0, message) if code == 0 else Check(Verdict.WA, detail=message)
        points = re.match(r"points\s+(\S+)", message)
        if code == TESTLIB_POINTS and points and _num(points.group(1)) is not None:
            return Check.scored(float(points.group(1)), message)
        if code == TESTLIB_FAIL:
            return Check(Verdict.JE, detail=f"{who} reported FAIL: {message}")
    elif convention == "cms":
        score = _num(raw.stdout.decode("utf-8", "replace").strip().split("\n")[0].strip()) if code == 0 else None
        if score is not None:  # open-r1's Codeforces checkers print 1 or 100 for a right answer: both are full
            return Check.scored(score, message)
    elif convention == "spj":
        return ACCEPTED if code == 0 and not raw.stopped else Check(Verdict.WA, detail=message)
    return Check(
        Verdict.JE,
        detail=f"{who} ({convention}) exited with status {code}, which its convention does not define: {message}",
    )


def judge(job: Job, test: Test, raw: Outcome, check: Callable[[Test, bytes], Check]) -> TestResult:
    """Turn a raw outcome into a verdict; resource verdicts win over output checks."""
    out = _resources(job, raw)
    if "verdict" in out:
        return out
    stderr = raw.stderr.decode("utf-8", "replace")
    sig = os.WTERMSIG(raw.status) if os.WIFSIGNALED(raw.status) else 0
    code = os.WEXITSTATUS(raw.status) if os.WIFEXITED(raw.status) else -1
    result: Check
    if "code" in test:
        result = _assert_verdict(raw, sig, code, stderr)
    elif sig or code != 0:
        result = Check(Verdict.RE, detail=_exit_detail(sig, code, stderr))
    elif "args" in test:
        try:
            got = json.loads(raw.result.decode() or "null") if raw.result else None
        except ValueError:
            got = None
        result = ACCEPTED if raw.result and values_equal(got, test["expected"]) else Check(Verdict.WA)
    else:
        result = check(test, raw.stdout)
    return _with(out, result)


def _resources(job: Job, raw: Outcome) -> TestResult:
    """CPU, wall and memory of the program; with a verdict when it went over a limit, or when it
    crashed on the way there (a signal near the limit, an allocation failure). A test the watcher
    stopped gets the verdict of the limit it saw crossed first: memory that the CPU of the killed
    processes' last moments then pushes over the time limit is still MLE. Otherwise OLE > TLE > MLE."""
    limits = job["limits"]
    out: TestResult = {
        "score": 0.0,
        "time_s": round(raw.cpu, 4),
        "wall_s": round(raw.wall, 4),
        "memory_kb": raw.memory_kb,
    }
    stderr = raw.stderr.decode("utf-8", "replace")
    sig = os.WTERMSIG(raw.status) if os.WIFSIGNALED(raw.status) else 0
    time_limit, mem_kb = float(limits["time_s"]), int(limits["memory_mb"]) * 1024
    if raw.stopped == "ole":
        out["verdict"] = Verdict.OLE.value
    elif raw.stopped == "memory":
        out["verdict"] = Verdict.MLE.value
    elif (
        raw.stopped in ("wall", "cpu")
        or sig == signal.SIGXCPU
        or raw.cpu > time_limit
        or (sig == signal.SIGKILL and raw.cpu >= 0.9 * time_limit)
    ):
        out["verdict"] = Verdict.TLE.value
        if raw.stopped == "wall" and raw.cpu < time_limit:
            out["detail"] = f"idle: {raw.cpu:.2f} s of CPU in {raw.wall:.1f} s (waiting for input that never came?)"
    elif any(marker in stderr for marker in _OUT_OF_MEMORY) or (sig and raw.memory_kb >= 0.9 * mem_kb):
        out["verdict"] = Verdict.MLE.value
    return out


_OUT_OF_MEMORY = ("MemoryError", "std::bad_alloc", "java.lang.OutOfMemoryError")


def _with(out: TestResult, check: Check) -> TestResult:
    out["verdict"], out["score"] = check.verdict.value, check.score
    if check.detail:
        out["detail"] = check.detail[-1000:]
    return out


def _exit_detail(sig: int, code: int, stderr: str) -> str:
    return (f"signal {sig}" if sig else f"exit code {code}") + (": " + stderr[-500:] if stderr else "")


def _assert_verdict(raw: Outcome, sig: int, code: int, stderr: str) -> Check:
    """The driver's report decides: every assert ran (AC), one failed (WA), the asserts raised
    (RE), or the program ended under a call (RE; WA when it exited cleanly before they were done)."""
    try:
        report = json.loads(raw.result) if raw.result else {}
    except ValueError:
        report = {}
    if not isinstance(report, dict):
        report = {}
    if report.get("ran") is True:
        return ACCEPTED
    if "failed" in report:
        return Check(Verdict.WA, detail=f"assertion failed: {report['failed']}")
    if "raised" in report:
        return Check(Verdict.RE, detail=f"the tests raised {report['raised']}")
    if sig or code != 0:
        return Check(Verdict.RE, detail=_exit_detail(sig, code, stderr))
    return Check(Verdict.WA, detail="the process exited before the tests ran to the end")


def interactive_verdict(
    job: Job, program: Outcome, interactor: Outcome, convention: str, feedback: str, first: str
) -> TestResult:
    """The rules of Kattis' judge for interactive problems (problemtools, judge/execute.py): the
    interactor's own failure is the label's (JE); an interactor that ended first with a wrong
    answer decides (the program may then have died of the closed pipe); else the program's time,
    memory and crash verdicts; else the interactor's, which must have ended by itself."""
    out = _resources(job, program)
    if interactor.stopped in ("cpu", "memory"):
        return _with(out, judge_verdict(convention, interactor))
    said = judge_verdict(convention, interactor, feedback) if interactor.ended else None
    if said is not None and (said.verdict is Verdict.JE or (first == "interactor" and said.verdict is Verdict.WA)):
        return _with(out, said)
    if "verdict" in out:
        return out
    sig = os.WTERMSIG(program.status) if os.WIFSIGNALED(program.status) else 0
    code = os.WEXITSTATUS(program.status) if os.WIFEXITED(program.status) else -1
    if sig or code != 0:
        return _with(out, Check(Verdict.RE, detail=_exit_detail(sig, code, program.stderr.decode("utf-8", "replace"))))
    if said is None:
        return _with(out, Check(Verdict.JE, detail="the label's interactor did not end after the program did"))
    return _with(out, said)


JUDGE_EXTRA_S = 5.0  # a judge program's CPU limit over the test's (it outlives the program it judges)


def judge_limits(limits: Limits) -> Limits:
    """The limits of the label's judge programs (interactors, checkers, an assert test's driver)."""
    return {
        **limits,
        "time_s": float(limits["time_s"]) + JUDGE_EXTRA_S,
        "memory_mb": max(int(limits["memory_mb"]), 1024),
    }


def has_judge_program(job: Mapping[str, Any]) -> bool:
    """Whether the job runs a program of the label's beside the program under test."""
    return "interactor" in job or (isinstance(job.get("checker"), dict) and bool(job["checker"].get("program")))


def job_memory_mb(job: Mapping[str, Any]) -> int:
    """The most memory one test of the job may hold: the program's limit, and its judge
    program's beside it (the host sizes its cgroup by it)."""
    limits = cast(Limits, {**DEFAULT_LIMITS, **job.get("limits", {})})
    return int(limits["memory_mb"]) + (int(judge_limits(limits)["memory_mb"]) if has_judge_program(job) else 0)


def job_budget_s(job: Mapping[str, Any]) -> float:
    """Upper bound on a job's honest runtime (the host's deadline): every test at its wall limit,
    each judge run at its own, the compiles at theirs, and slack."""
    limits = cast(Limits, {**DEFAULT_LIMITS, **job.get("limits", {})})
    per_test = wall_limit_s(float(limits["time_s"])) + 0.5
    judge_wall = wall_limit_s(float(judge_limits(limits)["time_s"])) + 0.5
    programs = [
        job.get("language") or "python",
        *(p.get("language") or "python" for p in (job.get("interactor"), job.get("checker")) if isinstance(p, dict)),
    ]
    compile_s = sum(
        wall_limit_s(LANGUAGES[name].compile_s) for name in programs if name in LANGUAGES and LANGUAGES[name].compile
    )
    if "interactor" in job:  # the interactor runs beside the program; a testlib checker may follow it
        per_test = judge_wall
    runs = 1 if isinstance(job.get("checker"), dict) else 0  # a checker run after each test
    return compile_s + (per_test + runs * judge_wall) * max(1, len(job.get("tests", []))) + 10.0


# ---------------------------------------------------------------- one job


class LabelFault(Exception):
    """The label cannot be judged as given (its judge program fails to build, its language is not
    installed): the job's verdict is JE, with this message."""


@dataclass
class Built:
    """A program ready to run: Python in the preloaded interpreter (`build` None), or from its
    (sealed) build directory: compiled, or a source an interpreter runs."""

    language: Language
    source: str
    build: str | None = None

    def launch(
        self,
        limits: Limits,
        args: list[str],
        stdin: str = "",
        files: dict[str, str] | None = None,
        collect: tuple[str, ...] = (),
    ) -> Launch:
        request: dict[str, Any]
        if self.build is None:
            request = {"role": "run", "program": self.source, "argv": ["solution.py", *args]}
        else:
            argv = self.language.argv(self.language.run, self.build, self.source, limits)
            request = {"role": "exec", "argv": [*argv, *args], "address_space": self.language.address_space}
        return Launch(request, stdin=stdin, files=files or {}, collect=collect)


class JobRun:
    """All tests of one job: build the program (and the label's judge programs) once, run each
    test, stop early if asked. `judge` is the judge programs' side, when the job has any."""

    def __init__(self, box: Sandbox, init: JobInit, judge: JobInit | None, job: Job) -> None:
        self.box, self.init, self.judge_init, self.job = box, init, judge, job
        self.judges: dict[str, Built] = {}
        self.how: dict[str, str] = {}  # JobResult.judges

    # -- building

    def build(self, language: str, source: str, role: str = "") -> tuple[Built | None, dict[str, Any]]:
        """The program (or the label's judge program `role`, on the judges' side) ready to run, and
        its compile report; None when it does not compile. The sources, the grader's files (the
        program's) and testlib.h (a judge's that includes it) go into a build directory of its own."""
        lang = LANGUAGES.get(language)
        if lang is None:
            raise LabelFault(f"unknown language {language!r}")
        missing = lang.missing()
        if missing:
            raise LabelFault(missing)
        if not lang.compile:
            return Built(lang, source), {}
        files = {} if role else dict(self.job.get("grader", {}))
        if any("/" in name or name in (".", "..", lang.source_name(source)) for name in files):
            raise LabelFault(f"grader file names must be plain and not the program's: {sorted(files)}")
        if role and '"testlib.h"' in source:
            if "testlib_h" not in self.job:
                raise LabelFault("a judge program includes testlib.h, and the job carries none")
            files["testlib.h"] = self.job["testlib_h"]
        suffix = os.path.splitext(lang.source)[1]  # a grader's sources in the language are built with the program
        extra = sorted(f"./{name}" for name in files if name.endswith(suffix))
        files[lang.source_name(source)] = source
        limits: Limits = {
            "time_s": lang.compile_s,
            "memory_mb": COMPILE_MEMORY_MB,
            "output_bytes": 1 << 16,
            "nproc": 64,
        }
        directory = f"build-{role}" if role else "build"
        launch = Launch(
            {
                "role": "exec",
                "argv": lang.argv(lang.compile, ".", source, limits) + extra,
                "address_space": lang.address_space,
            },
            directory=directory,
            files=files,
        )
        side = self.judge_init if role and self.judge_init else self.init
        raw = TestRun(side, launch, limits).run()
        compiled = raw.set_up and not raw.stopped and os.WIFEXITED(raw.status) and os.WEXITSTATUS(raw.status) == 0
        build = side.seal(directory, lang.output_name(source)) if compiled else None
        info: dict[str, Any] = {"ok": build is not None, "wall_s": round(raw.wall, 3)}
        if build is None:
            info["detail"] = raw.stderr.decode("utf-8", "replace")[-2000:]
            return None, info
        return Built(lang, source, build), info

    def build_judge(self, role: str, spec: JudgeProgram) -> None:
        """A judge program of the label's, compiled once per runner: kept (by the hash of its
        language, source and testlib.h) where the judges' side reads it read-only and the
        program's side cannot see it."""
        import hashlib  # here: the zygote, which imports this module, forks cheaper without OpenSSL

        language, source = spec.get("language") or "python", spec["program"]
        lang = LANGUAGES.get(language)
        if lang is None or not lang.compile:
            built, _ = self.build(language, source, role)
            assert built is not None  # nothing to compile
            self.judges[role], self.how[role] = built, "interpreted"
            return
        header = self.job.get("testlib_h", "") if '"testlib.h"' in source else ""
        key = hashlib.sha256(json.dumps([lang.name, lang.compile, source, header]).encode()).hexdigest()[:32]
        cached = os.path.join(self.box.judge_root, key)
        self.how[role] = "cached"
        if not os.path.isdir(cached):
            self.how[role] = "compiled"
            built, info = self.build(language, source, role)
            if built is None:
                raise LabelFault(f"the label's {role} does not compile: {info.get('detail', '')}")
            assert self.judge_init is not None
            _store(self.judge_init.hand_over(f"build-{role}"), cached, self.box.judge_root)
        os.utime(cached)
        self.judges[role] = Built(lang, source, cached)

    # -- judging

    def check(self, test: Test, output: bytes) -> Check:
        """The job's checker on one test's output."""
        checker = self.job.get("checker") or "tokens"
        got, want = output.decode("utf-8", "replace"), str(test.get("expected", ""))
        if checker == "exact":
            return ACCEPTED if got == want else Check(Verdict.WA)
        if not isinstance(checker, dict):
            return ACCEPTED if tokens_equal(got, want) else Check(Verdict.WA)
        if not checker.get("program"):  # Kattis' default output validator, with the label's flags
            try:
                why = kattis_default(got, want, list(checker.get("flags", [])))
            except ValueError as exc:
                return Check(Verdict.JE, detail=f"bad label: {exc}")
            return ACCEPTED if why is None else Check(Verdict.WA, detail=why)
        return self.run_checker(checker.get("convention", "spj"), test, got, want)

    def run_checker(self, convention: str, test: Test, got: str, want: str) -> Check:
        """A checker program of the label's, on the judges' side: testlib (`checker input output
        answer`), Kattis (`validator input answer feedback_dir flags < output`), CMS (`checker
        input answer output`, the score on stdout) or the Python special judge (JSON on stdin)."""
        built, limits = self.judges["checker"], judge_limits(self.job["limits"])
        files = {"input": test.get("stdin", ""), "answer": want, "output": got, "feedback/": ""}
        args = {
            "testlib": ["input", "output", "answer"],
            "cms": ["input", "answer", "output"],
            "kattis": ["input", "answer", "feedback/", *self.job["checker"].get("flags", [])],
        }.get(convention, [])
        stdin = (
            got
            if convention == "kattis"
            else json.dumps({"input": files["input"], "output": got, "expected": want})
            if convention == "spj"
            else ""
        )
        raw = TestRun(self.judge_init or self.init, built.launch(limits, args, stdin, files, _FEEDBACK), limits).run()
        if not raw.set_up:
            raise RuntimeError(f"the sandbox could not set up a checker: {raw.stderr[-500:]!r}")
        return judge_verdict(convention, raw, _feedback(raw))

    def run_interactive(self, test: Test, solution: Built) -> TestResult:
        """The program against the label's interactor (Kattis: `interactor input answer
        feedback_dir`, exit 42/43; testlib: `interactor input output answer`, exit 0 and testlib's
        codes), then a testlib checker on what the interactor wrote, when the label has one."""
        assert self.judge_init is not None
        spec, limits = self.job["interactor"], self.job["limits"]
        convention = spec.get("convention", "kattis")
        files = {"input": test.get("stdin", ""), "answer": str(test.get("expected", "")), "feedback/": ""}
        args = (
            ["input", "answer", "feedback/", *spec.get("flags", [])]
            if convention == "kattis"
            else ["input", "output", "answer"]
        )
        interactor = self.judges["interactor"].launch(
            judge_limits(limits), args, files=files, collect=("output", *_FEEDBACK)
        )
        accepting = (KATTIS_AC,) if convention == "kattis" else (0, TESTLIB_POINTS)

        def accepts(status: int) -> bool:
            return os.WIFEXITED(status) and os.WEXITSTATUS(status) in accepting

        run = InteractiveRun(
            (self.init, self.judge_init),
            (solution.launch(limits, []), interactor),
            (limits, judge_limits(limits)),
            accepts,
        )
        program, judged = run.run()
        if not (program.set_up and judged.set_up):
            raise RuntimeError("the sandbox could not set up an interactive test")
        result = interactive_verdict(self.job, program, judged, convention, _feedback(judged), run.ended_first)
        if result["verdict"] == Verdict.AC.value and "checker" in self.judges:
            tout = (judged.files.get("output") or b"").decode("utf-8", "replace")
            result = _with(result, self.run_checker("testlib", test, tout, str(test.get("expected", ""))))
        return result

    # -- the job

    def run(self) -> JobResult:
        job = self.job
        result: JobResult = {"tests": []}
        try:
            solution, info = self.build(job.get("language") or "python", job["program"])
            if info:
                result["compile"] = info
            if solution is None:
                result["verdict"] = Verdict.CE.value
                return result
            for role in ("interactor", "checker"):
                spec = job.get(role)
                if isinstance(spec, dict) and spec.get("program"):
                    self.build_judge(role, cast(JudgeProgram, spec))
        except LabelFault as exc:
            return {**result, "verdict": Verdict.JE.value, "detail": str(exc)}
        if self.how:
            result["judges"] = self.how
        result["tests"] = self.run_tests(solution)
        bad = [t for t in result["tests"] if t["verdict"] not in (Verdict.AC.value, Verdict.SKIPPED.value)]
        judge_error = next((t for t in bad if t["verdict"] == Verdict.JE.value), None)
        result["verdict"] = (judge_error or (bad[0] if bad else {"verdict": Verdict.AC.value}))["verdict"]
        if judge_error is not None:
            result["detail"] = judge_error.get("detail", "")
        return result

    def run_tests(self, solution: Built) -> list[TestResult]:
        """Every test in order. Early exit: without subtasks, stop at the first test that is not AC;
        with them, skip a test once every subtask it belongs to is lost (IOI: a test scored 0; the
        all-tests rule: a test not AC), since nothing it could score would count."""
        job = self.job
        subtasks = job.get("subtasks") or []
        member_of: dict[int, list[int]] = {}
        for s, indices in enumerate(subtasks):
            for i in indices:
                member_of.setdefault(i, []).append(s)
        lost = [False] * len(subtasks)
        early = job.get("early_exit", True)
        results: list[TestResult] = []
        for i, test in enumerate(job["tests"]):
            if early and member_of.get(i) and all(lost[s] for s in member_of[i]):
                results.append({"verdict": Verdict.SKIPPED.value, "score": 0.0})
                continue
            result = self.run_test(test, solution)
            results.append(result)
            failed = result["score"] <= 0 if job.get("subtask_rule") == "min" else result["verdict"] != Verdict.AC.value
            for s in member_of.get(i, []):
                lost[s] = lost[s] or failed
            if result["verdict"] == Verdict.JE.value or (failed and early and not subtasks):
                break
        return results

    def run_test(self, test: Test, solution: Built) -> TestResult:
        if "interactor" in self.job:
            return self.run_interactive(test, solution)
        launch = _launch(self.job, test, solution)
        files = self.job.get("files", {})
        if files.get("input"):  # file I/O: the input in its file too (and on stdin, as a judge that offers both)
            launch.files[files["input"]] = test.get("stdin", "")
        if files.get("output"):
            launch.collect = (files["output"],)
        raw = TestRun(self.init, launch, self.job["limits"]).run()
        if not raw.set_up:
            raise RuntimeError(f"the sandbox could not set up a test process: {raw.stderr[-500:]!r}")
        if files.get("output") and not raw.stopped:  # the answer is the output file, whatever went to stdout
            text = raw.files.get(files["output"])
            raw = replace(raw, stdout=text or b"", stopped="ole" if text is None else "")
        return judge(self.job, test, raw, self.check)


JUDGE_CACHE_ENTRIES = 32  # compiled judge programs kept per runner
JUDGE_MB = 256  # their tmpfs (namespaces; containers get one from their backend)
_FEEDBACK = ("feedback/judgemessage.txt", "feedback/teammessage.txt")  # a Kattis judge's messages


def _feedback(raw: Outcome) -> str:
    """A Kattis judge's messages to the judges and to the team, as it left them."""
    return "\n".join(text.decode("utf-8", "replace").strip() for name in _FEEDBACK if (text := raw.files.get(name)))


def _store(files: dict[str, int], target: str, cache: str) -> None:
    """Keep a compiled judge: its build directory's files (open fds) become `target`, read-only
    and ours; the oldest entries go beyond JUDGE_CACHE_ENTRIES."""
    staging = tempfile.mkdtemp(prefix=".new-", dir=cache)
    try:
        for name, fd in files.items():
            path = os.path.join(staging, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with os.fdopen(fd, "rb") as src, open(path, "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.chmod(path, 0o555)
        for dirpath, _, _ in os.walk(staging):
            os.chmod(dirpath, 0o711)  # the judges' uid passes through; nobody lists the cache
        entries = sorted(
            (os.stat(os.path.join(cache, name)).st_mtime, name) for name in _listdir(cache) if not name.startswith(".")
        )
        for _, name in entries[: max(0, len(entries) - JUDGE_CACHE_ENTRIES + 1)]:
            shutil.rmtree(os.path.join(cache, name), ignore_errors=True)
        os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _launch(job: Job, test: Test, solution: Built) -> Launch:
    """What runs for `test`: never `job` or `test` whole, since they hold the expected outputs."""
    stdin = test.get("stdin", "")
    if "code" in test:
        return Launch({"role": "serve", "program": job["program"]}, driver={"code": test["code"]})
    if "args" in test:
        return Launch(
            {"role": "call", "program": job["program"], "fn_name": job.get("fn_name"), "args": test["args"]},
            stdin=stdin,
        )
    return solution.launch(job["limits"], [], stdin)


class Runner:
    """Jobs in, results out, through one job init that lives as long as the runner: each job
    gets fresh namespaces from it without a process being started for the job."""

    def __init__(self, box: Sandbox) -> None:
        self.box = box
        if box.isolation != "namespaces":
            prctl(PR_SET_CHILD_SUBREAPER, 1)  # a failed init's orphans come to us
        # The zygote's stack limit at its exec decides how far below the stack the kernel places
        # mappings, hence how deep a forked test's stack can ever grow (Limits.stack_mb).
        hard = resource.getrlimit(resource.RLIMIT_STACK)[1]
        stack = MAX_STACK_MB << 20
        resource.setrlimit(resource.RLIMIT_STACK, (stack if hard == resource.RLIM_INFINITY else min(stack, hard), hard))
        if box.namespaces:  # the compiled judges' cache: ours, private (the program's side mounts over it)
            mount("tmpfs", box.judge_root, "tmpfs", MS_NOSUID | MS_NODEV, f"size={JUDGE_MB}m,mode=0711")
            mount(None, box.judge_root, None, MS_PRIVATE)
        os.chmod(box.judge_root, 0o711)  # in a container: the judges' uid passes through, the program's cannot list
        signal.signal(signal.SIGCHLD, lambda *_: _reap_orphans())  # a killed init, a restarted zygote
        self.zygote = _Zygote(box)
        self.init: JobInit | None = self.zygote.job_init()  # now, not in the first job's time
        # The judges' side: a second init, started for the first job whose label has a judge
        # program and kept, like the program's, for as long as the runner lives.
        self.judges: JobInit | None = None

    def run_job(self, job: Job) -> JobResult:
        """Execute all tests of one job; stop at the first failure unless early_exit is false."""
        job = cast(Job, {**job, "limits": {**DEFAULT_LIMITS, **job.get("limits", {})}})
        init = self.init or self.zygote.job_init()
        self.init = None  # until the job is over and the init proved well
        sides = [init]
        try:
            judge = None
            if has_judge_program(job):
                judge = self.judges or self.zygote.job_init(judge=True)
                self.judges = None
                judge.share()
                sides.insert(0, judge)  # ended first: the program's side empties what both share last
            if judge is not None or self.judges is not None:
                init.share()  # a judge init is alive beside it: count only the program's own processes
            for side in sides:
                side.begin()
            result = JobRun(self.box, init, judge, job).run()
            for side in sides:
                side.end()
        except BaseException:
            for side in sides:
                side.kill()  # and the next job gets a fresh one
            raise
        self.init = init
        if judge is not None:
            self.judges = judge
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
    urandom; a /proc of our PID namespace; mount points for /tmp, /dev/shm, /work and /judge. No home, no
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
    for mount_point in ("/dev/shm", "/proc", "/tmp", "/work", "/judge"):
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
        judge_root=args.judge_root,
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
    common.add_argument("--judge-root", default="/judge", help="where compiled judge programs are kept")
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
    sub.add_parser("packages", help="print the Debian packages of every language (the image and CI install them)")
    return parser


def main(argv: list[str]) -> int:
    if argv[1:2] == ["zygote"]:  # runner.py zygote FD SANDBOX_JSON, started by the runner itself
        _preload()
        zygote_main(Sandbox.from_json(argv[3]), socket.socket(fileno=int(argv[2])))
        return 0
    if argv[1:2] == ["packages"]:
        print(" ".join(sorted({p for lang in LANGUAGES.values() for p in lang.packages})))
        return 0
    args = _parser().parse_args(argv[1:])
    if args.command == "sandbox":
        return sandbox_main(args)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if args.claim_uid_in:
        args.test_uid = claim_uid(args.claim_uid_in, args.test_uid)
    if args.isolation == "none":  # the runner's own tests: a private directory of this process
        args.judge_root = tempfile.mkdtemp(prefix="cascade-judges-")
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
