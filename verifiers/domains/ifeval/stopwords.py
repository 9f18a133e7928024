"""NLTK's English stop-word list, reproduced as data so `ratio:stop_words` runs offline.

IFBench counts stop words with `nltk.corpus.stopwords.words('english')`, which NLTK only
provides through `nltk.download('stopwords')` (network). The list is fixed data: these are the
179 words of `corpora/stopwords/english` in nltk_data (the list NLTK has shipped since 2017).
IFBench matches it against `\\w+` tokens, so the entries with an apostrophe can never match; they
are kept so the list is the complete, recognisable original.
"""

from __future__ import annotations

_ENGLISH_WORDS = (
    "i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves he "
    "him his himself she she's her hers herself it it's its itself they them their theirs themselves what "
    "which who whom this that that'll these those am is are was were be been being have has had having do "
    "does did doing a an the and but if or because as until while of at by for with about against between "
    "into through during before after above below to from up down in out on off over under again further then "
    "once here there when where why how all any both each few more most other some such no nor not only own "
    "same so than too very s t can will just don don't should should've now d ll m o re ve y ain aren aren't "
    "couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't haven haven't isn isn't ma mightn "
    "mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't weren weren't won won't "
    "wouldn wouldn't"
)
ENGLISH: frozenset[str] = frozenset(_ENGLISH_WORDS.split())
