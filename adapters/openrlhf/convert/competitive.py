"""Row converters for competitive-programming datasets -> domain `code` (docs/domains/code.md).

- `codeforces`: open-r1's `codeforces` layout: `description`, `input_format`, `output_format`,
  `interaction_format`, `note`, `examples`, `time_limit` (s), `memory_limit` (MB),
  `official_tests` [{input, output}], `input_mode` ("stdio" | "file": input.txt/output.txt),
  `generated_checker` (Python, `checker.py input answer output`, prints 1 or 100 when right: the
  CMS convention), and an `interactor` (testlib convention) where the rows carry one. The
  generated tests (`test_cases_XXXX.parquet`: problem_id, input, output) come with `--tests`.
- `codecontests`: DeepMind's CodeContests: `description`, `public_tests`, `private_tests`,
  `generated_tests` ({input: [...], output: [...]}), `time_limit` ({seconds, nanos}),
  `memory_limit_bytes`, `input_file`, `output_file`. Its `solutions` (Python 3, C++, Java) are
  answers the judge must accept (tests/test_converters_competitive.py checks that).
- `ioi`: open-r1's `ioi` layout, one row per subtask: `id`, `subtask`, `score` (points),
  `test_names`, `time_limit`, `memory_limit`, `task_type`, `grader_files` [[path, text]]
  (graders/grader.cpp and the task's header, built with the program; checker/checker.cpp, CMS
  convention), `problem` or `statement`. Subtasks of one problem become one label (`subtasks`,
  `reward_mode: ioi`); the tests (open-r1's `ioi-test-cases`: problem_id, test_name, test_input,
  test_output) come with `--tests`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from adapters.openrlhf.convert.chat import Mode, maybe_json, messages, row, text, with_mode
from adapters.openrlhf.convert.rows import Reject, read_rows

CP_INSTRUCTION = ("\n\nWrite the complete solution in Python, C++ or Java and put it in a single fenced code block "
                  "(```python, ```cpp or ```java).")
IOI_INSTRUCTION = "\n\nImplement the procedures described above in C++17 and put them in a single ```cpp code block."
MAX_TIME_S, MIN_MEMORY_MB, MAX_MEMORY_MB = 60.0, 32, 16384  # what a code label accepts

TestSets = dict[str, list[tuple[str, str, str]]]  # problem id -> [(test name, input, output)]


def load_tests(paths: Iterable[Path]) -> TestSets:
    """Test files the dataset keeps apart from its problems, by problem id: open-r1's Codeforces
    `test_cases_XXXX.parquet` (problem_id, input, output) or its `ioi-test-cases` (problem_id,
    test_name, test_input, test_output)."""
    tests: TestSets = defaultdict(list)
    for path in paths:
        for _, record in read_rows(path):
            if not isinstance(record, dict) or "problem_id" not in record:
                raise SystemExit(f"{path}: a test row without problem_id")
            inputs = record.get("test_input", record.get("input"))
            outputs = record.get("test_output", record.get("output"))
            name = str(record.get("test_name", len(tests[str(record["problem_id"])])))
            tests[str(record["problem_id"])].append((name, str(inputs or ""), str(outputs or "")))
    return dict(tests)


def _limits(time_s: Any, memory_mb: Any) -> dict[str, Any]:
    label: dict[str, Any] = {}
    if isinstance(time_s, (int, float)) and time_s > 0:
        if time_s > MAX_TIME_S:
            raise Reject(f"time limit {time_s:g} s is over the sandbox's {MAX_TIME_S:g} s")
        label["time_limit_s"] = float(time_s)
    if isinstance(memory_mb, (int, float)) and memory_mb > 0:
        if not MIN_MEMORY_MB <= memory_mb <= MAX_MEMORY_MB:
            raise Reject(f"memory limit {memory_mb:g} MB is outside {MIN_MEMORY_MB}..{MAX_MEMORY_MB} MB")
        label["memory_mb"] = int(memory_mb)
    return label


def _pairs(tests: Any, field: str) -> list[tuple[str, str]]:
    """[{input, output}] (open-r1) or {input: [...], output: [...]} (CodeContests) as pairs."""
    tests = maybe_json(tests, field)
    if not tests:
        return []
    if isinstance(tests, dict):
        inputs, outputs = tests.get("input") or [], tests.get("output") or []
        if len(inputs) != len(outputs):
            raise Reject(f"{field} has {len(inputs)} inputs but {len(outputs)} outputs")
        return [(str(i), str(o)) for i, o in zip(inputs, outputs)]
    if isinstance(tests, list) and all(isinstance(t, dict) for t in tests):
        return [(str(t.get("input", "")), str(t.get("output", ""))) for t in tests]
    raise Reject(f"{field} is neither [{{input, output}}] nor {{input: [...], output: [...]}}")


def _program_language(source: str) -> str:
    return "cpp" if "#include" in source else "python"


def codeforces_problem(record: dict[str, Any], index: int, *, mode: Mode, instruction: str = CP_INSTRUCTION,
                       tests: TestSets | None = None) -> dict[str, Any]:
    pairs = _pairs(record.get("official_tests"), "official_tests")
    pairs += [(i, o) for _, i, o in (tests or {}).get(str(record.get("id")), [])]
    if not pairs:
        raise Reject("no tests (official_tests empty and none in --tests)")
    label: dict[str, Any] = {"domain": "code", "tests": {"inputs": [i for i, _ in pairs], "outputs": [o for _, o in pairs]},
                             **_limits(record.get("time_limit"), record.get("memory_limit"))}
    checker = record.get("generated_checker")
    if isinstance(checker, str) and checker.strip():
        label["checker"] = {"program": checker, "language": "python", "convention": "cms"}
    if record.get("interaction_format"):
        interactor = record.get("interactor")
        if not isinstance(interactor, str) or not interactor.strip():
            raise Reject("interactive problem without an interactor (open-r1's rows carry none: add an `interactor`)")
        label["interactor"] = {"program": interactor, "language": _program_language(interactor),
                               "convention": "testlib"}
        label.pop("checker", None)  # a generated checker reads a batch output, which an interactive run has not
    if record.get("input_mode") == "file":
        label["input_file"], label["output_file"] = "input.txt", "output.txt"
    parts = [record.get("title") and f"# {record['title']}", text(record, "description"),
             *(f"## {name}\n{record[field]}" for field, name in (
                 ("input_format", "Input"), ("output_format", "Output"), ("interaction_format", "Interaction"),
                 ("note", "Note")) if record.get(field)),
             *(f"## Example\nInput:\n{e.get('input', '')}\nOutput:\n{e.get('output', '')}"
               for e in maybe_json(record.get("examples"), "examples") or [] if isinstance(e, dict))]
    statement = "\n\n".join(p for p in parts if p)
    return row(with_mode(messages(statement), mode, index, instruction), label, "codeforces")


def codecontests_problem(record: dict[str, Any], index: int, *, mode: Mode,
                         instruction: str = CP_INSTRUCTION) -> dict[str, Any]:
    pairs = [p for field in ("public_tests", "private_tests", "generated_tests")
             for p in _pairs(record.get(field), field)]
    if not pairs:
        raise Reject("no tests in public_tests, private_tests or generated_tests")
    limit = maybe_json(record.get("time_limit"), "time_limit")
    seconds = (limit.get("seconds") or 0) + (limit.get("nanos") or 0) / 1e9 if isinstance(limit, dict) else None
    memory = record.get("memory_limit_bytes")
    label: dict[str, Any] = {"domain": "code", "tests": {"inputs": [i for i, _ in pairs], "outputs": [o for _, o in pairs]},
                             **_limits(seconds, memory / 2**20 if isinstance(memory, int) else None)}
    for field in ("input_file", "output_file"):
        if record.get(field):
            label[field] = str(record[field])
    source = record.get("source")
    return row(with_mode(messages(text(record, "description")), mode, index, instruction), label,
               f"codecontests-{source}" if source is not None else "codecontests")


def group_ioi_subtasks(rows: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
    """open-r1's IOI rows are one per subtask: one row per problem, its subtasks in a list, in order."""
    problems: dict[str, dict[str, Any]] = {}
    first: dict[str, int] = {}
    for number, record in rows:
        if not isinstance(record, dict) or not record.get("id"):
            yield number, record  # the converter rejects it, with the reason
            continue
        key = f"{record.get('year', '')}/{record['id']}"
        problem = problems.setdefault(key, {**record, "subtasks": []})
        first.setdefault(key, number)
        problem["subtasks"].append(record)
    for key, problem in problems.items():
        yield first[key], problem


