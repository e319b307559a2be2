"""The options every command takes, before or after its name: `-q` (no progress, no info messages), `-v`
(debug messages too), `--progress-interval` and `--progress-percent` (how often progress lines are written
when stderr is not a terminal). `applied(args)` sets them for one command and undoes them after.

    >>> parser = argparse.ArgumentParser(); add_to_every_command(parser)
    >>> parser.parse_args(["-q"]).quiet
    True
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from recon.cli import output
from recon.logs import LOGGER, Redacted

INTERVAL_ENV, PERCENT_ENV = "RECON_PROGRESS_INTERVAL", "RECON_PROGRESS_PERCENT"


def _non_negative(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number >= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number >= 0")
    return number


def _add(parser: argparse.ArgumentParser, top: bool) -> None:
    def default(value):
        return value if top else argparse.SUPPRESS         # a subcommand must not reset what came before it
    interval = os.environ.get(INTERVAL_ENV) or "30"
    percent = os.environ.get(PERCENT_ENV) or "5"
    parser.add_argument("-q", "--quiet", action="store_true", default=default(False),
                        help="no progress and no info messages; warnings, errors and results still show (default: off)")
    parser.add_argument("-v", "--verbose", action="store_true", default=default(False),
                        help="debug messages too (default: off)")
    parser.add_argument("--progress-interval", type=_non_negative, default=default(_non_negative(interval)),
                        metavar="SECONDS", help="off a terminal, write a progress line at least this often while "
                        f"work advances (default: ${INTERVAL_ENV} or 30)")
    parser.add_argument("--progress-percent", type=_non_negative, default=default(_non_negative(percent)),
                        metavar="PERCENT", help="off a terminal, also write a progress line after every "
                        "PERCENT%% of a stage "
                        f"(default: ${PERCENT_ENV} or 5)")


def add_to_every_command(parser: argparse.ArgumentParser, top: bool = True) -> None:
    """Add the options to `parser` and to every subcommand under it."""
    _add(parser, top)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                add_to_every_command(child, top=False)


class ConsoleLog(logging.Handler):
    """Log records on stderr through recon's console (above a live bar): info as is, others with their level."""

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "file_only", False):
            return
        text = record.getMessage()
        if record.levelno != logging.INFO:
            text = f"{record.levelname.lower()}: {text}"
        output.err_console.print(text, markup=False, highlight=False, soft_wrap=True)


@contextmanager
def applied(args: argparse.Namespace) -> Iterator[None]:
    """While one command runs: its progress settings, and its log messages on stderr at its level."""
    quiet, verbose = getattr(args, "quiet", False), getattr(args, "verbose", False)
    saved = output.settings
    output.settings = output.ProgressSettings(quiet=quiet, interval=getattr(args, "progress_interval", 30.0),
                                              percent=getattr(args, "progress_percent", 5.0))
    logger = logging.getLogger(LOGGER)
    handler = ConsoleLog(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    handler.addFilter(Redacted())
    before = logger.level, logger.propagate
    logger.setLevel(handler.level)
    logger.propagate = False                # printed once, even where a library configured the root logger
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before[0])
        logger.propagate = before[1]
        output.settings = saved
