"""Row converter for multiple-choice science questions -> domain `mcq`.

Accepted row shapes:
- GPQA (`Idavidrein/gpqa`, CSV or parquet): `Question`, `Correct Answer`, `Incorrect Answer 1..3`
  (`Record ID`, `High-level domain`). The correct answer always comes first there, so the options
  are shuffled: deterministically per row (seeded by `--seed` and the record id, else the question),
  so a re-run writes the same file and a model cannot learn a position;
- lettered rows (MMLU-Pro style): `question` / `problem` + `options` / `choices` (a list, a
  `{letter: text}` mapping or a list of one-entry mappings) + `answer` (a letter or an option's
  text), `answer_index` or `expected_answer`; the options keep their order;
- NeMo-Gym `mcqa` rows (`nvidia/Nemotron-RL-knowledge-mcqa`): `responses_create_params.input`, whose
  prompt already lists the options and says how to answer, + `options` + `expected_answer`: the
  prompt is kept as it is.

The label carries the option texts, so a response may also answer with the text of its choice.
"""

from __future__ import annotations

import random
import string
from typing import Any

from adapters.openrlhf.convert.chat import Mode, maybe_json, messages, row, with_mode
from adapters.openrlhf.convert.rows import Reject

MCQ_INSTRUCTION = "\n\nAnswer with the letter of the correct option, and put it within \\boxed{}."
_GPQA_WRONG = ("Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")
_QUESTION_FIELDS = ("question", "problem", "Question")
_OPTION_FIELDS = ("options", "choices")


def mcq_question(record: dict[str, Any], index: int, *, mode: Mode, instruction: str = MCQ_INSTRUCTION,
                 seed: int = 0) -> dict[str, Any]:
    if "Correct Answer" in record:
        options, answer = _gpqa(record, seed)
    else:
        options, answer = _lettered(record)
    gym = record.get("responses_create_params")
    if isinstance(gym, dict):
        chat = with_mode(messages(gym.get("input"), "responses_create_params.input"), mode, index)
    else:
        chat = with_mode(messages(_question(record) + "\n\n" + _listing(options)), mode, index, instruction)
    label = {"domain": "mcq", "answer": answer, "options": options}
    source = record.get("High-level domain") or record.get("src") or record.get("source") or record.get("category")
    return row(chat, label, source)


def _question(record: dict[str, Any]) -> str:
    for field in _QUESTION_FIELDS:
        value = record.get(field)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise Reject(f"question missing or empty (looked for {', '.join(_QUESTION_FIELDS)})")


def _listing(options: dict[str, str]) -> str:
    return "\n".join(f"{letter}) {text}" for letter, text in options.items())


def _texts(values: list[Any], field: str) -> list[str]:
    texts = [str(v).strip() if isinstance(v, (str, int, float)) and not isinstance(v, bool) else "" for v in values]
    if not all(texts):
        raise Reject(f"{field} has an empty or non-text option")
    if len(set(texts)) != len(texts):
        raise Reject(f"{field} has two options with the same text")
    return texts


def _gpqa(record: dict[str, Any], seed: int) -> tuple[dict[str, str], str]:
    correct, *wrong = _texts([record.get("Correct Answer"), *(record.get(f) for f in _GPQA_WRONG)], "GPQA answers")
    key = record.get("Record ID") or record.get("Question") or ""
    order = [correct, *wrong]
    random.Random(f"{seed}:{key}").shuffle(order)  # a str seed is hashed with SHA-512: stable across runs
    options = dict(zip(string.ascii_uppercase, order, strict=False))
    return options, string.ascii_uppercase[order.index(correct)]


def _lettered(record: dict[str, Any]) -> tuple[dict[str, str], str]:
    field = next((f for f in _OPTION_FIELDS if record.get(f)), None)
    if field is None:
        raise Reject(f"no options (looked for {', '.join(_OPTION_FIELDS)}, or GPQA's Correct Answer)")
    raw = maybe_json(record[field], field)
    if isinstance(raw, list) and raw and all(isinstance(o, dict) and len(o) == 1 for o in raw):
        raw = {k: v for entry in raw for k, v in entry.items()}
    if isinstance(raw, dict):
        letters = [str(k).strip().upper() for k in raw]
        values = list(raw.values())
    elif isinstance(raw, list):
        letters, values = list(string.ascii_uppercase[: len(raw)]), raw
    else:
        raise Reject(f"{field} is neither a list nor a mapping of options")
    if not 2 <= len(values) <= len(string.ascii_uppercase) or any(len(k) != 1 or not k.isalpha() for k in letters):
        raise Reject(f"{field} needs 2 to 26 options keyed by single letters")
    options = dict(zip(letters, _texts(values, field), strict=True))
    return options, _answer_letter(record, options)


def _answer_letter(record: dict[str, Any], options: dict[str, str]) -> str:
    index = record.get("answer_index")
    if isinstance(index, int) and not isinstance(index, bool):
        if not 0 <= index < len(options):
            raise Reject(f"answer_index {index} is not an option")
        return list(options)[index]
    answer = record.get("answer", record.get("expected_answer"))
    if not isinstance(answer, str) or not answer.strip():
        raise Reject("answer missing (looked for answer, answer_index, expected_answer)")
    letter = answer.strip().strip("()").upper()
    if letter in options:
        return letter
    by_text = [k for k, text in options.items() if text == answer.strip()]
    if by_text:
        return by_text[0]
    raise Reject(f"answer {answer.strip()[:40]!r} is neither an option letter nor an option's text")
