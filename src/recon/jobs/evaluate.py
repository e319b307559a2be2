"""`recon evaluate`: judge every comparison on every test pair, then win rates, reference metrics, and a
report (results.json, report.md, report.html, judgments.jsonl, plots/) in one folder, written as one set
(`evaluation_folder`): a new, empty or earlier evaluation's folder, replaced whole at the end.

    >>> import json
    >>> from recon.method.embeddings import HashEmbedder
    >>> from recon.types import Example, Turn
    >>> tmp = Path(getfixture("tmp_path"))
    >>> test = [Example(id=f"p{i}", domain="d", individual="Ann", conversation_id=f"c{i}", turn_index=1,
    ...                 context=(Turn("Bob", "Why?"),), action="We fund the library.") for i in range(3)]
    >>> _ = (tmp / "a.jsonl").write_text("".join(json.dumps({"id": e.id, "action": e.action}) + "\\n" for e in test))
    >>> _ = (tmp / "b.jsonl").write_text('{"id": "p0", "action": "No."}\\n{"id": "p1", "action": null}\\n')
    >>> from recon.jobs.context import JobContext
    >>> from recon.store.db import Database
    >>> ctx = JobContext(database=Database(tmp / "db.sqlite3"), embedder=HashEmbedder())
    >>> r = run_evaluate(ctx, test, {"a": tmp / "a.jsonl", "b": tmp / "b.jsonl"}, compare=[("a", "b")],
    ...                  judge_cfg=PairJudgeConfig(), out=tmp / "eval")
    >>> [(c.win_rate, c.n, c.failed_b) for c in r.comparisons if c.scope == "overall"]   # b failed twice: 2 losses
    [(1.0, 3, 2)]
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from recon.atomicio import atomic_directory, check_output_folder, write_json_atomic, write_jsonl_atomic
from recon.config import PairJudgeConfig
from recon.data.trace_records import read_traces
from recon.errors import ConfigError, DataError
from recon.evaluation.judge import EmbeddingPairJudge, LMPairJudge, verdict_of
from recon.evaluation.metrics import reference_metrics
from recon.evaluation.results import (
    RESULTS_SCHEMA_VERSION,
    EvaluationResult,
    Results,
    read_predictions,
    usable_action,
)
from recon.evaluation.setup_block import build_setup, judge_setup
from recon.evaluation.winrate import JudgedPair, summarize
from recon.jobs.context import JobContext
from recon.method.windows import window_pairs, windows
from recon.paths import manifest_path
from recon.store.failures import CallFailures, backend_failures
from recon.types import Example

EVALUATION_FILES = ("results.json", "judgments.jsonl", "report.md", "report.html", "plots")


def trace_figures(path: str | Path) -> dict:
    """Leakage rates, tie rate and cost per pair of a traces file. `leakage_rate`: the kept traces;
    `candidate_leakage_rate`: every candidate, and `tie_rate`: the share of pairs whose top score was shared,
    for methods that keep one of several (None for one-trace methods). Costs come from the file's manifest
    when there is one (every `recon synthesize` writes it), else from the records' `cost`."""
    rows = [r.to_json() for r in read_traces(path)]
    leak = [bool((r.get("leakage") or {}).get("leaking")) for r in rows if r.get("reasoning")]
    cands = [bool((c.get("leakage") or {}).get("leaking")) for r in rows
             for c in (r.get("candidates") or []) if isinstance(c, dict)]
    costs = [r["cost"] for r in rows if isinstance(r.get("cost"), dict)]
    n = max(1, len(rows))
    ties = [("tie" in r["flags"]) for r in rows if r.get("reasoning") and isinstance(r.get("flags"), list)]
    figures = {"leakage_rate": round(sum(leak) / len(leak), 4) if leak else None,
               "candidate_leakage_rate": round(sum(cands) / len(cands), 4) if cands else None,
               "tie_rate": round(sum(ties) / len(ties), 4) if ties else None}   # selected methods only
    manifest = manifest_path(path)
    try:
        cost = json.loads(manifest.read_text(encoding="utf-8")).get("cost", {}) if manifest.is_file() else {}
    except (json.JSONDecodeError, AttributeError):
        cost = {}                                   # an unreadable manifest: fall back to the records' costs
    if "calls_per_pair" in cost:
        figures |= {k: cost.get(k) for k in ("calls_per_pair", "tokens_per_pair", "seconds_per_pair")}
    elif costs:
        figures |= {"calls_per_pair": round(sum(c.get("calls", 0) for c in costs) / n, 3),
                    "tokens_per_pair": round(sum(c.get("prompt_tokens", 0) + c.get("completion_tokens", 0)
                                                 for c in costs) / n, 1),
                    "seconds_per_pair": round(sum(c.get("seconds", 0.0) for c in costs) / n, 3)}
    else:
        figures |= {"calls_per_pair": None, "tokens_per_pair": None, "seconds_per_pair": None}
    return figures


