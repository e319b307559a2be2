"""`recon synthesize`: write one reasoning trace per pair (forward / backward)."""

from __future__ import annotations

import argparse
from pathlib import Path

from recon.backends.registry import SPEC_HELP
from recon.cli.inputs import add_data_args, examples_from_args
from recon.cli.output import console, err_console, print_table, progress_bar
from recon.config import BackendConfig, SynthesisConfig, validated
from recon.store.db import Database
from recon.synthesis_job import SynthesisJobResult, run_synthesis


def add_backend_args(parser: argparse.ArgumentParser, flag: str = "--model") -> None:
    parser.add_argument(flag, default="embedded", help=f"LM backend: {SPEC_HELP} (default: embedded)")
    parser.add_argument("--api-key-env", help="name of the env var holding the API key (default OPENAI_API_KEY)")
    parser.add_argument("--chat-template", help="openai logprob: 'chatml' or a Jinja template file")
    parser.add_argument("--concurrency", type=int, help="openai: requests in flight (default 8)")
    parser.add_argument("--n-ctx", type=int, help="local backends: context window in tokens (default 4096)")


def backend_config_from_args(args: argparse.Namespace, spec: str) -> BackendConfig:
    return validated(BackendConfig, spec=spec, api_key_env=args.api_key_env, chat_template=args.chat_template,
                     concurrency=args.concurrency, n_ctx=args.n_ctx)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synthesize", help="synthesize reasoning traces for pairs")
    add_data_args(p)
    p.add_argument("--method", required=True, choices=["forward", "backward"])
    add_backend_args(p)
    p.add_argument("--out", required=True, type=Path, help="traces JSONL (written atomically at the end)")
    p.add_argument("--temperature", type=float)
    p.add_argument("--top-p", type=float)
    p.add_argument("--max-tokens", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--dry-run", action="store_true", help="use the fake backend: check inputs and outputs, no model")
    p.set_defaults(func=cmd_synthesize)


def print_synthesis_summary(results: list[SynthesisJobResult]) -> None:
    rows = []
    for r in results:
        c = r.cost
        rows.append([r.method, r.pairs, r.written, len(r.failures), c.calls, c.cache_hits, c.backend_calls,
                     c.prompt_tokens, c.completion_tokens, round(c.seconds, 1),
                     round(c.seconds / r.pairs, 2) if r.pairs else 0.0])
    print_table("synthesis", ["method", "pairs", "written", "failed", "LM calls", "cache hits", "backend calls",
                              "prompt tok", "completion tok", "backend s", "s/pair"], rows)


def cmd_synthesize(args: argparse.Namespace) -> int:
    examples = examples_from_args(args)
    cfg = validated(SynthesisConfig, method=args.method, temperature=args.temperature, top_p=args.top_p,
                    max_tokens=args.max_tokens, seed=args.seed)
    backend_cfg = backend_config_from_args(args, "fake" if args.dry_run else args.model)
    with progress_bar(f"{args.method} synthesis", len(examples)) as advance:
        result = run_synthesis(examples, backend_cfg, cfg, out=args.out, db=Database(), on_progress=advance,
                               inputs=[str(p) for p in args.data])
    print_synthesis_summary([result])
    console.print(f"wrote {result.written} traces → {result.out} (run {result.run})")
    for failure in result.failures[:10]:
        err_console.print(f"failed {failure.id}: {failure.error}")
    if result.failures:
        err_console.print(f"{len(result.failures)} pairs failed; re-run the same command to retry them "
                          "(finished pairs come from the cache)")
        return 1
    return 0
