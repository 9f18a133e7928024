"""Seeded generator of IFEval-shaped (instruction ids, kwargs, response) triples.

Responses are assembled from the features the checks look at (bullets, `***` dividers, titles,
placeholders, postscripts, sections, JSON, quotes, commas, capitals, other languages, keywords),
and kwargs are drawn near the counts such responses produce, so both outcomes of every check
occur. Used by the differential test and by `benchmarks/ifeval.py`.
"""

from __future__ import annotations

import json
import random
from typing import Any

IFEVAL_IDS = (
    "keywords:existence", "keywords:frequency", "keywords:forbidden_words", "keywords:letter_frequency",
    "language:response_language", "length_constraints:number_sentences", "length_constraints:number_paragraphs",
    "length_constraints:number_words", "length_constraints:nth_paragraph_first_word",
    "detectable_content:number_placeholders", "detectable_content:postscript",
    "detectable_format:number_bullet_lists", "detectable_format:constrained_response",
    "detectable_format:number_highlighted_sections", "detectable_format:multiple_sections",
    "detectable_format:json_format", "detectable_format:title", "combination:two_responses",
    "combination:repeat_prompt", "startend:end_checker", "change_case:capital_word_frequency",
    "change_case:english_capital", "change_case:english_lowercase", "punctuation:no_comma", "startend:quotation",
)
VOCAB = ("river", "romantic", "data", "apple", "Paris", "model", "light", "city")
PROMPTS = ("Write a poem about cats.", "Describe Paris in spring.", "Explain how rivers form.")
ENDINGS = ("Any other questions?", "Is there anything else I can help with?", "Let me know if you need more.")
SENTENCES = (
    "The river winds through the old city.", "Dr. Smith arrived at 5 p.m. on Monday!",
    "Data, models, and light are all we need.", "Is this the romantic Paris you imagined?",
    "An apple a day keeps the doctor away.", "The U.S. economy grew by 2.5 percent, e.g. in Q3.",
    "We walked, talked, and laughed until dawn.", "NASA and the ESA launched a NEW probe.",
    "Mr. Brown said: \"Keep it simple.\"", "It works... mostly.",
)
FOREIGN = (
    "El río atraviesa la ciudad antigua y los niños juegan en la orilla.",
    "La rivière traverse la vieille ville et les enfants jouent sur la rive.",
    "Der Fluss fließt durch die alte Stadt und die Kinder spielen am Ufer.",
)


def _block(rng: random.Random) -> str:
    kind = rng.randrange(14)
    s = rng.choice(SENTENCES)
    return [
        lambda: s,
        lambda: " ".join(rng.sample(SENTENCES, 3)),
        lambda: "\n".join(f"{rng.choice('*-')} {rng.choice(VOCAB)} item" for _ in range(rng.randint(1, 4))),
        lambda: f"*{rng.choice(VOCAB)}* and **{rng.choice(VOCAB)}** matter.",
        lambda: "***",
        lambda: f"{rng.choice(['Section', 'SECTION'])} {rng.randint(1, 4)}\n{s}",
        lambda: f"<<{rng.choice(VOCAB).title()} Story>>",
        lambda: f"Contact [name] at [address] about [{rng.choice(VOCAB)}].",
        lambda: f"{rng.choice(['P.S.', 'P.P.S', 'p.s.'])} {s}",
        lambda: rng.choice(["My answer is yes.", "My answer is maybe.", "I think so."]),
        lambda: "******",
        lambda: rng.choice(FOREIGN),
        lambda: s.upper(),
        lambda: " ".join(rng.choice(VOCAB) for _ in range(rng.randint(3, 12))),
    ][kind]()


def response(rng: random.Random) -> str:
    shape = rng.randrange(10)
    if shape == 0:
        body: Any = {"name": rng.choice(VOCAB), "count": rng.randint(1, 9)}
        text = json.dumps(body)
        return rng.choice([text, f"```json\n{text}\n```", text[:-1]])
    if shape == 1:
        return rng.choice(FOREIGN) + " " + rng.choice(FOREIGN)
    parts = [_block(rng) for _ in range(rng.randint(1, 7))]
    sep = rng.choice(["\n", "\n\n", " ", "\n***\n"])
    text = sep.join(parts)
    if rng.random() < 0.2:
        text = rng.choice(PROMPTS) + " " + text
    if rng.random() < 0.25:
        text += " " + rng.choice(ENDINGS)
    if rng.random() < 0.15:
        text = text.lower()
    elif rng.random() < 0.1:
        text = text.upper()
    if rng.random() < 0.1:
        text = f'"{text}"'
    if rng.random() < 0.15:
        text = "Sure, here you go:\n" + text
    if rng.random() < 0.1:
        text = f"**{text}**"
    return text


def _paragraph_kwargs(rng: random.Random, text: str) -> dict[str, Any]:
    """Half the time, the true paragraph count and a true first word, so the check can pass."""
    paragraphs = [p.split() for p in text.split("\n\n") if p.strip()]
    if rng.random() < 0.5 and paragraphs:
        nth = rng.randint(1, len(paragraphs))
        word = paragraphs[nth - 1][0].strip("\"'.,?!*") or "the"
        return {"num_paragraphs": len(paragraphs), "nth_paragraph": nth, "first_word": word}
    n = rng.randint(1, 5)
    return {"num_paragraphs": n, "nth_paragraph": rng.randint(1, n), "first_word": rng.choice(["the", "data", "is"])}


