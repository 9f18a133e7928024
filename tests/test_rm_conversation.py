"""Recovering the conversation from a templated prompt."""

from __future__ import annotations

from verifiers.domains.rm.conversation import prompt_messages


def test_chatml_prompt_becomes_messages_without_the_generation_prompt() -> None:
    prompt = ("<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi,\nthere<|im_end|>\n"
              "<|im_start|>assistant\n<think>\n")
    assert prompt_messages(prompt) == [{"role": "system", "content": "You are helpful."},
                                       {"role": "user", "content": "Hi,\nthere"}]


def test_earlier_assistant_turns_are_kept() -> None:
    prompt = ("<|im_start|>user\nA<|im_end|>\n<|im_start|>assistant\nB<|im_end|>\n<|im_start|>user\nC<|im_end|>\n"
              "<|im_start|>assistant\n")
    assert [m["content"] for m in prompt_messages(prompt)] == ["A", "B", "C"]


def test_plain_or_odd_prompts_are_one_user_turn() -> None:
    assert prompt_messages("What is 2+2?") == [{"role": "user", "content": "What is 2+2?"}]
    odd = "Intro text <|im_start|>user\nquestion<|im_end|>\n"
    assert prompt_messages(odd) == [{"role": "user", "content": odd}]
