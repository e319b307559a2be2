"""The step bar of `recon train`: steps done, elapsed and remaining time, and the latest loss or reward and
learning rate from TRL's logs. Away from a terminal it is the command's usual progress (`progress_bar`); the
figures are in the run's `train.log` as well.

    >>> with training_bar("sft (backward)", 2) as steps:
    ...     steps(1, 2); steps.log(None, {"loss": 1.5, "learning_rate": 2e-4}); steps(2, 2)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from recon.cli import output
from recon.training.progress import StepProgress


@contextmanager
def training_bar(description: str, total: int) -> Iterator[StepProgress]:
    """Yield a StepProgress: pass it as `on_step`, and its `log` as `on_log`."""
    if not output.err_console.is_terminal:
        with output.progress_bar(description, total) as advance:
            yield StepProgress(advance)
        return
    progress = Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[metrics]}", markup=False),
                        console=output.err_console, transient=False)
    with progress:
        task = progress.add_task(description, total=total, metrics="")
        yield StepProgress(lambda n: progress.advance(task, n), lambda text: progress.update(task, metrics=text))
