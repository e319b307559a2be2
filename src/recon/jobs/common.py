"""What every job shares: the summary of what it produced and cost (the end-of-command table and the
manifest) and the manifest itself.

    >>> from recon.store.calls import RunCost
    >>> s = JobSummary("backward", None, pairs=4, written=4, invalid=0, leaking=1,
    ...                cost=RunCost(8, 4, 4, 0, 1000, 200, 6.0))
    >>> s.figures()["calls_per_pair"], s.figures()["leaking_pct"], s.figures()["cache_hit_rate"]
    (2.0, 25.0, 0.5)
    >>> m = build_manifest("synthesize", {"method": "backward"}, fingerprints=[{"kind": "fake"}],
    ...                    counts={"written": 3})
    >>> sorted(m)[:4], len(m["config_hash"]), m["complete"]
    (['complete', 'config', 'config_hash', 'cost'], 16, True)
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import recon
from recon.atomicio import write_json_atomic
from recon.backends.registry import redacted_spec
from recon.config import BackendConfig
from recon.hashing import content_hash
from recon.paths import manifest_path
from recon.provenance import git_sha
from recon.store.calls import RunCost
from recon.store.failures import CallFailures


class Figures(TypedDict):
    """A job's figures per pair and per written record (`JobSummary.figures`)."""

    method: str
    scorer: str | None
    pairs: int
    written: int
    invalid_pct: float
    leaking_pct: float
    tie_pct: float
    candidate_leaking_pct: float | None
    calls_per_pair: float
    tokens_per_pair: float
    seconds_per_pair: float
    cache_hit_rate: float


@dataclass(frozen=True)
class JobSummary:
    """What a synthesize, score or predict job produced and cost: one record per pair, `written` of them
    usable. (An evaluation compares methods rather than writing records: `jobs/evaluate.EvaluationResult`.)"""
    method: str
    scorer: str | None
    pairs: int
    written: int            # records with a usable output: a trace, a scored trace, a predicted action
    invalid: int            # pairs without one (failed generation, unusable judge, no action, …)
    leaking: int            # written traces that quote the action
    cost: RunCost
    out: Path | None = None
    run: str = ""
    failures: CallFailures = CallFailures()      # transient: a re-run retries them
    ties: int = 0           # selected traces whose top score was shared (the tie was broken by content)
    candidates: int = 0          # methods that keep one of several traces: every candidate generated
    candidates_leaking: int = 0
    user_model: str | None = None     # predict: icl or sft:DIR
    well_formed: int = 0              # predict: answers in the format asked for
    short_of_demos: int = 0           # predict (icl): predictions that saw fewer than k demonstrations

    def figures(self) -> Figures:
        n = max(1, self.pairs)
        c = self.cost
        return {
            "method": self.method, "scorer": self.scorer, "pairs": self.pairs, "written": self.written,
            "invalid_pct": round(100.0 * self.invalid / n, 2),
            "leaking_pct": round(100.0 * self.leaking / max(1, self.written), 2),
            "tie_pct": round(100.0 * self.ties / max(1, self.written), 2),
            "candidate_leaking_pct": (round(100.0 * self.candidates_leaking / self.candidates, 2)
                                      if self.candidates else None),
            "calls_per_pair": round(c.calls / n, 3),
            "tokens_per_pair": round((c.prompt_tokens + c.completion_tokens) / n, 1),
            "seconds_per_pair": round(c.seconds / n, 3),
            "cache_hit_rate": round(c.cache_hits / c.calls, 4) if c.calls else 0.0,
        }


TABLE_COLUMNS = ["method", "scorer", "pairs", "written", "invalid %", "leaking %", "cand. leaking %", "ties %",
                 "calls/pair", "tokens/pair", "s/pair", "cache hits %", "failed calls"]


def table_row(s: JobSummary) -> list:
    f = s.figures()
    return [s.method, s.scorer or "-", s.pairs, s.written, f["invalid_pct"], f["leaking_pct"],
            f["candidate_leaking_pct"], f["tie_pct"], f["calls_per_pair"], f["tokens_per_pair"],
            f["seconds_per_pair"], round(100 * float(f["cache_hit_rate"]), 1), s.failures.failed]


def build_manifest(stage: str, config: dict[str, Any], *, fingerprints: list[dict[str, Any]],
                   counts: dict[str, int], cost: dict[str, Any] | None = None,
                   inputs: list[str] | None = None, failures: CallFailures | None = None) -> dict[str, Any]:
    """What produced an output; `complete` is false while transient failures wait for a re-run."""
    return {
        **(failures or CallFailures()).to_json(),
        "stage": stage,
        "config": config,
        "config_hash": content_hash(config, tag="config", length=16),
        "recon_version": recon.__version__,
        "git_sha": git_sha(),
        "fingerprints": fingerprints,
        "inputs": inputs or [],
        "counts": counts,
        "cost": cost or {},
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def write_manifest(summary: JobSummary, stage: str, config: dict, fingerprints: list[dict],
                   inputs: list[str] | None) -> None:
    """The manifest of a synthesize or score job, beside its output."""
    figures = summary.figures()
    assert summary.out is not None, "a synthesize or score job writes its records to a file"
    write_json_atomic(manifest_path(summary.out), build_manifest(
        stage, config, fingerprints=fingerprints, inputs=inputs,
        counts={"pairs": summary.pairs, "written": summary.written, "invalid": summary.invalid,
                "leaking": summary.leaking, "ties": summary.ties},
        cost={**dataclasses.asdict(summary.cost), **{k: v for k, v in figures.items()
                                                     if k not in ("method", "scorer", "pairs", "written")}},
        failures=summary.failures))


def backend_json(cfg: BackendConfig) -> dict:
    """A backend config as manifests show it: no URL (URLs may carry credentials)."""
    return {**cfg.model_dump(), "spec": redacted_spec(cfg.spec)}
