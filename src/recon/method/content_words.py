"""Content words: what a trace could give away about an action regardless of word order.

A word counts when it is not a stop word (scikit-learn's English list); it is compared by its Snowball
(English) stem from NLTK, so "regulations" and "regulation" match. Case and punctuation never matter. Nothing
is downloaded: the stemmer is pure code.

    >>> sorted(content_stems("The agencies regulated farmers; the farmer objected."))
    ['agenc', 'farmer', 'object', 'regul']
    >>> content_share("farmers objected regulated agencies", "The agencies regulated farmers; the farmer objected.")
    1.0
"""

from __future__ import annotations

import re
from functools import cache

_WORD = re.compile(r"\w+", re.UNICODE)


@cache
def stop_words() -> frozenset[str]:
    """scikit-learn's English stop words (imported on first use)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
    return frozenset(ENGLISH_STOP_WORDS)


@cache
def _stem(word: str) -> str:
    return _stemmer().stem(word)


@cache
def _stemmer():
    from nltk.stem.snowball import SnowballStemmer
    return SnowballStemmer("english")


def content_stems(text: str) -> set[str]:
    """The distinct stems of `text`'s lowercased words that are not stop words nor single characters (the "s"
    of "people's"); digits are kept."""
    stops = stop_words()
    return {_stem(w) for w in (m.lower().strip("_") for m in _WORD.findall(text)) if len(w) > 1 and w not in stops}


def content_share(trace: str, action: str) -> float:
    """Share of the action's distinct content stems that the trace contains, in any order (0 when it has none).

    >>> content_share("She mentions the budget.", "Fix the budget.")
    0.5
    """
    wanted = content_stems(action)
    return len(wanted & content_stems(trace)) / len(wanted) if wanted else 0.0
