"""Latent recovery per method, with seeded bootstrap intervals, beside the leakage rate.

    >>> from recon.bench.generator import generate_corpus
    >>> corpus = generate_corpus(individuals=1, pairs=3, seed=1)
    >>> traces = {"backward": {e.id: e.meta["reasoning"] for e in corpus.examples}}
    >>> rows = recovery_table(traces, corpus.examples)
    >>> rows[0]["method"], rows[0]["names_true"]
    ('backward', 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence

from recon.bench.matcher import match_trace
from recon.evaluation.winrate import bootstrap_ci
from recon.method.leakage import measure_leakage
from recon.types import Example


def recovery_table(traces: dict[str, dict[str, str | None]], examples: Sequence[Example], *,
                   seed: int = 0) -> list[dict]:
    """One row per method: n traces, and for names_true / names_distractor / clean the rate and a 95% CI,
    plus the leakage rate. Pairs without a trace are counted in `missing`."""
    by_id = {e.id: e for e in examples}
    rows = []
    for method, by_pair in traces.items():
        matches, leaks, missing = [], [], 0
        for pair_id, text in by_pair.items():
            ex = by_id.get(pair_id)
            if ex is None or "latent" not in ex.meta:
                continue
            if not text:
                missing += 1
                continue
            matches.append(match_trace(text, ex.meta))
            leaks.append(measure_leakage(text, ex.action).leaking)
        row = {"method": method, "n": len(matches), "missing": missing,
               "leakage_rate": round(sum(leaks) / len(leaks), 4) if leaks else None}
        for key in ("names_true", "names_distractor", "clean"):
            values = [1.0 if m[key] else 0.0 for m in matches]
            row[key] = round(sum(values) / len(values), 4) if values else None
            row[f"{key}_ci"] = list(bootstrap_ci(values, seed=seed)) if values else None
        rows.append(row)
    return rows
