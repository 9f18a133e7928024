"""The 25 IFEval instructions with the official semantics (google-research
`instruction_following_eval/instructions.py`, identical in lm-eval `tasks/ifeval`).

Every quirk of the official checks is kept on purpose, because the reward must agree with the
benchmark: keywords are searched as *regular expressions*, bullets must match the count exactly,
`***` dividers with an empty inner paragraph fail, and a text langdetect cannot classify counts as
being in the requested language. Only argument handling differs (see `args.py`).
"""

from __future__ import annotations

import json
import re
from collections import Counter

from verifiers.domains.ifeval import text_units
from verifiers.domains.ifeval.args import Arg, integer, pattern, pattern_list, relation, text
from verifiers.domains.ifeval.spec import instruction

IFEVAL = "IFEval"
CONSTRAINED_OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")


def compare(count: int, relation_: str, threshold: int) -> bool:
    """IFEval's two relations: 'less than' is strict, 'at least' is inclusive."""
    return count < threshold if relation_ == "less than" else count >= threshold


def _language(value: object) -> str:
    code = text(strip=True)(value)
    if code not in text_units.detectable_languages():
        raise ValueError(f"{code!r} is not a language code langdetect can return")
    return code


def _letter(value: object) -> str:
    # The current official code accepts any single non-whitespace character ('#' included);
    # older copies (lm-eval 0.4.13) silently replace a non-letter with a random letter.
    if not isinstance(value, str) or len(value) != 1 or value.isspace():
        raise ValueError(f"expected a single non-whitespace character, got {value!r}")
    return value.lower()


@instruction("keywords:existence", Arg("keywords", pattern_list), source=IFEVAL)
def keyword_existence(value: str, keywords: tuple[str, ...]) -> bool:
    return all(re.search(k, value, flags=re.IGNORECASE) for k in keywords)


@instruction(
    "keywords:frequency",
    Arg("keyword", lambda v: pattern(text(strip=True)(v))),
    Arg("frequency", integer()),
    Arg("relation", relation),
    source=IFEVAL,
)
def keyword_frequency(value: str, keyword: str, frequency: int, relation: str) -> bool:
    return compare(len(re.findall(keyword, value, flags=re.IGNORECASE)), relation, frequency)


@instruction("keywords:forbidden_words", Arg("forbidden_words", pattern_list), source=IFEVAL)
def forbidden_words(value: str, forbidden_words: tuple[str, ...]) -> bool:
    return not any(re.search(r"\b" + w + r"\b", value, flags=re.IGNORECASE) for w in forbidden_words)


@instruction(
    "keywords:letter_frequency",
    Arg("letter", _letter),
    Arg("let_frequency", integer()),
    Arg("let_relation", relation),
    source=IFEVAL,
)
def letter_frequency(value: str, letter: str, let_frequency: int, let_relation: str) -> bool:
    return compare(Counter(value.lower())[letter], let_relation, let_frequency)


@instruction("language:response_language", Arg("language", _language), source=IFEVAL)
def response_language(value: str, language: str) -> bool:
    detected = text_units.detect_language(value)
    return detected is None or detected == language


@instruction(
    "length_constraints:number_sentences", Arg("num_sentences", integer()), Arg("relation", relation), source=IFEVAL
)
def number_sentences(value: str, num_sentences: int, relation: str) -> bool:
    return compare(text_units.count_sentences(value), relation, num_sentences)


def divider_paragraphs(value: str) -> list[str]:
    """Paragraphs separated by the markdown divider `***`."""
    return re.split(r"\s?\*\*\*\s?", value)


def paragraph_count(paragraphs: list[str]) -> int | None:
    """Non-blank paragraphs; None if a blank one sits between two others (an empty paragraph)."""
    last = len(paragraphs) - 1
    if any(not p.strip() for p in paragraphs[1:last]):
        return None
    return sum(1 for p in paragraphs if p.strip())


@instruction("length_constraints:number_paragraphs", Arg("num_paragraphs", integer()), source=IFEVAL)
def number_paragraphs(value: str, num_paragraphs: int) -> bool:
    return paragraph_count(divider_paragraphs(value)) == num_paragraphs


@instruction("length_constraints:number_words", Arg("num_words", integer()), Arg("relation", relation), source=IFEVAL)
def number_words(value: str, num_words: int, relation: str) -> bool:
    return compare(text_units.count_words(value), relation, num_words)


@instruction(
    "length_constraints:nth_paragraph_first_word",
    Arg("num_paragraphs", integer()),
    Arg("nth_paragraph", integer(minimum=1)),
    Arg("first_word", text()),
    source=IFEVAL,
)
def nth_paragraph_first_word(value: str, num_paragraphs: int, nth_paragraph: int, first_word: str) -> bool:
    paragraphs = value.split("\n\n")
    count = sum(1 for p in paragraphs if p.strip())
    if nth_paragraph > count:
        return False
    paragraph = paragraphs[nth_paragraph - 1].strip()
    if not paragraph:
        return False
    word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
    first = ""
    for letter in word:
        if letter in {".", ",", "?", "!", "'", '"'}:
            break
        first += letter.lower()
    return count == num_paragraphs and first == first_word.lower()


