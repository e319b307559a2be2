"""`recon score`: score existing traces by reconstruction (and measure their leakage)."""

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
    holding,
    leakage_config_from_args,
)
from recon.cli.exit_codes import finished
from recon.cli.inputs import examples_from_args
from recon.cli.output import console, progress_bar
from recon.cli.synthesize_cmd import print_summaries
from recon.config import ReconstructionConfig
from recon.data.trace_records import read_traces
from recon.jobs.context import JobContext
from recon.jobs.score import run_scoring


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="score existing traces by reconstruction; leakage beside")
    p.add_argument("--traces", required=True, type=Path, metavar="FILE",
                   help="a traces JSONL written by `recon synthesize`")
    add_data_args(p)
    add_backend_args(p, "reconstruction LM unless --reconstructor")
    add_scoring_args(p, required_scorer=True)
    add_out(p, "file", "the scored JSONL (default: beside the --traces file, named "
            "NAME.scored-SCORER.jsonl)", required=False)
    p.add_argument("--dry-run", action="store_true", help="fake backend and embedder: check inputs, no model")
    p.set_defaults(func=cmd_score)


def cmd_score(args: argparse.Namespace) -> int:
    out = args.out or args.traces.with_name(f"{args.traces.stem}.scored-{args.scorer}.jsonl")
    with holding(out):
        return score_into(args, out)


def score_into(args: argparse.Namespace, out: Path) -> int:
    examples = examples_from_args(args)
    recon_spec = "fake" if args.dry_run else (args.reconstructor or args.model)
    judge_spec = "fake" if args.dry_run else (args.listwise_judge or recon_spec)
    embedder = embedder_from_args(args, dry_run=args.dry_run and args.scorer == "embedding")
    traces = read_traces(args.traces)
    with progress_bar(f"scoring ({args.scorer})", len(traces)) as advance:
        summary = run_scoring(JobContext(progress=advance, embedder=embedder), traces, examples,
                              scorer_name=args.scorer, traces_path=args.traces,
                              reconstructor=backend_config_from_args(args, recon_spec),
                              judge=backend_config_from_args(args, judge_spec), cfg=ReconstructionConfig(),
                              out=out, leakage=leakage_config_from_args(args))
    print_summaries("scoring", [summary])
    console.print(f"wrote {summary.pairs} scored records → {out} (run {summary.run})")
    return finished(summary.failures, "scoring")
