"""Training progress: the trainers report (current step, total steps) and each log of TRL's (loss or reward,
learning rate, eval loss); a progress bar advances by steps and shows the latest figures.

    >>> moved, shown = [], []
    >>> step = StepProgress(moved.append, shown.append)
    >>> step(2, 10); step(5, 10); step(5, 10)
    >>> moved
    [2, 3, 0]
    >>> step.log(None, {"loss": 2.3456, "learning_rate": 0.00018, "grad_norm": 1.0})
    >>> shown
    ['loss 2.346 · lr 1.8e-04']
"""

from __future__ import annotations

from collections.abc import Callable

# TRL's log keys the bar shows, in order, with their short names
SHOWN = (("loss", "loss"), ("reward", "reward"), ("eval_loss", "eval loss"), ("learning_rate", "lr"))


def format_metrics(logs: dict) -> str:
    """The figures of one TRL log a reader follows, as short text.

    >>> format_metrics({"reward": 0.5, "learning_rate": 1e-05, "eval_loss": 1.25})
    'reward 0.5 · eval loss 1.25 · lr 1.0e-05'
    """
    parts = []
    for key, name in SHOWN:
        value = logs.get(key)
        if isinstance(value, (int, float)):
            parts.append(f"{name} {value:.1e}" if key == "learning_rate" else f"{name} {value:.4g}")
    return " · ".join(parts)


class StepProgress:
    """An `on_step(current, total)` callback that moves `advance(n)` by the steps done since the last call, and
    an `on_log(state, logs)` callback (`log`) that passes the latest figures to `show(text)`."""

    def __init__(self, advance: Callable[[int], object], show: Callable[[str], object] | None = None):
        self.advance, self.show, self.done = advance, show, 0

    def __call__(self, current: int, total: int) -> None:
        self.advance(current - self.done)
        self.done = current

    def log(self, state, logs: dict) -> None:
        text = format_metrics(logs)
        if text and self.show is not None:
            self.show(text)
