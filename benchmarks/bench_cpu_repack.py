"""What llama.cpp's extra buffer types (repacked / AMX weights, `cpu_repack`) change on this machine, measured
side by side in one run for the embedded model (or any GGUF with `--gguf`), and what the child-process
check costs.

Per setting (off = recon's default, on = `cpu_repack: true`), in alternating rounds so that load on the
machine hits both alike: greedy generation of `--tokens` tokens for each of 4 prompts (tokens/s), and
likelihood scoring of 8 continuations after a long context (seconds). Prints the medians, the ratio off/on,
whether both settings gave the same texts and log-probabilities, and the check's time the first time (a
fresh `$RECON_HOME`) and when remembered. The `on` setting is checked in a child process first and left
out, with the reason, where it crashes (as on some CPUs that report AMX).

    PYTHONPATH=src .venv/bin/python benchmarks/bench_cpu_repack.py [--gguf FILE] [--rounds 3] [--tokens 64]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from recon.backends import llamacpp_check
from recon.backends.base import GenRequest, Message, ScoreRequest
from recon.backends.cpu import cpu_features, physical_cores
from recon.backends.llamacpp import LlamaCppBackend, embedded_gguf_path
from recon.errors import ConfigError

PROMPTS = ["Hello, my name is", "Explain why the budget vote was delayed.",
           "Write two sentences about a city council meeting.", "What is a reasoning trace?"]
CONTEXT = " ".join(f"Councillor {i} asked about the budget for road repairs and the library." for i in range(30))
CONTINUATIONS = [f"I will vote {w} because of the {t}." for w in ("for", "against") for t in
                 ("roads", "library", "deficit", "schedule")]


def backend(gguf: Path | None, cpu_repack: bool, threads: int) -> LlamaCppBackend:
    return LlamaCppBackend(gguf, cpu_repack=cpu_repack, n_threads=threads)


def one_round(llm: LlamaCppBackend, tokens: int) -> tuple[float, float, list[str], list[float]]:
    """(generated tokens/s, scoring seconds, texts, log-probabilities) of one round on a loaded backend."""
    gens = [GenRequest(messages=(Message("user", p),), max_tokens=tokens, temperature=0.0) for p in PROMPTS]
    started = time.perf_counter()
    out = llm.generate(gens)
    gen_s = time.perf_counter() - started
    scores = [ScoreRequest(messages=(Message("user", CONTEXT),), continuation=c) for c in CONTINUATIONS]
    llm._evaluated.clear()                 # every round scores from an empty KV cache
    started = time.perf_counter()
    scored = llm.logprob(scores)
    score_s = time.perf_counter() - started
    return (sum(g.completion_tokens for g in out) / gen_s, score_s, [g.text for g in out],
            [s.logprob for s in scored])


def check_times(gguf: Path, threads: int) -> tuple[float, float]:
    """Seconds of the child-process check: first on a fresh $RECON_HOME, then remembered (a new process)."""
    with tempfile.TemporaryDirectory() as home:
        os.environ["RECON_HOME"] = home
        llamacpp_check._passed.clear()
        started = time.perf_counter()
        llamacpp_check.ensure_llamacpp_runs(gguf, cpu_repack=False, n_threads=threads)
        first = time.perf_counter() - started
        llamacpp_check._passed.clear()
        started = time.perf_counter()
        llamacpp_check.ensure_llamacpp_runs(gguf, cpu_repack=False, n_threads=threads)
        return first, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", type=Path, help="a GGUF file (default: the embedded model)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per setting (default 3)")
    parser.add_argument("--tokens", type=int, default=64, help="generated tokens per prompt (default 64)")
    args = parser.parse_args()
    gguf = args.gguf or embedded_gguf_path()
    threads = physical_cores()
    print(f"{gguf.name}; {threads} threads; CPU features: {' '.join(cpu_features()) or 'unknown'}")
    first, again = check_times(gguf, threads)
    print(f"check in a child process: {first:.2f} s the first time, {again:.3f} s remembered")
    settings = {"off": backend(args.gguf, False, threads), "on": backend(args.gguf, True, threads)}
    try:
        settings["on"].preflight("generate")
    except ConfigError as exc:
        print(f"on: left out: {exc}")
        del settings["on"]
    results: dict[str, list] = {name: [] for name in settings}
    for _ in range(args.rounds):
        for name, llm in settings.items():
            results[name].append(one_round(llm, args.tokens))
    for name, rounds in results.items():
        tps = statistics.median(r[0] for r in rounds)
        score = statistics.median(r[1] for r in rounds)
        print(f"{name:>3}: generation {tps:7.1f} tokens/s   "
              f"scoring {score:6.2f} s for {len(CONTINUATIONS)} continuations")
    if "on" in results:
        off, on = results["off"], results["on"]
        gen_ratio = statistics.median(r[0] for r in off) / statistics.median(r[0] for r in on)
        score_ratio = statistics.median(r[1] for r in on) / statistics.median(r[1] for r in off)
        print(f"off/on: generation speed ratio {gen_ratio:.3f}, scoring speed ratio {score_ratio:.3f} (1 = same)")
        print(f"same texts: {off[0][2] == on[0][2]}; largest log-probability difference: "
              f"{max(abs(a - b) for a, b in zip(off[0][3], on[0][3], strict=True)):.2e}")
    for llm in settings.values():
        llm.close()


if __name__ == "__main__":
    main()
