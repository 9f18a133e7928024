"""Run all tests of one program and judge them. Standard library only: it runs in minimal containers.

One pre-started interpreter serves many jobs; each Python test is a `fork` of a zygote (no
interpreter start-up per test), each C++ test an `exec` of the compiled binary. The zygote is a
second interpreter, exec'd fresh, that forks the Python tests and never reads a job: a test forked
from the runner itself would inherit the job's expected outputs in its memory, where a program can
find them (a frame walk up to `run_one`'s locals took AC on any stdin/stdout problem). Per test
the child gets its own session/process group, RLIMIT_CPU/AS/NPROC/FSIZE, a private work dir and,
when the runner is root, a dedicated unprivileged uid. The runner drains stdout/stderr while
waiting (so large output is never a false TLE), stops at the output cap (OLE, not truncation), and
afterwards kills every process of the sandbox uid (setsid daemons included) and reaps orphans (the
runner is a subreaper / PID 1).

Wire format (`--stdio`, `--socket PATH [--socket-mode OCTAL]`): 4-byte big-endian length + UTF-8
JSON, one job per frame, one result per frame. As PID 1 of a container without a uid to switch to
(the Docker and compose backends), tests run as the runner's own uid: `kill(-1)` cannot reach PID
1, and the runner sweeps every other process of its namespace but the zygote after each test.
`--zygote FD` runs this file as the zygote, serving the runner on the socket FD.

Job: {language: python|cpp, program, tests: [test], fn_name?, checker?: "tokens"|"exact"|
{"program": python}, limits: {time_s, memory_mb, output_bytes}, early_exit: bool}
Test: {"stdin": str, "expected": str} | {"args": [...], "expected": value} | {"code": str} (asserts run
after the program in its namespace; AC only if they all ran)
Result: {"verdict", "tests": [{"verdict", "time_s", "wall_s", "memory_kb", "detail"?}], "compile"?}
"""

from __future__ import annotations

import ctypes
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
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, BinaryIO

_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_DUMPABLE = 4
_MAX_FRAME = 256 * 1024 * 1024
_STDERR_KEEP = 4096
_TESTS_RAN = b"tests ran"  # written by the child after a {"code"} test's last statement
_COMPILE_TIME_S = 30.0

SANDBOX_UID = 0  # set from --uid when the runner is root; 0 means "run tests as ourselves"


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


# ---------------------------------------------------------------- checkers

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
    for x, y in zip(a, b):
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


# ---------------------------------------------------------------- child side

def _child_setup(workdir: str, limits: dict[str, Any], stdin_fd: int, out_w: int, err_w: int,
                 keep: tuple[int, ...] = ()) -> None:
    """In the forked child: isolate, limit, drop privileges. Any failure exits 99 (infra)."""
    os.setsid()
    os.dup2(stdin_fd, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)
    cpu = max(1, math.ceil(float(limits["time_s"])))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    mem = int(limits["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    nproc = int(limits.get("nproc", 64))
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    if os.geteuid() == 0 and SANDBOX_UID:
        os.setgroups([])
        os.setgid(SANDBOX_UID)
        os.setuid(SANDBOX_UID)
    os.chdir(workdir)
    os.environ.clear()
    os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workdir, "LANG": "C.UTF-8"})


def _python_child(job: dict[str, Any], test: dict[str, Any], result_w: int) -> None:
    """Run the program in this interpreter, forked from the zygote; never returns."""
    code = 1
    try:
        sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding="utf-8")
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                      write_through=True)
        sys.set_int_max_str_digits(0)
        sys.setrecursionlimit(100_000)
        sys.argv = ["solution.py"]
        namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
        try:
            exec(compile(job["program"], "solution.py", "exec"), namespace)
            if "code" in test:
                exec(compile(test["code"], "tests.py", "exec"), namespace)
                os.write(result_w, _TESTS_RAN)
            if "args" in test:
                fn = _resolve(namespace, job["fn_name"])
                value = fn(*test["args"])
                payload = json.dumps(_canon(value)).encode()
                os.write(result_w, payload)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException as exc:
            code = 1
            _report(exc)
        try:
            sys.stdout.flush()
        except BaseException:
            pass
    finally:
        os._exit(code & 0xFF)


