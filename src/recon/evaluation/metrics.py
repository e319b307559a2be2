"""Reference metrics of predicted actions against the true ones, per method: mean cosine (MiniLM),
ROUGE-L F1 (rouge-score), and the length ratio (predicted words / true words).

    >>> from recon.method.embeddings import HashEmbedder
    >>> m = reference_metrics(["the library first"], ["the library first, then the stadium"], HashEmbedder())
    >>> round(m["rouge_l"], 3), round(m["length_ratio"], 3)
    (0.667, 0.5)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def rouge_l(predictions: Sequence[str], references: Sequence[str]) -> list[float]:
    from rouge_score import rouge_scorer
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    return [scorer.score(ref, pred)["rougeL"].fmeasure for pred, ref in zip(predictions, references, strict=True)]


def reference_metrics(predictions: Sequence[str], references: Sequence[str], embedder) -> dict[str, float | None]:
    if not predictions:
        return {"mean_cosine": None, "rouge_l": None, "length_ratio": None}
    cos = embedder.cosine(list(predictions), list(references))
    ratios = [len(p.split()) / max(1, len(r.split())) for p, r in zip(predictions, references, strict=True)]
    return {"mean_cosine": float(np.mean(cos)), "rouge_l": float(np.mean(rouge_l(predictions, references))),
            "length_ratio": float(np.mean(ratios))}
