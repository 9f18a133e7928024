"""The open-instruct IFEvalG training constraints: each id followed and not followed, per the
upstream semantics (allenai/open-instruct `open_instruct/IFEvalG/instructions.py`)."""

from __future__ import annotations

from typing import Any

import pytest

from verifiers.domains.ifeval.args import InstructionError
from verifiers.domains.ifeval.catalog import bind, follow
from verifiers.domains.ifeval.extended_checks import IFEVALG
from verifiers.domains.ifeval.spec import REGISTRY

PROMPT = "Write a haiku about rain."
CASES: list[tuple[str, dict[str, Any], str, bool]] = [
    ("copy:repeat_phrase", {"phrase": "the quick brown fox", "small_n": 2},
     "the slow brown fox and then the quick red fox", True),
    ("copy:repeat_phrase", {"phrase": "the quick brown fox", "small_n": 2},
     "the quick brown fox and the quick brown fox", False),  # no word changed
    ("copy:copy", {"prompt_to_repeat": PROMPT}, "  write a haiku about RAIN. ", True),
    ("copy:copy", {"prompt_to_repeat": PROMPT}, "Write a haiku about rain. Drops fall.", False),
    ("copy:copying_simple", {"prompt_to_repeat": PROMPT}, PROMPT, True),
    ("copy:copying_simple", {"prompt_to_repeat": PROMPT}, "Sure! " + PROMPT, False),
    ("copy:copying_multiple", {"prompt_to_repeat": PROMPT, "N": 2}, f"{PROMPT}\n******\n{PROMPT}", True),
    ("copy:copying_multiple", {"prompt_to_repeat": PROMPT, "N": 3}, f"{PROMPT}\n******\n{PROMPT}", False),
    ("new:copy_span_idx", {"prompt_to_repeat": PROMPT, "n_start": 8, "n_end": 13}, "haiku", True),
    ("new:copy_span_idx", {"prompt_to_repeat": PROMPT, "n_start": 0, "n_end": 5}, "haiku", False),
    ("detectable_format:sentence_hyphens", {}, "I am here.-You are there.", True),
    ("detectable_format:sentence_hyphens", {}, "I am here. - You are there.", False),
    ("keywords:no_adjacent_consecutive", {}, "cats eat mice", True),
    ("keywords:no_adjacent_consecutive", {}, "a big cat", False),
    ("detectable_format:square_brackets", {}, "[every] [word] [here]", True),
    ("detectable_format:square_brackets", {}, "[every] word [here]", False),
    ("keywords:word_once", {"keyword": "rain"}, "The rain falls.", True),
    ("keywords:word_once", {"keyword": "rain"}, "Rain, rain, go away.", False),
    ("keywords:word_count_different_numbers", {"keyword": "rain", "frequency": 2, "relation": "at least"},
     "Rain, rain, go away.", True),
    ("keywords:word_count_different_numbers", {"keyword": "rain", "frequency": 2, "relation": "less than"},
     "Rain, rain, go away.", False),
    ("keywords:exclude_word_harder", {"keyword": "rain", "instruction": None}, "Rain! rain.", True),
    ("keywords:exclude_word_harder", {"keyword": "rain"}, "the rain falls", False),
    ("paragraphs:paragraphs", {}, "First part.\n***\nSecond part.", True),
    ("paragraphs:paragraphs", {}, "First part.\n***\n***\nSecond part.", False),
    ("paragraphs:paragraphs2", {}, "First part.\n\nSecond part.", True),
    ("paragraphs:paragraphs2", {}, "One.\n\nTwo.\n\nThree.", False),
    ("first_word:first_word_sent", {"first_word": ["I"]}, "I am. I go. I win!", True),
    ("first_word:first_word_sent", {"first_word": "I"}, "I am. You go.", False),
    ("first_word:first_word_answer", {"first_word": "Sure"}, "sure here it is.", True),
    ("first_word:first_word_answer", {"first_word": "Sure"}, "sure, here it is.", False),  # the comma counts
    ("last_word:last_word_sent", {"last_word": "go"}, "We go. They go!", True),
    ("last_word:last_word_sent", {"last_word": "go"}, "We go. They stay!", False),
    ("last_word:last_word_answer", {"last_word": "end"}, "This is the END!", True),
    ("last_word:last_word_answer", {"last_word": "end"}, "The end is near.", False),
    ("detectable_format:bigram_wrapping", {}, "<<I am>> <<at home>>", True),
    ("detectable_format:bigram_wrapping", {}, "<<I am at>> home", False),
    ("punctuation:punctuation_dot", {}, "No dots here!", True),
    ("punctuation:punctuation_dot", {}, "A dot.", False),
    ("punctuation:punctuation_exclamation", {}, "Calm.", True),
    ("punctuation:punctuation_exclamation", {}, "Wow!", False),
    ("count:lowercase_counting", {"N": 2}, "ONLY two lowercase WORDS here", False),
    ("count:lowercase_counting", {"N": 2}, "ONLY two LOWERCASE words", True),
    ("letters:letter_counting", {"N": 5, "relation": "less than"}, "abcd 123", True),
    ("letters:letter_counting", {"N": 5, "relation": "at least"}, "abcd 123", False),
    ("letters:letter_counting2", {"letter": "a", "let_frequency": 3, "let_relation": "at least"}, "banana", True),
    ("letters:letter_counting2", {"letter": "a", "let_frequency": 3, "let_relation": "less than"}, "banana", False),
    ("count:counting_composition", {"n_sent": 1, "n_words": 4},
     "I am here. *** You are there. *** We are everywhere.", True),  # the full stop is a token
    ("count:counting_composition", {"n_sent": 1, "n_words": 3},
     "I am here. *** You are there. *** We are everywhere.", False),
    ("count:count_unique", {}, "every word differs", True),
    ("count:count_unique", {}, "the cat and the dog", False),
    ("count:count_increment_word", {"keyword1": "sun", "keyword2": "rain"}, "Sun, rain, more rain.", True),
    ("count:count_increment_word", {"keyword1": "sun", "keyword2": "rain"}, "Sun and rain.", False),
    ("keywords:palindrome", {}, "Look at that racecar go", True),
    ("keywords:palindrome", {}, "No such word here", False),
    ("keywords:keyword_specific_position", {"keyword": "cat", "n": 2, "m": 2}, "Hello there. A cat sat.", True),
    ("keywords:keyword_specific_position", {"keyword": ["cat"], "n": 1, "m": 2}, "Hello there. A cat sat.", False),
    ("keywords:start_end", {}, "Hello world, I say hello", True),
    ("keywords:start_end", {}, "Hello world.", False),
]