@instruction("detectable_content:number_placeholders", Arg("num_placeholders", integer()), source=IFEVAL)
def number_placeholders(value: str, num_placeholders: int) -> bool:
    return len(re.findall(r"\[.*?\]", value)) >= num_placeholders


@instruction(
    "detectable_content:postscript", Arg("postscript_marker", lambda v: pattern(text(strip=True)(v))), source=IFEVAL
)
def postscript(value: str, postscript_marker: str) -> bool:
    if postscript_marker == "P.P.S":
        regex = r"\s*p\.\s?p\.\s?s.*$"
    elif postscript_marker == "P.S.":
        regex = r"\s*p\.\s?s\..*$"
    else:
        regex = r"\s*" + postscript_marker.lower() + r".*$"
    return bool(re.findall(regex, value.lower(), flags=re.MULTILINE))


@instruction("detectable_format:number_bullet_lists", Arg("num_bullets", integer()), source=IFEVAL)
def number_bullet_lists(value: str, num_bullets: int) -> bool:
    stars = re.findall(r"^\s*\*[^\*].*$", value, flags=re.MULTILINE)
    dashes = re.findall(r"^\s*-.*$", value, flags=re.MULTILINE)
    return len(stars) + len(dashes) == num_bullets


@instruction("detectable_format:constrained_response", source=IFEVAL)
def constrained_response(value: str) -> bool:
    value = value.strip()
    return any(option in value for option in CONSTRAINED_OPTIONS)


@instruction("detectable_format:number_highlighted_sections", Arg("num_highlights", integer()), source=IFEVAL)
def number_highlighted_sections(value: str, num_highlights: int) -> bool:
    single = sum(1 for h in re.findall(r"\*[^\n\*]*\*", value) if h.strip("*").strip())
    double = sum(1 for h in re.findall(r"\*\*[^\n\*]*\*\*", value) if h[2:-2].strip())
    return single + double >= num_highlights


@instruction(
    "detectable_format:multiple_sections",
    Arg("section_spliter", lambda v: pattern(text(strip=True)(v))),
    Arg("num_sections", integer()),
    source=IFEVAL,
)
def multiple_sections(value: str, section_spliter: str, num_sections: int) -> bool:
    sections = re.split(r"\s?" + section_spliter + r"\s?\d+\s?", value)
    return len(sections) - 1 >= num_sections


@instruction("detectable_format:json_format", source=IFEVAL)
def json_format(value: str) -> bool:
    value = value.strip()
    for fence in ("```json", "```Json", "```JSON", "```"):
        value = value.removeprefix(fence)
    value = value.removesuffix("```").strip()
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


@instruction("detectable_format:title", source=IFEVAL)
def title(value: str) -> bool:
    return any(t.lstrip("<").rstrip(">").strip() for t in re.findall(r"<<[^\n]+>>", value))


@instruction("combination:two_responses", source=IFEVAL)
def two_responses(value: str) -> bool:
    parts = value.split("******")
    valid = []
    for index, part in enumerate(parts):
        if part.strip():
            valid.append(part)
        elif index not in (0, len(parts) - 1):
            return False
    return len(valid) == 2 and valid[0].strip() != valid[1].strip()


@instruction("combination:repeat_prompt", Arg("prompt_to_repeat", text()), source=IFEVAL)
def repeat_prompt(value: str, prompt_to_repeat: str) -> bool:
    return value.strip().lower().startswith(prompt_to_repeat.strip().lower())


@instruction("startend:end_checker", Arg("end_phrase", text(strip=True)), source=IFEVAL)
def end_checker(value: str, end_phrase: str) -> bool:
    return value.strip().strip('"').lower().endswith(end_phrase.lower())


@instruction("startend:quotation", source=IFEVAL)
def quotation(value: str) -> bool:
    value = value.strip()
    return len(value) > 1 and value[0] == '"' and value[-1] == '"'


@instruction(
    "change_case:capital_word_frequency",
    Arg("capital_frequency", integer()),
    Arg("capital_relation", relation),
    source=IFEVAL,
)
def capital_word_frequency(value: str, capital_frequency: int, capital_relation: str) -> bool:
    capitals = sum(1 for word in text_units.word_tokens(value) if word.isupper())
    return compare(capitals, capital_relation, capital_frequency)


@instruction("change_case:english_capital", source=IFEVAL)
def english_capital(value: str) -> bool:
    return value.isupper() and text_units.detect_language(value) in ("en", None)


@instruction("change_case:english_lowercase", source=IFEVAL)
def english_lowercase(value: str) -> bool:
    return value.islower() and text_units.detect_language(value) in ("en", None)


@instruction("punctuation:no_comma", source=IFEVAL)
def no_comma(value: str) -> bool:
    return "," not in value
