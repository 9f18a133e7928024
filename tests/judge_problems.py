"""Competitive-programming test problems, written for these tests: statements in comments, test
generators, the label's judge programs (interactors, checkers) and solutions that deserve each
verdict, in several languages. Only ever run their programs inside the sandbox.

The testlib judges build against `TESTLIB_H`, a minimal header written here that implements the
part of testlib's API they use, with testlib's command lines and exit codes; the real testlib.h is
only ever a path an operator provides (`code.testlib_header`).
"""

from __future__ import annotations

import random
from typing import Any

# ---------------------------------------------------------------- a minimal testlib.h

TESTLIB_H = r"""
// The part of testlib's API the tests' judges use: registerTestlibCmd / registerInteraction, the
// streams inf, ouf, ans (and tout for interactors), quitf and quitp; testlib's exit codes.
#pragma once
#include <cctype>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

enum TResult { _ok = 0, _wa = 1, _pe = 2, _fail = 3, _points = 7 };

[[noreturn]] inline void quitf(TResult result, const char *format, ...) {
    static const char *names[] = {"ok", "wrong answer", "wrong output format", "FAIL"};
    std::fprintf(stderr, "%s ", result == _points ? "points" : names[result]);
    va_list args;
    va_start(args, format);
    std::vfprintf(stderr, format, args);
    va_end(args);
    std::fprintf(stderr, "\n");
    std::exit(result);
}

[[noreturn]] inline void quitp(double points, const char *message = "") {
    std::fprintf(stderr, "points %.10g %s\n", points, message);
    std::exit(_points);
}

struct InStream {
    FILE *file = nullptr;
    TResult bad = _fail;  // what malformed content means: the contestant's is PE, the jury's is FAIL

    void init(FILE *f, TResult on_bad) { file = f; bad = on_bad; }
    void init(const char *path, TResult on_bad) {
        file = std::fopen(path, "r");
        bad = on_bad;
        if (!file) quitf(_fail, "cannot open %s", path);
    }
    std::string readToken() {
        int c;
        while ((c = std::getc(file)) != EOF && std::isspace(c)) {}
        std::string token;
        for (; c != EOF && !std::isspace(c); c = std::getc(file)) token += char(c);
        if (token.empty()) quitf(bad == _fail ? _fail : _pe, "unexpected end of file");
        return token;
    }
    long long readLong(long long lo, long long hi, const char *name) {
        std::string token = readToken();
        char *end = nullptr;
        long long value = std::strtoll(token.c_str(), &end, 10);
        if (*end != '\0') quitf(bad, "%s: expected an integer, got %s", name, token.c_str());
        if (value < lo || value > hi) quitf(bad == _fail ? _fail : _wa, "%s = %lld out of range", name, value);
        return value;
    }
    int readInt() { return int(readLong(-2147483648LL, 2147483647LL, "integer")); }
    bool seekEof() {
        int c;
        while ((c = std::getc(file)) != EOF && std::isspace(c)) {}
        if (c == EOF) return true;
        std::ungetc(c, file);
        return false;
    }
};

inline InStream inf, ouf, ans;
inline std::ofstream tout;

inline void registerTestlibCmd(int argc, char *argv[]) {  // checker input output answer
    if (argc < 4) quitf(_fail, "usage: checker input output answer");
    inf.init(argv[1], _fail);
    ouf.init(argv[2], _pe);
    ans.init(argv[3], _fail);
}

inline void registerInteraction(int argc, char *argv[]) {  // interactor input output [answer]
    if (argc < 3) quitf(_fail, "usage: interactor input output [answer]");
    inf.init(argv[1], _fail);
    tout.open(argv[2]);
    ouf.init(stdin, _pe);
    if (argc > 3) ans.init(argv[3], _fail);
}
"""

# ---------------------------------------------------------------- interactive: guess the number
#
# The input holds n (and, for the fixed game, the hidden x in 1..n). The interactor sends n; the
# program asks "? y" and hears "<" (x < y), ">" (x > y) or "=", at most 32 times, and ends with
# "! z". In the adaptive game there is no x: the interactor keeps every value its answers allow
# and always answers the larger side, so z is right only once one value is left.

QUERIES = 32

GUESS_KATTIS_PY = """
import os, sys
n, x = map(int, open(sys.argv[1]).read().split())
def end(code, message):
    with open(os.path.join(sys.argv[3], "judgemessage.txt"), "w") as f:
        f.write(message)
    sys.exit(code)
print(n, flush=True)
for _ in range(QUERIES + 1):
    words = sys.stdin.readline().split()
    if not words:
        end(43, "the program ended before answering")
    if len(words) != 2 or words[0] not in "?!" or not words[1].isdigit():
        end(43, "not a query: " + " ".join(words)[:40])
    y = int(words[1])
    if words[0] == "!":
        end(42, "found") if y == x else end(43, f"answered {y}, the number was {x}")
    if _ == QUERIES:
        end(43, "more than QUERIES queries")
    print("<" if x < y else ">" if x > y else "=", flush=True)
""".replace("QUERIES", str(QUERIES))

