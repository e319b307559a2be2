"""`recon export`: pairs + one method's traces → TRL-ready chat data (JSONL, a datasets folder, a dataset card)."""

from __future__ import annotations

import argparse
from pathlib import Path

from recon.cli.args import add_data_args, add_out, holds_out
from recon.cli.inputs import examples_from_args
from recon.cli.output import console, err_console, print_table
from recon.jobs.export import FORMATS, run_export


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="pairs + traces → TRL-ready chat data with a dataset card")
    add_data_args(p)
    p.add_argument("--traces", type=Path, metavar="FILE",
                   help="one method's traces of the pairs (default: none, the method none)")
    p.add_argument("--format", choices=FORMATS, default="chat",
                   help="chat: `messages` (default); prompt-completion: `prompt` + `completion`, as recon trains")
    p.add_argument("--keep-leaking", action="store_true", help="keep traces that quote the action (left out by "
                   "default)")
    p.add_argument("--license", dest="license_id", metavar="ID",
                   help="the source corpus's license for the card's header (default: other)")
    add_out(p, "folder", "the export folder (replaced whole at the end)")
    p.set_defaults(func=cmd_export)


@holds_out
def cmd_export(args: argparse.Namespace) -> int:
    examples = examples_from_args(args)
    result = run_export(examples, args.traces, out=args.out, fmt=args.format, keep_leaking=args.keep_leaking,
                        license_id=args.license_id, inputs=args.data)
    c = result.counts
    if result.fake_backend:
        err_console.print("warning: these traces were written by the fake backend (a test double, not a language "
                          "model); the dataset card says so", markup=False)
    print_table("export", ["method", "format", "pairs", "written", "invalid", "no trace", "leaking",
                           "leaking kept", "traces without a pair"],
                [[result.method, result.fmt, c["pairs"], c["written"], c["invalid"], c["no_trace"], c["leaking"],
                  c["leaking_kept"], c["unmatched_traces"]]])
    console.print(f"wrote {c['written']} records → {result.out} (train.jsonl, dataset/, README.md)")
    return 0
