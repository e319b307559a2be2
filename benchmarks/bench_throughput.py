"""Throughput of windowed stages vs one pair at a time, measured side by side in one run.

1. `server`: a loopback OpenAI-compatible server (tests/loopback_server.py, in a process of its own) with a
   fixed 200 ms latency per request and unlimited parallelism. Recon-Select (judge scorer, N = 4) on 100
   pairs at concurrency 32, and the pairwise LM judge (both orders) on 100 test pairs: wall time in windows
   vs one pair at a time (`window_size=1`, the old loop), and vs the dependency bound: the sum over the
   stage's phases of ⌈requests ÷ concurrency⌉ × 200 ms. Goal: ≤ 1.5× the bound (≥ 6× faster than serial
   for Recon-Select). The same windowed run at 0 ms latency shows what client and server cost in CPU on this machine.
   `validity`: `recon bench validity` (embedding scorer: 5 reconstructions per pair) on the same server, in
   windows vs one pair at a time, and its dependency bound.
2. `hf`: the hf backend on this machine's CPU with the embedded model (SmolLM2-135M, dequantised, float32):
   Recon-Select (likelihood, N = 4) on 16 pairs, windows with batched seeded sampling vs the pre-batching
   behaviour (one pair at a time, and every sampled request alone). Goal: ≥ 2.5×. Both paths must select
   the same traces (a sample is a function of its request, not of its batch).
3. `llamacpp`: the same Recon-Select on llama.cpp (the embedded GGUF, window 1): the CPU s/pair that a GPU
   figure is compared with (bench_throughput_gpu.py).

Every run starts on a cold cache (its own database). Pairs come from the shared development data when it is
there (`--data`), else from the known-latent generator.

    RECON_HOME=/tmp/h RECON_MODELS=/tmp/models PYTHONPATH=src .venv/bin/python benchmarks/bench_throughput.py \
        [--parts server,judge,validity,hf,llamacpp] [--pairs 100] [--hf-pairs 16]
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

from recon.config import PairJudgeConfig, SynthesisConfig  # noqa: E402
from recon.evaluation.judge import LMPairJudge  # noqa: E402
from recon.jobs.evaluate import judge_every_pair  # noqa: E402
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


def bench_server(n_pairs: int, concurrency: int, tmp: Path, parts: set[str]) -> None:
    import httpx  # noqa: F401  (imported before the timings)

    from recon.backends.openai_http import OpenAIBackend
    examples = pairs(n_pairs)
    servers = []

    def factory(cfg):
        return OpenAIBackend("m", servers[-1].url, api_key_env=None, concurrency=concurrency)

    def select(name: str, window: int | None) -> float:
        return timed_select(examples, factory, tmp, name, scorer="judge", window=window, embedder=HashEmbedder())[0]

    if "server" in parts:
        select_on_server(select, n_pairs, concurrency, servers)
    if "judge" in parts:
        judge_on_server(factory, n_pairs, concurrency, servers, tmp)
    if "validity" in parts:
        validity_on_server(factory, n_pairs, concurrency, servers, tmp)


def select_on_server(select, n_pairs: int, concurrency: int, servers: list) -> None:
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



def judge_on_server(factory, n_pairs: int, concurrency: int, servers: list, tmp: Path) -> None:
    test = pairs(n_pairs)
    preds = {name: {e.id: {"id": e.id, "action": f"{name} would say something about {e.id}"} for e in test}
             for name in ("a", "b")}

    def judge_all(name: str, window: int | None) -> float:
        judge = LMPairJudge(CachedBackend(factory(None), Database(tmp / f"judge-{name}.sqlite3"), run="r",
                                          stage="evaluate:judge"), PairJudgeConfig(kind="lm"))
        t0 = time.perf_counter()
        judge_every_pair(test, preds, [("a", "b")], judge, window_size=window)
        return time.perf_counter() - t0

    with LoopbackProcess(latency=0.0) as server:
        servers.append(server)
        floor = judge_all("floor", None)
    with LoopbackProcess(latency=LATENCY) as server:
        servers.append(server)
        windowed = judge_all("windowed", None)
        serial = judge_all("serial", 1)
    limit, phased = bound([2 * n_pairs], concurrency), 2 * bound([n_pairs], concurrency)
    print(f"\nPairwise LM judge, both orders, {n_pairs} test pairs, same server (the judging alone)")
    row("one pair at a time (window 1)", serial, n_pairs)
    row(f"windows of {concurrency} pairs", windowed, n_pairs, serial)
    row("dependency bound (both orders at once)", limit, n_pairs)
    row("bound with the second order after the first", phased, n_pairs)
    row("windows, 0 ms latency (client + server CPU)", floor, n_pairs)
    print(f"  windowed / bound = {windowed / limit:.2f} "
          f"(goal <= 1.5: {'met' if windowed <= 1.5 * limit else 'NOT met'})")


def validity_on_server(factory, n_pairs: int, concurrency: int, servers: list, tmp: Path) -> None:
    from recon.bench.generator import generate_corpus
    from recon.bench.validity import run_validity
    from recon.config import BackendConfig
    test = generate_corpus(individuals=4, pairs=max(1, n_pairs // 4), seed=0).examples

    def validity(name: str, window: int | None) -> float:
        t0 = time.perf_counter()
        run_validity(test, scorers=["embedding"], reconstructor=BackendConfig(spec="fake"), judge=None,
                     db=Database(tmp / f"validity-{name}.sqlite3"), out=tmp / f"validity-{name}",
                     embedder=HashEmbedder(), backend_factory=factory, window_size=window)
        return time.perf_counter() - t0

    with LoopbackProcess(latency=LATENCY) as server:
        servers.append(server)
        windowed = validity("windowed", None)
        serial = validity("serial", 1)
    limit = bound([5 * len(test)], concurrency)
    print(f"\nrecon bench validity, embedding scorer (5 reconstructions per pair), {len(test)} pairs, same server")
    row("one pair at a time (window 1)", serial, len(test))
    row(f"windows of {concurrency} pairs", windowed, len(test), serial)
    row("dependency bound", limit, len(test))
    print(f"  windowed / bound = {windowed / limit:.2f}")


def bench_hf(n_pairs: int, batch_size: int, tmp: Path, synthesis: SynthesisConfig) -> None:
    from recon.backends.hf import HFBackend
    examples = pairs(n_pairs)
    backend = HFBackend("embedded", dtype="float32", batch_size=batch_size)
    assert backend.model is not None                      # load once, outside the timings
    old, old_chosen = timed_select(examples, lambda cfg: LoneSamples(backend), tmp, "hf-old", window=1,
                                   synthesis=synthesis)
    new, new_chosen = timed_select(examples, lambda cfg: backend, tmp, "hf-new", window=None, synthesis=synthesis)
    print(f"\nRecon-Select, likelihood scorer, N = 4, {n_pairs} pairs, {synthesis.max_tokens}-token candidates, hf "
          f"backend (embedded SmolLM2-135M, float32, CPU, batch {batch_size})")
    row("one pair at a time, sampled requests alone", old, n_pairs)
    row(f"windows of {backend.window_pairs} pairs, batched seeded sampling", new, n_pairs, old)
    print(f"  speed-up {old / new:.2f}x (goal >= 2.5x: {'met' if old / new >= 2.5 else 'NOT met'}); "
          f"same selections: {'yes' if old_chosen == new_chosen else 'NO'}")


def bench_llamacpp(n_pairs: int, tmp: Path, synthesis: SynthesisConfig) -> None:
    from recon.backends.llamacpp import LlamaCppBackend, embedded_gguf_path
    examples = pairs(n_pairs)
    backend = LlamaCppBackend(str(embedded_gguf_path()))
    seconds, _ = timed_select(examples, lambda cfg: backend, tmp, "llama", window=None, synthesis=synthesis)
    print(f"\nRecon-Select, likelihood scorer, N = 4, {n_pairs} pairs, {synthesis.max_tokens}-token candidates, "
          "llama.cpp (embedded GGUF Q4_1, CPU, window 1)")
    row("llama.cpp", seconds, n_pairs)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parts", default="server,judge,validity,hf,llamacpp")
    ap.add_argument("--pairs", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--hf-pairs", type=int, default=16)
    ap.add_argument("--hf-batch", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=128, help="candidate length (the synthesis default)")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if parts & {"server", "judge", "validity"}:
            bench_server(args.pairs, args.concurrency, tmp, parts)
        if "hf" in parts:
            bench_hf(args.hf_pairs, args.hf_batch, tmp, SynthesisConfig(max_tokens=args.max_tokens))
        if "llamacpp" in parts:
            bench_llamacpp(args.hf_pairs, tmp, SynthesisConfig(max_tokens=args.max_tokens))
    return 0


if __name__ == "__main__":
    sys.exit(main())
