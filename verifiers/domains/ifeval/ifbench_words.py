"""IFBench's out-of-distribution constraints on counts, ratios, words and sentences
(`count:*`, `ratio:*`, `words:*`, `sentence:*`).

Semantics follow allenai/IFBench `ifbench/instructions.py` (commit db69a6f), quirks included,
because the reward must agree with the benchmark: "words" are sometimes `str.split` tokens,
sometimes `\\w+` runs, sometimes NLTK tokens, exactly as each upstream check counts them;
punctuation means ASCII `string.punctuation`; sentences are NLTK Punkt sentences.
`words:start_verb` needs NLTK's perceptron POS tagger, which is not available offline; it is
listed in `UNSUPPORTED` with that reason.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from itertools import pairwise

import syllapy

from verifiers.domains.ifeval import text_units
from verifiers.domains.ifeval.args import Arg, integer, text
from verifiers.domains.ifeval.spec import UNSUPPORTED, instruction
from verifiers.domains.ifeval.stopwords import ENGLISH

IFBENCH = "IFBench"

UNSUPPORTED["words:start_verb"] = (
    "needs NLTK's averaged_perceptron_tagger_eng POS model, which is only available through "
    "nltk.download (network) and ships in no package we can install; see docs/domains/ifeval.md"
)

_CONJUNCTIONS = frozenset({"and", "but", "for", "nor", "or", "so", "yet"})
_PERSON_NAMES = (
    "Emma",
    "Liam",
    "Sophia",
    "Jackson",
    "Olivia",
    "Noah",
    "Ava",
    "Lucas",
    "Isabella",
    "Mason",
    "Mia",
    "Ethan",
    "Charlotte",
    "Alexander",
    "Amelia",
    "Benjamin",
    "Harper",
    "Leo",
    "Zoe",
    "Daniel",
    "Chloe",
    "Samuel",
    "Lily",
    "Matthew",
    "Grace",
    "Owen",
    "Abigail",
    "Gabriel",
    "Ella",
    "Jacob",
    "Scarlett",
    "Nathan",
    "Victoria",
    "Elijah",
    "Layla",
    "Nicholas",
    "Audrey",
    "David",
    "Hannah",
    "Christopher",
    "Penelope",
    "Thomas",
    "Nora",
    "Andrew",
    "Aria",
    "Joseph",
    "Claire",
    "Ryan",
    "Stella",
    "Jonathan",
)
_PRONOUN_WORDS = (
    "i me we us you he him she her it they them my mine our ours your yours his hers its their theirs myself "
    "ourselves yourself yourselves himself herself itself themselves this that these those who whom whose "
    "which what whoever whomever whatever whichever anybody anyone anything everybody everyone everything "
    "nobody nothing somebody someone something each either neither both all some any none"
)
_PRONOUNS = frozenset(_PRONOUN_WORDS.split())
_CONSONANTS = frozenset("bcdfghjklmnpqrstvwxyz")
_PRIMES = frozenset(n for n in range(2, 100) if all(n % d for d in range(2, n)))  # upstream lists those < 100
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")  # Hiragana, Katakana, CJK ideographs


def _stripped(value: object) -> str:
    return text(strip=True)(value)


def _split_words(value: str) -> list[str]:
    """Whitespace words with ASCII punctuation removed first."""
    return text_units.drop_punctuation(value).split()


@instruction("count:word_count_range", Arg("min_words", integer()), Arg("max_words", integer()), source=IFBENCH)
def word_count_range(value: str, min_words: int, max_words: int) -> bool:
    return min_words <= text_units.count_words(value) <= max_words


@instruction("count:unique_word_count", Arg("N", integer()), source=IFBENCH)
def unique_word_count(value: str, N: int) -> bool:  # noqa: N803 - the dataset's name
    return len({text_units.strip_punctuation(w) for w in value.lower().split()}) >= N


@instruction("ratio:stop_words", Arg("percentage", integer()), source=IFBENCH)
def stop_words(value: str, percentage: int) -> bool:
    words = text_units.word_runs(value)
    if not words:
        return False
    stop = sum(w.lower() in ENGLISH for w in words)
    return (stop / len(words)) * 100 <= percentage


def _endings(value: str) -> Counter[str]:
    """How many Punkt sentences end with each character."""
    return Counter(s[-1] for s in text_units.sentences(value) if s)


@instruction("ratio:sentence_type", source=IFBENCH)
def sentence_type(value: str) -> bool:
    endings = _endings(value)
    return endings["."] == 2 * endings["?"]


@instruction("ratio:sentence_balance", source=IFBENCH)
def sentence_balance(value: str) -> bool:
    endings = _endings(value)
    return endings["."] == endings["?"] == endings["!"]


@instruction("count:conjunctions", Arg("small_n", integer()), source=IFBENCH)
def conjunctions(value: str, small_n: int) -> bool:
    # Upstream counts distinct *raw* words, so "and" and "and," are two conjunctions.
    used = {w for w in value.split() if text_units.strip_punctuation(w).lower() in _CONJUNCTIONS}
    return len(used) >= small_n


@instruction("count:person_names", Arg("N", integer()), source=IFBENCH)
def person_names(value: str, N: int) -> bool:  # noqa: N803 - the dataset's name
    found = sum(bool(re.search(rf"\b{re.escape(name)}\b", value)) for name in _PERSON_NAMES)
    return found >= N


def _char_trigrams(value: str) -> set[str]:
    return {value[i : i + 3] for i in range(len(value) - 2)}


@instruction("ratio:overlap", Arg("reference_text", text()), Arg("percentage", integer()), source=IFBENCH)
def overlap(value: str, reference_text: str, percentage: int) -> bool:
    # Character trigrams: upstream runs nltk.ngrams over the strings themselves.
    grams = _char_trigrams(value)
    if not grams:
        return False
    share = len(grams & _char_trigrams(reference_text)) / len(grams)
    return percentage - 2 <= share * 100 <= percentage + 2


@instruction("count:numbers", Arg("N", integer()), source=IFBENCH)
def numbers(value: str, N: int) -> bool:  # noqa: N803 - the dataset's name
    # Punctuation goes first, so 3.14 and 1,000 are one number each.
    return len(re.findall(r"\d+", text_units.drop_punctuation(value))) == N


@instruction("words:alphabet", source=IFBENCH)
def alphabet(value: str) -> bool:
    words = _split_words(value)
    if not words:
        return False
    letters = string.ascii_lowercase
    expected = words[0][0].lower()
    if expected not in letters:
        return False
    for word in words[1:]:
        expected = letters[(letters.index(expected) + 1) % 26]
        if word.lower()[0] != expected:
            return False
    return True


@instruction("words:vowel", source=IFBENCH)
def vowel(value: str) -> bool:
    lines = value.strip().split("\n")
    return len(lines) == 1 and len(set(lines[0].lower()) & set("aeiou")) <= 3


@instruction("words:consonants", source=IFBENCH)
def consonants(value: str) -> bool:
    return all(any(a in _CONSONANTS and b in _CONSONANTS for a, b in pairwise(word)) for word in value.lower().split())


def _alliteration(sentence: str) -> int:
    """Words in runs of two or more consecutive words with the same first character."""
    words = [w for w in (raw.lstrip(string.punctuation + " ") for raw in sentence.lower().split()) if w]
    total, in_run = 0, False
    for a, b in pairwise(words):
        if a[0] == b[0]:
            total += 1 if in_run else 2
            in_run = True
        else:
            in_run = False
    return total


@instruction("sentence:alliteration_increment", source=IFBENCH)
def alliteration_increment(value: str) -> bool:
    previous = -1
    for sentence in text_units.sentences(value):
        current = _alliteration(sentence)
        if current <= previous:
            return False
        previous = current
    return True


@instruction("words:palindrome", source=IFBENCH)
def palindrome(value: str) -> bool:
    words = _split_words(value.lower())
    return sum(len(w) >= 5 and w == w[::-1] for w in words) >= 10


@instruction("words:prime_lengths", source=IFBENCH)
def prime_lengths(value: str) -> bool:
    return all(len(w) in _PRIMES for w in _split_words(value))


@instruction("count:words_japanese", Arg("N", integer(minimum=1)), source=IFBENCH)
def words_japanese(value: str, N: int) -> bool:  # noqa: N803 - the dataset's name
    for position, raw in enumerate(value.split(), start=1):
        word = text_units.strip_punctuation(raw)
        if position % N == 0 and word and not word.isdigit() and not _JAPANESE.search(word):
            return False
    return True


@instruction("words:repeats", Arg("small_n", integer()), source=IFBENCH)
def repeats(value: str, small_n: int) -> bool:
    counts = Counter(_split_words(value.lower()))
    return all(n <= small_n for n in counts.values())


@instruction("sentence:keyword", Arg("word", text()), Arg("N", integer(minimum=1)), source=IFBENCH)
def sentence_keyword(value: str, word: str, N: int) -> bool:  # noqa: N803 - the dataset's name
    sentences = text_units.sentences(value)
    if len(sentences) < N:
        return False
    return bool(re.search(rf"\b{re.escape(word)}\b", sentences[N - 1], flags=re.IGNORECASE))


@instruction("count:pronouns", Arg("N", integer()), source=IFBENCH)
def pronouns(value: str, N: int) -> bool:  # noqa: N803 - the dataset's name
    # "she/her/hers" counts three times: slashes become spaces before tokenizing.
    tokens = text_units.word_tokens(value.replace("/", " ").lower())
    return sum(t in _PRONOUNS for t in tokens) >= N


@instruction("words:odd_even_syllables", source=IFBENCH)
def odd_even_syllables(value: str) -> bool:
    parities = [syllapy.count(w) % 2 for w in _split_words(value.lower())]
    return all(a != b for a, b in pairwise(parities))


@instruction("words:last_first", source=IFBENCH)
def last_first(value: str) -> bool:
    sentences = text_units.sentences(value)
    for current, following in pairwise(sentences):
        last = current.rstrip(string.punctuation + " ").split()
        first = following.lstrip(string.punctuation + " ").split()
        if not last or not first or last[-1].lower() != first[0].lower():
            return False
    return True


@instruction("words:paragraph_last_first", source=IFBENCH)
def paragraph_last_first(value: str) -> bool:
    for line in value.split("\n"):
        words = text_units.strip_punctuation(line.strip().lower()).split()
        if words and words[0] != words[-1]:
            return False
    return True


@instruction("sentence:increment", Arg("small_n", integer()), source=IFBENCH)
def increment(value: str, small_n: int) -> bool:
    lengths = [len(_split_words(s)) for s in text_units.sentences(value)]
    return all(b == a + small_n for a, b in pairwise(lengths))


@instruction("words:no_consecutive", source=IFBENCH)
def no_consecutive(value: str) -> bool:
    words = _split_words(value.lower())
    return all(a[0] != b[0] for a, b in pairwise(words))


@instruction("count:keywords_multiple", *(Arg(f"keyword{i}", _stripped) for i in range(1, 6)), source=IFBENCH)
def keywords_multiple(value: str, keyword1: str, keyword2: str, keyword3: str, keyword4: str, keyword5: str) -> bool:
    # Plain substring counts (not words): keyword1 once, then 2, 3, 5 and 7 times.
    lowered = value.lower()
    keywords = (keyword1, keyword2, keyword3, keyword4, keyword5)
    return all(lowered.count(k.lower()) == n for k, n in zip(keywords, (1, 2, 3, 5, 7), strict=True))


@instruction(
    "words:keywords_specific_position",
    Arg("keyword", _stripped),
    Arg("n", integer(minimum=1)),
    Arg("m", integer(minimum=1)),
    source=IFBENCH,
)
def keywords_specific_position(value: str, keyword: str, n: int, m: int) -> bool:
    sentences = text_units.sentences(value)
    if len(sentences) < n:
        return False
    words = text_units.alphanumeric_tokens(sentences[n - 1])
    return len(words) >= m and words[m - 1].lower() == keyword.lower()


@instruction("words:words_position", Arg("keyword", _stripped), source=IFBENCH)
def words_position(value: str, keyword: str) -> bool:
    tokens = text_units.word_tokens(value)
    if len(tokens) < 2:
        return False
    # A final punctuation token is skipped; the second word must also be the second-to-last one.
    tail = tokens[:-1] if text_units.is_ascii_punctuation(tokens[-1]) else tokens
    if len(tail) < 2:
        return False
    return tokens[1].lower() == tail[-2].lower() == keyword.lower()
