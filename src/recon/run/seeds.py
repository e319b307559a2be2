"""`seeds: [0, 1, 2]` in a run config: the whole experiment once per seed — synthesis sampling, GRPO and SFT
training and the user models' sampling seeded by it; the data split, limits and evaluation seed unchanged —
each under runs/NAME/seed-S/ (a complete run with its own stages, resumable like any), then one table of the
win rate over the baseline per method and domain as mean ± sd over the seeds: runs/NAME/results.json and
runs/NAME/report.md / report.html.

    >>> from recon.config import RunConfig
    >>> cfg = RunConfig.model_validate({"name": "t", "data": {"train": ["a.jsonl"], "test": ["b.jsonl"]},
    ...                                 "methods": ["none", "backward"], "seeds": [3, 4], "out": "r"})
    >>> one = seed_config(cfg, 4)
    >>> one.seeds, one.out, one.synthesis.seed, one.user_model.seed, one.seed
    (None, 'r/seed-4', 4, 4, 0)
"""

from __future__ import annotations

import html
from pathlib import Path

from recon.atomicio import atomic_writer, write_json_atomic
from recon.config import RunConfig
from recon.errors import ConfigError
from recon.output_lock import hold_output
from recon.run.checks import run_folder

SEEDS_SCHEMA = "seeds-1"


def seed_config(cfg: RunConfig, seed: int) -> RunConfig:
    um = cfg.user_model
    return cfg.model_copy(update={
        "seeds": None, "out": str(run_folder(cfg) / f"seed-{seed}"),
        "synthesis": cfg.synthesis.model_copy(update={"seed": seed}),
        "grpo": cfg.grpo.model_copy(update={"seed": seed}),
        "user_model": um.model_copy(update={"seed": seed, "sft": um.sft.model_copy(update={"seed": seed})})})


def run_seeds(cfg: RunConfig, root: Path, **kwargs):
    """Run every seed, then write the mean ± sd table; the result lists every seed's stages as seed-S/STAGE."""
    from recon.run.pipeline import Pipeline, PipelineResult
    if cfg.seeds is None:
        raise ConfigError("run_seeds needs a config with seeds (a list of seeds to repeat the run with)")
    out = run_folder(cfg)
    total = PipelineResult(out=out, run="")
    per_seed = {}
    from recon.run.stage_log import log
    with hold_output(out, log=kwargs.get("log") or log.info):     # each seed's folder is held in turn too
        for seed in cfg.seeds:
            result = Pipeline(seed_config(cfg, seed), root, **kwargs).run()
            total.run = total.run or result.run
            total.runs.append(result.run)
            total.ran += [f"seed-{seed}/{s}" for s in result.ran]
            total.skipped += [f"seed-{seed}/{s}" for s in result.skipped]
            total.stages.update({f"seed-{seed}/{s}": f for s, f in result.stages.items()})
            total.training.update({f"seed-{seed}/{s}": t for s, t in result.training.items()})
            total.seconds += result.seconds
            per_seed[seed] = result
        total.report = write_seed_report(cfg, out, per_seed)
    return total


def write_seed_report(cfg: RunConfig, out: Path, per_seed: dict) -> Path:
    from recon.evaluation.grid import GRID_NOTE
    from recon.evaluation.markdown_text import md_text
    from recon.evaluation.report import html_table, md_table
    from recon.evaluation.results import SeedResults, read_results
    from recon.evaluation.seed_grid import seed_cells, seed_tables
    baseline = cfg.report.baseline
    results = {s: read_results(r.out / "results.json") for s, r in per_seed.items()}
    cells = seed_cells({s: [c for c in r.comparisons] for s, r in per_seed.items()}, baseline)
    write_json_atomic(out / "results.json", SeedResults(
        schema_name=SEEDS_SCHEMA, seeds={str(s): str(r.out / "results.json") for s, r in per_seed.items()},
        baseline=baseline, grid=cells,
        warnings=[f"seed {s}: {w}" for s, res in results.items() for w in res.warnings]).to_json())
    by_domain, by_person = seed_tables(cells, cfg.predicted_methods, baseline)
    note = (GRID_NOTE.format(baseline=baseline).split(", with 95%")[0] +
            f"; mean ± sd over seeds {', '.join(map(str, per_seed))} (each seed's own report has the intervals).")
    links = [f"seed {s}: {r.report}" for s, r in per_seed.items()]
    md = ["# Methods × domains over seeds", "", md_text(note), "", md_table(by_domain), "", "Per individual:", "",
          md_table(by_person), "", "## Each seed", ""] + [f"- {md_text(line)}" for line in links]
    with atomic_writer(out / "report.md") as f:
        f.write("\n".join(md) + "\n")
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>recon seeds</title></head><body>"
            f"<h1>Methods × domains over seeds</h1><p>{html.escape(note)}</p>{html_table(by_domain)}"
            f"<p>Per individual:</p>{html_table(by_person)}<h2>Each seed</h2><ul>"
            + "".join(f"<li>{html.escape(line)}</li>" for line in links) + "</ul></body></html>")
    with atomic_writer(out / "report.html") as f:
        f.write(page)
    return out / "report.html"
