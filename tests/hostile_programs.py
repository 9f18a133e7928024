"""Hostile programs and the verdicts they deserve, shared by every backend's hostile suite (local
as root and as an ordinary account, Docker, compose). Only ever run them inside the sandbox.

Each case: (id, program, expected stdout, the runner verdict it deserves, extra job fields). A
case whose program misbehaves only against its own sample must leave the runner judging the next
sample right; the suites check that too."""

from __future__ import annotations

from typing import Any

FORK_BOMB = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"

# A brute force spread over workers it never waits for: 4 x 0.6 s of CPU, about 1.2 s of wall time
# on two cores. Before CPU was summed over a test's processes it took AC at "0.006 s".
UNWAITED_WORKERS = """
import os, time
r, w = os.pipe()
for _ in range(4):
    if os.fork() == 0:
        end = time.process_time() + 0.6
        while time.process_time() < end:
            pass
        os.write(w, b"x")
        os._exit(0)
for _ in range(4):
    os.read(r, 1)
print(42)
"""

# Every way a program might write an assert test's "they all ran" report itself: each fd it has,
# and each fd of every process it can see.
FORGED_REPORT = """
import json, os
for fd in range(3, 64):
    try:
        os.write(fd, b"tests ran")
    except OSError:
        pass
for pid in os.listdir("/proc"):
    if pid.isdigit() and int(pid) != os.getpid():
        for fd in range(64):
            try:
                with open(f"/proc/{pid}/fd/{fd}", "wb") as f:
                    f.write(json.dumps({"ran": True}).encode())
            except OSError:
                pass
os._exit(0)
"""

# Looks for the asserts (they hold the expected values) in its own memory and in every process it
# can see, and answers right only if it found them: AC would mean the asserts were within reach.
ASSERT_READER = """
import gc, os, re
found = any(isinstance(v, str) and "SECRET-" in v for o in gc.get_objects() if isinstance(o, dict)
            for v in list(o.values()))
for pid in ["self"] + [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        maps = open(f"/proc/{pid}/maps").read().splitlines()
        mem = open(f"/proc/{pid}/mem", "rb")
    except OSError:
        continue
    for line in maps:
        fields = line.split()
        if "r" not in fields[1] or len(fields) > 5 and fields[5].startswith("/"):
            continue
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        try:
            mem.seek(lo)
            found = found or re.search(rb"SECRET-[0-9a-f]{8}", mem.read(hi - lo)) is not None
        except (OSError, OverflowError, ValueError):
            pass
def f(x):
    return x + 1 if found else x
"""


# Privileges a test must not have: every probe must fail.
ESCALATION = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def capabilities_after_setuid0():
    try:
        os.setuid(0)  # an ordinary account's tests are uid 0 of their user namespace already
    except OSError:
        pass
    if int(open("/proc/self/status").read().split("CapEff:")[1].split()[0], 16) == 0:
        raise OSError("no capability")
tries = {
    "setuid0": capabilities_after_setuid0,
    "ptrace": lambda: libc.ptrace(0, 0, 0, 0) == 0 or (_ for _ in ()).throw(OSError()),
    "unshare_user": lambda: libc.unshare(0x10000000) == 0 or (_ for _ in ()).throw(OSError()),
    "unshare_ns": lambda: libc.unshare(0x00020000) == 0 or (_ for _ in ()).throw(OSError()),
    "mount": lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) == 0 or (_ for _ in ()).throw(OSError()),
    "chroot": lambda: os.chroot("/tmp"),
    "keyctl": lambda: libc.syscall(250 if os.uname().machine == "x86_64" else 219, 0, 0, 0, 0) >= 0
        or (_ for _ in ()).throw(OSError()),
    "su": lambda: os.system("su -c id root </dev/null >/dev/null 2>&1") == 0 or (_ for _ in ()).throw(OSError()),
}
worked = []
for name, attempt in tries.items():
    try:
        attempt()
        worked.append(name)
    except (OSError, PermissionError):
        pass
status = open("/proc/self/status").read()
confined = "NoNewPrivs:\\t1" in status and "Seccomp:\\t2" in status
print("contained" if not worked and confined else f"escaped: {worked} confined={confined}")
"""

# Stops or kills every process it can name: the runner, its zygote and the job's init must not be
# among them (a stopped zygote used to cost a whole sample: infra_error after a minute).
STOP_EVERYTHING = """
import os, signal
for pid in range(1, 4000):
    if pid != os.getpid():
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except OSError:
                pass
