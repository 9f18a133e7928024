"""Row converters for NVIDIA's Nemotron-Cascade RL datasets (fields: docs/adapters.md).

- `nvidia/Nemotron-Cascade-RL-Math`: `problem`, `answer`, `source`  -> domain `math`
- `nvidia/Nemotron-Cascade-RL-Instruction-Following`: `prompt`, `instruction_id_list`, `kwargs`
  -> domain `ifeval` (or `if_rm` for the thinking model's IF + RM reward)
- `nvidia/Nemotron-Cascade-RL-RLHF`: `prompt`, `category`, `data_source` -> domain `rm`
- `nvidia/Nemotron-Cascade-RL-SWE`: `prompt`, `golden_patch`, `relevant_file_contents`,
  `instance_id`, `source` (and `problem_statement` where a row has one) -> domain `swe`
"""

from __future__ import annotations

from typing import Any

from adapters.openrlhf.convert.chat import Mode, maybe_json, messages, row, text, with_mode, without_mode
from adapters.openrlhf.convert.rows import Reject

MATH_INSTRUCTION = "\n\nPlease reason step by step, and put your final answer within \\boxed{}."


def math_problem(record: dict[str, Any], index: int, *, mode: Mode, instruction: str = MATH_INSTRUCTION) -> dict[str, Any]:
    problem = text(record, "problem")
    answer = record.get("answer")
    if isinstance(answer, bool) or not isinstance(answer, (str, int, float)) or not str(answer).strip():
        raise Reject("answer missing or empty")
    chat = with_mode(messages(problem, "problem"), mode, index, instruction)
    return row(chat, {"domain": "math", "answer": str(answer).strip()}, record.get("source"))


def instruction_following(record: dict[str, Any], index: int, *, mode: Mode,
                          group_size: int | None = None) -> dict[str, Any]:
    """`group_size` set -> the combined IF + RM reward (`if_rm`), which normalises RM scores per group."""
    ids = maybe_json(record.get("instruction_id_list"), "instruction_id_list")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
        raise Reject("instruction_id_list missing, empty or not a list of ids")
    raw_kwargs = maybe_json(record.get("kwargs"), "kwargs")
    if raw_kwargs is None:
        raw_kwargs = [{} for _ in ids]
    if not isinstance(raw_kwargs, list) or len(raw_kwargs) != len(ids):
        raise Reject(f"kwargs must be a list with one entry per instruction ({len(ids)})")
    kwargs = []
    for i, entry in enumerate(raw_kwargs):
        entry = maybe_json(entry, f"kwargs[{i}]")
        if entry is None:
            entry = {}
        if not isinstance(entry, dict):
            raise Reject(f"kwargs[{i}] is not an object")
        # Arrow exports fill every kwarg name of the dataset into every entry, as null.
        kwargs.append({k: v for k, v in entry.items() if v is not None})
    chat = messages(record.get("prompt"))
    label: dict[str, Any] = {"domain": "ifeval", "instruction_id_list": ids, "kwargs": kwargs}
    if group_size is not None:  # the reward model half reads the conversation, as for `rm`
        label.update(domain="if_rm", group_size=group_size, messages=without_mode(chat))
    return row(with_mode(chat, mode, index), label, record.get("source") or "instruction_following")


def rlhf_prompt(record: dict[str, Any], index: int, *, mode: Mode) -> dict[str, Any]:
    """The label carries the conversation (`messages`, without the mode flag): through OpenRLHF
    the service only sees the chat-templated prompt, which the reward model must not read as a
    user message."""
    chat = messages(record.get("prompt"))
    label = {"domain": "rm", "messages": without_mode(chat)}
    return row(with_mode(chat, mode, index), label, record.get("data_source") or record.get("category"))


_PATCH_MARKERS = ("@@", "<<<<<<< SEARCH")


def swe_task(record: dict[str, Any], index: int, *, mode: Mode, max_prompt_chars: int | None = None) -> dict[str, Any]:
    """`max_prompt_chars`: drop prompts OpenRLHF would left-truncate (cutting off the issue text)."""
    patch = text(record, "golden_patch")
    if not any(marker in patch for marker in _PATCH_MARKERS):
        raise Reject("golden_patch is neither a unified diff nor SEARCH/REPLACE edits")
    chat = messages(record.get("prompt"))
    length = sum(len(turn["content"]) for turn in chat)
    if max_prompt_chars is not None and length > max_prompt_chars:
        raise Reject(f"prompt longer than --max-prompt-chars: {length} > {max_prompt_chars}")
    label: dict[str, Any] = {"domain": "swe", "golden_patch": patch}
    files = maybe_json(record.get("relevant_file_contents"), "relevant_file_contents")
    if files:
        label["relevant_file_contents"] = files
    if record.get("instance_id"):
        label["instance_id"] = str(record["instance_id"])
    if isinstance(record.get("problem_statement"), str):  # shown to the SWE judge when present
        label["issue"] = record["problem_statement"]
    return row(with_mode(chat, mode, index), label, record.get("source"))
