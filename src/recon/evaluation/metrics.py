"""Reference metrics of predicted actions against the true ones, per method: mean cosine (MiniLM),
ROUGE-L F1 (rouge-score), the length ratio (predicted words / true words) and the loop rate.

A prediction *loops* when its distinct-4-gram ratio (distinct word 4-grams / all word 4-grams) is below
`LOOP_THRESHOLD` (0.7): one phrase repeated until the length limit, the failure of small models under
greedy decoding ("I'm glad to be here. I'm glad to be here. …"). Texts of fewer than 8 words never loop.

    >>> from recon.method.embeddings import HashEmbedder
    >>> m = reference_metrics(["the library first"], ["the library first, then the stadium"], HashEmbedder())
    >>> round(m["rouge_l"], 3), round(m["length_ratio"], 3), m["loop_rate"]
    (0.667, 0.5, 0.0)
    >>> round(distinct_ngram_ratio("I am glad to be here. " * 6), 2), is_loop("I am glad to be here. " * 6)
    (0.18, True)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

LOOP_THRESHOLD = 0.7
LOOP_MIN_WORDS = 8


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def distinct_ngram_ratio(text: str, n: int = 4) -> float:
    """Distinct word n-grams / all word n-grams (1.0 when the text has fewer than n words)."""
    words = _words(text)
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 1.0


def is_loop(text: str) -> bool:
    return len(_words(text)) >= LOOP_MIN_WORDS and distinct_ngram_ratio(text) < LOOP_THRESHOLD


def rouge_l(predictions: Sequence[str], references: Sequence[str]) -> list[float]:
    from rouge_score import rouge_scorer
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    return [scorer.score(ref, pred)["rougeL"].fmeasure for pred, ref in zip(predictions, references, strict=True)]


def length_ratios(predictions: Sequence[str], references: Sequence[str]) -> list[float]:
    return [len(p.split()) / max(1, len(r.split())) for p, r in zip(predictions, references, strict=True)]


def reference_metrics(predictions: Sequence[str], references: Sequence[str], embedder) -> dict[str, float | None]:
    """Over the predictions that exist (a failed prediction is counted by `failed_rate`, not here)."""
    if not predictions:
        return {"mean_cosine": None, "rouge_l": None, "length_ratio": None, "loop_rate": None}
    cos = embedder.cosine(list(predictions), list(references))
    return {"mean_cosine": float(np.mean(cos)), "rouge_l": float(np.mean(rouge_l(predictions, references))),
            "length_ratio": float(np.mean(length_ratios(predictions, references))),
            "loop_rate": round(sum(map(is_loop, predictions)) / len(predictions), 4)}