print(1)
"""

# Writes to every place outside its work dir and /tmp that a host offers.
HOST_WRITES = """
import os
written = []
for d in ("/var/tmp", "/run/lock", "/run", "/run/sandbox", "/", "/etc", "/usr/local", "/opt", "/home", "/root",
          "/srv", "/data"):
    try:
        with open(os.path.join(d, "cascade-pwned.txt"), "w") as f:
            f.write("x" * 1024)
        written.append(d)
    except OSError:
        pass
print(written or "denied")
"""

# What a sandbox must not show: the host's network interfaces, homes, data directories.
HOST_VIEW = """
import os
seen = []
try:
    seen += [name for name in os.listdir("/sys/class/net") if name != "lo"]
except OSError:
    pass
for path in ("/home", "/root", "/srv", "/data", "/mnt", "/media"):
    try:
        if os.listdir(path):
            seen.append(path)
    except OSError:
        pass
print(seen or "hidden")
"""

# Fills the per-sample /tmp and /dev/shm and leaves System V IPC objects behind, for the next sample.
FILL_SHARED_STATE = """
import ctypes, os
for d in ("/tmp", "/dev/shm"):
    try:
        with open(os.path.join(d, "fill"), "wb") as f:
            while True:
                f.write(b"x" * (1 << 20))
    except OSError:
        pass
    for i in range(10000):
        try:
            os.close(os.open(os.path.join(d, f"inode{i}"), os.O_CREAT | os.O_WRONLY))
        except OSError:
            break
libc = ctypes.CDLL(None, use_errno=True)
for key in range(100, 110):
    libc.shmget(key, 1 << 20, 0o1666)  # IPC_CREAT | 0666
    libc.semget(key, 10, 0o1666)
print(1)
"""

# A correct program that needs a writable /tmp, a POSIX semaphore in /dev/shm and a clean IPC
# namespace: what the sample after FILL_SHARED_STATE must still get right.
NEEDS_CLEAN_STATE = """
import multiprocessing, tempfile
with tempfile.TemporaryFile() as f:
    f.write(b"ok" * 1000)
lock = multiprocessing.Lock()
with lock:
    pass
leftover = [line for name in ("shm", "sem") for line in open(f"/proc/sysvipc/{name}").read().splitlines()[1:]]
print(int(input()) * 2 if not leftover else f"leftover: {leftover}")
"""

# 30 children of 300 MB each: bounded per test (the sum of their memory), never the host's.
MEMORY_SPREAD = """
import os, time
for _ in range(30):
    if os.fork() == 0:
        block = b"x" * (300 * 1024 * 1024)  # written, so resident
        time.sleep(30)
        os._exit(0)
