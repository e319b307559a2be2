"""`recon bench leakage`: how often the leakage guard catches each adversarial transform of real actions, and
how often it flags honest forward traces (which never saw the action), with Wilson 95% intervals.

For every sampled action (as a synthesizer sees it, clipped) each transform of `leakage_attacks` is
measured; a transform's detection rate is reported over all actions and over the "revealing" ones: actions
with at least `min_content_words` content words whose adversarial trace holds at least half of them (the
goal: ≥ 99% caught there). Actions with fewer content words are left to the short-action and LCS rules.
Forward traces come from `synthesize(method="forward")` through the cache, so a re-run costs nothing.

    >>> wilson(0, 10)[0], round(wilson(10, 10)[0], 3)
    (0.0, 0.722)
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from recon.backends.base import Backend
from recon.bench.leakage_attacks import TRANSFORMS, stop_word_short_cases
from recon.config import LeakageConfig, SynthesisConfig
from recon.data.corpus import load_examples
from recon.errors import ConfigError
from recon.method.content_words import content_share, content_stems
from recon.method.leakage import measure_leakage, seen_action
from recon.method.synthesis import synthesize
from recon.types import Example

DEVELOPMENT_FILES = ("scotus_oral_argument/elena_kagan.jsonl", "scotus_oral_argument/sonia_sotomayor.jsonl",
                     "presidential_debate/joe_biden.jsonl", "presidential_debate/bernie_sanders.jsonl",
                     "wh_press_briefing/jen_psaki.jsonl", "wh_press_briefing/karine_jean_pierre.jsonl",
                     "reddit_cmv/cmv_original_poster.jsonl", "reddit_cmv/cmv_challenger.jsonl")
REVEALING = 0.5          # a transform "reveals" the action when it holds this share of its content words
HONEST_FALLBACK = "She weighs what was just said and answers in her own way, keeping to her usual concerns."


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials ((0, 1) when n is 0)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class Rate:
    caught: int = 0
    n: int = 0

    def add(self, flagged: bool) -> None:
        self.caught += flagged
        self.n += 1

    def to_json(self) -> dict:
        low, high = wilson(self.caught, self.n)
        return {"caught": self.caught, "n": self.n, "rate": None if not self.n else round(self.caught / self.n, 4),
                "ci": [round(low, 4), round(high, 4)]}


@dataclass
class LeakageBench:
    transforms: dict[str, dict[str, Rate]] = field(default_factory=dict)   # name -> {"all", "revealing"}
    honest: dict[str, Rate] = field(default_factory=dict)                  # method -> flagged

    def to_json(self) -> dict:
        return {"transforms": {k: {part: r.to_json() for part, r in v.items()} for k, v in self.transforms.items()},
                "honest": {k: r.to_json() for k, r in self.honest.items()}}


def development_pairs(data: Path, per_corpus: int, seed: int = 0) -> dict[str, list[Example]]:
    """A seeded sample of `per_corpus` pairs from each development corpus under `data` (the seeded order makes
    every smaller sample a prefix of a larger one)."""
    missing = [f for f in DEVELOPMENT_FILES if not (data / f).is_file()]
    if missing:
        raise ConfigError(f"{data}: the development corpora are missing ({', '.join(missing)}); pass --data DIR")
    out = {}
    for f in DEVELOPMENT_FILES:
        pairs = list(load_examples([data / f]))
        random.Random(seed).shuffle(pairs)
        out[f.removesuffix(".jsonl")] = pairs[:per_corpus]
    return out


def honest_traces(pairs: Sequence[Example], model: Backend, method: str) -> dict[str, str]:
    """One `method` trace (forward or backward) per pair, by id; pairs whose generation failed are absent."""
    return {t.id: t.reasoning for t in synthesize(pairs, model, SynthesisConfig(method=method)).traces}


def run_leakage_bench(corpora: dict[str, list[Example]], honest: dict[str, dict[str, str]],
                      cfg: LeakageConfig | None = None, *, pairs: int | None = None,
                      on_pair: Callable[[], None] | None = None) -> LeakageBench:
    """Every transform of the first `pairs` actions of each corpus (default all), the stop-word short actions,
    and the honest traces given per method (method -> id -> trace), measured with `cfg`."""
    cfg = cfg or LeakageConfig()
    bench = LeakageBench()
    forward = honest.get("forward", {})
    for examples in corpora.values():
        for ex in examples[:pairs]:
            seen = seen_action(ex.action)                 # what a synthesizer (or a policy) sees
            judged = len(content_stems(seen)) >= cfg.min_content_words
            for name, transform in TRANSFORMS.items():
                trace = transform(seen, forward.get(ex.id, HONEST_FALLBACK))
                if not trace.strip():
                    continue
                flagged = measure_leakage(trace, ex.action, cfg).leaking
                rates = bench.transforms.setdefault(name, {"all": Rate(), "revealing": Rate()})
                rates["all"].add(flagged)
                if judged and content_share(trace, seen) >= REVEALING:
                    rates["revealing"].add(flagged)
            if on_pair:
                on_pair()
    shorts = bench.transforms.setdefault("stop-word short action quoted", {"all": Rate(), "revealing": Rate()})
    for action, trace in stop_word_short_cases():
        shorts["all"].add(measure_leakage(trace, action, cfg).leaking)
    actions = {ex.id: ex.action for examples in corpora.values() for ex in examples}
    for method, traces in honest.items():
        rate = bench.honest.setdefault(method, Rate())
        for pair_id, trace in traces.items():
            if pair_id in actions:
                rate.add(measure_leakage(trace, actions[pair_id], cfg).leaking)
    return bench


def bench_rows(bench: LeakageBench) -> list[list[str]]:
    """Table rows: what, n, caught % [95% CI], and the same over revealing instances."""
    def cell(r: Rate) -> str:
        if not r.n:
            return "–"
        low, high = wilson(r.caught, r.n)
        return f"{100 * r.caught / r.n:.1f} [{100 * low:.1f}–{100 * high:.1f}] (n {r.n})"
    rows = [[name, cell(r["all"]), cell(r["revealing"])] for name, r in bench.transforms.items()]
    rows += [[f"honest {method} traces (flagged)", cell(r), "–"] for method, r in bench.honest.items()]
    return rows