def _report(exc: BaseException) -> None:
    """Write the traceback with raw writes: after a MemoryError, allocating wrappers may fail."""
    os.write(2, f"\n{type(exc).__name__}: ".encode())
    try:
        import traceback
        os.write(2, "".join(traceback.format_exception(exc))[-2000:].encode("utf-8", "replace"))
    except BaseException:
        pass


def _resolve(namespace: dict[str, Any], name: str) -> Any:
    """LiveCodeBench: a top-level function, else a method of `class Solution`."""
    if name in namespace and callable(namespace[name]):
        return namespace[name]
    sol = namespace.get("Solution")
    if sol is not None and hasattr(sol, name):
        return getattr(sol(), name)
    raise NameError(f"function {name!r} not defined")


# ---------------------------------------------------------------- zygote

def zygote_main(sock: socket.socket) -> None:
    """Fork Python test children on request, one at a time, and report how each ended.

    A request is one byte carrying the fds [request, stdin, stdout, stderr, result]; the request
    (the program, the test's args or code, limits and work dir) sits in the first, a memfd that
    only the child reads, so no job data ever passes through this process's heap for a later test
    to find. Replies are frames: {"pid"} at once, then {"status", "utime", "stime", "maxrss"}."""
    replies = sock.makefile("wb")
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, 1, 5)
        except OSError:
            return
        if not data:
            return  # the runner is gone
        request_fd, stdin_fd, out_w, err_w, res_w = fds
        pid = os.fork()
        if pid == 0:
            try:
                with os.fdopen(request_fd, "rb") as f:
                    request = json.loads(f.read())
                _child_setup(request["workdir"], request["limits"], stdin_fd, out_w, err_w, keep=(res_w,))
                _python_child(request, request["test"], res_w)
            except BaseException:
                pass
            os._exit(99)
        for fd in fds:
            os.close(fd)
        write_frame(replies, {"pid": pid})
        _, status, usage = os.wait4(pid, 0)
        write_frame(replies, {"status": status, "utime": usage.ru_utime, "stime": usage.ru_stime,
                              "maxrss": usage.ru_maxrss})


_ZYGOTE_REPLY_S = 5.0


class _Zygote:
    """The runner's side of the zygote: start it (exec'd fresh, so it holds nothing of ours),
    start a fresh one when it has died (a test running as our uid can kill it)."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.sock: socket.socket | None = None
        self.replies: BinaryIO | None = None

    def ensure_started(self) -> None:
        if self.sock is None:
            self._start()

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        os.set_inheritable(theirs.fileno(), True)
        argv = [sys.executable, "-I", os.path.abspath(__file__), "--zygote", str(theirs.fileno())]
        if SANDBOX_UID:
            argv += ["--uid", str(SANDBOX_UID)]
        self.pid = os.posix_spawn(sys.executable, argv, dict(os.environ))
        theirs.close()
        # Its replies come within milliseconds (a fork, a wait4 on a killed child). Never block
        # longer: in a container a test may SIGSTOP it; it is then replaced, not waited for.
        ours.settimeout(_ZYGOTE_REPLY_S)
        self.sock = ours
        # Unbuffered: a buffered reader could take the end report along with the pid, and the
        # socket would then never turn readable for it.
        self.replies = ours.makefile("rb", buffering=0)

    def reply(self) -> Any | None:
        """The zygote's next reply; None if it has gone (exited, killed, or silent past the timeout)."""
        try:
            return read_frame(self.replies)  # type: ignore[arg-type]
        except (OSError, EOFError, ValueError):
            return None

    def stop(self) -> None:
        if self.sock is not None:
            self.replies.close()  # type: ignore[union-attr]
            self.sock.close()
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        self.pid = self.sock = self.replies = None

    def spawn(self, request: dict[str, Any], fds: tuple[int, int, int, int]) -> "_ZygoteChild":
        """Fork a test child running `request` with fds (stdin, stdout, stderr, result)."""
        request_fd = os.memfd_create("request")
        try:
            os.write(request_fd, json.dumps(request).encode())
            os.lseek(request_fd, 0, os.SEEK_SET)
            for _ in range(2):  # a zygote killed by the previous test is replaced once
                self.ensure_started()
                assert self.sock is not None
                try:  # MSG_NOSIGNAL: a dead zygote is an OSError, not a SIGPIPE that kills the runner
                    socket.send_fds(self.sock, [b"r"], [request_fd, *fds], socket.MSG_NOSIGNAL)
                except OSError:
                    self.stop()
                    continue
                reply = self.reply()
                if reply is not None:
                    return _ZygoteChild(self, reply["pid"])
                self.stop()
            raise RuntimeError("the zygote died twice in a row")
        finally:
            os.close(request_fd)


