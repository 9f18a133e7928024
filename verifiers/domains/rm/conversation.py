"""The conversation a reward model scores, recovered from what the trainer sent.

OpenRLHF sends the policy's prompt already chat-templated. Wrapping that string in another user
turn would show the reward model template tokens as text, so a ChatML prompt (the Qwen family,
Nemotron-Cascade's policies) is parsed back into messages; the open assistant turn at its end
(the generation prompt, possibly with an opened `<think>`) is dropped, since the response is
appended as the assistant turn. Any other prompt is taken as the user's message verbatim.
"""

from __future__ import annotations

import re

from verifiers.domains.rm.backend import Conversation

_TURN = re.compile(r"<\|im_start\|>([a-z_]+)\n(.*?)(?:<\|im_end\|>\s*|\Z)", re.DOTALL)


def prompt_messages(prompt: str) -> Conversation:
    """The messages before the response: parsed ChatML turns, or the prompt as one user turn."""
    if "<|im_start|>" not in prompt:
        return [{"role": "user", "content": prompt}]
    head = prompt[: prompt.index("<|im_start|>")].strip()
    turns = [{"role": m.group(1), "content": m.group(2)} for m in _TURN.finditer(prompt)]
    if turns and turns[-1]["role"] == "assistant" and not prompt.rstrip().endswith("<|im_end|>"):
        turns.pop()  # the generation prompt: the response is this turn
    if head or not turns:
        return [{"role": "user", "content": prompt}]
    return turns
