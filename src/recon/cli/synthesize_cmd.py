"""`recon synthesize`: reasoning traces for pairs, by any method of the registry that writes traces itself
(forward, backward, recon-select, the random-of-n / longest-of-n controls, recon-grpo, recon-grpo-select)."""

from __future__ import annotations

import argparse
from pathlib import Path

from recon.cli.args import (
    add_backend_args,
    add_data_args,
    add_out,
    add_scoring_args,
    backend_config_from_args,
    embedder_from_args,
    field_default,
    holds_out,
    leakage_config_from_args,
    non_negative_int,
    positive_int,
    renamed,
)
from recon.cli.exit_codes import finished
from recon.cli.inputs import examples_from_args
from recon.cli.output import console, err_console, print_table, progress_bar
from recon.config import ReconSelectConfig, ReconstructionConfig, SynthesisConfig, validated
from recon.errors import ConfigError
from recon.jobs.common import TABLE_COLUMNS, JobSummary, table_row
from recon.jobs.context import JobContext
from recon.jobs.synthesize import run_recon_select, run_synthesis
from recon.method.synthesis import Failure
from recon.methods import cli_methods, fixed_scorer, method_spec, selecting_variant


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synthesize", help="synthesize reasoning traces for pairs")
    add_data_args(p)
    p.add_argument("--method", required=True, choices=cli_methods(),
                   help="how traces are written; random-of-n / longest-of-n: the controls "
                   "(Recon-Select's candidates, no reconstruction)")
    add_backend_args(p, "synthesizer LM (recon-grpo, recon-grpo-select: hf:DIR, the folder written by "
                        "`recon train grpo`)")
    renamed(p, "--synthesizer", "--model hf:DIR")
    add_scoring_args(p)
    p.add_argument("--n", type=positive_int, help="recon-select, recon-grpo-select and the controls: candidates per "
                   "pair (default 4)")
    add_out(p, "file", "the traces JSONL (written atomically at the end; its manifest beside it)")
    p.add_argument("--temperature", type=float, help="the synthesizer's sampling temperature "
                   f"(default {field_default(SynthesisConfig, 'temperature')})")
    p.add_argument("--top-p", type=float, help="the synthesizer's nucleus sampling mass "
                   f"(default {field_default(SynthesisConfig, 'top_p')})")
    p.add_argument("--max-tokens", type=positive_int,
                   help=f"most tokens per trace (default {field_default(SynthesisConfig, 'max_tokens')})")
    p.add_argument("--seed", type=non_negative_int,
                   help=f"sampling seed (default {field_default(SynthesisConfig, 'seed')})")
    p.add_argument("--dry-run", action="store_true", help="use the fake backend everywhere: check inputs and "
                   "outputs without a model")
    p.set_defaults(func=cmd_synthesize)


def grpo_checkpoint(spec: str, method: str) -> Path:
    """The folder of `--model hf:DIR` for a method whose traces a GRPO policy writes, checked to be a recon GRPO
    synthesizer."""
    from recon.paths import GRPO_META
    if not spec.startswith("hf:"):
        raise ConfigError(f"--method {method} needs --model hf:CHECKPOINT (a folder written by `recon train grpo`)")
    folder = Path(spec[3:])
    if not (folder / GRPO_META).is_file():
        raise ConfigError(f"{folder} is not a recon GRPO checkpoint (no {GRPO_META})")
    return folder


def print_summaries(title: str, summaries: list[JobSummary]) -> None:
    print_table(title, TABLE_COLUMNS, [table_row(s) for s in summaries])


@holds_out
def cmd_synthesize(args: argparse.Namespace) -> int:
    examples = examples_from_args(args)
    spec = "fake" if args.dry_run else args.model
    label, method = args.method, method_spec(args.method)
    if not method.selects and args.n is not None and args.n > 1:
        raise ConfigError(f"--method {label} writes one trace per pair; for --n {args.n} candidates per pair use "
                          f"--method {selecting_variant(method).name}")
    if method.policy == "recon":          # a GRPO-trained synthesizer writes backward traces
        grpo_checkpoint(args.model, label)
    synth_backend = backend_config_from_args(args, spec)
    inputs = [str(p) for p in args.data]
    if method.selects:
        synth = validated(SynthesisConfig, method=method.prompt, temperature=args.temperature, top_p=args.top_p,
                          max_tokens=args.max_tokens, seed=args.seed)
        select = validated(ReconSelectConfig, n=args.n, scorer=args.scorer, reconstruction=ReconstructionConfig(),
                           leakage=leakage_config_from_args(args))
        recon_spec = "fake" if args.dry_run else (args.reconstructor or spec)
        judge_spec = "fake" if args.dry_run else (args.listwise_judge or recon_spec)
        embedder = embedder_from_args(args, dry_run=args.dry_run and select.scorer == "embedding")
        reconstructor, judge = backend_config_from_args(args, recon_spec), backend_config_from_args(args, judge_spec)
        with progress_bar(f"{label} ({fixed_scorer(label) or select.scorer}, n={select.n})", len(examples)) as advance:
            summary = run_recon_select(JobContext(progress=advance, embedder=embedder), examples, select,
                                       synthesis=synth, synthesizer=synth_backend, reconstructor=reconstructor,
                                       judge=judge, out=args.out, inputs=inputs, label=label)
        failures: list[Failure] = []
    else:
        if args.scorer:
            err_console.print("note: --scorer applies to the methods that select among candidates only; ignored")
        cfg = validated(SynthesisConfig, method=method.prompt, temperature=args.temperature, top_p=args.top_p,
                        max_tokens=args.max_tokens, seed=args.seed)
        with progress_bar(f"{label} synthesis", len(examples)) as advance:
            summary, failures = run_synthesis(JobContext(progress=advance), examples, synth_backend, cfg,
                                              out=args.out, inputs=inputs, label=label)
    print_summaries("synthesis", [summary])
    console.print(f"wrote {summary.written} traces → {summary.out} (run {summary.run})")
    for failure in [f for f in failures if f.transient][:10]:
        err_console.print(f"failed {failure.id}: {failure.error}", markup=False)
    if summary.invalid:
        err_console.print(f"{summary.invalid} of {summary.pairs} pairs have no usable trace (why: the 'invalid' field "
                          "of the output; 'transient': true marks those a re-run retries)")
    return finished(summary.failures, "synthesis")
