"""What `recon run` returns: the stages it ran and skipped, their failed calls, the comparisons, the report.

    >>> PipelineResult(out=Path("runs/x"), run="r").incomplete
    {}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from recon.store.failures import CallFailures


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
    runs: list[str] = field(default_factory=list)        # the call-log run ids (one per seed)

    def __post_init__(self) -> None:
        if self.run and not self.runs:
            self.runs.append(self.run)

    @property
    def incomplete(self) -> dict[str, CallFailures]:
        """Stages with LM calls that failed transiently: the next run re-runs them."""
        return {name: f for name, f in self.stages.items() if f is not None and not f.complete}

    def training_warnings(self) -> list[str]:
        """One warning per GRPO policy that never had a learning signal (training/grpo.py)."""
        from recon.training.grpo import grpo_signal_warning
        return [w for name, summary in self.training.items() if (w := grpo_signal_warning(name, summary))]

