"""Terminal output: tables and progress bars (rich), to stderr for progress and stdout for results. Every
string is printed literally: rich markup and emoji codes are off on both consoles.

    >>> fmt(2.5), fmt(1234567), fmt(None)
    ('2.5', '1,234,567', '')
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table


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


@contextmanager
def progress_bar(description: str, total: int) -> Iterator:
    """Yield an `advance(n)` callable that moves a progress bar on stderr."""
    progress = Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), console=err_console, transient=False)
    with progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)
