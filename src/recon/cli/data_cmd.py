"""`recon data`: stats, split, convert (ConvoKit → pairs JSONL)."""

from __future__ import annotations

import argparse
from pathlib import Path

from recon.atomicio import write_jsonl_atomic
from recon.cli.inputs import examples_from_args
from recon.cli.output import console, print_table
from recon.data.convokit import load_convokit
from recon.data.splits import split_examples
from recon.data.stats import corpus_stats


def register(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="inspect, split and convert pair corpora")
    dsub = data.add_subparsers(dest="data_command", required=True)

    stats = dsub.add_parser("stats", help="a table per individual: pairs, conversations, mean lengths")
    stats.add_argument("paths", nargs="+", metavar="PATH", help="pairs JSONL files, or one ConvoKit directory")
    stats.add_argument("--speaker", help="ConvoKit speaker id")
    stats.add_argument("--max-context", type=int, default=8)
    stats.set_defaults(func=cmd_stats)

    split = dsub.add_parser("split", help="deterministic train/test split by conversation")
    split.add_argument("paths", nargs="+", metavar="PATH")
    split.add_argument("--test-fraction", type=float, default=0.3)
    split.add_argument("--by", default="conversation_id", help="conversation_id (default) or meta.NAME")
    split.add_argument("--seed", type=int, default=0)
    split.add_argument("--out-dir", required=True, type=Path)
    split.set_defaults(func=cmd_split)

    convert = dsub.add_parser("convert", help="ConvoKit corpus directory → pairs JSONL for one speaker")
    convert.add_argument("directory", type=Path)
    convert.add_argument("--speaker", required=True)
    convert.add_argument("--max-context", type=int, default=8)
    convert.add_argument("--context", choices=["thread", "sequence"], default="thread",
                         help="follow reply-to (thread, default) or the previous turns in time (sequence)")
    convert.add_argument("--domain", help="domain name (default: the directory's name)")
    convert.add_argument("--out", required=True, type=Path)
    convert.set_defaults(func=cmd_convert)


def _load(args: argparse.Namespace):
    ns = argparse.Namespace(data=args.paths, speaker=getattr(args, "speaker", None),
                            max_context=getattr(args, "max_context", 8), individual=None, limit=None)
    return examples_from_args(ns)


def cmd_stats(args: argparse.Namespace) -> int:
    rows = corpus_stats(_load(args))
    print_table("pairs per individual", ["domain", "individual", "pairs", "conversations", "mean action words",
                                         "mean context turns"],
                [[r.domain, r.individual, r.pairs, r.conversations, round(r.mean_action_words, 1),
                  round(r.mean_context_turns, 2)] for r in rows])
    return 0


def cmd_split(args: argparse.Namespace) -> int:
    train, test = split_examples(_load(args), test_fraction=args.test_fraction, seed=args.seed, by=args.by)
    write_jsonl_atomic(args.out_dir / "train.jsonl", (e.to_json() for e in train))
    write_jsonl_atomic(args.out_dir / "test.jsonl", (e.to_json() for e in test))
    console.print(f"train: {len(train)} pairs, test: {len(test)} pairs (by {args.by}, seed {args.seed}) "
                  f"→ {args.out_dir}")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    result = load_convokit(args.directory, args.speaker, max_context=args.max_context, context=args.context,
                           domain=args.domain)
    n = write_jsonl_atomic(args.out, (e.to_json() for e in result.examples))
    skipped = ", ".join(f"{k}: {v}" for k, v in result.skipped.items())
    console.print(f"{n} pairs for {args.speaker} → {args.out} (skipped {skipped})")
    return 0
