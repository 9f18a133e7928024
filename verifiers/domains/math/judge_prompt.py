"""The math judge's shipped prompt (override with `math.judge.prompt_template`) and the question it shows.

The judge reads what math-verify cannot: answers in words, with units, intervals written as
inequalities, a decimal comma. It sees the extracted final answer, not the reasoning, so it grades
the answer and not the work, and it must answer in one word: only the first token's probabilities
are read.
"""

from __future__ import annotations

import re

from verifiers.judge import JudgePrompt

DEFAULT_TEMPLATE = """You are checking the final answer of a solution to a math problem against the reference answer.

<problem>
{question}
</problem>

<reference_answer>
{reference}
</reference_answer>

<final_answer>
{answer}
</final_answer>

Does the final answer state the same result as the reference answer? Equivalent forms count as the \
same (another notation, simplified or not, words instead of symbols, an interval written as an \
inequality, units that agree with the problem); a partial, different or hedged answer does not.
Answer with a single word: Yes or No."""

PROMPT = JudgePrompt(DEFAULT_TEMPLATE, fields=("question", "reference", "answer"), required=("reference", "answer"))

# The last user turn of the chat templates trainers render prompts with: ChatML (Qwen, Nemotron),
# Llama 3, Gemma. OpenRLHF sends only the rendered prompt.
_USER_TURNS = (
    re.compile(r"<\|im_start\|>user\s*(.*?)<\|im_end\|>", re.DOTALL),
    re.compile(r"<\|start_header_id\|>user<\|end_header_id\|>\s*(.*?)<\|eot_id\|>", re.DOTALL),
    re.compile(r"<start_of_turn>user\s*(.*?)<end_of_turn>", re.DOTALL),
)


def question_text(label_question: str | None, prompt: str | None, max_chars: int) -> str:
    """The label's `question`, else the last user turn of a chat-templated prompt, else the prompt
    itself, else nothing; cut to max_chars."""
    if label_question:
        return label_question[:max_chars]
    if not prompt:
        return ""
    for turn in _USER_TURNS:
        found = None
        for match in turn.finditer(prompt):
            found = match
        if found is not None:
            return found.group(1).strip()[:max_chars]
    return prompt.strip()[:max_chars]
