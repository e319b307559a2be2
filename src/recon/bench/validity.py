"""`recon bench validity`: does the reconstruction score prefer the true cause?

Every benchmark pair gets the fixed candidates of `bench/candidates.py`; the four honest ones are scored
together by the chosen scorer — the same `Scorer` Recon-Select uses, through the same cache, in windows of
pairs sized by the reconstructor — and the leak control is passed through the leakage guard and scored on its
own (it never joins the ranking). A pair whose call failed is incomplete: left out of the figures, retried by
a re-run. The
figures per scorer come from `bench/validity_metrics.py`; outputs: results.json, pairs.jsonl (every
candidate with its leakage figures, scores and reconstructions), report.md with a plot.

    >>> from recon.bench.generator import generate_corpus
    >>> from recon.method.embeddings import HashEmbedder
    >>> tmp = Path(getfixture("tmp_path"))
    >>> from recon.store.db import Database
    >>> ctx = JobContext(database=Database(tmp / "db.sqlite3"), embedder=HashEmbedder())
    >>> r = run_validity(ctx, generate_corpus(individuals=1, pairs=3, seed=0).examples, scorers=["likelihood"],
    ...                  reconstructor=BackendConfig(spec="fake"), judge=None, out=tmp / "validity")
    >>> r.pairs, r.summaries["likelihood"]["leak"]["all_caught"], (r.out / "report.md").is_file()
    (3, True, True)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recon.atomicio import write_json_atomic, write_jsonl_atomic
from recon.backends.base import Backend
from recon.bench.candidates import HONEST_KINDS, CandidateTrace, build_candidates, ground_truth_problem
from recon.bench.validity_metrics import scorer_summary
from recon.bench.validity_report import write_validity_report
from recon.config import BackendConfig, LeakageConfig, ReconstructionConfig
from recon.data.corpus import iter_json_lines, load_examples
from recon.errors import DataError
from recon.jobs.common import backend_json
from recon.jobs.context import JobContext
from recon.method.leakage import Leakage, measure_leakage
from recon.method.scoring import Scorer, open_scorer
from recon.method.windows import window_pairs, windows
from recon.progress import Progress, silent_progress
from recon.store.calls import run_cost
from recon.types import Example


def load_benchmark_pairs(path: str | Path) -> list[Example]:
    """The pairs of a generated corpus file; a pair without usable ground truth is an error naming its line."""
    examples = load_examples([path])
    for line, record in iter_json_lines(path):
        assert isinstance(record, dict), "load_examples checked every record"
        problem = ground_truth_problem(record.get("meta"))
        if problem:
            raise DataError(problem, path=path, line=line)
    return examples


def candidate_leakage(trace: str, example: Example, cfg: LeakageConfig) -> Leakage:
    """The leakage guard on one candidate, as Recon-Select applies it."""
    return measure_leakage(trace, example.action, cfg)


@dataclass
class ValidityResult:
    out: Path
    run: str
    pairs: int
    summaries: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def incomplete(self) -> int:
        """Pairs left out of some scorer's figures by a backend error; a re-run retries them."""
        return max((s["incomplete"] for s in self.summaries.values()), default=0)


def _score_window(scorer: Scorer, window: list[Example], candidates: dict[str, list[CandidateTrace]],
                  leaks: dict[str, list[Leakage]]) -> list[tuple[dict, dict]]:
    """Per pair of a window: (the row the figures read, the scorer's part of the pair's record). The honest
    candidates of a pair are ranked together and its leak control is scored on its own, all in one window."""
    items = []
    for e in window:
        text = {c.kind: c.text for c in candidates[e.id]}
        items += [(e, [text[k] for k in HONEST_KINDS]), (e, [text["leak"]])]
    scored = scorer.score_window(items)
    out = []
    for j, e in enumerate(window):
        ranked, control = scored[2 * j], scored[2 * j + 1]
        leaking = {c.kind: x.leaking for c, x in zip(candidates[e.id], leaks[e.id], strict=True)}
        scores = dict(zip(HONEST_KINDS, ranked.scores, strict=True))
        row = {"scores": scores, "leak_score": control.scores[0], "leak_caught": leaking["leak"],
               "honest_flagged": sum(leaking[k] for k in HONEST_KINDS), "invalid": ranked.invalid,
               "incomplete": ranked.transient or control.transient}   # a failed call: a re-run retries the pair
        record = {"scores": {**scores, "leak": control.scores[0]}, "invalid": ranked.invalid,
                  "reconstructions": {**dict(zip(HONEST_KINDS, ranked.reconstructions, strict=True)),
                                      "leak": control.reconstructions[0]}}
        out.append((row, record))
    return out


