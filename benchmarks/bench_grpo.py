"""GRPO with the reconstruction reward on CPU: does the reward go up, does leakage stay down, how long
does a step take? One run on one individual's real pairs; prints the mean reconstruction reward and the
leakage rate of the first and last 5 steps side by side, and seconds per step.

    .venv/bin/python benchmarks/bench_grpo.py [--steps 30] [--pairs 24] [--out /tmp/grpo-bench]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from recon.config import GRPOTrainConfig
from recon.data.corpus import load_examples
from recon.training.grpo import train_grpo

DATA = Path(__file__).resolve().parents[2] / "shared/data/scotus_oral_argument/sonia_sotomayor.jsonl"


def mean(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return sum(vals) / len(vals) if vals else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--pairs", type=int, default=24)
    ap.add_argument("--num-generations", type=int, default=4)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if not args.data.is_file():
        print(f"skipped: {args.data} not found (the shared development data); pass --data FILE.jsonl")
        return 0
    pairs = load_examples([args.data])[:args.pairs]
    cfg = GRPOTrainConfig(reward="recon", max_steps=args.steps, num_generations=args.num_generations,
                          per_device_train_batch_size=args.num_generations, max_completion_length=64,
                          learning_rate=5e-5, save_steps=max(10, args.steps))
    out = args.out or Path(tempfile.mkdtemp(prefix="grpo-bench-"))
    result = train_grpo(pairs, cfg, out=out)
    first, last = result.log[:5], result.log[-5:]
    print(f"\n{len(pairs)} pairs of {pairs[0].individual}, {result.steps} steps, {cfg.num_generations} completions "
          f"per step, max {cfg.max_completion_length} tokens, LoRA r={cfg.lora_r}, lr={cfg.learning_rate}")
    print(f"{'':<22}{'first 5 steps':>15}{'last 5 steps':>15}")
    print(f"{'mean reward':<22}{mean(first, 'reward_mean'):>15.4f}{mean(last, 'reward_mean'):>15.4f}")
    print(f"{'leakage rate':<22}{mean(first, 'leakage_rate'):>15.3f}{mean(last, 'leakage_rate'):>15.3f}")
    print(f"{'completion length':<22}{mean(first, 'completion_length'):>15.1f}{mean(last, 'completion_length'):>15.1f}")
    print(f"seconds per step: {result.seconds_per_step:.2f}   (log: {out / 'steps.jsonl'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
