"""Converters on hand-written rows in each dataset's published format (docs/adapters.md)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import openrlhf.datasets  # noqa: F401 - initialises the package (prompts_dataset alone is circular)
from openrlhf.datasets.prompts_dataset import preprocess_data

from adapters.openrlhf.convert.__main__ import main
from verifiers.registry import DOMAINS, load_verifier_class
from tests.openrlhf_harness import byte_level_tokenizer

PATCH = "diff --git a/f.py b/f.py\n--- a/f.py\n+++ b/f.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def run(tmp_path: Path, dataset: str, source: Path, *options: str) -> tuple[int, list[dict], list[dict]]:
    out, rejects = tmp_path / f"{dataset}.out.jsonl", tmp_path / f"{dataset}.rejects.jsonl"
    code = main([dataset, str(source), "-o", str(out), "--rejects", str(rejects), *options])
    read = lambda p: [json.loads(line) for line in p.read_text().splitlines()]  # noqa: E731
    return code, read(out), read(rejects)


def labels(rows: list[dict]) -> list[dict]:
    return [json.loads(r["label"]) for r in rows]


def test_math_json_file(tmp_path, capsys):
    source = tmp_path / "math.json"  # the dataset ships one JSON list, math.json
    source.write_text(json.dumps([
        {"problem": "What is 6*7?", "answer": "42", "source": "NuminaMath-CoT"},
        {"problem": "How many primes are below 10?", "answer": 4, "source": "DeepScaleR"},
        {"problem": "", "answer": "1", "source": "x"},
        {"problem": "Solve x.", "answer": None, "source": "x"},
        {"problem": "Solve y.", "answer": "  ", "source": "x"},
    ]))
    code, rows, rejects = run(tmp_path, "math", source)
    assert code == 0
    assert labels(rows) == [{"domain": "math", "answer": "42"}, {"domain": "math", "answer": "4"}]
    user = rows[0]["input"][-1]
    assert user["role"] == "user" and user["content"].startswith("What is 6*7?")
    assert "\\boxed{}" in user["content"] and user["content"].endswith(" /think")
    assert rows[1]["datasource"] == "DeepScaleR"
    assert [(r["row"], r["reason"]) for r in rejects] == [
        (3, "problem missing or empty"), (4, "answer missing or empty"), (5, "answer missing or empty")]
    assert "2 rows written, 3 rejected" in capsys.readouterr().err


IF_ROWS = [
    {"prompt": [{"role": "user", "content": "Write a haiku about spring. Use only lowercase letters."}],
     "instruction_id_list": ["change_case:english_lowercase", "length_constraints:number_words"],
     "kwargs": [{}, {"relation": "less than", "num_words": 30}], "index": 0},
    # As exported from Arrow/parquet: every kwarg name in every entry, unused ones null; JSON strings.
    {"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "List three fruits."}],
     "instruction_id_list": json.dumps(["detectable_format:number_bullet_lists"]),
     "kwargs": json.dumps([{"num_bullets": 3, "relation": None, "num_words": None}]), "index": 1},
    {"prompt": [{"role": "user", "content": "Hi"}], "instruction_id_list": ["a:b", "c:d"], "kwargs": [{}], "index": 2},
    {"prompt": [{"role": "user", "content": "Hi"}], "instruction_id_list": [], "kwargs": [], "index": 3},
    {"prompt": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
     "instruction_id_list": ["a:b"], "kwargs": [{}], "index": 4},
]


def test_instruction_following_unified_and_thinking(tmp_path):
    source = write_jsonl(tmp_path / "if.jsonl", IF_ROWS)
    code, rows, rejects = run(tmp_path, "ifeval", source)
    assert code == 0
    assert labels(rows) == [
        {"domain": "ifeval", "instruction_id_list": IF_ROWS[0]["instruction_id_list"], "kwargs": IF_ROWS[0]["kwargs"]},
        {"domain": "ifeval", "instruction_id_list": ["detectable_format:number_bullet_lists"],
         "kwargs": [{"num_bullets": 3}]},
    ]
    assert [r["input"][-1]["content"].endswith(" /no_think") for r in rows] == [True, True]  # unified model
    assert rows[1]["input"][0] == {"role": "system", "content": "Be brief."}
    assert [r["reason"].split(" ")[0] for r in rejects] == ["kwargs", "instruction_id_list", "prompt"]
    _, rows, _ = run(tmp_path, "ifeval", source, "--mode", "think", "--group-size", "16")
    assert [(lbl["domain"], lbl["group_size"]) for lbl in labels(rows)] == [("if_rm", 16)] * 2
    assert rows[0]["input"][-1]["content"].endswith(" /think")
    assert labels(rows)[1]["messages"] == IF_ROWS[1]["prompt"]  # for the reward-model half, no flag


def test_rlhf_parquet_half_thinking(tmp_path):
    rows_in = [{"data_source": "helpsteer3", "category": c, "prompt": [{"role": "user", "content": f"Plan {i} /think"}]}
               for i, c in enumerate(["chat", "lists", "plans", "chat"])]
    rows_in.append({"data_source": "helpsteer3", "category": "chat", "prompt": []})
    source = tmp_path / "rlhf.parquet"
    pq.write_table(pa.Table.from_pylist(rows_in), source)
    code, rows, rejects = run(tmp_path, "rlhf", source)
    assert code == 0
    assert labels(rows) == [{"domain": "rm", "messages": [{"role": "user", "content": f"Plan {i}"}]} for i in range(4)]
    # the dataset's own flag is replaced, never doubled
    assert [r["input"][-1]["content"] for r in rows] == [
        "Plan 0 /think", "Plan 1 /no_think", "Plan 2 /think", "Plan 3 /no_think"]
    assert [r["reason"] for r in rejects] == ["prompt missing or empty"]


def test_swe(tmp_path):
    good = {"source": "swe-smith", "instance_id": "org__repo-1", "prompt": "Fix the bug.\n<code>x = 1</code>",
            "problem_statement": "x should be 2",
            "golden_patch": PATCH, "relevant_file_contents": json.dumps({"f.py": "x = 1\n"}),
            "original_prompt": "Fix the bug."}
    source = write_jsonl(tmp_path / "swe.jsonl", [
        good,
        {**good, "instance_id": "org__repo-2", "golden_patch": "f.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n"},
        {**good, "golden_patch": "make x two"},
        {**good, "golden_patch": ""},
        {**good, "prompt": "long " * 100},
    ])
    code, rows, rejects = run(tmp_path, "swe", source, "--max-prompt-chars", "200")
    assert code == 0
    assert labels(rows)[0] == {"domain": "swe", "golden_patch": PATCH, "relevant_file_contents": {"f.py": "x = 1\n"},
                               "instance_id": "org__repo-1", "issue": "x should be 2"}
    assert labels(rows)[1]["instance_id"] == "org__repo-2"
    assert [r["reason"] for r in rejects] == [
        "golden_patch is neither a unified diff nor SEARCH/REPLACE edits", "golden_patch missing or empty",
        "prompt longer than --max-prompt-chars: 500 > 200"]


CODE_ROWS = [
    {"responses_create_params": {"input": [{"role": "user", "content": "Read a and b, print a+b."}]},
     "verifier_metadata": {"unit_tests": {"inputs": ["1 2\n", "5 5\n"], "outputs": ["3\n", "10\n"]}},
     "hash_id": "abc", "dataset": "codeforces", "source": "nemo-gym"},
    {"question": "Return the sum of a list.",
     "input_output": json.dumps({"fn_name": "total", "inputs": [[[1, 2]], [[]]], "outputs": [3, 0]})},
    {"question": "Echo.", "input_output": json.dumps({"inputs": ["a"], "outputs": ["a", "b"]})},
    {"question": "No tests here."},
    {"problem": "Bad tests.", "unit_tests": "{not json"},
]


def test_code(tmp_path):
    source = write_jsonl(tmp_path / "code.jsonl", CODE_ROWS)
    (tmp_path / "code.jsonl").write_text(source.read_text() + "this line is not JSON\n")
    code, rows, rejects = run(tmp_path, "code", source, "--time-limit-s", "2")
    assert code == 0
    assert labels(rows) == [
        {"domain": "code", "tests": CODE_ROWS[0]["verifier_metadata"]["unit_tests"], "language": "python",
         "time_limit_s": 2.0},
        {"domain": "code", "tests": {"fn_name": "total", "inputs": [[[1, 2]], [[]]], "outputs": [3, 0]},
         "language": "python", "time_limit_s": 2.0},
    ]
    assert rows[0]["datasource"] == "codeforces" and "```python" in rows[0]["input"][-1]["content"]
    assert [r["reason"].split(" ")[0] for r in rejects] == ["input_output", "no", "unit_tests", "not"]


GPQA_HEADER = ["Record ID", "Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2",
               "Incorrect Answer 3", "High-level domain"]
GPQA_ROWS = [
    ["rec1", "Which particle mediates the electromagnetic force?", "photon", "gluon", "W boson", "graviton",
     "Physics"],
    ["rec2", "What is the pH of pure water at 25 C?", "7", "0", "14", "1", "Chemistry"],
    ["rec3", "Which organelle makes ATP?", "mitochondrion", "ribosome", "", "nucleus", "Biology"],
]
MCQ_ROWS = [
    {"question": "Which gas dominates Earth's atmosphere?", "options": ["oxygen", "nitrogen", "argon", "CO2"],
     "answer": "B", "src": "mmlu-pro"},
    {"question": "2 + 2?", "choices": {"A": "3", "B": "4", "C": "5"}, "answer_index": 1},
    {"problem": "Largest planet?", "options": json.dumps(["Mars", "Jupiter"]), "answer": "Jupiter"},
    {"responses_create_params": {"input": [{"role": "user", "content": "Pick one.\nA: cat\nB: dog"}]},
     "options": [{"A": "cat"}, {"B": "dog"}], "expected_answer": "A"},
    {"question": "No options here?", "answer": "A"},
    {"question": "Bad answer", "options": ["x", "y"], "answer": "Q"},
    {"question": "Twins", "options": ["x", "x"], "answer": "A"},
]


def write_gpqa(path: Path, rows: list[list[str]]) -> Path:
    import csv

    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(GPQA_HEADER)
        writer.writerows(rows)
    return path


def test_gpqa_csv_options_are_shuffled_deterministically(tmp_path):
    source = write_gpqa(tmp_path / "gpqa_main.csv", GPQA_ROWS)
    code, rows, rejects = run(tmp_path, "mcq", source)
    assert code == 0 and [r["reason"] for r in rejects] == ["GPQA answers has an empty or non-text option"]
    first = labels(rows)
    for label, raw in zip(first, GPQA_ROWS, strict=False):
        assert label["domain"] == "mcq" and sorted(label["options"].values()) == sorted(raw[2:6])
        assert label["options"][label["answer"]] == raw[2]  # the letter points at the correct answer
    user = rows[0]["input"][-1]["content"]
    assert user.startswith(GPQA_ROWS[0][1]) and "\\boxed{}" in user and user.endswith(" /think")
    assert all(f"{letter}) {text}" in user for letter, text in first[0]["options"].items())
    assert rows[0]["datasource"] == "Physics"
    assert labels(run(tmp_path, "mcq", source)[1]) == first  # the same file again
    reseeded = [labels(run(tmp_path, "mcq", source, "--seed", str(seed))[1])[0]["answer"] for seed in range(12)]
    assert len(set(reseeded)) > 1  # the correct answer is not pinned to one position

    many = write_gpqa(tmp_path / "many.csv", [[f"r{i}", f"Q{i}?", "right", "w1", "w2", "w3", "x"] for i in range(40)])
    positions = {label["answer"] for label in labels(run(tmp_path, "mcq", many)[1])}
    assert positions == {"A", "B", "C", "D"}


def test_lettered_and_nemo_gym_mcq_rows(tmp_path):
    source = write_jsonl(tmp_path / "mcq.jsonl", MCQ_ROWS)
    code, rows, rejects = run(tmp_path, "mcq", source, "--mode", "keep")
    assert code == 0
    assert labels(rows) == [
        {"domain": "mcq", "answer": "B", "options": {"A": "oxygen", "B": "nitrogen", "C": "argon", "D": "CO2"}},
        {"domain": "mcq", "answer": "B", "options": {"A": "3", "B": "4", "C": "5"}},
        {"domain": "mcq", "answer": "B", "options": {"A": "Mars", "B": "Jupiter"}},
        {"domain": "mcq", "answer": "A", "options": {"A": "cat", "B": "dog"}},
    ]
    assert rows[0]["input"][-1]["content"].endswith("D) CO2\n\nAnswer with the letter of the correct option, "
                                                    "and put it within \\boxed{}.")
    assert rows[0]["datasource"] == "mmlu-pro"
    assert rows[3]["input"] == [{"role": "user", "content": "Pick one.\nA: cat\nB: dog"}]  # NeMo-Gym prompt kept
    assert [r["reason"].split(" (")[0] for r in rejects] == [
        "no options", "answer 'Q' is neither an option letter nor an option's text", "options has two options with "
        "the same text"]


def test_labels_are_accepted_by_every_registered_domain(tmp_path):
    """Each converter's labels against the label model of its domain, for every domain served by
    this checkout (the domains are developed separately; math and code are always here)."""
    sources = {
        "math": write_jsonl(tmp_path / "m.jsonl", [{"problem": "p", "answer": "1"}]),
        "ifeval": write_jsonl(tmp_path / "i.jsonl", IF_ROWS[:2]),
        "rlhf": write_jsonl(tmp_path / "r.jsonl", [{"prompt": [{"role": "user", "content": "Hi"}]}]),
        "swe": write_jsonl(tmp_path / "s.jsonl", [{"prompt": "Fix.", "golden_patch": PATCH,
                                                   "relevant_file_contents": [{"path": "f.py", "content": "x = 1\n"}]}]),
        "code": write_jsonl(tmp_path / "c.jsonl", CODE_ROWS[:2]),
        "mcq": write_jsonl(tmp_path / "q.jsonl", MCQ_ROWS[:4]),
    }
    produced = []
    for dataset, source in sources.items():
        produced += labels(run(tmp_path, dataset, source)[1])
    produced += labels(run(tmp_path, "ifeval", sources["ifeval"], "--group-size", "8")[1])
    checked = set()
    for label in produced:
        domain = label.pop("domain")
        if domain in DOMAINS:
            load_verifier_class(domain).label_model.model_validate(label)
            checked.add(domain)
    assert {"math", "code", "mcq"} <= checked


def test_bad_usage_is_refused(tmp_path):
    source = write_jsonl(tmp_path / "m.jsonl", [{"problem": "p", "answer": "1"}])
    with pytest.raises(SystemExit, match="does not apply to math"):
        main(["math", str(source), "-o", str(tmp_path / "o.jsonl"), "--group-size", "8"])
    with pytest.raises(SystemExit, match="no such file"):
        main(["math", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o.jsonl")])
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"problem": "p"}])
    assert main(["math", str(bad), "-o", str(tmp_path / "o.jsonl")]) == 1  # nothing converted


def test_converted_rows_score_through_openrlhf_dataset_code_and_the_service(tmp_path, server):
    """math, code and mcq rows -> OpenRLHF's preprocess_data (chat template, label_key) -> /get_reward."""
    math_src = write_jsonl(tmp_path / "math.jsonl", [{"problem": "What is 6*7?", "answer": "42", "source": "s"}])
    code_src = write_jsonl(tmp_path / "code.jsonl", CODE_ROWS[:2])
    _, math_rows, _ = run(tmp_path, "math", math_src)
    _, code_rows, _ = run(tmp_path, "code", code_src)
    _, mcq_rows, _ = run(tmp_path, "mcq", write_gpqa(tmp_path / "gpqa.csv", GPQA_ROWS[:1]))
    photon = next(letter for letter, text in labels(mcq_rows)[0]["options"].items() if text == "photon")
    tokenizer = byte_level_tokenizer()
    responses = ["6*7 = \\boxed{42}", "```python\na, b = map(int, input().split())\nprint(a + b)\n```",
                 "```python\ndef total(xs):\n    return sum(xs)\n```", f"The photon. \\boxed{{{photon}}}"]
    query, prompts, label_values = [], [], []
    for row, response in zip(math_rows + code_rows + mcq_rows, responses, strict=True):
        prompt, label = preprocess_data(row, None, "input", "label", tokenizer.apply_chat_template)
        assert prompt.endswith("<|im_start|>assistant\n")
        query.append(prompt + "<think>ok</think>" + response + "<|im_end|>")
        prompts.append(prompt)
        label_values.append(label)
    reply = httpx.post(f"{server}/get_reward", json={"query": query, "prompts": prompts, "labels": label_values},
                       timeout=120).json()
    assert reply["rewards"] == [1.0, 1.0, 1.0, 1.0], reply
