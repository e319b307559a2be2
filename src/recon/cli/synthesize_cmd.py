"""`recon synthesize`: reasoning traces for pairs (forward, backward, recon-select)."""

from __future__ import annotations

import argparse
from pathlib import Path

from recon.backends.registry import SPEC_HELP
from recon.cli.inputs import add_data_args, examples_from_args
from recon.cli.output import console, err_console, print_table, progress_bar
from recon.config import (
    BackendConfig,
    LeakageConfig,
    ReconSelectConfig,
    ReconstructionConfig,
    SynthesisConfig,
    validated,
)
from recon.errors import ConfigError
from recon.jobs.common import TABLE_COLUMNS, JobSummary, table_row
from recon.jobs.synthesize import run_recon_select, run_synthesis
from recon.method.scoring import SCORERS
from recon.store.db import Database


def add_backend_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="embedded", help=f"synthesizer LM: {SPEC_HELP} (default: embedded)")
    parser.add_argument("--api-key-env", help="name of the env var holding the API key (default OPENAI_API_KEY)")
    parser.add_argument("--chat-template", help="openai logprob: 'chatml' or a Jinja template file")
    parser.add_argument("--concurrency", type=int, help="openai: requests in flight (default 8)")
    parser.add_argument("--n-ctx", type=int, help="local backends: context window in tokens (default 4096)")
    parser.add_argument("--dtype", choices=["auto", "float32", "bfloat16", "float16"],
                        help="hf: weights' dtype (default auto: bfloat16 on a capable GPU, float32 otherwise)")
    parser.add_argument("--batch-size", dest="backend_batch_size", type=int,
                        help="hf: sequences per forward pass (default 8)")


def backend_config_from_args(args: argparse.Namespace, spec: str) -> BackendConfig:
    return validated(BackendConfig, spec=spec, api_key_env=args.api_key_env, chat_template=args.chat_template,
                     concurrency=args.concurrency, n_ctx=args.n_ctx, dtype=args.dtype,
                     batch_size=args.backend_batch_size)


def add_scoring_args(parser: argparse.ArgumentParser, *, required_scorer: bool = False) -> None:
    parser.add_argument("--scorer", choices=SCORERS, required=required_scorer,
                        help="reconstruction scorer (recon-select default: likelihood)")
    parser.add_argument("--reconstructor", help="reconstruction LM spec (default: the --model spec)")
    parser.add_argument("--judge", help="listwise judge LM spec for --scorer judge (default: the reconstructor)")
    parser.add_argument("--leak-policy", choices=["reject", "penalize"], help="what selection does with leaking traces")
    parser.add_argument("--leak-max-run", type=int, help="longest shared word run allowed (default 7)")
    parser.add_argument("--leak-max-fraction", type=float, help="share of the action's 4-grams allowed (default 0.3)")
    parser.add_argument("--leak-penalty", type=float, help="λ of score − λ·overlap under --leak-policy penalize")


def leakage_config_from_args(args: argparse.Namespace) -> LeakageConfig:
    return validated(LeakageConfig, policy=args.leak_policy, max_shared_run=args.leak_max_run,
                     max_ngram_fraction=args.leak_max_fraction, penalty=args.leak_penalty)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synthesize", help="synthesize reasoning traces for pairs")
    add_data_args(p)
    p.add_argument("--method", required=True, choices=["forward", "backward", "recon-select", "recon-grpo"])
    p.add_argument("--synthesizer", type=Path, help="recon-grpo: the policy folder written by `recon train grpo`")
    add_backend_args(p)
    add_scoring_args(p)
    p.add_argument("--n", type=int, help="recon-select: candidates per pair (default 4)")
    p.add_argument("--out", required=True, type=Path, help="traces JSONL (written atomically at the end)")
    p.add_argument("--temperature", type=float)
    p.add_argument("--top-p", type=float)
    p.add_argument("--max-tokens", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--dry-run", action="store_true", help="use the fake backend everywhere: check inputs and "
                   "outputs without a model")
    p.set_defaults(func=cmd_synthesize)


def print_summaries(title: str, summaries: list[JobSummary]) -> None:
    print_table(title, TABLE_COLUMNS, [table_row(s) for s in summaries])


def cmd_synthesize(args: argparse.Namespace) -> int:
    examples = examples_from_args(args)
    spec = "fake" if args.dry_run else args.model
    label = args.method
    if args.method == "recon-grpo":
        # a GRPO-trained synthesizer writes backward traces (several + selection with --n)
        if args.synthesizer is None:
            raise ConfigError("--method recon-grpo needs --synthesizer CHECKPOINT (from `recon train grpo`)")
        if not (args.synthesizer / "recon_grpo.json").is_file():
            raise ConfigError(f"{args.synthesizer} is not a recon GRPO checkpoint (no recon_grpo.json)")
        if not args.dry_run:
            spec = f"hf:{args.synthesizer}"
        args.method = "recon-select" if (args.n or 1) > 1 else "backward"
    synth_backend = backend_config_from_args(args, spec)
    inputs = [str(p) for p in args.data]
    if args.method == "recon-select":
        synth = validated(SynthesisConfig, method="backward", max_tokens=args.max_tokens)
        cfg = validated(ReconSelectConfig, n=args.n, scorer=args.scorer, temperature=args.temperature,
                        top_p=args.top_p, seed=args.seed, synthesis=synth, reconstruction=ReconstructionConfig(),
                        leakage=leakage_config_from_args(args))
        recon_spec = "fake" if args.dry_run else (args.reconstructor or spec)
        judge_spec = "fake" if args.dry_run else (args.judge or recon_spec)
        embedder = None
        if args.dry_run and cfg.scorer == "embedding":
            from recon.method.embeddings import HashEmbedder
            embedder = HashEmbedder()
        with progress_bar(f"{label} ({cfg.scorer}, n={cfg.n})", len(examples)) as advance:
            summary = run_recon_select(examples, cfg, synthesizer=synth_backend,
                                       reconstructor=backend_config_from_args(args, recon_spec),
                                       judge=backend_config_from_args(args, judge_spec), out=args.out,
                                       db=Database(), on_progress=advance, inputs=inputs, embedder=embedder,
                                       label=label)
        failures = []
    else:
        if args.scorer or args.n:
            err_console.print("note: --scorer and --n apply to --method recon-select only; ignored")
        cfg = validated(SynthesisConfig, method=args.method, temperature=args.temperature, top_p=args.top_p,
                        max_tokens=args.max_tokens, seed=args.seed)
        with progress_bar(f"{label} synthesis", len(examples)) as advance:
            summary, failures = run_synthesis(examples, synth_backend, cfg, out=args.out, db=Database(),
                                              on_progress=advance, inputs=inputs, label=label)
    print_summaries("synthesis", [summary])
    console.print(f"wrote {summary.written} traces → {summary.out} (run {summary.run})")
    for failure in failures[:10]:
        err_console.print(f"failed {failure.id}: {failure.error}")
    if summary.invalid:
        err_console.print(f"{summary.invalid} of {summary.pairs} pairs have no usable trace (why: the 'invalid' field "
                          "of the output, or the errors above); re-running the same command retries only LM calls "
                          "that failed")
        return 1
    return 0
