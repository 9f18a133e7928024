"""The mcq label: the correct letter, and optionally the options' texts (or just their number)."""

from __future__ import annotations

import json
import string
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

LETTERS = string.ascii_uppercase
DEFAULT_OPTIONS = 4  # GPQA's; a label with more options says so (`options` or `num_options`)


class McqLabel(BaseModel):
    """`{"answer": "B", "options"?: [...] | {"A": ...}, "num_options"?: int}`; a bare letter is the answer.

    `options` maps letters to option texts, as a mapping, a list (lettered A, B, ... in order) or
    NeMo-Gym's list of one-entry mappings (`[{"A": "..."}, {"B": "..."}]`), possibly JSON-encoded.
    With texts, a response may answer with an option's text. The valid letters are the options'
    (or the first `num_options`, default 4); `answer` must be one of them.
    """

    model_config = ConfigDict(extra="ignore")

    options: dict[str, str] | None = None
    num_options: int | None = Field(None, ge=2, le=len(LETTERS))
    answer: str

    @model_validator(mode="before")
    @classmethod
    def _bare_letter(cls, value: Any) -> Any:
        return {"answer": value} if isinstance(value, str) else value

    @field_validator("options", mode="before")
    @classmethod
    def _lettered(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = json.loads(value)
        if isinstance(value, list) and value and all(isinstance(v, dict) and len(v) == 1 for v in value):
            value = {k: v for entry in value for k, v in entry.items()}
        elif isinstance(value, list):
            if len(value) > len(LETTERS):
                raise ValueError(f"at most {len(LETTERS)} options")
            value = dict(zip(LETTERS, value, strict=False))
        if isinstance(value, dict):
            letters = [str(k).strip().upper() for k in value]
            if not all(len(k) == 1 and k in LETTERS for k in letters) or len(set(letters)) != len(letters):
                raise ValueError(f"option keys must be distinct letters A-Z, got {sorted(map(str, value))}")
            if len(value) < 2:
                raise ValueError("at least 2 options")
            value = {k: str(v) for k, v in zip(letters, value.values(), strict=True)}
        return value

    @field_validator("num_options")
    @classmethod
    def _agrees_with_options(cls, value: int | None, info: ValidationInfo) -> int | None:
        options = info.data.get("options")
        if value is not None and options is not None and value != len(options):
            raise ValueError(f"num_options is {value} but there are {len(options)} options")
        return value

    @field_validator("answer")
    @classmethod
    def _valid_letter(cls, value: str, info: ValidationInfo) -> str:
        letter = value.strip().strip("()").strip().upper()
        valid = _letters(info.data.get("options"), info.data.get("num_options"))
        if letter not in valid:
            raise ValueError(
                f"{value!r} is not one of the options {_span(valid)} (set options or num_options for more than 4)"
            )
        return letter

    @property
    def letters(self) -> tuple[str, ...]:
        return _letters(self.options, self.num_options)


def _letters(options: dict[str, str] | None, num_options: int | None) -> tuple[str, ...]:
    if options:
        return tuple(options)
    return tuple(LETTERS[: num_options or DEFAULT_OPTIONS])


def _span(letters: tuple[str, ...]) -> str:
    """A-D for consecutive letters from A, else the list."""
    if "".join(letters) == LETTERS[: len(letters)]:
        return f"{letters[0]}-{letters[-1]}"
    return ", ".join(letters)
