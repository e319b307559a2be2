"""Training progress: the trainers report (current step, total steps); a progress bar advances by steps.

    >>> moved = []
    >>> step = StepProgress(moved.append)
    >>> step(2, 10); step(5, 10); step(5, 10)
    >>> moved
    [2, 3, 0]
"""

from __future__ import annotations

from collections.abc import Callable


class StepProgress:
    """An `on_step(current, total)` callback that moves `advance(n)` by the steps done since the last call."""

    def __init__(self, advance: Callable[[int], object]):
        self.advance, self.done = advance, 0

    def __call__(self, current: int, total: int) -> None:
        self.advance(current - self.done)
        self.done = current
