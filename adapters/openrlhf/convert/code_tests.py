"""Row converter for competitive-coding problems with unit tests -> domain `code`.

Accepted row shapes:
- NeMo-Gym (`nvidia/Nemotron-RL-coding-competitive_coding`): `responses_create_params.input`
  (chat messages) and `verifier_metadata.unit_tests.{inputs, outputs}`;
- flat rows: the problem in `problem` / `question` / `prompt`, the tests in `unit_tests` / `tests`
  / `input_output` (TACO/APPS, often a JSON string), `{"inputs", "outputs", "fn_name"?}`.
"""

from __future__ import annotations

from typing import Any

from adapters.openrlhf.convert.chat import Mode, maybe_json, messages, row, with_mode
from adapters.openrlhf.convert.rows import Reject

CODE_INSTRUCTION = "\n\nWrite the complete solution in Python and put it in a single ```python code block."
_PROMPT_FIELDS = ("problem", "question", "prompt")
_TEST_FIELDS = ("unit_tests", "tests", "input_output")


def _prompt(record: dict[str, Any]) -> list[dict[str, str]]:
    gym = record.get("responses_create_params")
    if isinstance(gym, dict):
        return messages(gym.get("input"), "responses_create_params.input")
    for field in _PROMPT_FIELDS:
        if record.get(field):
            return messages(record[field], field)
    raise Reject(f"no problem statement (looked for responses_create_params.input, {', '.join(_PROMPT_FIELDS)})")


def _tests(record: dict[str, Any]) -> dict[str, Any]:
    meta = record.get("verifier_metadata")
    if isinstance(meta, dict):
        tests, field = maybe_json(meta.get("unit_tests"), "verifier_metadata.unit_tests"), "verifier_metadata.unit_tests"
    else:
        field = next((f for f in _TEST_FIELDS if record.get(f)), None)
        if field is None:
            raise Reject(f"no unit tests (looked for verifier_metadata.unit_tests, {', '.join(_TEST_FIELDS)})")
        tests = maybe_json(record[field], field)
    if not isinstance(tests, dict):
        raise Reject(f"{field} is not an object with inputs and outputs")
    inputs, outputs = tests.get("inputs"), tests.get("outputs")
    if not isinstance(inputs, list) or not isinstance(outputs, list) or not inputs:
        raise Reject(f"{field} needs non-empty lists inputs and outputs")
    if len(inputs) != len(outputs):
        raise Reject(f"{field} has {len(inputs)} inputs but {len(outputs)} outputs")
    fn_name = tests.get("fn_name")
    if fn_name:
        return {"fn_name": str(fn_name), "inputs": inputs, "outputs": outputs}
    if not all(isinstance(v, str) for v in [*inputs, *outputs]):
        raise Reject(f"{field} stdin/stdout tests must be strings")
    return {"inputs": inputs, "outputs": outputs}


def code_problem(record: dict[str, Any], index: int, *, mode: Mode, instruction: str = CODE_INSTRUCTION,
         time_limit_s: float | None = None, memory_mb: int | None = None) -> dict[str, Any]:
    tests = _tests(record)
    label: dict[str, Any] = {"domain": "code", "tests": tests, "language": "python"}
    if time_limit_s is not None:
        label["time_limit_s"] = time_limit_s
    if memory_mb is not None:
        label["memory_mb"] = memory_mb
    chat = with_mode(_prompt(record), mode, index, instruction)
    return row(chat, label, record.get("dataset") or record.get("source"))
