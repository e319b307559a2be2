"""Entry point of the `recon` console script.

    >>> build_parser().parse_args(["logs", "--limit", "5"]).limit
    5
"""

from __future__ import annotations

import signal
import sqlite3
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

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
    verbosity,
    view_cmd,
)
from recon.cli.exit_codes import EPILOG, RUNTIME_ERROR, Terminated, exit_code, internal_error, message
from recon.cli.parser import RawDescriptionFormatter, ReconParser
from recon.errors import ReconError
from recon.redaction import redact


def build_parser() -> ReconParser:
    parser = ReconParser(prog="recon", description="Reconstruction-guided reasoning synthesis for user modeling.",
                         epilog=EPILOG, formatter_class=RawDescriptionFormatter)
    parser.add_argument("--version", action="version", version=f"recon {__version__}")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (data_cmd, synthesize_cmd, score_cmd, predict_cmd, train_cmd, evaluate_cmd, run_cmd, bench_cmd,
                   store_cmd, demo_cmd, export_cmd, view_cmd):
        module.register(sub)
    verbosity.add_to_every_command(parser)
    return parser


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While a command runs, SIGTERM raises `Terminated` (a KeyboardInterrupt) in the main thread, so it
    stops the way Ctrl-C does; the previous handler is restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminated(signum, frame):
        raise Terminated()
    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.quiet and args.verbose:
        parser.error("-q and -v exclude each other")
    try:
        with sigterm_as_interrupt(), verbosity.applied(args):
            return int(args.func(args) or 0)
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(f"recon: {what}; finished LM calls are cached, re-run the same command to resume", file=sys.stderr)
        return exit_code(exc)
    except (ReconError, OSError, sqlite3.Error) as exc:
        if args.debug:
            print(redact(traceback.format_exc()), file=sys.stderr, end="")
        print(f"recon: error: {redact(message(exc))}", file=sys.stderr)
        return exit_code(exc)
    except Exception as exc:                                  # a bug: one line, the traceback under --debug
        if args.debug:
            print(redact(traceback.format_exc()), file=sys.stderr, end="")
        hint = "" if args.debug else " (re-run with --debug for the traceback: recon --debug COMMAND ...)"
        print(redact(internal_error(exc)) + hint, file=sys.stderr)
        return RUNTIME_ERROR


if __name__ == "__main__":
    sys.exit(main())
