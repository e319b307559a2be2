"""Terminal output: tables and progress (rich), to stderr for progress and stdout for results. Every string is
printed literally: rich markup and emoji codes are off on both consoles. Progress is a bar with elapsed time
and rate on a terminal, plain lines elsewhere (a batch log: `recon.progress.line_progress`), nothing under -q.

    >>> fmt(2.5), fmt(1234567), fmt(None)
    ('2.5', '1,234,567', '')
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from recon.progress import Progress as ProgressType
from recon.progress import format_rate, line_progress, silent_progress


@dataclass(frozen=True)
class ProgressSettings:
    """What one command's progress looks like (`cli/verbosity.py` sets it from -q and the progress options)."""
    quiet: bool = False
    interval: float = 30.0
    percent: float = 5.0


settings = ProgressSettings()


def literal_console(*, stderr: bool = False, width: int | None = None) -> Console:
    """A console that prints text from data as written: no rich markup ("[bold]", "[/x]"), no emoji codes
    (":smile:"), no highlighting."""
    return Console(stderr=stderr, width=width, markup=False, emoji=False, highlight=False)


console = literal_console()
if not console.is_terminal:
    console = literal_console(width=200)            # tables in logs and pipes are not cut to 80 columns
err_console = literal_console(stderr=True)


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*(fmt(v) for v in row))
    console.print(table)


class RateColumn(ProgressColumn):
    """Items per second (or seconds per item) since the bar started."""

    def render(self, task) -> Text:
        return Text(format_rate(int(task.completed), task.elapsed or 0.0))


def progress_factory() -> ProgressType:
    """The progress this command shows: nothing under -q, a bar on a terminal, plain lines elsewhere."""
    if settings.quiet:
        return silent_progress
    if err_console.is_terminal:
        return progress_bar
    return line_progress(sys.stderr, interval=settings.interval, percent=settings.percent)


@contextmanager
def progress_bar(description: str, total: int, get_time: Callable[[], float] | None = None) -> Iterator:
    """Yield an `advance(n)` callable that moves the command's progress on stderr: a bar with elapsed time and
    rate on a terminal, plain lines elsewhere (`progress_factory`)."""
    if settings.quiet or not err_console.is_terminal:
        with progress_factory()(description, total) as advance:
            yield advance
        return
    progress = Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), RateColumn(), TimeRemainingColumn(), console=err_console,
                        transient=False, get_time=get_time)
    with progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)
