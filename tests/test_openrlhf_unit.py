"""OpenRLHF request mapping: response extraction (label decoding: tests/test_labels.py)."""

from verifiers.openrlhf import extra_log_keys, response_from_query, trailing_special_tokens
from verifiers.settings import OpenRLHFSettings

SPECIAL = trailing_special_tokens(OpenRLHFSettings().special_tokens_pattern)
PROMPT = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n"


def test_strips_the_exact_prompt_and_trailing_special_tokens():
    assert response_from_query(PROMPT + "It is \\boxed{2}.<|im_end|>", PROMPT, SPECIAL) == "It is \\boxed{2}."


def test_left_truncated_prompt():
    truncated = PROMPT[40:]
    assert response_from_query(truncated + "Two.<|im_end|><|endoftext|>", PROMPT, SPECIAL) == "Two."


def test_multi_turn_prompt_does_not_cut_at_an_earlier_assistant_header():
    prompt = PROMPT + "2<|im_end|>\n<|im_start|>user\nAnd 2+2?<|im_end|>\n<|im_start|>assistant\n"
    assert response_from_query(prompt[10:] + "4</s>", prompt, SPECIAL) == "4"


def test_without_prompt_the_query_is_the_response():
    assert response_from_query("plain <eos>", None, SPECIAL) == "plain"


def test_special_tokens_inside_the_response_are_kept():
    assert response_from_query(PROMPT + "a<|im_end|>b<|im_end|>", PROMPT, SPECIAL) == "a<|im_end|>b"


def test_extra_log_keys_are_fixed():
    keys = extra_log_keys(["math", "code"])
    assert keys[:6] == [
        "verifier_correct", "verifier_incorrect", "verifier_format_error",
        "verifier_timeout", "verifier_error", "verifier_infra_error",
    ]
    assert keys[6:] == ["domain_math", "domain_code"]