@pytest.mark.parametrize(("instruction_id", "kwargs", "response", "expected"), CASES)
def test_extended_instruction(instruction_id: str, kwargs: dict[str, Any], response: str, expected: bool) -> None:
    assert follow([bind(instruction_id, kwargs)], response, "strict") == [expected]


def test_every_extended_id_has_both_outcomes() -> None:
    extended = {i for i, spec in REGISTRY.items() if spec.source == IFEVALG}
    assert len(extended) == 29
    outcomes = {(i, e) for i, _, _, e in CASES}
    assert {i for i in extended if (i, True) in outcomes and (i, False) in outcomes} == extended


@pytest.mark.parametrize(("instruction_id", "kwargs", "argument"), [
    ("copy:copying_multiple", {"prompt_to_repeat": PROMPT}, "N"),
    ("keywords:keyword_specific_position", {"keyword": "x", "n": 0, "m": 1}, "n"),
    ("letters:letter_counting", {"N": 3, "relation": "exactly"}, "relation"),
    ("first_word:first_word_sent", {"first_word": []}, "first_word"),
])
def test_extended_label_errors(instruction_id: str, kwargs: dict[str, Any], argument: str) -> None:
    with pytest.raises(InstructionError) as err:
        bind(instruction_id, kwargs)
    assert err.value.argument == argument
