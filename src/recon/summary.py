"""What a synthesize or score job cost and produced, per method/scorer: the figures of the end-of-command
table and of the manifest.

    >>> from recon.store.calls import RunCost
    >>> s = JobSummary("backward", None, pairs=4, written=4, invalid=0, leaking=1,
    ...                cost=RunCost(8, 4, 4, 0, 1000, 200, 6.0))
    >>> s.figures()["calls_per_pair"], s.figures()["leaking_pct"], s.figures()["cache_hit_rate"]
    (2.0, 25.0, 0.5)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from recon.store.calls import RunCost


@dataclass(frozen=True)
class JobSummary:
    method: str
    scorer: str | None
    pairs: int
    written: int            # records with a usable trace
    invalid: int            # pairs without one (failed generation, unusable judge, …)
    leaking: int            # written traces that quote the action
    cost: RunCost
    out: Path | None = None
    run: str = ""

    def figures(self) -> dict[str, float | int | str | None]:
        n = max(1, self.pairs)
        c = self.cost
        return {
            "method": self.method, "scorer": self.scorer, "pairs": self.pairs, "written": self.written,
            "invalid_pct": round(100.0 * self.invalid / n, 2),
            "leaking_pct": round(100.0 * self.leaking / max(1, self.written), 2),
            "calls_per_pair": round(c.calls / n, 3),
            "tokens_per_pair": round((c.prompt_tokens + c.completion_tokens) / n, 1),
            "seconds_per_pair": round(c.seconds / n, 3),
            "cache_hit_rate": round(c.cache_hits / c.calls, 4) if c.calls else 0.0,
        }


TABLE_COLUMNS = ["method", "scorer", "pairs", "written", "invalid %", "leaking %", "calls/pair", "tokens/pair",
                 "s/pair", "cache hits %"]


def table_row(s: JobSummary) -> list:
    f = s.figures()
    return [s.method, s.scorer or "-", s.pairs, s.written, f["invalid_pct"], f["leaking_pct"], f["calls_per_pair"],
            f["tokens_per_pair"], f["seconds_per_pair"], round(100 * float(f["cache_hit_rate"]), 1)]