class _ZygoteChild:
    """A test child forked by the zygote: its end is reported on the zygote's socket."""

    def __init__(self, zygote: _Zygote, pid: int) -> None:
        self.zygote, self.pid = zygote, pid
        self.fd = zygote.sock.fileno()  # type: ignore[union-attr]

    def poll(self) -> tuple[int, Any] | None:
        ready, _, _ = select.select([self.fd], [], [], 0)
        return self.wait() if ready else None

    def wait(self) -> tuple[int, Any]:
        end = self.zygote.reply()
        if end is None:
            # The test killed or stopped the zygote (it runs as our uid in a container): replace
            # it and kill the test, which is reaped with the other orphans. It ends as a SIGKILL:
            # RE (or TLE past the wall limit) for a hostile program.
            self.zygote.stop()
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
            return signal.SIGKILL, SimpleNamespace(ru_utime=0.0, ru_stime=0.0, ru_maxrss=0)
        return end["status"], SimpleNamespace(ru_utime=end["utime"], ru_stime=end["stime"], ru_maxrss=end["maxrss"])

    def close(self) -> None:
        pass


class _ForkedChild:
    """A child forked by the runner (C++ tests and the compiler, which exec at once)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.fd = os.pidfd_open(pid)  # readable on exit: no polling, no SIGCHLD handler

    def poll(self) -> tuple[int, Any] | None:
        wpid, status, usage = os.wait4(self.pid, os.WNOHANG)
        return (status, usage) if wpid else None

    def wait(self) -> tuple[int, Any]:
        _, status, usage = os.wait4(self.pid, 0)
        return status, usage

    def close(self) -> None:
        os.close(self.fd)


_ZYGOTE = _Zygote()


# ---------------------------------------------------------------- parent side

def _cleanup_uid() -> None:
    """Kill every process a test left (setsid daemons escape the process group), then reap."""
    if os.getpid() == 1:
        # PID 1 of our own namespace (local unshare or a container): every other process in it but
        # the zygote is a test's. kill(-1) would take the zygote too, so kill by the /proc list.
        spare = {"1", str(_ZYGOTE.pid)}
        for _ in range(10_000):  # a fork bomb refills while we walk the table
            victims = _live_processes(lambda pid: pid not in spare)
            if not victims:
                break
            for pid in victims:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
    elif os.geteuid() == 0 and SANDBOX_UID:
        pid = os.fork()
        if pid == 0:
            try:
                os.setuid(SANDBOX_UID)
                for _ in range(10_000):
                    os.kill(-1, signal.SIGKILL)
                    if not _uid_alive(SANDBOX_UID):
                        break
            except OSError:
                pass
            os._exit(0)
        os.waitpid(pid, 0)
    _reap()


def _contained() -> bool:
    """A container runner: PID 1 of its namespace without a sandbox uid to switch to, so every
    other process in the namespace is a test's (safe to kill wholesale)."""
    return os.getpid() == 1 and not (os.geteuid() == 0 and SANDBOX_UID)


def _uid_alive(uid: int) -> bool:
    """Whether a live (non-zombie) process of `uid` other than us exists. kill(-1) cannot tell:
    it reports success whenever any process exists, permitted or not. Cheap in a PID namespace."""
    me = str(os.getpid())
    return bool(_live_processes(lambda pid: pid != me and os.stat(f"/proc/{pid}").st_uid == uid))