def ioi_problem(record: dict[str, Any], index: int, *, mode: Mode, instruction: str = IOI_INSTRUCTION,
                tests: TestSets | None = None) -> dict[str, Any]:
    task = str(record["id"])
    if record.get("task_type", "Batch") != "Batch":
        raise Reject(f"task type {record.get('task_type')} is not judged (only Batch: a Communication task needs "
                     "a manager and N copies of the program)")
    available = {name: (i, o) for name, i, o in (tests or {}).get(task, [])}
    if not available:
        raise Reject(f"no test data for {task} (pass open-r1's ioi-test-cases with --tests)")
    names: list[str] = []
    subtasks = []
    for subtask in record["subtasks"]:
        test_names = maybe_json(subtask.get("test_names"), "test_names") or []
        missing = [n for n in test_names if n not in available]
        if missing or not test_names:
            raise Reject(f"subtask {subtask.get('subtask')} of {task} names tests without data: {missing[:3]}")
        for name in test_names:
            if name not in names:
                names.append(name)
        subtasks.append({"points": float(subtask.get("score") or 0), "tests": [names.index(n) for n in test_names]})
    label: dict[str, Any] = {
        "domain": "code", "language": "cpp", "reward_mode": "ioi", "subtasks": subtasks,
        "tests": {"inputs": [available[n][0] for n in names], "outputs": [available[n][1] for n in names]},
        **_limits(record.get("time_limit"), record.get("memory_limit"))}
    files = {str(path): str(content) for path, content in maybe_json(record.get("grader_files"), "grader_files") or []}
    grader = {path.rsplit("/", 1)[-1]: content for path, content in files.items()
              if path.startswith("graders/") and path.rsplit("/", 1)[-1] not in ("manager.cpp", "grader_config.json")}
    if grader:
        label["grader"] = grader
    if "checker/checker.cpp" in files:
        label["checker"] = {"program": files["checker/checker.cpp"], "language": "cpp", "convention": "cms"}
    statement = record.get("problem") or record.get("statement")
    if not isinstance(statement, str) or not statement.strip():
        raise Reject("problem (the statement) missing or empty")
    return row(with_mode(messages(statement), mode, index, instruction), label, f"ioi-{record.get('year', '')}")
