"""What `recon run` returns (`PipelineResult`), and the small pieces its stages share: the progress type,
a silent progress, and reading a traces file into {pair id: trace}.

    >>> PipelineResult(out=Path("runs/x"), run="r").incomplete
    {}
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from recon.jobs.failures import CallFailures

# (description, total) -> context manager yielding advance(n)
Progress = Callable[[str, int], AbstractContextManager[Callable[..., object]]]


@dataclass
class PipelineResult:
    out: Path
    run: str
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    comparisons: list = field(default_factory=list)
    report: Path | None = None
    seconds: float = 0.0
    stages: dict[str, CallFailures | None] = field(default_factory=dict)   # in order; None: skipped
    training: dict[str, dict] = field(default_factory=dict)    # GRPO stage -> steps, s/step, reward first/last

    @property
    def incomplete(self) -> dict[str, CallFailures]:
        """Stages with LM calls that failed transiently: the next run re-runs them."""
        return {name: f for name, f in self.stages.items() if f is not None and not f.complete}

    def training_warnings(self) -> list[str]:
        """One warning per GRPO policy that never had a learning signal (training/grpo.py)."""
        from recon.training.grpo import grpo_signal_warning
        return [w for name, summary in self.training.items() if (w := grpo_signal_warning(name, summary))]


@contextmanager
def silent_progress(description: str, total: int):
    """A progress that shows nothing (the default when no bar is asked for)."""
    yield lambda n=1: None


def trace_map(path: Path | None) -> dict[str, str] | None:
    """{pair id: trace} of a traces file (pairs without a usable trace left out); None for method `none`."""
    from recon.jobs.common import read_traces
    return {r.id: r.reasoning for r in read_traces(path) if r.reasoning} if path else None
