"""How often each leakage measure flags forward and backward traces of the embedded model, per corpus, and
the calibration of the order-preserving (LCS) threshold on forward traces.

Forward traces never saw the action, so whatever they share with it is chance: the 99th percentile of their
LCS fraction is the threshold's calibration point (calibrating on backward traces would be circular). Then
per corpus: the share of forward and backward traces flagged by the contiguous measures (longest run,
4-gram fraction, coverage), by the LCS fraction, by the short-action rule, and by any of them.

Every LM call goes through the cache in $RECON_HOME, so a re-run costs nothing.

    RECON_HOME=/tmp/home .venv/bin/python benchmarks/bench_leakage.py [--pairs 20] [--calibration-pairs 20]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

from recon.backends.llamacpp import LlamaCppBackend
from recon.config import LeakageConfig, SynthesisConfig
from recon.data.corpus import load_examples
from recon.method.leakage import measure_leakage
from recon.method.synthesis import synthesize
from recon.store.cache import CachedBackend
from recon.store.db import Database

SHARED = Path(__file__).resolve().parents[2] / "shared/data"
FILES = ["scotus_oral_argument/elena_kagan.jsonl", "scotus_oral_argument/sonia_sotomayor.jsonl",
         "presidential_debate/joe_biden.jsonl", "presidential_debate/bernie_sanders.jsonl",
         "wh_press_briefing/jen_psaki.jsonl", "wh_press_briefing/karine_jean_pierre.jsonl",
         "reddit_cmv/cmv_original_poster.jsonl", "reddit_cmv/cmv_challenger.jsonl"]


def flags(m, cfg: LeakageConfig) -> dict[str, bool]:
    contiguous = (m.longest_run > cfg.max_shared_run or m.ngram_fraction > cfg.max_ngram_fraction
                  or m.coverage > cfg.max_coverage)
    return {"contiguous": contiguous, "lcs": m.lcs_fraction > cfg.max_lcs_fraction, "short": m.short_quote,
            "any": m.leaking}


def pct(values: list[bool]) -> str:
    return f"{100 * sum(values) / len(values):.0f}%" if values else "–"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=SHARED)
    ap.add_argument("--pairs", type=int, default=20, help="pairs per corpus in the table (forward and backward)")
    ap.add_argument("--calibration-pairs", type=int, default=20, help="pairs per corpus whose forward traces "
                    "calibrate the LCS threshold (the table's pairs are among them)")
    ap.add_argument("--out", type=Path, help="write every trace with its measures here (JSONL)")
    ap.add_argument("--threads", type=int, default=1, help="llama.cpp threads (1 is far faster on a shared, "
                    "oversubscribed CPU: llama.cpp's threads spin at barriers)")
    args = ap.parse_args()
    files = [args.data / f for f in FILES]
    if not all(f.is_file() for f in files):
        print(f"skipped: the shared development data is not under {args.data} (pass --data DIR)")
        return 0
    model = CachedBackend(LlamaCppBackend(n_threads=args.threads), Database(), run="bench-leakage",
                          stage="bench:leakage")
    cfg = LeakageConfig()
    rows = []
    t0 = time.perf_counter()
    for f in files:
        pairs = load_examples([f])
        sample = list(pairs)
        random.Random(0).shuffle(sample)                        # a seeded order: prefixes are stable samples
        sample = sample[:max(args.pairs, args.calibration_pairs)]
        for method, chosen in (("forward", sample), ("backward", sample[:args.pairs])):
            result = synthesize(chosen, model, SynthesisConfig(method=method))
            by_id = {t.id: t.reasoning for t in result.traces}
            for i, ex in enumerate(chosen):
                if ex.id not in by_id:
                    continue
                m = measure_leakage(by_id[ex.id], ex.action, cfg)
                rows.append({"corpus": f"{f.parent.name}/{f.stem}", "method": method, "id": ex.id,
                             "in_table": method == "backward" or i < args.pairs,
                             "action_words": len(ex.action.split()), "trace": by_id[ex.id], **m.to_json(),
                             "flags": flags(m, cfg)})
        print(f"{f.stem}: done ({time.perf_counter() - t0:.0f}s)", flush=True)
    if args.out:
        args.out.write_text("".join(json.dumps(r) + "\n" for r in rows))

    forward = [r["lcs_fraction"] for r in rows if r["method"] == "forward"]
    p99 = float(np.percentile(forward, 99))
    print(f"\ncalibration: {len(forward)} forward traces; LCS fraction median {np.median(forward):.3f}, "
          f"95th pct {np.percentile(forward, 95):.3f}, 99th pct {p99:.3f}, max {max(forward):.3f}; "
          f"threshold in use {cfg.max_lcs_fraction}")
    print(f"\n| corpus | forward: LCS > {cfg.max_lcs_fraction} | forward: any | backward: contiguous "
          "| backward: LCS | backward: short rule | backward: any | backward: caught only by the new measures |")
    print("|---|---|---|---|---|---|---|---|")
    corpora = [f"{Path(f).parent.name}/{Path(f).stem}" for f in FILES] + ["all"]
    for c in corpora:
        fw = [r["flags"] for r in rows if r["method"] == "forward" and r["in_table"] and c in ("all", r["corpus"])]
        bw = [r["flags"] for r in rows if r["method"] == "backward" and c in ("all", r["corpus"])]
        print(f"| {c} | {pct([x['lcs'] for x in fw])} | {pct([x['any'] for x in fw])} "
              f"| {pct([x['contiguous'] for x in bw])} | {pct([x['lcs'] for x in bw])} "
              f"| {pct([x['short'] for x in bw])} | {pct([x['any'] for x in bw])} "
              f"| {pct([x['any'] and not x['contiguous'] for x in bw])} |")
    n_fw = sum(1 for r in rows if r["method"] == "forward" and r["in_table"])
    print(f"\n{n_fw} forward and {sum(r['method'] == 'backward' for r in rows)} backward traces in the table; "
          f"{time.perf_counter() - t0:.0f}s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
