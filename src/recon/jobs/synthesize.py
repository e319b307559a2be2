"""Synthesis jobs: examples → cached backends → traces JSONL (atomic) + manifest + a JobSummary.

`run_synthesis` writes one record per pair (forward, backward; a pair whose generation failed keeps its
place with `"reasoning": null`, the reason in `"invalid"`, and `"transient": true` when its call failed, so
that a re-run retries it); `run_recon_select` writes the kept trace of N scored candidates (recon-select, and
the random-of-n / longest-of-n controls). Re-running a job after an interruption resumes: finished LM calls
come from the cache and nothing is paid twice; the output file only appears, whole, at the end. A job's
summary and manifest say whether it is complete (no failed call) and how many calls failed.

    >>> from recon.types import Example, Turn
    >>> ex = Example(id="1", domain="d", individual="Ann", conversation_id="c", turn_index=1,
    ...              context=(Turn("Bob", "Why?"),), action="Because.")
    >>> tmp = Path(getfixture("tmp_path"))
    >>> job, failures = run_synthesis([ex], BackendConfig(spec="fake"), SynthesisConfig(method="forward"),
    ...                               out=tmp / "t.jsonl", db=Database(tmp / "db.sqlite3"))
    >>> job.written, job.cost.backend_calls, failures
    (1, 1, [])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

from recon.atomicio import check_output_path, write_jsonl_atomic
from recon.backends.base import Backend
from recon.backends.registry import build_backend
from recon.config import BackendConfig, LeakageConfig, ReconSelectConfig, SynthesisConfig
from recon.jobs.common import BackendFactory, JobSummary, backend_json, write_manifest
from recon.method.controls import CONTROLS, control_scorer
from recon.method.scoring import build_scorer
from recon.method.selection import Selection, select_window
from recon.method.synthesis import Failure, synthesize
from recon.method.windows import metered, window_pairs, windows
from recon.store.cache import CachedBackend
from recon.store.calls import Meter, new_run_id, run_cost
from recon.store.db import Database
from recon.store.failures import call_failures
from recon.types import Example


def run_synthesis(examples: Sequence[Example], backend_config: BackendConfig, cfg: SynthesisConfig, *,
                  out: str | Path, db: Database, run: str | None = None,
                  on_progress: Callable[[int], None] | None = None, inputs: list[str] | None = None,
                  backend_factory: BackendFactory = build_backend, label: str | None = None,
                  window_size: int | None = None, leakage: LeakageConfig | None = None
                  ) -> tuple[JobSummary, list[Failure]]:
    """`label` names the method in records and stages (e.g. recon-grpo: backward prompts, a trained model).
    `window_size`: pairs per backend call (default: the backend's window; 1 is one pair at a time).
    `leakage`: the thresholds each trace is measured with (a run passes its one configuration)."""
    out, run = Path(out), run or new_run_id()
    check_output_path(out)
    label = label or cfg.method
    stage = f"synthesize:{label}"
    backend = CachedBackend(backend_factory(backend_config), db, run=run, stage=stage)
    try:
        result = synthesize(examples, backend, cfg, on_progress=on_progress,
                            batch_size=window_pairs(backend, window_size), leakage=leakage)
    finally:
        backend.close()
    failed = {f.id: f for f in result.failures}
    traces = {t.id: dataclasses.replace(t, method=label) for t in result.traces}
    write_jsonl_atomic(out, (traces[ex.id].to_json() if ex.id in traces else
                             {"id": ex.id, "method": label, "reasoning": None, "invalid": failed[ex.id].error,
                              "transient": failed[ex.id].transient}
                             for ex in examples))
    written = len(result.traces)
    summary = JobSummary(label, None, pairs=len(examples), written=written, invalid=len(result.failures),
                         leaking=sum(bool(t.leakage.get("leaking")) for t in result.traces),
                         cost=run_cost(db, run, stage), out=out, run=run,
                         failures=call_failures(db, run, stage))
    write_manifest(summary, stage, {"synthesis": cfg.model_dump(), "backend": backend_json(backend_config)},
                   [backend.fingerprint.to_json()], inputs)
    return summary, result.failures


def selection_record(example_id: str, sel: Selection, *, scorer: str, fingerprints: dict, cost: Meter,
                     label: str = "recon-select") -> dict:
    chosen = sel.chosen
    return {
        "id": example_id, "method": label, "scorer": scorer,
        "reasoning": chosen.reasoning if chosen else None, "selected_index": sel.selected,
        "flags": sel.flags, "invalid": sel.invalid, "transient": sel.transient,
        "leakage": chosen.leakage.to_json() if chosen else None,
        "candidates": [c.to_json() for c in sel.candidates],
        "model": fingerprints["synthesizer"], "reconstructor": fingerprints["reconstructor"],
        "judge": fingerprints.get("judge"), "prompt_hash": sel.prompt_hash,
        "tokens": {"prompt": chosen.prompt_tokens if chosen else 0,
                   "completion": chosen.completion_tokens if chosen else 0},
        "scoring": sel.extra, "cost": cost.to_json(),
    }


def selection_backends(label: str, cfg: ReconSelectConfig, synthesis: SynthesisConfig, *, synthesizer: BackendConfig,
                       reconstructor: BackendConfig, judge: BackendConfig | None, db: Database, run: str, stage: str,
                       embedder, backend_factory: BackendFactory):
    """(the cached synthesizer, the scorer, every backend opened, their fingerprints) of a selection job; the
    controls open no reconstructor or judge."""
    built: dict[BackendConfig, Backend] = {}        # one model instance per distinct backend config

    def cached(config: BackendConfig, part: str) -> CachedBackend:
        if config not in built:
            built[config] = backend_factory(config)
        return CachedBackend(built[config], db, run=run, stage=f"{stage}:{part}")

    synth = cached(synthesizer, "candidates")
    recon = judge_backend = None
    if label in CONTROLS:
        scorer = control_scorer(label, seed=synthesis.seed)
    else:
        recon = cached(reconstructor, "reconstruct")
        judge_backend = cached(judge or reconstructor, "judge") if cfg.scorer == "judge" else None
        if cfg.scorer == "likelihood":
            recon.preflight("logprob")      # a backend that cannot score stops the run before anything is paid
        scorer = build_scorer(cfg.scorer, reconstructor=recon, cfg=cfg.reconstruction, judge=judge_backend,
                              embedder=embedder)
    backends = [b for b in (synth, recon, judge_backend) if b is not None]
    fingerprints = {"synthesizer": synth.fingerprint.to_json(),
                    "reconstructor": recon.fingerprint.to_json() if recon else None,
                    "judge": judge_backend.fingerprint.to_json() if judge_backend else None}
    return synth, scorer, backends, fingerprints


def run_recon_select(examples: Sequence[Example], cfg: ReconSelectConfig, *, synthesizer: BackendConfig,
                     reconstructor: BackendConfig, judge: BackendConfig | None, out: str | Path, db: Database,
                     synthesis: SynthesisConfig | None = None, run: str | None = None,
                     on_progress: Callable[[int], None] | None = None, inputs: list[str] | None = None,
                     embedder=None, backend_factory: BackendFactory = build_backend,
                     label: str = "recon-select", window_size: int | None = None) -> JobSummary:
    """`synthesis` (default: SynthesisConfig()) samples the candidates, exactly as it samples backward traces.
    `label` random-of-n / longest-of-n: the controls, which replace the reconstruction score (no LM calls).
    Pairs go in windows sized from the synthesizer (`window_size` overrides: 1 is one pair at a time)."""
    synthesis = synthesis or SynthesisConfig()
    out, run = Path(out), run or new_run_id()
    check_output_path(out)
    scorer_name = CONTROLS.get(label, cfg.scorer)
    stage = f"synthesize:{label}:{scorer_name}"
    synth, scorer, backends, fingerprints = selection_backends(
        label, cfg, synthesis, synthesizer=synthesizer, reconstructor=reconstructor, judge=judge, db=db, run=run,
        stage=stage, embedder=embedder, backend_factory=backend_factory)
    records = []
    try:
        for window in windows(examples, window_pairs(synth, window_size)):
            meters = [Meter() for _ in window]
            with metered(backends, meters):
                selections = select_window(window, synth, scorer, cfg, synthesis)
            records += [selection_record(ex.id, sel, scorer=scorer_name, fingerprints=fingerprints, cost=meter,
                                         label=label)
                        for ex, sel, meter in zip(window, selections, meters, strict=True)]
            if on_progress is not None:
                on_progress(len(window))
    finally:
        for b in backends:
            b.close()
    write_jsonl_atomic(out, records)
    total = run_cost(db, run, stage + ":", prefix=True)
    summary = JobSummary(label, scorer_name, pairs=len(examples),
                         written=sum(r["reasoning"] is not None for r in records),
                         invalid=sum(r["invalid"] is not None for r in records),
                         leaking=sum(bool(r["leakage"] and r["leakage"]["leaking"]) for r in records),
                         cost=total, out=out, run=run, failures=call_failures(db, run, stage + ":", prefix=True),
                         ties=sum("tie" in r["flags"] for r in records if r["reasoning"] is not None),
                         candidates=sum(len(r["candidates"]) for r in records),
                         candidates_leaking=sum(bool(c["leakage"] and c["leakage"]["leaking"]) for r in records
                                                for c in r["candidates"]))
    write_manifest(summary, stage, {"recon_select": cfg.model_dump(), "synthesis": synthesis.model_dump(),
                                    "synthesizer": backend_json(synthesizer),
                                    "reconstructor": backend_json(reconstructor) if fingerprints["reconstructor"]
                                    else None,
                                    "judge": backend_json(judge) if (judge and fingerprints["judge"]) else None},
                   [fp for fp in fingerprints.values() if fp], inputs)
    return summary
