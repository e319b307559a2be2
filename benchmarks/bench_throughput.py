"""Throughput of windowed stages vs one pair at a time, measured side by side in one run.

1. `server`: a loopback OpenAI-compatible server (tests/loopback_server.py, in a process of its own) with a
   fixed 200 ms latency per request and unlimited parallelism. Recon-Select (judge scorer, N = 4) on 100
   pairs at concurrency 32, and the pairwise LM judge (both orders) on 100 test pairs: wall time in windows
   vs one pair at a time (`window_size=1`, the old loop), and vs the dependency bound: the sum over the
   stage's phases of
   ⌈requests ÷ concurrency⌉ × 200 ms. Goal: ≤ 1.5× the bound (≥ 6× faster than serial for Recon-Select).
   The same windowed run at 0 ms latency shows what client and server cost in CPU on this machine.
2. `hf`: the hf backend on this machine's CPU with the embedded model (SmolLM2-135M, dequantised, float32):
   Recon-Select (likelihood, N = 4) on 16 pairs, windows with batched seeded sampling vs the pre-batching
   behaviour (one pair at a time, and every sampled request alone). Goal: ≥ 2.5×. Both paths must select
   the same traces (a sample is a function of its request, not of its batch).
3. `llamacpp`: the same Recon-Select on llama.cpp (the embedded GGUF, window 1): the CPU s/pair that a GPU
   figure is compared with (bench_throughput_gpu.py).

Every run starts on a cold cache (its own database). Pairs come from the shared development data when it is
there (`--data`), else from the known-latent generator.

    RECON_HOME=/tmp/h RECON_MODELS=/tmp/models PYTHONPATH=src .venv/bin/python benchmarks/bench_throughput.py \
        [--parts server,hf,llamacpp] [--pairs 100] [--hf-pairs 16]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))        # tests.loopback_server

from bench_throughput_gpu import LoneSamples, pairs, timed_select  # noqa: E402

from recon.config import PairJudgeConfig  # noqa: E402
from recon.jobs.evaluate import run_evaluate  # noqa: E402
from recon.method.embeddings import HashEmbedder  # noqa: E402
from recon.store.cache import CachedBackend  # noqa: E402
from recon.store.db import Database  # noqa: E402
from tests.loopback_server import LoopbackProcess  # noqa: E402

LATENCY = 0.2


def bound(requests: list[int], concurrency: int) -> float:
    return sum(math.ceil(r / concurrency) for r in requests) * LATENCY


def row(label: str, seconds: float, pairs_n: int, ref: float | None = None, extra: str = "") -> None:
    ratio = f"{ref / seconds:6.2f}x" if ref else "       "
    print(f"  {label:<44} {seconds:8.2f} s  {seconds / pairs_n:7.3f} s/pair  {ratio} {extra}")


def bench_server(n_pairs: int, concurrency: int, tmp: Path) -> None:
    import httpx  # noqa: F401  (imported before the timings)

    from recon.backends.openai_http import OpenAIBackend
    examples = pairs(n_pairs)
    servers = []

    def factory(cfg):
        return OpenAIBackend("m", servers[-1].url, api_key_env=None, concurrency=concurrency)

    def select(name: str, window: int | None) -> float:
        return timed_select(examples, factory, tmp, name, scorer="judge", window=window, embedder=HashEmbedder())[0]

    with LoopbackProcess(latency=0.0) as server:     # what the client and server cost on this machine's CPU
        servers.append(server)
        floor = select("srv-floor", None)
    with LoopbackProcess(latency=LATENCY) as server:
        servers.append(server)
        windowed = select("srv-window", None)
        peak = server.stats()["max_in_flight"]
        serial = select("srv-serial", 1)
        limit = bound([4 * n_pairs, 4 * n_pairs, n_pairs], concurrency)
        print(f"\nRecon-Select, judge scorer, N = 4, {n_pairs} pairs, loopback server {LATENCY * 1000:.0f} ms/request, "
              f"concurrency {concurrency}")
        row("one pair at a time (window 1)", serial, n_pairs)
        row(f"windows of {concurrency} pairs (peak {peak} in flight)", windowed, n_pairs, serial)
        row("dependency bound", limit, n_pairs)
        row("windows, 0 ms latency (client + server CPU)", floor, n_pairs)
        verdict = "met" if windowed <= 1.5 * limit else "NOT met"
        print(f"  windowed / bound = {windowed / limit:.2f} (goal <= 1.5: {verdict}); "
              f"speed-up {serial / windowed:.1f}x (goal >= 6x: {'met' if serial / windowed >= 6 else 'NOT met'})")

        test = pairs(n_pairs)
        for name in ("a", "b"):
            (tmp / f"pred-{name}.jsonl").write_text("".join(
                f'{{"id": "{e.id}", "action": "{name} would say something about {e.id}"}}\n' for e in test))
        seconds = {}
        for label, window in (("serial", 1), ("windowed", None)):
            judge = CachedBackend(factory(None), Database(tmp / f"judge-{label}.sqlite3"), run="r",
                                  stage="evaluate:judge")
            t0 = time.perf_counter()
            run_evaluate(test, {"a": tmp / "pred-a.jsonl", "b": tmp / "pred-b.jsonl"}, compare=[("a", "b")],
                         judge_cfg=PairJudgeConfig(kind="lm"), judge_backend=judge, embedder=HashEmbedder(),
                         out=tmp / f"eval-{label}", window_size=window)
            seconds[label] = time.perf_counter() - t0
        limit = bound([2 * n_pairs], concurrency)
        print(f"\nPairwise LM judge, both orders, {n_pairs} test pairs, same server")
        row("one pair at a time (window 1)", seconds["serial"], n_pairs)
        row(f"windows of {concurrency} pairs", seconds["windowed"], n_pairs, seconds["serial"])
        row("dependency bound (both orders at once)", limit, n_pairs)
        print(f"  windowed / bound = {seconds['windowed'] / limit:.2f} "
              f"(goal <= 1.5: {'met' if seconds['windowed'] <= 1.5 * limit else 'NOT met'})")


def bench_hf(n_pairs: int, batch_size: int, tmp: Path) -> None:
    from recon.backends.hf import HFBackend
    examples = pairs(n_pairs)
    backend = HFBackend("embedded", dtype="float32", batch_size=batch_size)
    assert backend.model is not None                      # load once, outside the timings
    old, old_chosen = timed_select(examples, lambda cfg: LoneSamples(backend), tmp, "hf-old", scorer="likelihood",
                                   window=1)
    new, new_chosen = timed_select(examples, lambda cfg: backend, tmp, "hf-new", scorer="likelihood", window=None)
    print(f"\nRecon-Select, likelihood scorer, N = 4, {n_pairs} pairs, hf backend (embedded SmolLM2-135M, float32, "
          f"CPU, batch {batch_size})")
    row("one pair at a time, sampled requests alone", old, n_pairs)
    row(f"windows of {backend.window_pairs} pairs, batched seeded sampling", new, n_pairs, old)
    print(f"  speed-up {old / new:.2f}x (goal >= 2.5x: {'met' if old / new >= 2.5 else 'NOT met'}); "
          f"same selections: {'yes' if old_chosen == new_chosen else 'NO'}")


def bench_llamacpp(n_pairs: int, tmp: Path) -> None:
    from recon.backends.llamacpp import LlamaCppBackend, embedded_gguf_path
    examples = pairs(n_pairs)
    backend = LlamaCppBackend(str(embedded_gguf_path()))
    seconds, _ = timed_select(examples, lambda cfg: backend, tmp, "llama", scorer="likelihood", window=None)
    print(f"\nRecon-Select, likelihood scorer, N = 4, {n_pairs} pairs, llama.cpp (embedded GGUF Q4_1, CPU, window 1)")
    row("llama.cpp", seconds, n_pairs)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parts", default="server,hf,llamacpp")
    ap.add_argument("--pairs", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--hf-pairs", type=int, default=16)
    ap.add_argument("--hf-batch", type=int, default=8)
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if "server" in parts:
            bench_server(args.pairs, args.concurrency, tmp)
        if "hf" in parts:
            bench_hf(args.hf_pairs, args.hf_batch, tmp)
        if "llamacpp" in parts:
            bench_llamacpp(args.hf_pairs, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
