"""Reconstruction scorers side by side on real pairs (embedded backend, N candidates per pair).

One run: the N backward candidates of each pair are generated once (and cached); then each scorer scores
them on a cold scoring cache, interleaved pair by pair so machine noise hits all three alike. Prints
seconds and LM calls per pair for `judge`, `likelihood` and `embedding` (goal: likelihood ≤ 1/3 of judge),
and the prompt tokens the likelihood scorer evaluated for its N+1 passes relative to N+1 independent
prompts (goal: ≤ 0.35 of the N candidates' independent prompts), from the backend's own counters.

    .venv/bin/python benchmarks/bench_scorers.py [--pairs 10] [--n 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from recon.backends.llamacpp import LlamaCppBackend
from recon.config import ReconSelectConfig
from recon.data.corpus import load_examples
from recon.method.embeddings import Embedder
from recon.method.scoring import build_scorer
from recon.method.selection import candidate_requests
from recon.store.cache import CachedBackend
from recon.store.calls import Meter
from recon.store.db import Database

SHARED = Path(__file__).resolve().parents[2] / "shared/data"
FILES = ["scotus_oral_argument/elena_kagan.jsonl", "wh_press_briefing/jen_psaki.jsonl",
         "presidential_debate/bernie_sanders.jsonl", "reddit_cmv/cmv_original_poster.jsonl"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=SHARED)
    ap.add_argument("--pairs", type=int, default=10)
    ap.add_argument("--n", type=int, default=4)
    args = ap.parse_args()
    files = [args.data / f for f in FILES]
    if not all(f.is_file() for f in files):
        print(f"skipped: the shared development data is not under {args.data} (pass --data DIR)")
        return 0
    per_file = -(-args.pairs // len(files))
    examples = [e for f in files for e in load_examples([f])[:per_file]][:args.pairs]
    cfg = ReconSelectConfig(n=args.n)
    tmp = Path(tempfile.mkdtemp())
    synth = CachedBackend(LlamaCppBackend(), Database(tmp / "candidates.sqlite3"), run="bench", stage="candidates")
    t0 = time.perf_counter()
    candidates = {}
    for ex in examples:
        gens = synth.generate(candidate_requests(ex, cfg))
        candidates[ex.id] = [g.text.strip() or "(empty)" for g in gens]
    print(f"{len(examples)} pairs, N={args.n}: candidates generated in {time.perf_counter() - t0:.1f}s "
          f"({(time.perf_counter() - t0) / len(examples):.2f}s/pair)", flush=True)

    embedder = Embedder()
    embedder.embed(["warm up"])                             # load MiniLM outside the timings
    model = LlamaCppBackend()
    scorers, meters, seconds = {}, {}, {}
    for name in ("judge", "likelihood", "embedding"):
        db = Database(tmp / f"{name}.sqlite3")
        recon = CachedBackend(model, db, run="bench", stage=f"{name}:reconstruct")
        judge = CachedBackend(model, db, run="bench", stage=f"{name}:judge")
        meters[name] = Meter()
        recon.meter = judge.meter = meters[name]
        scorers[name] = build_scorer(name, reconstructor=recon, cfg=cfg.reconstruction, judge=judge,
                                     embedder=embedder)
        seconds[name] = []
    invalid = {name: 0 for name in scorers}
    lik_requested = lik_evaluated = 0
    for ex in examples:
        for name, scorer in scorers.items():
            r0, e0 = model.counters.requested, model.counters.evaluated
            t0 = time.perf_counter()
            result = scorer.score(ex, candidates[ex.id])
            seconds[name].append(time.perf_counter() - t0)
            invalid[name] += result.invalid is not None
            if name == "likelihood":
                lik_requested += model.counters.requested - r0
                lik_evaluated += model.counters.evaluated - e0
    # N independent prompts = the N candidate passes each evaluated from scratch (requested tokens of them)
    independent = lik_requested * args.n / (args.n + 1)

    print(f"\n{'scorer':<12}{'s/pair':>10}{'median s':>10}{'calls/pair':>12}{'invalid':>9}")
    for name in scorers:
        m = meters[name]
        print(f"{name:<12}{sum(seconds[name]) / len(examples):>10.2f}{statistics.median(seconds[name]):>10.2f}"
              f"{m.calls / len(examples):>12.1f}{invalid[name]:>9}")
    ratio = sum(seconds["likelihood"]) / sum(seconds["judge"])
    print(f"\nlikelihood / judge seconds = {ratio:.3f}   (goal <= 0.333)")
    print(f"likelihood prompt tokens evaluated / requested over its N+1 passes = "
          f"{lik_evaluated / lik_requested:.3f}")
    print(f"likelihood prompt tokens evaluated (N+1 passes) / N independent prompts = "
          f"{lik_evaluated / independent:.3f}   (goal <= 0.35)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
