"""Loading the examples a command works on (`--data`, flags from `cli/args.py`): JSONL files or a ConvoKit
directory, then filters.

    >>> examples_from_args(argparse.Namespace(data=[], speaker=None, individual=None, limit=None))
    []
"""

from __future__ import annotations

import argparse
from pathlib import Path

from recon.data.convokit import load_convokit
from recon.data.corpus import is_convokit_dir, load_examples
from recon.data.trace_records import read_traces
from recon.errors import ConfigError, DataError
from recon.types import Example


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


def traces_and_method(path: Path | None) -> tuple[dict[str, str] | None, str]:
    """{pair id: trace} of one method's traces file and the method's name; (None, "none") without one."""
    if path is None:
        return None, "none"
    records = read_traces(path)
    methods = {r.method for r in records}
    if len(methods) != 1:
        raise ConfigError(f"{path} mixes methods {sorted(methods)}; give one method's traces")
    return {r.id: r.reasoning for r in records if r.reasoning}, methods.pop()
