"""`recon data`: stats, split, convert (tables or ConvoKit → pairs JSONL)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from recon.atomicio import atomic_writers, write_jsonl_atomic
from recon.cli.args import add_out, holds_out, non_negative_int, positive_int, renamed, renamed_positional
from recon.cli.inputs import examples_from_args
from recon.cli.output import console, print_table
from recon.data.convokit import load_convokit
from recon.data.corpus import is_convokit_dir
from recon.data.mapping import RULES_HELP, mapping_from
from recon.data.splits import split_examples
from recon.data.stats import corpus_stats
from recon.data.tables import iter_table
from recon.errors import ConfigError
from recon.hub import HubSnapshot


def register(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="inspect, split and convert pair corpora")
    dsub = data.add_subparsers(dest="data_command", required=True)

    stats = dsub.add_parser("stats", help="a table per individual: pairs, conversations, mean lengths")
    add_corpus_args(stats)
    stats.set_defaults(func=cmd_stats)

    split = dsub.add_parser("split", help="deterministic train/test split by conversation")
    add_corpus_args(split)
    split.add_argument("--test-fraction", type=float, default=0.3, metavar="SHARE",
                       help="share of the groups that go to test.jsonl")
    split.add_argument("--by", default="conversation_id", metavar="NAME",
                       help="the group kept on one side: conversation_id or meta.NAME")
    split.add_argument("--seed", type=non_negative_int, default=0, help="which groups go to test.jsonl")
    add_out(split, "folder", "where train.jsonl and test.jsonl go")
    renamed(split, "--out-dir", "--out")
    split.set_defaults(func=cmd_split)

    convert = dsub.add_parser("convert", help="a table (Parquet, CSV, JSON / JSONL, datasets folder, Hub dataset) "
                              "with a column mapping, or a ConvoKit corpus for one speaker → pairs JSONL")
    convert.add_argument("directory", metavar="SOURCE",
                         help=".parquet, .csv, .json, .jsonl, a datasets save_to_disk folder, a Hub dataset id "
                              "ORG/NAME[@REVISION] (from the Hugging Face cache or the Hub), or a ConvoKit folder")
    convert.add_argument("--speaker", metavar="ID", help="ConvoKit: the speaker id whose turns are the actions "
                         "(required for a ConvoKit folder)")
    convert.add_argument("--max-context", type=positive_int, help="ConvoKit: previous turns kept (default 8)")
    convert.add_argument("--context", choices=["thread", "sequence"],
                         help="ConvoKit: follow reply-to (thread, default) or the previous turns in time (sequence)")
    convert.add_argument("--domain", metavar="NAME", help="domain name (default: the file's or folder's name)")
    add_table_args(convert)
    add_out(convert, "file", "the pairs JSONL")
    convert.set_defaults(func=cmd_convert)


def add_table_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--map", action="extend", nargs="+", default=[], metavar="FIELD=COLUMN",
                        help="table: which column becomes which pair field, e.g. action=response "
                             "(fields: context, action, individual, conversation_id; id, domain, turn_index, "
                             "meta, meta.NAME)")
    parser.add_argument("--mapping", type=Path, metavar="FILE",
                        help="table: the mapping as YAML (columns, speaker_field, domain, split); --map wins "
                             "(default: --map only)")
    parser.add_argument("--speaker-field", metavar="RULE",
                        help=f"table: who speaks context turns given as strings: {RULES_HELP} (default: "
                             "turns must name their speaker)")
    parser.add_argument("--split", metavar="NAME", help="table: the split of a datasets folder or Hub dataset "
                        "that holds several (default: its only split)")
    parser.add_argument("--config", dest="dataset_config", metavar="NAME",
                        help="Hub dataset: its configuration (subset; default: its only one)")
    parser.add_argument("--revision", metavar="NAME", help="Hub dataset: a branch, tag or commit (default main)")


def add_corpus_args(parser: argparse.ArgumentParser) -> None:
    """`--data PATH` (repeatable) and the ConvoKit options of `data stats` and `data split`."""
    parser.add_argument("--data", action="append", required=True, metavar="PATH",
                        help="pairs: a JSONL file (repeatable) or one ConvoKit corpus directory")
    renamed_positional(parser, "PATH", "--data PATH")
    parser.add_argument("--speaker", metavar="ID", help="ConvoKit speaker id whose turns are the actions "
                        "(required for a ConvoKit directory)")
    parser.add_argument("--max-context", type=positive_int, default=8, help="ConvoKit: previous turns kept")


def _load(args: argparse.Namespace):
    ns = argparse.Namespace(data=args.data, speaker=args.speaker, max_context=args.max_context, individual=None,
                            limit=None)
    return examples_from_args(ns)


def cmd_stats(args: argparse.Namespace) -> int:
    rows = corpus_stats(_load(args))
    print_table("pairs per individual", ["domain", "individual", "pairs", "conversations", "mean action words",
                                         "mean context turns"],
                [[r.domain, r.individual, r.pairs, r.conversations, round(r.mean_action_words, 1),
                  round(r.mean_context_turns, 2)] for r in rows])
    return 0


@holds_out
def cmd_split(args: argparse.Namespace) -> int:
    train, test = split_examples(_load(args), test_fraction=args.test_fraction, seed=args.seed, by=args.by)
    with atomic_writers([args.out / "train.jsonl", args.out / "test.jsonl"]) as handles:   # both or neither
        for handle, examples in zip(handles, (train, test), strict=True):
            handle.writelines(json.dumps(e.to_json(), ensure_ascii=False) + "\n" for e in examples)
    console.print(f"train: {len(train)} pairs, test: {len(test)} pairs (by {args.by}, seed {args.seed}) "
                  f"→ {args.out}")
    return 0


@holds_out
def cmd_convert(args: argparse.Namespace) -> int:
    if not is_convokit_dir(Path(args.directory)):
        return convert_table(args)
    if not args.speaker:
        raise ConfigError(f"{args.directory} is a ConvoKit corpus: name whose turns are the actions with --speaker ID")
    if args.map or args.mapping or args.speaker_field or args.split or args.dataset_config or args.revision:
        raise ConfigError("--map, --mapping, --speaker-field, --split, --config and --revision apply to tables, "
                          "not to a ConvoKit corpus")
    result = load_convokit(Path(args.directory), args.speaker, max_context=args.max_context or 8,
                           context=args.context or "thread", domain=args.domain)
    n = write_jsonl_atomic(args.out, (e.to_json() for e in result.examples))
    skipped = ", ".join(f"{k}: {v}" for k, v in result.skipped.items())
    console.print(f"{n} pairs for {args.speaker} → {args.out} (skipped {skipped})")
    return 0


def convert_table(args: argparse.Namespace) -> int:
    if args.speaker or args.context or args.max_context is not None:
        raise ConfigError("--speaker, --context and --max-context apply to a ConvoKit corpus folder only")
    mapping = mapping_from(entries=args.map, file=args.mapping, speaker_field=args.speaker_field,
                           domain=args.domain, split=args.split, config=args.dataset_config,
                           revision=args.revision)
    read: list[HubSnapshot] = []
    pairs = iter_table(args.directory, mapping, on_snapshot=read.append)
    n = write_jsonl_atomic(args.out, (e.to_json() for e in pairs))
    source = f"{read[0].ref.repo_id} at commit {read[0].commit}" if read else args.directory
    console.print(f"{n} pairs → {args.out} (from {source})")
    return 0
