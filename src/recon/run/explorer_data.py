"""What the run explorer shows, gathered from a run folder into one JSON-ready dict: every training pair with
each method's trace (and, for Recon-Select and its controls, the shared candidates with their
reconstructions, scores, ranks and leakage, and which one each method kept), and every test pair with each
method's reasoning and prediction and the judge's verdicts by method name."""

from __future__ import annotations

from pathlib import Path

from recon.data.corpus import iter_json_lines, load_examples
from recon.data.prediction_records import PredictionRecord, read_predictions
from recon.errors import ConfigError
from recon.evaluation.results import Results, read_results
from recon.render import render_context
from recon.types import Example

CONTEXT_TURNS = 12          # turns of context shown per pair (the latest ones)
TURN_CHARS = 1200           # characters per turn shown
CONTROL_SCORERS = ("length", "random")    # what the selection controls rank candidates by


def _records(path: Path) -> dict[str, dict]:
    if not path.is_file():
        return {}
    return {rec["id"]: rec for _, rec in iter_json_lines(path) if isinstance(rec, dict) and "id" in rec}


def _pair(ex: Example) -> dict:
    return {"id": ex.id, "domain": ex.domain, "individual": ex.individual, "conversation": ex.conversation_id,
            "context": render_context(ex, max_turns=CONTEXT_TURNS, max_turn_chars=TURN_CHARS), "action": ex.action}


def _candidates(rec: dict) -> list[dict]:
    """Candidates with their rank by score (1 = best; unscored last)."""
    cands = rec.get("candidates") or []
    scored = sorted((c.get("adjusted_score") if c.get("adjusted_score") is not None else c.get("score"), i)
                    for i, c in enumerate(cands) if c.get("score") is not None)
    rank = {i: r + 1 for r, (_, i) in enumerate(sorted(scored, key=lambda t: -t[0]))}
    return [{"reasoning": c.get("reasoning"), "reconstruction": c.get("reconstruction"), "score": c.get("score"),
             "adjusted": c.get("adjusted_score"), "rank": rank.get(i), "leakage": c.get("leakage"),
             "flags": c.get("flags") or []} for i, c in enumerate(cands)]


def _trace(rec: dict) -> dict:
    leak = rec.get("leakage") or {}
    return {"reasoning": rec.get("reasoning"), "kept": rec.get("selected_index"), "leaking": bool(leak.get("leaking")),
            "leakage": leak or None, "invalid": rec.get("invalid"), "scorer": rec.get("scorer"),
            "finish_reason": rec.get("finish_reason")}


def _prediction(rec: PredictionRecord | None) -> dict | None:
    if rec is None:
        return None
    truncated = rec.finish_reason == "length" or rec.truncated
    return {"reasoning": rec.reasoning, "action": rec.action, "error": rec.error, "failed": rec.action is None,
            "truncated": truncated, "reasoning_truncated": rec.reasoning_truncated,
            "action_truncated": rec.action_truncated}


def explorer_data(run: str | Path) -> dict:
    """The explorer's data for a `recon run` folder (its data/, traces/, preds/, eval/ and results.json)."""
    run = Path(run)
    if not (run / "data" / "train.jsonl").is_file():
        raise ConfigError(f"{run} is not a recon run folder (no data/train.jsonl); give the folder `recon run` wrote")
    train = load_examples([run / "data" / "train.jsonl"])
    test = load_examples([run / "data" / "test.jsonl"]) if (run / "data" / "test.jsonl").is_file() else []
    read = read_results(run / "results.json") if (run / "results.json").is_file() else None
    results = read if isinstance(read, Results) else None           # a run over seeds: each seed has its own
    methods = list(results.methods if results else {}) or sorted(p.stem for p in (run / "preds").glob("*.jsonl"))
    traces = {p.stem: _records(p) for p in sorted((run / "traces").glob("*.jsonl"))}
    preds = {m: read_predictions(path) if (path := run / "preds" / f"{m}.jsonl").is_file() else {} for m in methods}
    verdicts: dict[str, list[dict]] = {}
    for _, j in iter_json_lines(run / "eval" / "judgments.jsonl") if (run / "eval" / "judgments.jsonl").is_file() \
            else []:
        if isinstance(j, dict) and "id" in j:
            winner = {"a": j.get("a"), "b": j.get("b")}.get(str(j.get("verdict")))
            verdicts.setdefault(j["id"], []).append({"a": j.get("a"), "b": j.get("b"), "p_a": j.get("p_a"),
                                                     "winner": winner, "verdict": j.get("verdict")})
    train_rows = []
    for ex in train:
        row = _pair(ex) | {"traces": {}, "candidates": []}
        for m, recs in traces.items():
            if ex.id in recs:
                row["traces"][m] = _trace(recs[ex.id])
                rec = recs[ex.id]
                # the candidates as the reconstruction scorer ranked them (the controls' records rank by length
                # or at random)
                if rec.get("candidates") and (not row["candidates"] or rec.get("scorer") not in CONTROL_SCORERS):
                    row["candidates"] = _candidates(rec)
        train_rows.append(row)
    test_rows = [_pair(ex) | {"predictions": {m: _prediction(preds[m].get(ex.id)) for m in methods},
                              "verdicts": verdicts.get(ex.id, [])} for ex in test]
    setup = results.setup if results else {}
    return {"run": run.name, "methods": methods, "trace_methods": list(traces),
            "fake_backend": setup.get("fake_backend") or [], "train": train_rows, "test": test_rows}