GUESS_TESTLIB_CPP = """
#include "testlib.h"
int main(int argc, char *argv[]) {
    registerInteraction(argc, argv);
    long long n = inf.readLong(1, 1000000000, "n"), x = inf.readLong(1, n, "x");
    std::cout << n << std::endl;
    for (int q = 0; q <= QUERIES; q++) {
        std::string op = ouf.readToken();
        long long y = ouf.readLong(1, n, "y");
        if (op == "!") {
            tout << y << std::endl;
            if (y != x) quitf(_wa, "answered %lld, the number was %lld", y, x);
            quitf(_ok, "found after %d queries", q);
        }
        if (op != "?") quitf(_pe, "expected ? or !");
        if (q == QUERIES) quitf(_wa, "more than QUERIES queries");
        std::cout << (x < y ? "<" : x > y ? ">" : "=") << std::endl;
    }
}
""".replace("QUERIES", str(QUERIES))

ADAPTIVE_KATTIS_CPP = """
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
int main(int argc, char *argv[]) {
    std::ifstream in(argv[1]);
    std::ofstream message(std::string(argv[3]) + "/judgemessage.txt");
    long long n, lo = 1, hi;
    in >> n;
    hi = n;
    std::cout << n << std::endl;
    for (int q = 0; q <= QUERIES; q++) {
        std::string op;
        long long y;
        if (!(std::cin >> op >> y) || (op != "?" && op != "!")) { message << "not a query"; return 43; }
        if (op == "!") {
            if (lo == hi && y == lo) { message << "found"; return 42; }
            message << "answered " << y << " while " << lo << ".." << hi << " were possible";
            return 43;
        }
        if (q == QUERIES) { message << "too many queries"; return 43; }
        const char *reply;
        if (y < lo) { reply = ">"; }
        else if (y > hi) { reply = "<"; }
        else if (lo == hi) { reply = "="; }
        else if (y - lo > hi - y) { reply = "<"; hi = y - 1; }
        else { reply = ">"; lo = y + 1; }
        std::cout << reply << std::endl;
    }
}
""".replace("QUERIES", str(QUERIES))

ADAPTIVE_TESTLIB_PY = """
import sys
OK, WA, PE = 0, 1, 2
def quit(code, message):
    print(("ok", "wrong answer", "wrong output format")[code], message, file=sys.stderr)
    sys.exit(code)
n = int(open(sys.argv[1]).read().split()[0])
lo, hi = 1, n
print(n, flush=True)
for q in range(QUERIES + 1):
    words = sys.stdin.readline().split()
    if len(words) != 2 or words[0] not in ("?", "!") or not words[1].isdigit():
        quit(PE, "expected ? y or ! y")
    y = int(words[1])
    if words[0] == "!":
        with open(sys.argv[2], "w") as tout:
            tout.write(f"{y}\\n")
        quit(OK, "found") if lo == hi == y else quit(WA, f"answered {y} while {lo}..{hi} were possible")
    if q == QUERIES:
        quit(WA, "too many queries")
    if y < lo or y > hi or lo == hi:
        reply = ">" if y < lo else "<" if y > hi else "="
    elif y - lo > hi - y:
        reply, hi = "<", y - 1
    else:
        reply, lo = ">", y + 1
    print(reply, flush=True)
""".replace("QUERIES", str(QUERIES))

# (label interactor, whether its input carries the hidden number)
INTERACTORS: dict[str, tuple[dict[str, Any], bool]] = {
    "guess-kattis-py": ({"program": GUESS_KATTIS_PY, "language": "python", "convention": "kattis"}, True),
    "guess-testlib-cpp": ({"program": GUESS_TESTLIB_CPP, "language": "cpp", "convention": "testlib"}, True),
    "adaptive-kattis-cpp": ({"program": ADAPTIVE_KATTIS_CPP, "language": "cpp", "convention": "kattis"}, False),
    "adaptive-testlib-py": ({"program": ADAPTIVE_TESTLIB_PY, "language": "python", "convention": "testlib"}, False),
}


def guess_tests(hidden: bool, seed: int = 1) -> tuple[list[str], list[str]]:
    """Inputs ("n x", or "n") and answers (x, or "" for the adaptive game)."""
    rng = random.Random(seed)
    inputs, answers = [], []
    for n in (1, 2, 10, 1000, 10**9):
        x = rng.randint(1, n)
        inputs.append(f"{n} {x}\n" if hidden else f"{n}\n")
        answers.append(f"{x}\n" if hidden else "\n")
    return inputs, answers


