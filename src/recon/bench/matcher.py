"""Latent recovery: does a trace name the factor that really caused the action, and does it name a
distractor instead? A word-level matcher over each factor's aliases (lowercased whole words, so "costs"
and "taxpayers" name the budget, "tree" does not match inside "street").

    >>> meta = {"latent": {"factor": "budget"}, "distractors": [{"factor": "noise"}, {"factor": "safety"}]}
    >>> match_trace("She thinks the city cannot afford it.", meta)
    {'names_true': True, 'names_distractor': False, 'clean': True}
    >>> match_trace("He worries about the noise at night.", meta)["names_distractor"]
    True
"""

from __future__ import annotations

import re

from recon.bench.factors import FACTORS

_WORD = re.compile(r"[a-z]+")


def named_factors(text: str) -> set[str]:
    words = set(_WORD.findall(text.lower()))
    return {name for name, f in FACTORS.items() if words & set(f.aliases)}


def match_trace(trace: str, meta: dict) -> dict[str, bool]:
    named = named_factors(trace)
    true = meta["latent"]["factor"] in named
    distractor = any(d["factor"] in named for d in meta["distractors"])
    return {"names_true": true, "names_distractor": distractor, "clean": true and not distractor}
