"""Extract the (gold, prediction, expected) cases of Math-Verify's own test suite into JSONL.

The conformance test (`tests/test_math_verify_conformance.py`) replays these cases through
`/score`. Only the data is taken, never code: each parametrized case is read with `ast` together
with the configuration its test function passes to Math-Verify (extraction targets, float
precision, strictness, set-relation comparison), so the test can tell which cases match our own
configuration.

    python scripts/math_verify_cases.py PATH/TO/Math-Verify > tests/data/math_verify_cases.jsonl
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

DEFAULTS = {"match_types": ["latex", "expr"], "precision": 6, "strict": True, "allow_set_relation_comp": False}


def _parametrize(fn: ast.FunctionDef) -> tuple[list[str], list[tuple]] | None:
    for deco in fn.decorator_list:
        if isinstance(deco, ast.Call) and getattr(deco.func, "attr", "") == "parametrize":
            names = [n.strip() for n in ast.literal_eval(deco.args[0]).split(",")]
            rows = []
            for element in deco.args[1].elts:
                try:
                    rows.append(ast.literal_eval(element))
                except ValueError:  # f-strings, config objects: not plain data, left out
                    print(f"skipped a non-literal case (not plain data) in {fn.name}", file=sys.stderr)
            return names, rows
    return None


def _config(fn: ast.FunctionDef) -> dict | None:
    """The Math-Verify configuration the test body uses, or None when it does not compare two
    strings (unit tests of internals)."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "compare_strings":
            config = dict(DEFAULTS)
            for kw in node.keywords:
                config[kw.arg] = kw.value.id if isinstance(kw.value, ast.Name) else ast.literal_eval(kw.value)
            return config
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "verify":
            return dict(DEFAULTS)  # verify(parse(gold), parse(pred)): library defaults
    return None


def cases(repo: Path):
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    for path in sorted((repo / "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text())
        for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
            spec, config = _parametrize(fn), _config(fn)
            if spec is None or config is None:
                continue
            names, rows = spec
            for index, row in enumerate(rows):
                values = dict(zip(names, row))
                case = {k: (values[v] if isinstance(v, str) and v in values else v) for k, v in config.items()}
                yield {
                    "source": f"huggingface/Math-Verify@{commit[:12]}:tests/{path.name}::{fn.name}[{index}]",
                    "gold": values["gold"], "pred": values["pred"],
                    "expected": int(values.get("expected", values.get("result"))),
                    **case,
                }


if __name__ == "__main__":
    for case in cases(Path(sys.argv[1])):
        print(json.dumps(case, ensure_ascii=False))