_SEARCH_PY = """
n = int(input())
lo, hi = 1, n
while lo < hi:
    mid = (lo + hi) // 2
    print("?", mid, flush=True)
    reply = input().strip()
    if reply == "=":
        lo = hi = mid
    elif reply == "<":
        hi = mid - 1
    else:
        lo = mid + 1
print("!", ANSWER, flush=True)
"""

_SEARCH_CPP = """
#include <iostream>
#include <string>
int main() {
    long long n, lo = 1, hi;
    std::cin >> n;
    hi = n;
    while (lo < hi) {
        long long mid = (lo + hi) / 2;
        std::cout << "? " << mid << std::endl;
        std::string reply;
        std::cin >> reply;
        if (reply == "=") lo = hi = mid;
        else if (reply == "<") hi = mid - 1;
        else lo = mid + 1;
    }
    std::cout << "! " << ANSWER << std::endl;
}
"""

# kind -> language -> (solution, the verdict it deserves on every test)
GUESSERS: dict[str, dict[str, tuple[str, str]]] = {
    "correct": {"python": (_SEARCH_PY.replace("ANSWER", "lo"), "AC"),
                "cpp": (_SEARCH_CPP.replace("ANSWER", "lo"), "AC")},
    "wrong": {"python": (_SEARCH_PY.replace("ANSWER", "lo % n + 1 if n > 1 else 2"), "WA"),
              "cpp": (_SEARCH_CPP.replace("ANSWER", "(n > 1 ? lo % n + 1 : 2)"), "WA")},
    # Reads n and then waits for a reply to a question it never asks: both sides wait.
    "silent": {"python": ("n = int(input())\ninput()\n", "TLE"),
               "cpp": ("#include <iostream>\nint main() { long long n; std::cin >> n >> n; }\n", "TLE")},
    # Asks without ever reading the replies: the interactor's query limit ends it.
    "flooding": {"python": ("import sys\ninput()\nwhile True:\n    sys.stdout.write('? 1\\n')\n    sys.stdout.flush()\n",
                            "WA"),
                 "cpp": ("#include <cstdio>\nint main() { long long n; std::scanf(\"%lld\", &n);\n"
                         "  for (;;) { std::printf(\"? 1\\n\"); std::fflush(stdout); } }\n", "WA")},
    # One question, then gone without an answer.
    "early_exit": {"python": ("input()\nprint('? 1', flush=True)\n", "WA"),
                   "cpp": ("#include <iostream>\nint main() { std::cout << \"? 1\" << std::endl; return 0; }\n",
                           "WA")},
}

# ---------------------------------------------------------------- many right answers: a + b = n
#
# Input: n >= 2. Output: any two positive integers a, b with a + b = n. The answer file holds one
# right answer (the jury's), which the checkers check too: a wrong jury answer is their FAIL.

SPLIT_TESTLIB_CPP = """
#include "testlib.h"
int main(int argc, char *argv[]) {
    registerTestlibCmd(argc, argv);
    long long n = inf.readLong(2, 1000000000, "n");
    long long ja = ans.readLong(1, n, "jury a"), jb = ans.readLong(1, n, "jury b");
    if (ja + jb != n) quitf(_fail, "the jury's answer %lld + %lld is not %lld", ja, jb, n);
    long long a = ouf.readLong(1, n, "a"), b = ouf.readLong(1, n, "b");
    if (!ouf.seekEof()) quitf(_pe, "extra output");
    if (a + b != n) quitf(_wa, "%lld + %lld is not %lld", a, b, n);
    quitf(_ok, "%lld + %lld", a, b);
}
"""

SPLIT_KATTIS_PY = """
import os, sys
n = int(open(sys.argv[1]).read())
jury = list(map(int, open(sys.argv[2]).read().split()))
def end(code, message):
    with open(os.path.join(sys.argv[3], "judgemessage.txt"), "w") as f:
        f.write(message)
    sys.exit(code)
if len(jury) != 2 or sum(jury) != n:
    sys.exit(1)  # the jury's answer is wrong: neither 42 nor 43, a judge error
words = sys.stdin.read().split()
if len(words) != 2 or not all(w.isdigit() for w in words):
    end(43, "expected two positive integers")
a, b = map(int, words)
end(42, "ok") if a >= 1 and b >= 1 and a + b == n else end(43, f"{a} + {b} is not {n}")
"""

SPLIT_INPUTS = [f"{n}\n" for n in (2, 3, 10, 999_999_999)]
SPLIT_ANSWERS = [f"1 {n - 1}\n" for n in (2, 3, 10, 999_999_999)]
SPLITTERS = {  # all right, each differently; the last one wrong
    "ones": "n = int(input())\nprint(1, n - 1)\n",
    "reversed": "n = int(input())\nprint(n - 1, 1)\n",
    "halves": "n = int(input())\nprint(n // 2, n - n // 2)\n",
    "wrong": "n = int(input())\nprint(1, n)\n",
}

