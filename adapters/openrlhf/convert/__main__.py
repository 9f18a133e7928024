"""`python -m adapters.openrlhf.convert DATASET IN... -o OUT.jsonl`: convert local dataset files.

Reads local files only (no hub access): export a Hugging Face dataset first, e.g.
`datasets.load_dataset("nvidia/Nemotron-Cascade-RL-Math")["train"].to_json("math.jsonl")`.
Prints a summary with the count of rejected rows per reason; `--rejects FILE` lists each one.
Exit status: 0, or 1 if no row at all could be converted.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

from adapters.openrlhf.convert import code_tests, competitive, nemotron, science
from adapters.openrlhf.convert.chat import MODES
from adapters.openrlhf.convert.rows import Converter, convert_files

# dataset name -> (converter, default thinking mode, help)
DATASETS = {
    "math": (nemotron.math_problem, "think", "nvidia/Nemotron-Cascade-RL-Math"),
    "ifeval": (nemotron.instruction_following, "no_think", "nvidia/Nemotron-Cascade-RL-Instruction-Following"),
    "rlhf": (nemotron.rlhf_prompt, "both", "nvidia/Nemotron-Cascade-RL-RLHF"),
    "swe": (nemotron.swe_task, "think", "nvidia/Nemotron-Cascade-RL-SWE"),
    "code": (code_tests.code_problem, "think", "competitive coding with unit tests (NeMo-Gym / TACO style)"),
    "mcq": (science.mcq_question, "think", "multiple-choice science (GPQA, MMLU-Pro style, NeMo-Gym mcqa)"),
    "codeforces": (competitive.codeforces_problem, "think", "open-r1/codeforces (checkers, interactors, file I/O)"),
    "codecontests": (competitive.codecontests_problem, "think", "deepmind/code_contests"),
    "ioi": (competitive.ioi_problem, "think", "open-r1/ioi (subtasks with points, graders; tests via --tests)"),
}
_LIMIT_OPTIONS = {"instruction", "time_limit_s", "memory_mb"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m adapters.openrlhf.convert", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", choices=sorted(DATASETS),
                        help="; ".join(f"{k}: {v[2]}" for k, v in DATASETS.items()))
    parser.add_argument("inputs", nargs="+", type=Path, help=".jsonl, .json, .csv or .parquet files")
    parser.add_argument("-o", "--output", type=Path, required=True, help="OpenRLHF JSONL to write")
    parser.add_argument("--rejects", type=Path, help="write one JSON line per rejected row (file, row, reason)")
    parser.add_argument("--mode", choices=MODES, help="append /think or /no_think to the last user turn; "
                        "both = alternate per row; keep = leave the prompt as is (default per dataset: "
                        + ", ".join(f"{k} {v[1]}" for k, v in DATASETS.items()) + ")")
    parser.add_argument("--instruction", help="math/code/mcq: text appended to the problem "
                        "(default asks for \\boxed{} / a ```python block / a boxed letter)")
    parser.add_argument("--group-size", type=int, help="ifeval: emit the thinking model's IF + RM label "
                        "(domain if_rm); must equal rollout.n_samples_per_prompt")
    parser.add_argument("--max-prompt-chars", type=int, help="swe: reject longer prompts")
    parser.add_argument("--time-limit-s", type=float, help="code: per-test time limit in the label")
    parser.add_argument("--memory-mb", type=int, help="code: memory limit in the label")
    parser.add_argument("--seed", type=int, help="mcq: seed of the per-row option shuffle of GPQA rows (default 0)")
    parser.add_argument("--tests", type=Path, action="append", default=[],
                        help="codeforces, ioi: a file of tests kept apart from the problems (open-r1's "
                             "test_cases_XXXX.parquet, ioi-test-cases); repeatable")
    return parser


def converter(args: argparse.Namespace) -> Converter:
    func, default_mode, _ = DATASETS[args.dataset]
    options: dict[str, object] = {"mode": args.mode or default_mode}
    allowed = {"math": {"instruction"}, "code": _LIMIT_OPTIONS, "ifeval": {"group_size"},
               "swe": {"max_prompt_chars"}, "rlhf": set(), "mcq": {"instruction", "seed"},
               "codeforces": {"instruction", "tests"}, "codecontests": {"instruction"},
               "ioi": {"instruction", "tests"}}[args.dataset]
    for name in ("instruction", "group_size", "max_prompt_chars", "time_limit_s", "memory_mb", "seed", "tests"):
        value = getattr(args, name)
        if value is None or value == []:
            continue
        if name not in allowed:
            raise SystemExit(f"--{name.replace('_', '-')} does not apply to {args.dataset}")
        options[name] = competitive.load_tests(value) if name == "tests" else value
    if args.group_size is not None and args.group_size < 2:
        raise SystemExit("--group-size must be at least 2 (the GRPO group size)")
    return functools.partial(func, **options)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    convert = converter(args)
    for path in [*args.inputs, *args.tests]:
        if not path.is_file():
            raise SystemExit(f"{path}: no such file")
    regroup = competitive.group_ioi_subtasks if args.dataset == "ioi" else None
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w") as out:
        if args.rejects:
            with args.rejects.open("w") as rejects:
                report = convert_files(args.inputs, convert, out, rejects, regroup)
        else:
            report = convert_files(args.inputs, convert, out, None, regroup)
    print(report.summary(f"{args.dataset} -> {args.output}"), file=sys.stderr)
    return 0 if report.accepted else 1


if __name__ == "__main__":
    sys.exit(main())
