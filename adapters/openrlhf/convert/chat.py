"""Prompt handling shared by the converters: chat messages, thinking-mode flags, the output row."""

from __future__ import annotations

import json
from typing import Any, Literal

from adapters.openrlhf.convert.rows import Reject

Mode = Literal["keep", "think", "no_think", "both"]
MODES: tuple[str, ...] = ("keep", "think", "no_think", "both")
_FLAGS = ("/no_think", "/think")


def messages(prompt: Any, field: str = "prompt") -> list[dict[str, str]]:
    """The prompt as chat messages: a string becomes one user turn; the last turn must be the user's."""
    if isinstance(prompt, str):
        prompt = [{"role": "user", "content": prompt}]
    if not isinstance(prompt, list) or not prompt:
        raise Reject(f"{field} missing or empty")
    chat = []
    for turn in prompt:
        if not isinstance(turn, dict) or not isinstance(turn.get("role"), str) or not isinstance(turn.get("content"), str):
            raise Reject(f"{field} has a turn that is not {{role, content}} text")
        chat.append({"role": turn["role"], "content": turn["content"]})
    if chat[-1]["role"] != "user" or not chat[-1]["content"].strip():
        raise Reject(f"{field} does not end with a non-empty user turn")
    return chat


def without_mode(chat: list[dict[str, str]]) -> list[dict[str, str]]:
    """The conversation with any trailing /think or /no_think flag removed from the last user turn."""
    content = chat[-1]["content"].rstrip()
    for flag in _FLAGS:
        if content.endswith(flag):
            content = content[: -len(flag)].rstrip()
    return [*chat[:-1], {"role": chat[-1]["role"], "content": content}]


def with_mode(chat: list[dict[str, str]], mode: Mode, index: int, suffix: str = "") -> list[dict[str, str]]:
    """Append `suffix` and the Nemotron-Cascade mode flag to the last user turn.

    The flag goes at the end of the user turn, not in the system prompt (the paper's chat
    template), so the mode can differ per prompt. `both` alternates think / no_think by row, which
    gives the RLHF stage its half-and-half batches once OpenRLHF shuffles the prompts.
    """
    if mode == "both":
        mode = "think" if index % 2 == 0 else "no_think"
    content = (chat if mode == "keep" else without_mode(chat))[-1]["content"].rstrip()
    content += suffix
    if mode != "keep":
        content += f" /{mode}"
    return [*chat[:-1], {"role": "user", "content": content}]


def row(chat: list[dict[str, str]], label: dict[str, Any], datasource: Any) -> dict[str, Any]:
    return {"input": chat, "label": json.dumps(label, ensure_ascii=False),
            "datasource": str(datasource) if datasource else label["domain"]}


def text(row: dict[str, Any], field: str) -> str:
    value = row.get(field)
    if not isinstance(value, str) or not value.strip():
        raise Reject(f"{field} missing or empty")
    return value


def maybe_json(value: Any, field: str) -> Any:
    """Parquet/Arrow exports often hold nested fields as JSON strings; decode those."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise Reject(f"{field} is not valid JSON: {exc}") from None
    return value
