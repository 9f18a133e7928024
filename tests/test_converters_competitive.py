"""The competitive-programming converters on hand-written rows in each dataset's layout (open-r1's
`codeforces` and `ioi`, DeepMind's CodeContests), and the labels they write judged by the real
verifier: the datasets' own solutions pass, wrong ones do not."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests import judge_problems as jp
from tests.test_code_judge import fenced, judge
from tests.test_converters import labels, run, write_jsonl
from verifiers.verdict import Status

# open-r1's generated checkers: `checker.py input answer output`, "1" (or "100") when right.
CF_CHECKER = """
import sys
n = int(open(sys.argv[1]).read())
words = open(sys.argv[3]).read().split()
ok = len(words) == 2 and all(w.isdigit() for w in words) and int(words[0]) + int(words[1]) == n and "0" not in words
print(100 if ok else 0)
"""

CODEFORCES_ROWS = [
    {"id": "1/A", "contest_id": "1", "title": "Split", "description": "Write n as a sum of two positive integers.",
     "input_format": "One integer n.", "output_format": "Two integers.", "interaction_format": None,
     "note": None, "examples": [{"input": "3\n", "output": "1 2\n"}], "time_limit": 1.0, "memory_limit": 256.0,
     "official_tests": [{"input": "3\n", "output": "1 2\n"}, {"input": "10\n", "output": "5 5\n"}],
     "input_mode": "stdio", "generated_checker": CF_CHECKER},
    {"id": "2/B", "contest_id": "2", "title": "Files", "description": "Add two numbers.", "time_limit": 2.0,
     "memory_limit": 64.0, "official_tests": [{"input": "2 3\n", "output": "5\n"}], "input_mode": "file",
     "generated_checker": None},
    {"id": "3/C", "contest_id": "3", "title": "Guess", "description": "Guess the number.",
     "interaction_format": "Ask ? y, answer ! x.", "time_limit": 1.0, "memory_limit": 256.0,
     "official_tests": [{"input": "1000 777\n", "output": "777\n"}], "interactor": jp.GUESS_TESTLIB_CPP},
    {"id": "4/D", "contest_id": "4", "title": "Guess", "description": "Guess again.",
     "interaction_format": "Ask.", "official_tests": [{"input": "5 1\n", "output": "1\n"}]},
    {"id": "5/E", "contest_id": "5", "title": "Nothing", "description": "No tests.", "official_tests": []},
]


def test_codeforces(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "cf.jsonl", CODEFORCES_ROWS)
    generated = tmp_path / "test_cases_0001.parquet"  # open-r1's generated tests, kept apart
    pq.write_table(pa.Table.from_pylist([{"problem_id": "1/A", "input": "999999999\n", "output": "1 999999998\n"}]),
                   generated)
    code, rows, rejects = run(tmp_path, "codeforces", source, "--tests", str(generated))
    assert code == 0
    split, files, guess = labels(rows)
    assert split["tests"]["inputs"] == ["3\n", "10\n", "999999999\n"]
    assert split["checker"] == {"program": CF_CHECKER, "language": "python", "convention": "cms"}
    assert (split["time_limit_s"], split["memory_mb"]) == (1.0, 256)
    assert (files["input_file"], files["output_file"]) == ("input.txt", "output.txt")
    assert guess["interactor"]["convention"] == "testlib" and guess["interactor"]["language"] == "cpp"
    assert "## Interaction" in rows[2]["input"][-1]["content"] and "```java" in rows[0]["input"][-1]["content"]
    assert [r["reason"] for r in rejects] == ["interactive problem without an interactor (open-r1's rows carry none: "
                                              "add an `interactor`)", "no tests (official_tests empty and none in --tests)"]
    verdicts = judge([(fenced(jp.SPLITTERS["halves"]), split), (fenced(jp.SPLITTERS["wrong"]), split),
                      (fenced(jp.FILE_IO_RIGHT), files), (fenced(jp.FILE_IO_STDOUT), files),
                      (fenced(jp.GUESSERS["correct"]["cpp"][0], "cpp"), guess)], testlib_header=_header(tmp_path))
    assert [v.status for v in verdicts] == [Status.CORRECT, Status.INCORRECT, Status.CORRECT, Status.INCORRECT,
                                            Status.CORRECT], [v.details for v in verdicts]


# CodeContests' language codes: 1 Python 2, 2 C++, 3 Python 3, 4 Java.
CODECONTESTS_ROW = {
    "name": "1_A. Sum", "description": "Print a + b.", "source": 2, "difficulty": 7,
    "public_tests": {"input": ["1 2\n"], "output": ["3\n"]},
    "private_tests": {"input": ["5 5\n"], "output": ["10\n"]},
    "generated_tests": {"input": ["-1 1\n", "1000000000 1000000000\n"], "output": ["0\n", "2000000000\n"]},
    "solutions": {"language": [3, 2, 4], "solution": [jp.SUMS["python"], jp.SUMS["cpp"], jp.SUMS["java"]]},
    "incorrect_solutions": {"language": [3], "solution": ["print(3)\n"]},
    "time_limit": {"seconds": 2, "nanos": 500_000_000}, "memory_limit_bytes": 256 * 2**20,
    "input_file": "", "output_file": "",
}


def test_codecontests_with_its_solutions_in_three_languages(tmp_path: Path) -> None:
    """Its Python 3, C++ and Java solutions are correct, its incorrect one is not; a file-I/O row
    keeps its file names."""
    file_row = {**CODECONTESTS_ROW, "input_file": "input.txt", "output_file": "output.txt",
                "solutions": {"language": [3], "solution": [jp.FILE_IO_RIGHT]}}
    table = tmp_path / "cc.parquet"
    pq.write_table(pa.Table.from_pylist([CODECONTESTS_ROW, file_row]), table)
    code, rows, rejects = run(tmp_path, "codecontests", table)
    assert code == 0 and rejects == []
    label, file_label = labels(rows)
    assert len(label["tests"]["inputs"]) == 4 and (label["time_limit_s"], label["memory_mb"]) == (2.5, 256)
    assert "input_file" not in label and (file_label["input_file"], file_label["output_file"]) == ("input.txt",
                                                                                                   "output.txt")
    tag = {2: "cpp", 3: "python", 4: "java"}
    items = [(fenced(solution, tag[language]), label) for language, solution in
             zip(CODECONTESTS_ROW["solutions"]["language"], CODECONTESTS_ROW["solutions"]["solution"])]
    items += [(fenced(CODECONTESTS_ROW["incorrect_solutions"]["solution"][0]), label),
              (fenced(jp.FILE_IO_RIGHT), file_label), (fenced(jp.FILE_IO_STDOUT), file_label)]
    verdicts = judge(items)
    assert [v.status for v in verdicts] == [Status.CORRECT] * 3 + [Status.INCORRECT, Status.CORRECT,
                                                                   Status.INCORRECT], [v.details for v in verdicts]


# An IOI-style task with a grader: the program implements `long long total(std::vector<long long>)`;
# grader.cpp reads the input, calls it and prints the result.
IOI_HEADER = "#include <vector>\nlong long total(std::vector<long long> values);\n"
IOI_GRADER = """
#include <cstdio>
#include <vector>
#include "summer.h"
int main() {
    int n;
    if (std::scanf("%d", &n) != 1) return 1;
    std::vector<long long> values(n);
    for (auto &v : values) std::scanf("%lld", &v);
    std::printf("%lld\\n", total(values));
}
"""
IOI_SOLUTIONS = {  # subtasks passed -> a solution
    0: '#include "summer.h"\nlong long total(std::vector<long long> v) { return -1; }\n',
    1: '#include "summer.h"\nlong long total(std::vector<long long> v) {\n'
       '    long long s = 0; if (v.size() > 10) return 0; for (long long x : v) s += x; return s; }\n',
    2: '#include "summer.h"\nlong long total(std::vector<long long> v) {\n'
       '    long long s = 0; if (v.size() > 1000) return 0; for (long long x : v) s += x; return s; }\n',
    3: '#include "summer.h"\nlong long total(std::vector<long long> v) {\n'
       '    long long s = 0; for (long long x : v) s += x; return s; }\n',
}


def test_ioi_subtasks_graders_and_tests_apart(tmp_path: Path) -> None:
    """open-r1's IOI rows (one per subtask) become one label per problem: subtasks with points
    over the union of their tests, the grader built with the program; the scores are exactly
    0, 20, 50 and 100 points out of 100."""
    inputs, outputs = jp.ioi_tests()
    names = [f"{i:02d}" for i in range(len(inputs))]
    grader_files = [["graders/grader.cpp", IOI_GRADER], ["graders/summer.h", IOI_HEADER],
                    ["graders/grader_config.json", json.dumps({"task_type": "Batch", "code": "summer"})]]
    rows = [{"year": 2024, "day": 1, "id": "summer", "name": "Summer", "subtask": name, "score": sub["points"],
             "score_precision": 2, "time_limit": 2.0, "memory_limit": 512, "task_type": "Batch",
             "test_names": [names[i] for i in sub["tests"]], "grader_files": grader_files,
             "problem": "Sum the values." if k == 0 else None} for k, (name, sub) in
            enumerate(zip(("01-small", "02-medium", "03-full"), jp.IOI_SUBTASKS))]
    rows.append({"year": 2024, "id": "relay", "subtask": "00", "score": 100, "task_type": "Communication",
                 "test_names": ["x"], "problem": "Two programs talk."})
    source = write_jsonl(tmp_path / "ioi.jsonl", rows)
    tests = write_jsonl(tmp_path / "ioi-tests.jsonl", [
        {"problem_id": "summer", "test_name": n, "test_input": i, "test_output": o}
        for n, i, o in zip(names, inputs, outputs)])
    code, converted, rejects = run(tmp_path, "ioi", source, "--tests", str(tests))
    assert code == 0
    (label,) = labels(converted)
    assert label["subtasks"] == jp.IOI_SUBTASKS and label["reward_mode"] == "ioi" and label["language"] == "cpp"
    assert sorted(label["grader"]) == ["grader.cpp", "summer.h"]
    assert [r["reason"].split(" (")[0] for r in rejects] == ["task type Communication is not judged"]
    verdicts = judge([(fenced(IOI_SOLUTIONS[k], "cpp"), label) for k in range(4)])
    assert [v.reward for v in verdicts] == [0.0, 0.2, 0.5, 1.0], [v.details for v in verdicts]


def _header(tmp_path: Path) -> str:
    path = tmp_path / "testlib.h"
    path.write_text(jp.TESTLIB_H)
    return str(path)