def kwargs_for(instruction_id: str, rng: random.Random, text: str) -> dict[str, Any]:
    relation = rng.choice(["less than", "at least"])
    small = rng.randint(1, 5)
    return {
        "keywords:existence": lambda: {"keywords": rng.sample(VOCAB, rng.randint(1, 3))},
        "keywords:frequency": lambda: {"keyword": rng.choice(VOCAB), "frequency": small, "relation": relation},
        "keywords:forbidden_words": lambda: {"forbidden_words": rng.sample(VOCAB, rng.randint(1, 3))},
        "keywords:letter_frequency": lambda: {"letter": rng.choice("aeiostrnAE"), "let_frequency": rng.randint(1, 30),
                                              "let_relation": relation},
        "language:response_language": lambda: {"language": rng.choice(["en", "es", "fr", "de"])},
        "length_constraints:number_sentences": lambda: {"num_sentences": rng.randint(1, 12), "relation": relation},
        "length_constraints:number_paragraphs": lambda: {"num_paragraphs": small},
        "length_constraints:number_words": lambda: {"num_words": rng.randint(5, 80), "relation": relation},
        "length_constraints:nth_paragraph_first_word": lambda: _paragraph_kwargs(rng, text),
        "detectable_content:number_placeholders": lambda: {"num_placeholders": small},
        "detectable_content:postscript": lambda: {"postscript_marker": rng.choice(["P.S.", "P.P.S"])},
        "detectable_format:number_bullet_lists": lambda: {"num_bullets": small},
        "detectable_format:number_highlighted_sections": lambda: {"num_highlights": small},
        "detectable_format:multiple_sections": lambda: {"section_spliter": rng.choice(["Section", "SECTION"]),
                                                        "num_sections": small},
        "combination:repeat_prompt": lambda: {"prompt_to_repeat": rng.choice(PROMPTS)},
        "startend:end_checker": lambda: {"end_phrase": rng.choice(ENDINGS)},
        "change_case:capital_word_frequency": lambda: {"capital_frequency": small, "capital_relation": relation},
    }.get(instruction_id, dict)()


EXTENDED_KWARGS: dict[str, Any] = {
    "copy:repeat_phrase": {"phrase": "the river runs deep", "small_n": 2},
    "copy:copy": {"prompt_to_repeat": PROMPTS[0]},
    "copy:copying_simple": {"prompt_to_repeat": PROMPTS[1]},
    "copy:copying_multiple": {"prompt_to_repeat": PROMPTS[2], "N": 2},
    "new:copy_span_idx": {"prompt_to_repeat": PROMPTS[0], "n_start": 0, "n_end": 7},
    "keywords:word_once": {"keyword": "river"},
    "keywords:word_count_different_numbers": {"keyword": "data", "frequency": 2, "relation": "at least"},
    "keywords:exclude_word_harder": {"keyword": "city"},
    "first_word:first_word_sent": {"first_word": ["The"]},
    "first_word:first_word_answer": {"first_word": "Sure"},
    "last_word:last_word_sent": {"last_word": "city"},
    "last_word:last_word_answer": {"last_word": "questions"},
    "count:lowercase_counting": {"N": 20},
    "letters:letter_counting": {"N": 40, "relation": "less than"},
    "letters:letter_counting2": {"letter": "e", "let_frequency": 5, "let_relation": "at least"},
    "count:counting_composition": {"n_sent": 1, "n_words": 8},
    "count:count_increment_word": {"keyword1": "apple", "keyword2": "river"},
    "keywords:keyword_specific_position": {"keyword": "river", "n": 1, "m": 2},
    # IFBench's out-of-distribution ids
    "count:word_count_range": {"min_words": 5, "max_words": 40},
    "count:unique_word_count": {"N": 10},
    "ratio:stop_words": {"percentage": 40},
    "count:conjunctions": {"small_n": 2},
    "count:person_names": {"N": 1},
    "ratio:overlap": {"reference_text": PROMPTS[0], "percentage": 30},
    "count:numbers": {"N": 2},
    "format:options": {"options": "yes/no/maybe"},
    "count:words_japanese": {"N": 5},
    "words:repeats": {"small_n": 2},
    "sentence:keyword": {"word": "river", "N": 1},
    "count:pronouns": {"N": 3},
    "sentence:increment": {"small_n": 2},
    "format:list": {"sep": "-"},
    "count:keywords_multiple": {"keyword1": "a", "keyword2": "the", "keyword3": "river", "keyword4": "data",
                                "keyword5": "city"},
    "words:keywords_specific_position": {"keyword": "river", "n": 1, "m": 2},
    "words:words_position": {"keyword": "river"},
    "repeat:repeat_change": {"prompt_to_repeat": PROMPTS[1]},
    "repeat:repeat_span": {"prompt_to_repeat": PROMPTS[2], "n_start": 1, "n_end": 4},
}
"""kwargs for the open-instruct and IFBench ids (the others take none), as NVIDIA's rows carry them."""


def triples(n: int, seed: int = 0) -> list[tuple[list[str], list[dict[str, Any]], str]]:
    """`n` (ids, kwargs, response); item i always includes IFEVAL_IDS[i % 25], so every id is covered."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ids = [IFEVAL_IDS[i % len(IFEVAL_IDS)]]
        ids += [x for x in rng.sample(IFEVAL_IDS, rng.randint(0, 2)) if x not in ids]
        text = response(rng)
        out.append((ids, [kwargs_for(x, rng, text) for x in ids], text))
    return out