def judge_every_pair(test: Sequence[Example], preds: dict[str, dict[str, dict]], compare: list[tuple[str, str]],
                     judge, on_progress: Callable[[int], None] | None = None, window_size: int | None = None
                     ) -> tuple[list[dict], list[JudgedPair]]:
    """Every comparison on every test pair: a failed prediction loses without a judge call, both failing tie.
    A prediction whose LM call failed (`transient`: infrastructure, not the user model) is no outcome yet: the
    pair is `pending`, in neither rate, and re-running the prediction stage fills it. Test pairs are judged in
    windows (`window_size`, default the judge backend's; 1 is one pair at a time), in input order."""
    judgments, judged = [], []
    backend = getattr(judge, "backend", None)             # the embedding judge has none: it runs locally
    size = window_pairs(backend, window_size) if backend is not None else (window_size or 64)
    for window in windows(test, size):
        rows = [comparison_row(ex, a, b, preds) for ex in window for a, b in compare]
        asked = [k for k, row in enumerate(rows) if row["judge"]]
        verdicts = dict(zip(asked, judge.judge_window([(rows[k]["ex"], rows[k]["act_a"], rows[k]["act_b"])
                                                       for k in asked]) if asked else [], strict=True))
        for k, row in enumerate(rows):
            judgment, pair = judged_row(row, verdicts.get(k), judge.name)
            judgments.append(judgment)
            judged.append(pair)
        if on_progress is not None:
            on_progress(len(window))
    return judgments, judged


def comparison_row(ex: Example, a: str, b: str, preds: dict[str, dict[str, dict]]) -> dict:
    """What one comparison on one test pair needs: the two actions, and whether a judge must decide it."""
    rec_a, rec_b = preds[a].get(ex.id), preds[b].get(ex.id)
    act_a, act_b = usable_action(rec_a), usable_action(rec_b)
    pending = [m for m, rec in ((a, rec_a), (b, rec_b)) if rec is not None and rec.get("transient")]
    failed = [m for m, act in ((a, act_a), (b, act_b)) if act is None]
    return {"ex": ex, "a": a, "b": b, "act_a": act_a, "act_b": act_b, "pending": pending, "failed": failed,
            "judge": not pending and not failed}


def judged_row(row: dict, judgment, judge_name: str) -> tuple[dict, JudgedPair]:
    """The judgments.jsonl record and the win-rate input of one comparison on one test pair."""
    ex, a, b, act_a, act_b = row["ex"], row["a"], row["b"], row["act_a"], row["act_b"]
    if row["pending"]:
        detail = {"pending": row["pending"], "error": "the prediction's LM call failed"}
        return ({"id": ex.id, "a": a, "b": b, "p_a": None, "verdict": verdict_of(None), "failed": [],
                 "judge": judge_name, "detail": detail},
                JudgedPair(a, b, ex.id, ex.domain, ex.individual, None, 0, 0, conversation=ex.conversation_id,
                           pending=True))
    failed = row["failed"]
    if failed:
        p = 0.5 if len(failed) == 2 else (0.0 if failed == [a] else 1.0)
        detail = {"no_usable_prediction": failed}
        consistent = None
    else:
        p, detail, consistent = judgment.p_a, judgment.detail, judgment.detail.get("consistent")
    pair = JudgedPair(a, b, ex.id, ex.domain, ex.individual, p, len((act_a or "").split()), len((act_b or "").split()),
                      conversation=ex.conversation_id, failed_a=act_a is None, failed_b=act_b is None,
                      consistent=consistent)
    return ({"id": ex.id, "a": a, "b": b, "p_a": p, "verdict": verdict_of(p), "failed": failed, "judge": judge_name,
             "detail": detail}, pair)


def method_figures(records: dict[str, dict], test: Sequence[Example], embedder, traces: str | Path | None) -> dict:
    """One method's row: pairs, failures, reference metrics (loops included), leakage and cost of its traces."""
    found = [(usable_action(records.get(e.id)), e.action) for e in test]
    pairs = [(p, t) for p, t in found if p is not None]
    return {"n": sum(1 for e in test if e.id in records), "predicted": len(pairs),
            "failed_rate": round(1 - len(pairs) / len(test), 4) if test else None,
            **reference_metrics([p for p, _ in pairs], [t for _, t in pairs], embedder),
            **(trace_figures(traces) if traces is not None else
               {"leakage_rate": None, "candidate_leakage_rate": None, "tie_rate": None, "calls_per_pair": None,
                "tokens_per_pair": None, "seconds_per_pair": None})}


