"""Backward synthesis: recon vs. llama-cpp-python directly, and a re-run from the cache.

Measured side by side in one run (the machine is shared and noisy), interleaved over rounds:
  A  the same chat prompts through llama-cpp-python's create_chat_completion, model load included
     (llama.cpp reuses the longest cached prefix across prompts: fastest, but not reproducible)
  A0 the same, with llm.reset() before each prompt (no prefix reuse)
  B  `recon`'s synthesis job (cache, call log, atomic output, manifest) on a cold cache, model load included
     (recon reuses cached prefixes only at n_batch chunk boundaries, so results are reproducible)
  C  the same job again on the warm cache (must make zero backend calls)
Greedy decoding (temperature 0) makes every path produce the same tokens, so ratios compare equal work.

    .venv/bin/python benchmarks/bench_synthesis.py [--pairs 8] [--rounds 3] [--max-tokens 96]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from recon.backends.llamacpp import embedded_gguf_path
from recon.config import BackendConfig, SynthesisConfig
from recon.data.corpus import load_examples
from recon.jobs.synthesize import run_synthesis
from recon.method.synthesis import synthesis_messages
from recon.store.db import Database

DATA = Path(__file__).resolve().parents[2] / "shared/data/scotus_oral_argument/elena_kagan.jsonl"


def direct(examples, cfg, *, reset: bool = False) -> tuple[float, int]:
    from llama_cpp import Llama
    t0 = time.perf_counter()
    threads = os.cpu_count() or 1                      # the same threads recon uses
    llm = Llama(model_path=str(embedded_gguf_path()), n_ctx=4096, n_threads=threads, n_threads_batch=threads,
                logits_all=False, verbose=False)
    tokens = 0
    for ex in examples:
        msgs = [{"role": m.role, "content": m.content} for m in synthesis_messages(ex, cfg)]
        if reset:
            llm.reset()
        out = llm.create_chat_completion(messages=msgs, temperature=0.0, top_p=1.0, top_k=0, min_p=0.0,
                                         max_tokens=cfg.max_tokens, seed=0)
        tokens += out["usage"]["completion_tokens"]
    llm.close()
    return time.perf_counter() - t0, tokens


def through_recon(examples, cfg, db, out) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    job, _ = run_synthesis(examples, BackendConfig(spec="embedded"), cfg, out=out, db=db)
    return time.perf_counter() - t0, job.cost.completion_tokens, job.cost.backend_calls


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--pairs", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--max-tokens", type=int, default=96)
    args = ap.parse_args()
    if not args.data.is_file():
        print(f"skipped: {args.data} not found (the shared development data); pass --data FILE.jsonl")
        return 0
    examples = load_examples([args.data])[:args.pairs]
    cfg = SynthesisConfig(method="backward", temperature=0.0, top_p=1.0, max_tokens=args.max_tokens)
    a_times, a0_times, b_times, c_times = [], [], [], []
    for r in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(Path(tmp) / "recon.sqlite3")
            a, a_tok = direct(examples, cfg)
            a0, _ = direct(examples, cfg, reset=True)
            b, b_tok, b_calls = through_recon(examples, cfg, db, Path(tmp) / "t.jsonl")
            c, _, c_calls = through_recon(examples, cfg, db, Path(tmp) / "t.jsonl")
        a_times.append(a)
        a0_times.append(a0)
        b_times.append(b)
        c_times.append(c)
        print(f"round {r + 1}: direct {a:.2f}s ({a_tok} tokens) | direct+reset {a0:.2f}s | "
              f"recon cold {b:.2f}s ({b_tok} tokens, "
              f"{b_calls} backend calls) | recon re-run {c:.3f}s ({c_calls} backend calls)", flush=True)
        if a_tok != b_tok:
            print("  note: token counts differ, so the ratio mixes overhead with different work")
    a, a0, b, c = (statistics.median(x) for x in (a_times, a0_times, b_times, c_times))
    print(f"\n{len(examples)} pairs, backward, greedy, max_tokens={args.max_tokens}, median of {args.rounds} rounds")
    print(f"{'path':<34}{'seconds':>10}{'s/pair':>10}")
    for name, t in (("llama-cpp-python direct", a), ("llama-cpp-python direct, reset", a0),
                    ("recon, cold cache", b), ("recon, re-run (cache)", c)):
        print(f"{name:<34}{t:>10.3f}{t / len(examples):>10.3f}")
    print(f"\nrecon / direct = {b / a:.3f}   (goal <= 1.10)")
    print(f"recon / direct with reset = {b / a0:.3f}   (recon's own overhead)")
    print(f"re-run speed-up = {b / c:.0f}x   (goal >= 50x), backend calls on re-run: {c_calls}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
