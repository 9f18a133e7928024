"""SWE-bench-sized items for every pooled domain (math, ifeval, swe, code): a label and a response of
`size` characters each, built so that the correct verdict is known. Shared by the local
(tests/test_payloads.py) and the Ray (tests/test_ray.py) runs."""

from __future__ import annotations

import difflib
from typing import Any

SIZES = (500_000, 2_000_000)  # a large SWE-bench file (xarray's dataset.py is ~400 KB), and more
POOLED_DOMAINS = ("math", "ifeval", "swe", "code")
BIG_FILE = "pkg/big_module.py"


def filler(size: int) -> str:
    """`size` characters of prose: no comma, no box, no code fence, no `</think>`."""
    words = "the model reasons at length about the problem before it answers "
    return (words * (size // len(words) + 1))[:size]


def module(size: int) -> str:
    """A generated Python file of about `size` characters."""
    lines = [f"def handler_{i}(request):\n    return request.value + {i}\n" for i in range(size // 48 + 1)]
    return "".join(lines)


def unified_patch(path: str, before: str, after: str) -> str:
    diff = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}", n=3
    )
    return f"diff --git a/{path} b/{path}\n" + "".join(diff)


def items(size: int) -> dict[str, dict[str, Any]]:
    """One native item per pooled domain whose label and response each hold about `size` characters;
    every one of them is `correct`."""
    text = filler(size)
    source = module(size)
    middle = source.index(f"def handler_{size // 96}(")
    fixed = source[:middle] + source[middle:].replace("return request.value", "return request.value * 2", 1)
    patch = unified_patch(BIG_FILE, source, fixed)
    stdin = "\n".join(text[i : i + 1000] for i in range(0, size, 1000)) + "\n"
    return {
        "math": {
            "domain": "math",
            "response": f"<think>{text}</think>So the answer is \\boxed{{42}}.",
            "label": {"answer": "42", "solution": text},  # datasets ship the worked solution too
        },
        "ifeval": {
            "domain": "ifeval",
            "response": f"Here it is: {text}",
            "label": {"instruction_id_list": ["startend:end_checker"], "kwargs": [{"end_phrase": text}]},
        },
        "swe": {
            "domain": "swe",
            "response": f"<think>{text}</think><solution>\n{patch}</solution>",
            "label": {"golden_patch": patch, "relevant_file_contents": {BIG_FILE: source}},
        },
        "code": {
            "domain": "code",
            "response": f"{text}\n```python\nimport sys\nsys.stdout.write(sys.stdin.read())\n```",
            "label": {"tests": {"inputs": [stdin], "outputs": [stdin]}},
        },
    }