time.sleep(30)
"""


def cases() -> list[tuple[str, str, str, str | tuple[str, ...], dict[str, Any]]]:
    """(id, program, expected output, the deserved verdict(s), extra job fields)."""
    return [
        ("infinite_loop", "while True: pass", "", "TLE", {}),
        ("sleep_forever", "import time\ntime.sleep(1000)", "", "TLE", {}),
        ("fork_bomb", FORK_BOMB, "", "TLE", {}),
        ("10gb", "x = bytearray(10 * 1024**3)\nprint(len(x))", "", "MLE", {}),
        ("memory_spread", MEMORY_SPREAD, "", "MLE", {"limits": {"time_s": 5.0, "memory_mb": 512}}),
        ("100mb_output", "import sys\nsys.stdout.write('x' * 100_000_000)", "", "OLE",
         {"limits": {"time_s": 5.0, "memory_mb": 512, "output_bytes": 1 << 20}}),
        ("os_exit_before_flush", "import os\nprint(42)\nos._exit(0)", "42", "WA", {}),
        ("closed_stdout", "import os\nos.close(1)\nprint(42)", "42", ("WA", "RE"), {}),
        ("detached_daemon", "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
         "        time.sleep(300)\n    os._exit(0)\nprint(42)\n", "42", "AC", {}),
        ("unwaited_workers", UNWAITED_WORKERS, "42", "TLE", {"limits": {"time_s": 1.0, "memory_mb": 256}}),
        ("escalation", ESCALATION, "contained", "AC", {}),
        ("stop_everything", STOP_EVERYTHING, "1", "AC", {}),
        ("host_writes", HOST_WRITES, "denied", "AC", {}),
        ("host_view", HOST_VIEW, "hidden", "AC", {}),
        ("kill_all", "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\nprint(1)",
         "1", "AC", {}),
    ]


# ---------------------------------------------------------------- the same attacks in C (valid C++ too) and Java

_C = "#include <fcntl.h>\n#include <signal.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n" \
     "#include <sys/wait.h>\n#include <time.h>\n#include <unistd.h>\n"

NATIVE_UNWAITED_WORKERS = _C + """
int main(void) {
    int fds[2];
    if (pipe(fds) != 0) return 1;
    for (int i = 0; i < 4; i++) {
        if (fork() == 0) {
            clock_t end = clock() + CLOCKS_PER_SEC * 6 / 10;
            while (clock() < end) {}
            if (write(fds[1], "x", 1) != 1) _exit(1);
            _exit(0);
        }
    }
    char c;
    for (int i = 0; i < 4; i++) if (read(fds[0], &c, 1) != 1) return 1;
    printf("42\\n");
}
"""

NATIVE_MEMORY_SPREAD = _C + """
int main(void) {
    for (int i = 0; i < 30; i++) {
        if (fork() == 0) {
            volatile char *block = (volatile char *)malloc(300u << 20);  /* volatile: no store is optimised away */
            for (size_t i = 0; block && i < (300u << 20); i += 4096) block[i] = 1;
            sleep(30);
            _exit(0);
        }
    }
    sleep(30);
}
"""

NATIVE_HOST_WRITES = _C + """
int main(void) {
    const char *dirs[] = {"/var/tmp", "/run/lock", "/run", "/run/sandbox", "/", "/etc", "/usr/local", "/opt",
                          "/home", "/root", "/srv", "/data", "/judge", "/judge/cache"};
    int written = 0;
    for (unsigned i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/cascade-pwned.txt", dirs[i]);
        int fd = open(path, O_WRONLY | O_CREAT, 0644);
        if (fd >= 0) { printf("wrote %s\\n", path); written = 1; close(fd); }
    }
    if (!written) printf("denied\\n");
}
"""


def native_cases() -> list[tuple[str, str, str, str | tuple[str, ...], dict[str, Any]]]:
    """The attacks of `cases()` in C, for the C and the C++ compilers alike."""
    def program(body: str) -> str:
        return _C + "int main(void) {\n" + body + "\n}\n"

    return [
        ("infinite_loop", program("volatile unsigned long x = 0;\nfor (;;) x++;"), "", "TLE", {}),
        ("sleep_forever", program("sleep(1000);"), "", "TLE", {}),
        ("fork_bomb", program("for (;;) fork();"), "", "TLE", {}),
        ("10gb", program("char *p = (char *)malloc(10ul << 30);\nif (!p) { fprintf(stderr, \"std::bad_alloc\\n\"); "
                         "abort(); }\nmemset(p, 1, 10ul << 30);\nprintf(\"%d\\n\", p[5]);"), "", "MLE", {}),
        ("memory_spread", NATIVE_MEMORY_SPREAD, "", "MLE", {"limits": {"time_s": 5.0, "memory_mb": 512}}),
        ("100mb_output", program("static char line[1 << 16];\nmemset(line, 'x', sizeof line);\n"
                                 "for (int i = 0; i < 1600; i++) fwrite(line, 1, sizeof line, stdout);"), "", "OLE",
         {"limits": {"time_s": 5.0, "memory_mb": 512, "output_bytes": 1 << 20}}),
        ("exit_before_flush", program("printf(\"42\\n\");\n_exit(0);"), "42", "WA", {}),
        ("closed_stdout", program("close(1);\nprintf(\"42\\n\");"), "42", ("WA", "RE"), {}),
        ("detached_daemon", program("if (fork() == 0) { setsid(); if (fork() == 0) sleep(300); _exit(0); }\n"
                                    "printf(\"42\\n\");"), "42", "AC", {}),
        ("unwaited_workers", NATIVE_UNWAITED_WORKERS, "42", "TLE", {"limits": {"time_s": 1.0, "memory_mb": 256}}),
        ("stop_everything", program("for (int pid = 1; pid < 4000; pid++) if (pid != getpid()) {\n"
                                    "kill(pid, SIGSTOP); kill(pid, SIGKILL); }\nprintf(\"1\\n\");"), "1", "AC", {}),
        ("host_writes", NATIVE_HOST_WRITES, "denied", "AC", {}),
        ("kill_all", program("kill(-1, SIGKILL);\nprintf(\"1\\n\");"), "1", "AC", {}),
    ]


def _java(body: str, imports: str = "") -> str:
    return f"{imports}\npublic class Main {{\n    public static void main(String[] args) throws Exception {{\n{body}\n    }}\n}}\n"


def java_cases() -> list[tuple[str, str, str, str | tuple[str, ...], dict[str, Any]]]:
    """The attacks a JVM program can make: no fork, but threads, processes and the heap."""
    return [
        ("infinite_loop", _java("long x = 0; while (true) x++;"), "", "TLE", {}),
        ("sleep_forever", _java("Thread.sleep(1000_000);"), "", "TLE", {}),
        ("thread_bomb", _java("while (true) { try { new Thread(() -> { try { Thread.sleep(1000_000); } "
                              "catch (InterruptedException e) {} }).start(); } catch (Throwable t) {} }"), "", "TLE", {}),
        ("10gb", _java("long[][] keep = new long[10240][];\nfor (int i = 0; i < keep.length; i++) "
                       "keep[i] = new long[131072];\nSystem.out.println(keep.length);"), "", "MLE", {}),
        ("100mb_output", _java("char[] line = new char[1 << 16];\njava.util.Arrays.fill(line, 'x');\n"
                               "for (int i = 0; i < 1600; i++) System.out.print(line);"), "", "OLE",
         {"limits": {"time_s": 5.0, "memory_mb": 512, "output_bytes": 1 << 20}}),
        ("halt_before_flush", _java("java.io.BufferedWriter out = new java.io.BufferedWriter("
                                    "new java.io.OutputStreamWriter(System.out));\nout.write(\"42\\n\");\n"
                                    "Runtime.getRuntime().halt(0);"), "42", "WA", {}),
        ("processes", _java("for (int i = 0; i < 200; i++) try { new ProcessBuilder(\"sleep\", \"300\").start(); } "
                            "catch (Exception e) {}\nSystem.out.println(1);"), "1", "AC", {}),
        ("kill_everything", _java("ProcessHandle.allProcesses().forEach(p -> { try { p.destroyForcibly(); } "
                                  "catch (RuntimeException e) {} });\nSystem.out.println(1);"), "1", "AC", {}),
        ("host_writes", _java("String[] dirs = {\"/var/tmp\", \"/run\", \"/\", \"/etc\", \"/usr/local\", \"/opt\", "
                              "\"/judge\"};\nboolean wrote = false;\nfor (String d : dirs) try "
                              "{ new java.io.FileWriter(d + \"/cascade-pwned.txt\").close(); wrote = true; } "
                              "catch (java.io.IOException e) {}\nSystem.out.println(wrote ? \"wrote\" : \"denied\");"),
         "denied", "AC", {}),
    ]


def cases_for(language: str) -> list[tuple[str, str, str, str | tuple[str, ...], dict[str, Any]]]:
    """The hostile suite in `language`: Python's programs also run on PyPy."""
    return {"python": cases, "pypy": cases, "c": native_cases, "cpp": native_cases, "java": java_cases}[language]()


