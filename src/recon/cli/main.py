"""Entry point of the `recon` console script.

    >>> build_parser().parse_args(["logs", "--limit", "5"]).limit
    5
"""

from __future__ import annotations

import argparse
import sqlite3
import sys

from recon import __version__
from recon.cli import (
    bench_cmd,
    data_cmd,
    demo_cmd,
    evaluate_cmd,
    export_cmd,
    predict_cmd,
    run_cmd,
    score_cmd,
    store_cmd,
    synthesize_cmd,
    train_cmd,
)
from recon.cli.exit_codes import EPILOG, INTERRUPTED, exit_code, message
from recon.errors import ReconError
from recon.redaction import redact


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recon", description="Reconstruction-guided reasoning synthesis "
                                     "for user modeling.", epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"recon {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (data_cmd, synthesize_cmd, score_cmd, predict_cmd, train_cmd, evaluate_cmd, run_cmd, bench_cmd,
                   store_cmd, demo_cmd, export_cmd):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("recon: interrupted; finished LM calls are cached, re-run the same command to resume",
              file=sys.stderr)
        return INTERRUPTED
    except (ReconError, OSError, sqlite3.Error) as exc:       # anything else is a bug: keep its traceback
        print(f"recon: error: {redact(message(exc))}", file=sys.stderr)
        return exit_code(exc)


if __name__ == "__main__":
    sys.exit(main())
