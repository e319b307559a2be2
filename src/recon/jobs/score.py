"""`recon score`: score existing traces (any method) by reconstruction, with the leakage figures beside.

    >>> from recon.types import Example, Turn
    >>> tmp = Path(getfixture("tmp_path"))
    >>> ex = Example(id="a", domain="d", individual="Ann", conversation_id="c", turn_index=1,
    ...              context=(Turn("Bob", "Why?"),), action="Because it matters.")
    >>> _ = (tmp / "t.jsonl").write_text('{"id": "a", "method": "backward", "reasoning": "She cares."}\\n')
    >>> from recon.store.db import Database
    >>> ctx = JobContext(database=Database(tmp / "d.sqlite3"))
    >>> s = run_scoring(ctx, tmp / "t.jsonl", [ex], scorer_name="likelihood", reconstructor=BackendConfig(spec="fake"),
    ...                 judge=None, cfg=ReconstructionConfig(), out=tmp / "s.jsonl")
    >>> s.method, s.scorer, s.written
    ('backward', 'likelihood', 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from recon.atomicio import check_output_path, write_jsonl_atomic
from recon.config import BackendConfig, LeakageConfig, ReconstructionConfig
from recon.data.trace_records import TraceRecord, read_traces
from recon.errors import DataError
from recon.jobs.common import JobSummary, backend_json, write_manifest
from recon.jobs.context import JobContext
from recon.method.leakage import measure_leakage
from recon.method.scoring import PairScores, open_scorer
from recon.method.windows import metered, window_pairs, windows
from recon.store.calls import Meter, run_cost
from recon.store.failures import call_failures
from recon.types import Example


def run_scoring(ctx: JobContext, traces: str | Path | list[TraceRecord], examples: Sequence[Example], *,
                scorer_name: str, reconstructor: BackendConfig, judge: BackendConfig | None,
                cfg: ReconstructionConfig, out: str | Path, leakage: LeakageConfig | None = None,
                traces_path: str | Path | None = None) -> JobSummary:
    """Score `traces` (a traces file, or records already read from `traces_path`), in windows of traces sized
    from the reconstructor (`ctx.window` overrides: 1 is one trace at a time)."""
    if not isinstance(traces, list):
        traces_path, traces = traces, read_traces(traces)
    by_id = {e.id: e for e in examples}
    for t in traces:
        if t.id not in by_id:
            raise DataError(f"trace id {t.id!r} is not in the data given with --data", path=traces_path, line=t.line)
    methods = sorted({t.method for t in traces}) or ["-"]
    out, db, run = Path(out), ctx.db, ctx.run
    check_output_path(out)
    stage = f"score:{scorer_name}"
    scorer = open_scorer(scorer_name, reconstructor=reconstructor, judge=judge, cfg=cfg,
                         open_backend=ctx.opener(stage), embedder=ctx.embedder)
    backends = scorer.backends
    records = []
    try:
        for window in windows(traces, window_pairs(backends[0], ctx.window)):
            meters = [Meter() for _ in window]
            scored = {k: t.reasoning for k, t in enumerate(window) if t.reasoning is not None}
            with metered(backends, [meters[k] for k in scored]):
                results = dict(zip(scored, scorer.score_window([(by_id[window[k].id], [reasoning])
                                                                for k, reasoning in scored.items()]), strict=True))
            records += [score_record(t, results.get(k), by_id[t.id], scorer_name, leakage, meter)
                        for k, (t, meter) in enumerate(zip(window, meters, strict=True))]
            ctx.advance(len(window))
    finally:
        for b in backends:
            b.close()
    write_jsonl_atomic(out, records)
    summary = JobSummary("+".join(methods), scorer_name, pairs=len(records),
                         written=sum(r["score"] is not None for r in records),
                         invalid=sum(r["score"] is None for r in records),
                         leaking=sum(bool(r["leakage"] and r["leakage"]["leaking"]) for r in records),
                         cost=run_cost(db, run, stage + ":", prefix=True), out=out, run=run,
                         failures=call_failures(db, run, stage + ":", prefix=True))
    write_manifest(summary, stage, {"score": {"scorer": scorer_name, "reconstruction": cfg.model_dump()},
                      "reconstructor": backend_json(reconstructor),
                      "judge": backend_json(judge) if (judge and scorer_name == "judge") else None},
            [b.fingerprint.to_json() for b in backends],
            [str(traces_path)] if traces_path else [])
    return summary


def score_record(t: TraceRecord, result: PairScores | None, example: Example, scorer_name: str,
                 leakage: LeakageConfig | None, meter: Meter) -> dict:
    """One scored trace (`result` None: the record has no trace)."""
    rec: dict[str, Any] = {"id": t.id, "method": t.method, "scorer": scorer_name, "reasoning": t.reasoning}
    if result is None:
        rec |= {"score": None, "reconstruction": None, "leakage": None, "invalid": "no trace"}
    else:
        assert t.reasoning is not None, "a scored record has a trace"
        rec |= {"score": result.scores[0], "reconstruction": result.reconstructions[0],
                "leakage": measure_leakage(t.reasoning, example.action, leakage).to_json(),
                "invalid": result.invalid, "transient": result.transient, "scoring": result.extra}
    return rec | {"cost": meter.to_json()}