# ---------------------------------------------------------------- against an interactor
#
# For the guessing game (tests/judge_problems.py) with the hidden number in an input "1000 777":
# the program goes after its interactor (stops and kills every process it can name, looks for the
# interactor's files and open descriptors) and answers what it found, else 1. It must neither find
# 777 (AC) nor take the interactor down in a way that blames the label (error).

KILL_INTERACTOR_PY = """
import glob, os, signal
for sig in (signal.SIGSTOP, signal.SIGKILL):
    try:
        os.kill(-1, sig)
    except OSError:
        pass
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) not in (1, os.getpid()):
            try:
                os.kill(int(pid), sig)
            except OSError:
                pass
found = None
for path in glob.glob("/judge/**", recursive=True) + glob.glob("/proc/*/fd/*") + glob.glob("/proc/*/cwd/*"):
    try:  # without blocking: its own stdin (a pipe it may open again by /proc) would hang it
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            words = os.read(fd, 100).decode().split()
        finally:
            os.close(fd)
    except (OSError, UnicodeDecodeError):
        continue
    if len(words) == 2 and words[0] == "1000":
        found = words[1]
print("!", found or 1, flush=True)
"""

KILL_INTERACTOR_CPP = """
#include <csignal>
#include <cstdio>
#include <unistd.h>
int main() {
    int signals[] = {SIGSTOP, SIGKILL};
    for (int sig : signals) {
        kill(-1, sig);
        for (int pid = 2; pid < 4000; pid++) if (pid != getpid()) kill(pid, sig);
    }
    std::printf("! 1\\n");
    std::fflush(stdout);
}
"""

# Interactors that misbehave: the label's fault, never the sample's, and nothing of theirs stays.


def interactor_leaves_a_daemon(game: str) -> str:
    """`game`'s interactor, after forking a daemon that outlives it."""
    return "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(300)\n    os._exit(0)\n" + game


def interactor_hangs(game: str) -> str:
    """`game`'s (Kattis, Python) interactor, but it never exits once it has its verdict."""
    return game.replace("    sys.exit(code)", "    __import__('time').sleep(1000)")


INTERACTOR_CRASHES = "raise RuntimeError('the interactor has a bug')\n"
