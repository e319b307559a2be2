"""How often ICL predictions of the embedded model loop, at a few repetition penalties (the measurement
behind the embedded model's default `repetition_penalty`, docs/user-models.md).

Part 1, real pairs: the development files (8 individuals, 4 domains) are split by conversation (test
fraction 0.3, seed 0); `--per-individual` test pairs and 6 training pairs per individual are drawn
round-robin over conversations. Backward traces are synthesized for the training pairs once;
then, per setting, ICL user models (k = 3, greedy) predict every test pair for methods `none` and
`backward`. Prints, per setting and method, the loop rate (distinct-4-gram ratio below 0.7), the mean
length ratio (predicted / true words) and the failed predictions.

Part 2 (`--demo 1.0,1.15`): `recon demo`'s run at each setting (synthesis is shared through the cache),
printing the overall win rates and each method's loop rate and length ratio.

    RECON_HOME=/tmp/bench-home .venv/bin/python benchmarks/bench_repetition.py [--settings 1.0,1.15,1.3]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from recon.backends.llamacpp import LlamaCppBackend
from recon.config import BackendConfig, SynthesisConfig, UserModelConfig
from recon.data.corpus import load_examples
from recon.data.sample import sample_per_individual
from recon.data.splits import split_examples
from recon.evaluation.metrics import is_loop, length_ratios
from recon.evaluation.results import read_predictions
from recon.jobs.common import read_traces
from recon.jobs.predict import run_predict
from recon.jobs.synthesize import run_synthesis
from recon.store.db import Database

SHARED = Path(__file__).resolve().parents[2] / "shared/data"
FILES = ["scotus_oral_argument/elena_kagan.jsonl", "scotus_oral_argument/sonia_sotomayor.jsonl",
         "presidential_debate/joe_biden.jsonl", "presidential_debate/bernie_sanders.jsonl",
         "wh_press_briefing/jen_psaki.jsonl", "wh_press_briefing/karine_jean_pierre.jsonl",
         "reddit_cmv/cmv_original_poster.jsonl", "reddit_cmv/cmv_challenger.jsonl"]


def figures(pred_path: Path, test) -> dict:
    preds = read_predictions(pred_path)
    pairs = [(preds[e.id]["action"], e.action) for e in test if (preds.get(e.id) or {}).get("action")]
    actions = [p for p, _ in pairs]
    return {"pairs": len(test), "failed": len(test) - len(pairs), "loops": sum(map(is_loop, actions)),
            "length_ratio": sum(length_ratios(actions, [t for _, t in pairs])) / max(1, len(pairs))}


def real_pairs(args, tmp: Path) -> None:
    files = [args.data / f for f in FILES]
    if not all(f.is_file() for f in files):
        print(f"skipped: the shared development data is not under {args.data} (pass --data DIR)")
        return
    # one split over every file: the two debaters share debates, which must not straddle train and test
    train, test = split_examples(load_examples(files), test_fraction=0.3, seed=0)
    train = sample_per_individual(train, 6, seed=0)
    test = sample_per_individual(test, args.per_individual, seed=0)
    db, embedded = Database(), BackendConfig(spec="embedded")
    model = LlamaCppBackend(n_threads=args.threads)             # one instance for every call below
    factory = lambda config: model                               # noqa: E731
    t0 = time.perf_counter()
    traces_path = tmp / "backward.jsonl"
    run_synthesis(train, embedded, SynthesisConfig(method="backward"), out=traces_path, db=db,
                  backend_factory=factory)
    traces = {r.id: r.reasoning for r in read_traces(traces_path) if r.reasoning}
    print(f"{len(test)} test pairs, {len(train)} training pairs with {len(traces)} backward traces "
          f"({time.perf_counter() - t0:.0f} s)", flush=True)
    print("| repetition_penalty | method | loops | loop rate | length ratio | failed | s |")
    print("|---|---|---|---|---|---|---|")
    for setting in args.settings:
        for method in ("none", "backward"):
            t0 = time.perf_counter()
            out = tmp / f"pred_{method}_{setting}.jsonl"
            run_predict(test, train=train, traces=traces if method == "backward" else None, method=method,
                        user_model="icl", backend_config=embedded,
                        cfg=UserModelConfig(k=3, repetition_penalty=setting), out=out, db=db,
                        backend_factory=factory)
            f = figures(out, test)
            n_actions = max(1, f["pairs"] - f["failed"])
            print(f"| {setting} | {method} | {f['loops']}/{n_actions} | {100 * f['loops'] / n_actions:.0f}% | "
                  f"{f['length_ratio']:.2f} | {f['failed']} | {time.perf_counter() - t0:.0f} |", flush=True)


def demo_runs(args, tmp: Path) -> None:
    from recon.bench.corpus_files import ensure_corpus
    from recon.cli.demo_cmd import DEMO_SIZE, demo_config
    from recon.run import run_pipeline
    data = tmp / "demo-data"
    ensure_corpus(data, **DEMO_SIZE)
    for setting in args.demo:
        base = demo_config("embedded", tmp / f"demo-{setting}")
        cfg = base.model_copy(update={"user_model": base.user_model.model_copy(
            update={"repetition_penalty": setting})})
        t0 = time.perf_counter()
        result = run_pipeline(cfg, data)
        results = json.loads((result.out / "results.json").read_text(encoding="utf-8"))
        rates = "; ".join(f"{c['a']} vs {c['b']} {100 * c['win_rate']:.1f}%" for c in results["comparisons"]
                          if c["scope"] == "overall" and c["win_rate"] is not None)
        loops = "; ".join(f"{m} loops {100 * (v.get('loop_rate') or 0):.0f}%, length ratio "
                          f"{v.get('length_ratio') or 0:.2f}" for m, v in results["methods"].items())
        print(f"demo at {setting} ({time.perf_counter() - t0:.0f} s): {rates} | {loops}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=SHARED)
    ap.add_argument("--per-individual", type=int, default=2)
    ap.add_argument("--settings", type=lambda s: [float(x) for x in s.split(",")], default=[1.0, 1.15, 1.3])
    ap.add_argument("--demo", type=lambda s: [float(x) for x in s.split(",")], default=[])
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: every core)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-repetition-"))
    if not args.skip_real:
        real_pairs(args, tmp)
    if args.demo:
        demo_runs(args, tmp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
