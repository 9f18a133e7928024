"""The training constraints NVIDIA's IF-RL data adds to IFEval: open-instruct's `IFEvalG`
(the IF-RLVR training set, also packaged as `verifiable-instructions`, which NeMo Gym runs).

Semantics follow allenai/open-instruct `open_instruct/IFEvalG/instructions.py` (commit 42c6d0d),
quirks included: keywords are regexes; sentences come from the rule-based splitter
(`text_units.rule_sentences`), words from `str.split` or `nltk.word_tokenize` as there.
"""

from __future__ import annotations

import itertools
import re

from verifiers.domains.ifeval import text_units
from verifiers.domains.ifeval.args import Arg, integer, pattern, relation, text
from verifiers.domains.ifeval.ifeval_checks import compare, divider_paragraphs, letter_frequency, paragraph_count
from verifiers.domains.ifeval.spec import REGISTRY, instruction

IFEVALG = "open-instruct IFEvalG"
_keyword = pattern


def _stripped(value: object) -> str:
    return text(strip=True)(value)


def _word_or_first(value: object) -> str:
    """A word, or a list whose first item is the word (the dataset stores both)."""
    if isinstance(value, list) and value:
        value = value[0]
    return _stripped(value)


def _same_lower(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


@instruction("copy:repeat_phrase", Arg("phrase", _stripped), Arg("small_n", integer(minimum=1)), source=IFEVALG)
def repeat_phrase(value: str, phrase: str, small_n: int) -> bool:
    reference = phrase.split()
    found = re.findall(rf"{reference[0]} .*? {reference[-1]}", value)
    if len(found) != small_n:
        return False
    differences = 0
    for candidate in (f.split() for f in found):
        if len(candidate) != len(reference):
            return False
        differences = sum(a != b for a, b in zip(candidate, reference, strict=True))
        if differences > 1:
            return False
    return differences == 1  # the last copy decides, as upstream


@instruction("copy:copy", Arg("prompt_to_repeat", text()), source=IFEVALG)
def copy(value: str, prompt_to_repeat: str) -> bool:
    return _same_lower(value, prompt_to_repeat)


@instruction("copy:copying_simple", Arg("prompt_to_repeat", text()), source=IFEVALG)
def copying_simple(value: str, prompt_to_repeat: str) -> bool:
    return _same_lower(value, prompt_to_repeat)


@instruction("copy:copying_multiple", Arg("prompt_to_repeat", text()), Arg("N", integer(minimum=1)), source=IFEVALG)
def copying_multiple(value: str, prompt_to_repeat: str, N: int) -> bool:  # noqa: N803 - the dataset's name
    copies = value.split("******")
    return len(copies) == N and all(_same_lower(c, prompt_to_repeat) for c in copies)


@instruction(
    "new:copy_span_idx",
    Arg("prompt_to_repeat", text()),
    Arg("n_start", integer()),
    Arg("n_end", integer()),
    source=IFEVALG,
)
def copy_span_idx(value: str, prompt_to_repeat: str, n_start: int, n_end: int) -> bool:
    return _same_lower(value, prompt_to_repeat[n_start:n_end])


@instruction("detectable_format:sentence_hyphens", source=IFEVALG)
def sentence_hyphens(value: str) -> bool:
    expected = text_units.rule_sentences(value.replace("-", " "))
    return all(part.strip() == part and part == gold for part, gold in zip(value.split("-"), expected, strict=False))


@instruction("keywords:no_adjacent_consecutive", source=IFEVALG)
def no_adjacent_consecutive(value: str) -> bool:
    initials = [w[0].lower() for w in value.split()]
    return not any(ord(b) - ord(a) == 1 for a, b in itertools.pairwise(initials))


@instruction("detectable_format:square_brackets", source=IFEVALG)
def square_brackets(value: str) -> bool:
    return all(w.startswith("[") and w.endswith("]") for w in value.split())


@instruction("keywords:word_once", Arg("keyword", lambda v: _keyword(_stripped(v))), source=IFEVALG)
def word_once(value: str, keyword: str) -> bool:
    return len(re.findall(keyword, value, flags=re.IGNORECASE)) == 1


@instruction(
    "keywords:word_count_different_numbers",
    Arg("keyword", lambda v: _keyword(_stripped(v))),
    Arg("frequency", integer()),
    Arg("relation", relation),
    source=IFEVALG,
)
def word_count_different_numbers(value: str, keyword: str, frequency: int, relation: str) -> bool:
    return compare(len(re.findall(keyword, value, flags=re.IGNORECASE)), relation, frequency)


@instruction(
    "keywords:exclude_word_harder",
    Arg("keyword", _stripped),
    Arg("instruction", text(allow_empty=True), required=False),
    source=IFEVALG,
)
def exclude_word_harder(value: str, keyword: str, instruction: str | None) -> bool:
    # `instruction` only seeds a random keyword upstream when `keyword` is missing; unused here.
    return f" {keyword} " not in value


@instruction("paragraphs:paragraphs", source=IFEVALG)
def paragraphs(value: str) -> bool:
    return paragraph_count(divider_paragraphs(value)) == 2


@instruction("paragraphs:paragraphs2", source=IFEVALG)
def paragraphs2(value: str) -> bool:
    return paragraph_count(value.split("\n\n")) == 2


@instruction("first_word:first_word_sent", Arg("first_word", _word_or_first), source=IFEVALG)
def first_word_sent(value: str, first_word: str) -> bool:
    return all(s.strip() and s.split()[0].lower() == first_word.lower() for s in text_units.rule_sentences(value))


@instruction("first_word:first_word_answer", Arg("first_word", _stripped), source=IFEVALG)
def first_word_answer(value: str, first_word: str) -> bool:
    words = value.split()
    return bool(words) and words[0].lower() == first_word.lower()


def _last_word(chunk: str) -> str:
    return re.sub(r"[^\w\s]", "", chunk.split()[-1]).lower()


@instruction("last_word:last_word_sent", Arg("last_word", _word_or_first), source=IFEVALG)
def last_word_sent(value: str, last_word: str) -> bool:
    return all(s.strip() and _last_word(s) == last_word.lower() for s in text_units.rule_sentences(value))


@instruction("last_word:last_word_answer", Arg("last_word", _stripped), source=IFEVALG)
def last_word_answer(value: str, last_word: str) -> bool:
    return bool(value.split()) and _last_word(value) == last_word.lower()


@instruction("detectable_format:bigram_wrapping", source=IFEVALG)
def bigram_wrapping(value: str) -> bool:
    words = value.split()
    return all(words[i].startswith("<<") and words[i + 1].endswith(">>") for i in range(0, len(words) - 1, 2))


@instruction("punctuation:punctuation_dot", source=IFEVALG)
def punctuation_dot(value: str) -> bool:
    return "." not in value


@instruction("punctuation:punctuation_exclamation", source=IFEVALG)
def punctuation_exclamation(value: str) -> bool:
    return "!" not in value


@instruction("count:lowercase_counting", Arg("N", integer()), source=IFEVALG)
def lowercase_counting(value: str, N: int) -> bool:  # noqa: N803 - the dataset's name
    return len(re.findall(r"\b[a-z]+\b", value)) <= N


@instruction("letters:letter_counting", Arg("N", integer()), Arg("relation", relation), source=IFEVALG)
def letter_counting(value: str, N: int, relation: str) -> bool:  # noqa: N803 - the dataset's name
    return compare(len(re.findall(r"[a-zA-Z]", value)), relation, N)


# Upstream registers IFEval's letter-frequency checker a second time under this id.
instruction("letters:letter_counting2", *REGISTRY["keywords:letter_frequency"].signature.args, source=IFEVALG)(
    letter_frequency
)


@instruction(
    "count:counting_composition", Arg("n_sent", integer(minimum=1)), Arg("n_words", integer(minimum=1)), source=IFEVALG
)
def counting_composition(value: str, n_sent: int, n_words: int) -> bool:
    blocks = divider_paragraphs(value)
    if paragraph_count(blocks) != 3:
        return False
    # Every block is checked, blank edge blocks included (they have no sentences, so they fail).
    for block in blocks:
        sentences = text_units.rule_sentences(block)
        if len(sentences) != n_sent or any(len(text_units.word_tokens(s)) != n_words for s in sentences):
            return False
    return True


@instruction("count:count_unique", source=IFEVALG)
def count_unique(value: str) -> bool:
    words = text_units.word_tokens(value)
    return len(words) == len(set(words))


@instruction(
    "count:count_increment_word",
    Arg("keyword1", lambda v: _keyword(_stripped(v))),
    Arg("keyword2", lambda v: _keyword(_stripped(v))),
    source=IFEVALG,
)
def count_increment_word(value: str, keyword1: str, keyword2: str) -> bool:
    once = len(re.findall(keyword1, value, flags=re.IGNORECASE))
    twice = len(re.findall(keyword2, value, flags=re.IGNORECASE))
    return once == 1 and twice == 2


@instruction("keywords:palindrome", source=IFEVALG)
def palindrome(value: str) -> bool:
    return any(w == w[::-1] for w in value.split())


@instruction(
    "keywords:keyword_specific_position",
    Arg("keyword", _word_or_first),
    Arg("n", integer(minimum=1)),
    Arg("m", integer(minimum=1)),
    source=IFEVALG,
)
def keyword_specific_position(value: str, keyword: str, n: int, m: int) -> bool:
    sentences = text_units.rule_sentences(value)
    if len(sentences) < n:
        return False
    words = text_units.word_tokens(sentences[n - 1])
    return len(words) >= m and words[m - 1] == keyword


@instruction("keywords:start_end", source=IFEVALG)
def start_end(value: str) -> bool:
    words = text_units.word_tokens(value)
    return len(words) >= 2 and words[0].lower() == words[-1].lower()