# ---------------------------------------------------------------- A + B in every language

SUM_TESTS = {"inputs": ["1 2\n", "-5 5\n", "1000000000 1000000000\n"], "outputs": ["3\n", "0\n", "2000000000\n"]}
SUMS = {
    "python": "a, b = map(int, input().split())\nprint(a + b)\n",
    "pypy": "a, b = map(int, input().split())\nprint(a + b)\n",
    "cpp": "#include <bits/stdc++.h>\nint main() { long long a, b; std::cin >> a >> b; std::cout << a + b << '\\n'; }\n",
    "c": "#include <stdio.h>\nint main(void) { long long a, b; scanf(\"%lld %lld\", &a, &b); printf(\"%lld\\n\", a + b); }\n",
    "java": ("import java.util.Scanner;\n\npublic class Solution {\n    public static void main(String[] args) {\n"
             "        Scanner in = new Scanner(System.in);\n        System.out.println(in.nextLong() + in.nextLong());\n"
             "    }\n}\n"),
}

# ---------------------------------------------------------------- IOI: three subtasks
#
# Input: n, then n integers. Output: their sum. Subtask 1 (20 points): n <= 10; subtask 2 (30):
# n <= 1000; subtask 3 (50): n <= 10^5, values up to 10^12. As at the IOI, a subtask's tests
# include the smaller subtasks' (tests 0-1, 0-3, 0-5).

def ioi_tests(seed: int = 7) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    inputs, outputs = [], []
    for n, top in ((3, 9), (10, 100), (500, 10**6), (1000, 10**6), (50_000, 10**12), (100_000, 10**12)):
        values = [rng.randint(1, top) for _ in range(n)]
        inputs.append(f"{n}\n{' '.join(map(str, values))}\n")
        outputs.append(f"{sum(values)}\n")
    return inputs, outputs


IOI_SUBTASKS = [{"points": 20, "tests": [0, 1]}, {"points": 30, "tests": [0, 1, 2, 3]},
                {"points": 50, "tests": [0, 1, 2, 3, 4, 5]}]
# subtasks passed -> a solution that passes exactly those
IOI_SOLUTIONS = {
    0: "input()\nprint(-1)\n",
    1: "n = int(input())\nxs = list(map(int, input().split()))\nprint(sum(xs) if n <= 10 else 0)\n",
    2: "n = int(input())\nxs = list(map(int, input().split()))\nprint(sum(xs) if n <= 1000 else 0)\n",
    3: "input()\nprint(sum(map(int, input().split())))\n",
}

# A per-test partial score (CMS convention: `checker input answer output`, the score on stdout):
# the output is a number k, worth min(k, target) / target of the test.
PARTIAL_CMS_PY = """
import sys
target = int(open(sys.argv[2]).read())
try:
    k = int(open(sys.argv[3]).read())
except ValueError:
    k = 0
print(max(0, min(k, target)) / target)
print("scored", k, "of", target, file=sys.stderr)
"""
PARTIAL_TESTLIB_CPP = """
#include "testlib.h"
int main(int argc, char *argv[]) {
    registerTestlibCmd(argc, argv);
    long long target = ans.readLong(1, 1000000, "target"), k = ouf.readLong(-1000000000, 1000000000, "k");
    if (k >= target) quitf(_ok, "full");
    quitp(k <= 0 ? 0.0 : double(k) / double(target), "partial");
}
"""

# ---------------------------------------------------------------- file I/O, deep recursion

FILE_IO_RIGHT = ("a, b = map(int, open('input.txt').read().split())\n"
                 "with open('output.txt', 'w') as f:\n    f.write(f'{a + b}\\n')\n")
FILE_IO_STDOUT = "a, b = map(int, open('input.txt').read().split())\nprint(a + b)\n"

# The size of a path's subtrees, recursively, at depth 10^5 (and a memoised recursion, which
# costs C stack per level, not only Python frames).
DEEP_DFS = """
import sys
from functools import lru_cache
sys.setrecursionlimit(1 << 20)
n = int(input())
children = [[] for _ in range(n + 1)]
for _ in range(n - 1):
    u, v = map(int, sys.stdin.readline().split())
    children[u].append(v)
def size(u):
    return 1 + sum(size(v) for v in children[u])
@lru_cache(maxsize=None)
def depth(u):
    return 0 if u == 1 else depth(u - 1) + 1
print(size(1), depth(n))
"""


def deep_path(n: int = 100_000) -> tuple[str, str]:
    return f"{n}\n" + "".join(f"{i} {i + 1}\n" for i in range(1, n)), f"{n} {n - 1}\n"
