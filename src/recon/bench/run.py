"""`recon bench run`: the known-latent benchmark in one command — generate a corpus, synthesize with every
method (none, forward, backward, recon-select with each scorer) on the embedded model, measure latent
recovery and leakage of the traces, test each scorer's validity on fixed candidates, and judge downstream
ICL user models — one report.

    >>> bench_config(Path("runs/bench"), "fake").predicted_methods
    ['none', 'backward', 'recon-select:likelihood']
"""

from __future__ import annotations

from pathlib import Path

from recon.atomicio import atomic_writer, write_json_atomic
from recon.bench.recovery import recovery_table
from recon.bench.validity import ValidityResult, run_validity
from recon.bench.validity_report import validity_table
from recon.config import BackendConfig, RunConfig
from recon.data.corpus import load_examples
from recon.jobs.common import read_traces
from recon.run.pipeline import Pipeline, PipelineResult

BENCH_METHODS = ["none", "forward", "backward", "recon-select:likelihood", "recon-select:judge",
                 "recon-select:embedding"]
BENCH_PREDICT = ["none", "backward", "recon-select:likelihood"]


def bench_config(out: Path, model: str, *, predict: list[str] | None = None, n: int = 4) -> RunConfig:
    from pydantic import ValidationError

    from recon.errors import ConfigError
    predict = predict or BENCH_PREDICT
    compare = [[b, a] for i, a in enumerate(predict) for b in predict[i + 1:]]     # later methods as "A"
    try:
        return _validate(out, model, predict, compare, n)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid benchmark settings: {problems}") from None


def _validate(out: Path, model: str, predict: list[str], compare: list[list[str]], n: int) -> RunConfig:
    return RunConfig.model_validate({
        "name": "bench", "data": {"train": ["train.jsonl"], "test": ["test.jsonl"]},
        "models": {"synthesizer": model, "user_model": model, "judge": "embedding"},
        "methods": BENCH_METHODS, "predict": predict, "recon_select": {"n": n},
        "user_model": {"kind": "icl", "k": 3}, "compare": compare, "out": str(out)})


def run_bench(data: Path, cfg: RunConfig, **pipeline_kwargs) -> tuple[PipelineResult, list[dict], ValidityResult]:
    pipeline = Pipeline(cfg, data, **pipeline_kwargs)
    result = pipeline.run()
    train = load_examples([data / "train.jsonl"])
    traces = {m: {r.id: r.reasoning for r in read_traces(path)}
              for m in cfg.methods if (path := pipeline.traces_path(m)) is not None}      # every method but none
    rows = recovery_table(traces, train, seed=cfg.seed)
    validity = bench_validity(pipeline, train)
    write_json_atomic(result.out / "bench.json", {"recovery": rows, "validity": validity.summaries,
                                                  "results": "results.json"})
    with atomic_writer(result.out / "bench.md") as f:
        f.write(bench_markdown(rows, result, validity))
    return result, rows, validity


def bench_validity(pipeline: Pipeline, examples: list) -> ValidityResult:
    """Scorer validity for the scorers of the run's recon-select methods on `examples` (the training pairs, as
    for latent recovery), with the run's reconstructor (and judge, when it is an LM), cache and call log."""
    cfg = pipeline.cfg
    scorers = [m.partition(":")[2] or cfg.recon_select.scorer for m in cfg.methods if m.startswith("recon-select")]
    judge = cfg.models.judge if isinstance(cfg.models.judge, BackendConfig) else None
    return run_validity(examples, scorers=list(dict.fromkeys(scorers)),
                        reconstructor=cfg.models.reconstructor or cfg.models.synthesizer, judge=judge,
                        db=pipeline.db, out=pipeline.out / "validity", seed=cfg.seed,
                        reconstruction=cfg.recon_select.reconstruction, leakage=cfg.recon_select.leakage,
                        embedder=pipeline.embedder, backend_factory=pipeline.backend_factory,
                        run=pipeline.result.run, progress=pipeline.progress)


def _cell(row: dict, key: str) -> str:
    if row[key] is None:
        return "–"
    lo, hi = row[f"{key}_ci"]
    return f"{100 * row[key]:.0f}% [{100 * lo:.0f}–{100 * hi:.0f}]"


def bench_markdown(rows: list[dict], result: PipelineResult, validity: ValidityResult | None = None) -> str:
    from recon.evaluation.report_tables import ci_text
    lines = ["# Known-latent benchmark", "",
             "Latent recovery of each method's traces on the training pairs (share of traces, 95% bootstrap CI):",
             "", "| method | traces | names the true factor | names a distractor | true only | leaking |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        leak = "–" if r["leakage_rate"] is None else f"{100 * r['leakage_rate']:.0f}%"
        lines.append(f"| {r['method']} | {r['n']} | {_cell(r, 'names_true')} | {_cell(r, 'names_distractor')} | "
                     f"{_cell(r, 'clean')} | {leak} |")
    lines += ["", "Downstream win rates of ICL user models on the test pairs (MiniLM judge):", "",
              "| comparison | win rate | 95% CI | n |", "|---|---|---|---|"]
    for c in result.comparisons:
        if c.scope == "overall" and c.win_rate is not None:
            lines.append(f"| {c.a} vs {c.b} | {100 * c.win_rate:.1f}% | {ci_text(c)} | {c.n} |")
    if validity is not None and validity.summaries:
        lines += ["", f"Scorer validity on the {validity.pairs} training pairs (fixed candidates: does the score rank "
                  "the true cause above the others? 95% bootstrap CI over pairs):", "",
                  *validity_table(validity.summaries), "", f"Validity report: {validity.out / 'report.md'}"]
    lines += ["", f"Full evaluation report: {result.report}", ""]
    return "\n".join(lines)