def _live_processes(candidate: Callable[[str], bool]) -> list[str]:
    """The non-zombie processes whose /proc entry passes `candidate`."""
    live = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if not candidate(name):
                continue
            with open(f"/proc/{name}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # exited meanwhile
        if state not in (b"Z", b"X"):
            live.append(name)
    return live


def _reap() -> None:
    """Collect every exited child and orphan. The sweep returns only once the tests' processes
    are zombies, so nothing is missed; never blocking, since the zygote lives on as our child."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def run_one(job: dict[str, Any], test: dict[str, Any], exe: str | None = None,
            argv: list[str] | None = None, time_s: float | None = None) -> dict[str, Any]:
    """Run one test in a fresh child; return its raw outcome (verdict is decided by `judge`)."""
    limits = dict(job["limits"])
    if time_s is not None:
        limits["time_s"] = time_s
    time_limit = float(limits["time_s"])
    wall_limit = max(2 * time_limit, time_limit + 1.0)
    cap = int(limits["output_bytes"])
    workdir = tempfile.mkdtemp(prefix="t", dir=job["_root"])
    if os.geteuid() == 0 and SANDBOX_UID:
        os.chown(workdir, SANDBOX_UID, SANDBOX_UID)
    stdin_fd = os.memfd_create("stdin")
    os.write(stdin_fd, test.get("stdin", "").encode())
    os.lseek(stdin_fd, 0, os.SEEK_SET)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    res_r, res_w = os.pipe()
    start = time.monotonic()
    child: _ZygoteChild | _ForkedChild
    if exe is None:  # never `job` or `test` whole: they hold the expected outputs
        request = {"program": job["program"], "fn_name": job.get("fn_name"), "workdir": workdir, "limits": limits,
                   "test": {k: test[k] for k in ("args", "code") if k in test}}
        child = _ZYGOTE.spawn(request, (stdin_fd, out_w, err_w, res_w))
    else:
        pid = os.fork()
        if pid == 0:
            try:
                _child_setup(workdir, limits, stdin_fd, out_w, err_w, keep=(res_w,))
                os.execv(exe, argv or [exe])
            except BaseException:
                pass
            os._exit(99)
        child = _ForkedChild(pid)
    pid = child.pid
    for fd in (stdin_fd, out_w, err_w, res_w):
        os.close(fd)
    out, err, res = bytearray(), bytearray(), bytearray()
    sel = selectors.DefaultSelector()
    for fd, buf in ((out_r, out), (err_r, err), (res_r, res)):
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ, buf)
    sel.register(child.fd, selectors.EVENT_READ, None)
    ole = wall_tle = False
    status = rusage = None
    while True:
        if status is None:
            ended = child.poll()
            if ended is not None:
                status, rusage = ended
                sel.unregister(child.fd)
        if status is not None and not sel.get_map():
            break
        remaining = wall_limit - (time.monotonic() - start)
        if remaining <= 0:
            wall_tle = True
            break
        # After exit, grandchildren may still hold the pipes open: don't wait for them long.
        timeout = min(remaining, 0.05) if status is None else min(remaining, 0.02)
        events = sel.select(timeout)
        if status is not None and not events:
            break
        for key, _ in events:
            if key.fd == child.fd:
                continue
            try:
                chunk = os.read(key.fd, 1 << 16)
            except BlockingIOError:
                continue
            if not chunk:
                sel.unregister(key.fd)
                continue
            key.data.extend(chunk)
            if key.fd == out_r and len(out) > cap:
                ole = True
            if key.fd == err_r and len(err) > _STDERR_KEEP:
                del err[: len(err) - _STDERR_KEEP]
        if ole:
            break
    wall = time.monotonic() - start
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    if status is None:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        status, rusage = child.wait()
    _cleanup_uid()
    for key in list(sel.get_map().values()):
        sel.unregister(key.fd)
    sel.close()
    child.close()
    for fd in (out_r, err_r, res_r):
        os.close(fd)
    shutil.rmtree(workdir, ignore_errors=True)
    cpu = rusage.ru_utime + rusage.ru_stime
    return {
        "status": status, "cpu": cpu, "wall": wall, "maxrss": rusage.ru_maxrss,
        "ole": ole, "wall_tle": wall_tle, "time_limit": time_limit,
        "stdout": bytes(out[:cap]), "stderr": bytes(err), "result": bytes(res),
    }


def judge(job: dict[str, Any], test: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """Turn a raw outcome into a verdict; resource verdicts win over output checks."""
    status = raw["status"]
    stderr = raw["stderr"].decode("utf-8", "replace")
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    out: dict[str, Any] = {"time_s": round(raw["cpu"], 4), "wall_s": round(raw["wall"], 4),
                           "memory_kb": raw["maxrss"]}
    mem_kb = int(job["limits"]["memory_mb"]) * 1024
    if raw["ole"]:
        verdict = "OLE"
    elif raw["wall_tle"] or sig == signal.SIGXCPU or raw["cpu"] > raw["time_limit"] \
            or sig == signal.SIGKILL and raw["cpu"] >= 0.9 * raw["time_limit"]:
        verdict = "TLE"
    elif "MemoryError" in stderr or "std::bad_alloc" in stderr or (sig and raw["maxrss"] >= 0.9 * mem_kb):
        verdict = "MLE"
    elif sig or code != 0:
        verdict = "RE"
        out["detail"] = (f"signal {sig}" if sig else f"exit code {code}") + (": " + stderr[-500:] if stderr else "")
    elif "args" in test:
        try:
            got = json.loads(raw["result"].decode() or "null") if raw["result"] else None
        except ValueError:
            got = None
        verdict = "AC" if raw["result"] and values_equal(got, test["expected"]) else "WA"
    elif "code" in test:
        # Exit status 0 is not enough: a program that exits early (sys.exit, os._exit, or a function
        # that does when the asserts call it) would pass without its asserts having run.
        verdict = "AC" if raw["result"] == _TESTS_RAN else "WA"
        if verdict == "WA":
            out["detail"] = "the process exited before the tests ran to the end"
    else:
        verdict = "AC" if check_output(job, test, raw["stdout"]) else "WA"
    out["verdict"] = verdict
    return out


def check_output(job: dict[str, Any], test: dict[str, Any], stdout: bytes) -> bool:
    got = stdout.decode("utf-8", "replace")
    want = str(test.get("expected", ""))
    checker = job.get("checker") or "tokens"
    if checker == "exact":
        return got == want
    if isinstance(checker, dict) and "program" in checker:
        return _special_judge(job, test, got, want, checker["program"])
    return tokens_equal(got, want)


def _special_judge(job: dict[str, Any], test: dict[str, Any], got: str, want: str, program: str) -> bool:
    """A Python checker run in the sandbox like a test: stdin = JSON {input, output, expected};
    exit 0 accepts."""
    payload = json.dumps({"input": test.get("stdin", ""), "output": got, "expected": want})
    sub = {"language": "python", "program": program, "limits": job["limits"], "_root": job["_root"]}
    raw = run_one(sub, {"stdin": payload})
    return os.WIFEXITED(raw["status"]) and os.WEXITSTATUS(raw["status"]) == 0 and not raw["ole"]


def _compile_cpp(job: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """g++ in the sandbox; a compile error is CE."""
    build = tempfile.mkdtemp(prefix="build", dir=job["_root"])
    if os.geteuid() == 0 and SANDBOX_UID:
        os.chown(build, SANDBOX_UID, SANDBOX_UID)
    src, exe = os.path.join(build, "main.cpp"), os.path.join(build, "main")
    with open(src, "w") as f:
        f.write(job["program"])
    gxx = shutil.which("g++") or "/usr/bin/g++"
    limits = {"time_s": _COMPILE_TIME_S, "memory_mb": 2048, "output_bytes": 1 << 16, "nproc": 64}
    cjob = {**job, "limits": limits}
    raw = run_one(cjob, {}, exe=gxx, argv=[gxx, "-O2", "-std=c++17", "-o", exe, src])
    ok = os.WIFEXITED(raw["status"]) and os.WEXITSTATUS(raw["status"]) == 0 and os.path.exists(exe)
    info = {"ok": ok, "wall_s": round(raw["wall"], 3)}
    if not ok:
        info["detail"] = raw["stderr"].decode("utf-8", "replace")[-2000:]
    return (exe if ok else None), info


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Execute all tests of one job; stop at the first failure unless early_exit is false."""
    root = tempfile.mkdtemp(prefix="job")
    os.chmod(root, 0o755)
    job = {**job, "_root": root}
    job.setdefault("limits", {})
    job["limits"] = {"time_s": 2.0, "memory_mb": 512, "output_bytes": 1 << 24, **job["limits"]}
    result: dict[str, Any] = {"tests": []}
    try:
        exe = None
        if job.get("language", "python") == "cpp":
            exe, info = _compile_cpp(job)
            result["compile"] = info
            if exe is None:
                result["verdict"] = "CE"
                return result
        for test in job["tests"]:
            raw = run_one(job, test, exe=exe)
            if os.WIFEXITED(raw["status"]) and os.WEXITSTATUS(raw["status"]) == 99 and exe is None \
                    and not raw["stdout"] and not raw["stderr"]:
                raise RuntimeError("sandbox child setup failed")
            result["tests"].append(judge(job, test, raw))
            if result["tests"][-1]["verdict"] != "AC" and job.get("early_exit", True):
                break
        bad = [t["verdict"] for t in result["tests"] if t["verdict"] != "AC"]
        result["verdict"] = bad[0] if bad else "AC"
        return result
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------- serving

def serve_stream(rfile: BinaryIO, wfile: BinaryIO, healthy: Any = None) -> None:
    """Serve jobs until end of stream; exit the process after a job if `healthy()` turns false."""
    _ZYGOTE.ensure_started()  # now, not in the first test's time (and after stdio is redirected)
    while True:
        job = read_frame(rfile)
        if job is None:
            return
        try:
            result = run_job(job)
        except Exception as exc:  # a runner bug: report it, the host maps it to infra_error
            result = {"error": f"{type(exc).__name__}: {exc}"}
        write_frame(wfile, result)
        if healthy is not None and not healthy():
            sys.exit(3)


def serve_socket(path: str, mode: int = 0o600) -> None:
    """Serve one connection at a time on a Unix socket (containers run with no network).

    In a container the tests share the runner's uid and could unlink or replace the socket; the
    runner then exits after the job, so the container is restarted instead of silently orphaned."""
    # Bind and listen under a temporary name, then rename: the path appears only once it accepts
    # connections (a host polling for it never sees a refusing socket).
    staging = f"{path}.{os.getpid()}.tmp"
    if os.path.exists(staging):
        os.unlink(staging)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(staging)
    os.chmod(staging, mode)
    srv.listen(1)
    os.replace(staging, path)
    inode = os.stat(path).st_ino

    def healthy() -> bool:
        try:
            return os.stat(path).st_ino == inode
        except OSError:
            return False

    while True:
        conn, _ = srv.accept()
        with conn, conn.makefile("rb") as r, conn.makefile("wb") as w:
            try:
                serve_stream(r, w, healthy)  # type: ignore[arg-type]
            except (EOFError, OSError, ValueError):
                pass
        if not healthy():
            sys.exit(3)


_PRELOAD = ("collections", "itertools", "functools", "heapq", "bisect", "math", "re", "string",
            "typing", "fractions", "decimal", "random", "statistics", "copy", "operator", "array",
            "dataclasses", "traceback", "encodings.idna", "glob")


def _preload() -> None:
    """Import what solutions commonly use once, before forking: cheaper tests, fewer file reads."""
    import importlib
    for name in _PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def main(argv: list[str]) -> int:
    global SANDBOX_UID
    _preload()
    args = argv[1:]
    if "--uid" in args:
        SANDBOX_UID = int(args[args.index("--uid") + 1])
    if "--zygote" in args:
        # Tests may run as our uid: non-dumpable, so they cannot ptrace us to tamper with later tests.
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
        zygote_main(socket.socket(fileno=int(args[args.index("--zygote") + 1])))
        return 0
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if _contained():
        # Tests run as our uid: non-dumpable, we cannot be ptraced or have /proc/1/mem read.
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    if "--socket" in args:
        mode = int(args[args.index("--socket-mode") + 1], 8) if "--socket-mode" in args else 0o600
        serve_socket(args[args.index("--socket") + 1], mode)
        return 0
    # Protocol on fds duplicated away from 0/1 so nothing a library prints corrupts it.
    rfd, wfd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    with os.fdopen(rfd, "rb") as r, os.fdopen(wfd, "wb") as w:
        serve_stream(r, w)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