def run_validity(ctx: JobContext, examples: Sequence[Example], *, scorers: list[str], reconstructor: BackendConfig,
                 judge: BackendConfig | None, out: str | Path, seed: int = 0,
                 reconstruction: ReconstructionConfig | None = None, leakage: LeakageConfig | None = None,
                 progress: Progress | None = None) -> ValidityResult:
    """Score the fixed candidates of every pair with each scorer; write results.json, pairs.jsonl, report.md.
    `ctx.window`: pairs per backend call (default: the reconstructor's window; 1 is one pair at a time);
    `progress`: one bar per scorer."""
    if not examples:
        raise DataError("no pairs to test")
    for e in examples:
        problem = ground_truth_problem(e.meta)
        if problem:
            raise DataError(f"pair {e.id!r}: {problem}")
    out, db, run, t0 = Path(out), ctx.db, ctx.run, time.perf_counter()
    reconstruction, leakage = reconstruction or ReconstructionConfig(), leakage or LeakageConfig()
    progress = progress or silent_progress
    candidates = {e.id: build_candidates(e, seed) for e in examples}
    leaks = {e.id: [candidate_leakage(c.text, e, leakage) for c in candidates[e.id]] for e in examples}
    records: dict[str, dict[str, Any]] = {
        e.id: {"id": e.id, "candidates": [{**c.to_json(), "leakage": x.to_json()} for c, x in
                                          zip(candidates[e.id], leaks[e.id], strict=True)],
               "scores": {}, "reconstructions": {}, "invalid": {}, "incomplete": {}} for e in examples}
    built: dict[BackendConfig, Backend] = {}            # one model instance per distinct backend config
    result = ValidityResult(out=out, run=run, pairs=len(examples))
    try:
        for name in scorers:
            stage = f"validity:{name}:"
            scorer = open_scorer(name, reconstructor=reconstructor, judge=judge, cfg=reconstruction,
                                 open_backend=ctx.opener(f"validity:{name}", built), embedder=ctx.embedder)
            rows = []
            with progress(f"validity ({name})", len(examples)) as advance:
                for window in windows(examples, window_pairs(scorer.backends[0], ctx.window)):
                    for e, (row, part) in zip(window, _score_window(scorer, window, candidates, leaks), strict=True):
                        rows.append(row)
                        for key, value in part.items():
                            records[e.id][key][name] = value
                        records[e.id]["incomplete"][name] = row["incomplete"]
                    advance(len(window))
            summary = scorer_summary(rows, seed=seed)
            cost = run_cost(db, run, stage, prefix=True)
            summary["cost"] = {"calls": cost.calls, "backend_calls": cost.backend_calls,
                               "cache_hits": cost.cache_hits, "seconds": round(cost.seconds, 2),
                               "seconds_per_pair": round(cost.seconds / len(examples), 3)}
            result.summaries[name] = summary
    finally:
        for backend in built.values():
            backend.close()
    result.seconds = time.perf_counter() - t0
    info = {"pairs": len(examples), "seed": seed, "run": run, "reconstructor": backend_json(reconstructor),
            "judge": backend_json(judge or reconstructor) if "judge" in scorers else None,
            "fingerprints": [b.fingerprint.to_json() for b in built.values()],
            "reconstruction": reconstruction.model_dump(), "leakage": leakage.model_dump(),
            "seconds": round(result.seconds, 1)}
    write_jsonl_atomic(out / "pairs.jsonl", (records[e.id] for e in examples))
    write_json_atomic(out / "results.json", {**info, "scorers": result.summaries})
    write_validity_report(out, result.summaries, info)
    return result