def run_evaluate(ctx: JobContext, test: Sequence[Example], predictions: dict[str, str | Path], *,
                 compare: list[tuple[str, str]], judge_cfg: PairJudgeConfig, judge_backend=None, out: str | Path,
                 traces: dict[str, str | Path] | None = None, seed: int = 0, test_paths: Sequence[str] = (),
                 parity: dict | None = None, setup: dict | None = None) -> EvaluationResult:
    """`judge_backend`: an LM judge's backend (opened with `ctx.open`); `parity`: how the run fixed the user
    models' training pairs and demonstrations (recon run), reported; `setup`: what the caller knows beyond the
    files (`recon run`: data files, split, limits, run config)."""
    out = Path(out)
    check_output_folder(out, "results.json", "a recon evaluation")
    if len(set(compare)) != len(compare) or any(a == b for a, b in compare):
        raise ConfigError(f"each comparison must name two different methods, once: {compare}")
    preds = {name: read_predictions(path) for name, path in predictions.items()}
    for a, b in compare:
        for name in (a, b):
            if name not in preds:
                raise ConfigError(f"comparison {a} vs {b}: no predictions named {name!r} (have {sorted(preds)})")
    by_id = {e.id: e for e in test}
    for name, records in preds.items():
        unknown = sorted(set(records) - set(by_id))
        if unknown:
            raise DataError(f"prediction id {unknown[0]!r} is not in the test pairs", path=predictions[name])
    embedder = ctx.embedder
    if embedder is None:
        from recon.method.embeddings import Embedder
        embedder = Embedder()
    judge: EmbeddingPairJudge | LMPairJudge
    if judge_cfg.kind == "embedding":
        judge = EmbeddingPairJudge(embedder, judge_cfg)
    else:
        if judge_backend is None:
            raise ConfigError("an LM judge needs a backend (--judge SPEC)")
        judge = LMPairJudge(judge_backend, judge_cfg)

    judgments, judged = judge_every_pair(test, preds, compare, judge, ctx.progress, ctx.window)
    comparisons = summarize(judged, seed=seed)
    failures = backend_failures(judge_backend) if judge_cfg.kind == "lm" else CallFailures()
    methods = {name: method_figures(records, test, embedder, traces[name] if traces and name in traces else None)
               for name, records in preds.items()}
    judge_model = (judge_backend.fingerprint.to_json() if judge_backend is not None and judge_cfg.kind == "lm"
                   else getattr(embedder, "fingerprint", None))
    block = build_setup(judge=judge_setup(judge_cfg, model=judge_model), test=test, test_paths=test_paths,
                        predictions=predictions, traces=dict(traces or {}), seed=seed,
                        extra={"embedder": getattr(embedder, "fingerprint", None), **(setup or {})})
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl_atomic(out / "judgments.jsonl", judgments)
    write_json_atomic(out / "results.json", Results(
        schema_version=RESULTS_SCHEMA_VERSION, setup=block,
        comparisons=[c.to_json() for c in comparisons], methods=methods,
        judge={"kind": judge_cfg.kind, "config": judge_cfg.model_dump(), "model": judge_model},
        test_pairs=len(test), test=[str(Path(p).resolve()) for p in test_paths],
        predictions={k: str(Path(v).resolve()) for k, v in predictions.items()},
        warnings=[f"{c.a} vs {c.b} ({c.scope}): {c.warning}" for c in comparisons if c.warning]
        + ([f"judge: {failures.describe()}"] if not failures.complete else []),
        parity=parity).to_json())
    return EvaluationResult(comparisons, methods, judgments, out, failures, parity, block)


@contextmanager
def evaluation_folder(out: str | Path) -> Iterator[Path]:
    """A temporary folder beside `out` to write the evaluation and its report into; on success it replaces
    `out` whole (a failure leaves the previous set). `out` must be new, empty or an earlier evaluation; what
    else it holds (the human validation's key and labels) is carried over."""
    out = Path(out)
    check_output_folder(out, "results.json", "a recon evaluation")
    with atomic_directory(out) as folder:
        yield folder
        for kept in (sorted(out.iterdir()) if out.is_dir() else []):
            if kept.name not in EVALUATION_FILES and not (folder / kept.name).exists():
                if kept.is_dir():
                    shutil.copytree(kept, folder / kept.name, symlinks=True)
                else:
                    shutil.copy2(kept, folder / kept.name, follow_symlinks=False)
