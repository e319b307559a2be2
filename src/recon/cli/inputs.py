"""Loading the examples a command works on: JSONL files or a ConvoKit directory, then filters.

    >>> parser = argparse.ArgumentParser(); add_data_args(parser)
    >>> parser.parse_args(["--data", "a.jsonl", "--limit", "3"]).limit
    3
"""

from __future__ import annotations

import argparse

from recon.data.convokit import load_convokit
from recon.data.corpus import is_convokit_dir, load_examples
from recon.errors import ConfigError, DataError
from recon.types import Example


def add_data_args(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("--data", action="append", required=required, metavar="PATH",
                        help="pairs JSONL file (repeatable) or a ConvoKit corpus directory")
    parser.add_argument("--speaker", help="ConvoKit speaker id whose turns are the actions")
    parser.add_argument("--max-context", type=int, default=8, help="ConvoKit: previous turns kept (default 8)")
    parser.add_argument("--individual", action="append", help="keep only this individual (repeatable)")
    parser.add_argument("--limit", type=int, help="keep the first N pairs (after --individual)")


def examples_from_args(args: argparse.Namespace) -> list[Example]:
    paths = args.data or []
    convokit = [p for p in paths if is_convokit_dir(p)]
    if convokit:
        if len(paths) != 1:
            raise ConfigError("give one ConvoKit directory on its own (--data DIR --speaker ID)")
        if not args.speaker:
            raise ConfigError(f"{paths[0]} is a ConvoKit corpus: name whose turns to predict with --speaker ID")
        examples = load_convokit(paths[0], args.speaker, max_context=args.max_context).examples
    else:
        if args.speaker:
            raise ConfigError("--speaker only applies to a ConvoKit corpus directory")
        examples = load_examples(paths)
    if args.individual:
        wanted = set(args.individual)
        known = {e.individual for e in examples}
        missing = wanted - known
        if missing:
            raise DataError(f"no pairs for individual(s) {sorted(missing)}; present: {sorted(known)}",
                            path=", ".join(paths))
        examples = [e for e in examples if e.individual in wanted]
    if args.limit is not None:
        if args.limit < 1:
            raise ConfigError("--limit must be >= 1")
        examples = examples[:args.limit]
    return examples
