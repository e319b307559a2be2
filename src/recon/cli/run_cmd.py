"""`recon run CONFIG`: the whole experiment from one YAML file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from recon.cli.args import add_out
from recon.cli.exit_codes import DONE, FAILED_CALLS
from recon.cli.output import console, err_console, print_table, progress_bar

if TYPE_CHECKING:
    from recon.evaluation.results import SeedResults


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a whole experiment from a YAML config (run it again to resume)",
                       description="Run a whole experiment from a YAML config. Running it again resumes: finished "
                       "stages are skipped, and a stage whose LM calls failed runs again, paying only for those.")
    p.add_argument("config", type=Path, metavar="FILE", help="the experiment's YAML config")
    p.add_argument("--force", action="store_true", help="re-run every stage (LM calls still come from the cache)")
    p.add_argument("--data-root", metavar="FOLDER",
                   help="folder the config's data paths are relative to "
                   "(default: the config's data.root, or its folder)")
    add_out(p, "folder", "the run folder (default: the config's out, or runs/NAME)", required=False)
    p.add_argument("--plan", action="store_true", help="print each stage that would run or be skipped, its LM "
                   "calls, tokens, cached share and cost (with prices:), without any LM call, then stop")
    p.set_defaults(func=cmd_run)


def print_winrates(comparisons, title: str = "win rates (%)") -> None:
    """Overall and per-domain rows: the rate over every test pair with its interval (conversations; pairs,
    marked optimistic, below 5 conversations), failures, judge failures, pairs pending a re-run (a prediction
    call failed), the valid-only and LC rates."""
    from recon.evaluation.report_tables import ci_text

    def pct(x):
        return None if x is None else round(100 * x, 1)
    rows = [[f"{c.a} vs {c.b}", c.scope, pct(c.win_rate), ci_text(c), c.n_conversations, c.n, c.failed_a, c.failed_b,
             c.judge_invalid, c.pending, pct(c.win_rate_valid_only), pct(c.lc_win_rate)]
            for c in comparisons if c.scope == "overall" or c.scope.startswith("domain:")]
    print_table(title, ["comparison", "scope", "win rate", "95% CI", "conv", "n", "failed A", "failed B",
                        "judge invalid", "pending", "valid only", "LC"], rows)
    for c in comparisons:
        if c.warning and c.scope == "overall":
            err_console.print(f"warning: {c.a} vs {c.b}: {c.warning}")


def print_stages(result) -> int:
    """One row per stage (ran, unchanged, or incomplete with its failed calls); the exit code of the run."""
    training = getattr(result, "training", {})
    rows = [[name, "unchanged" if f is None else "ran" if f.complete else "incomplete",
             None if f is None else f.calls, None if f is None else f.failed,
             *[training.get(name, {}).get(k) for k in ("steps", "seconds_per_step", "reward_first", "reward_last")]]
            for name, f in result.stages.items()]
    print_table("stages", ["stage", "status", "LM calls", "failed calls", "GRPO steps", "s/step",
                           "reward (start)", "reward (end)"], rows)
    for name, f in result.incomplete.items():
        err_console.print(f"{name}: {f.describe()}", markup=False)
    for warning in result.training_warnings():
        err_console.print(f"warning: {warning}", markup=False)
    return FAILED_CALLS if result.incomplete else DONE


def print_methods(methods: dict, title: str = "methods") -> None:
    """Per method: failed and looping predictions, length ratio, leakage (kept traces and all candidates), ties,
    cost."""
    def pct(x):
        return None if x is None else round(100 * x, 1)
    print_table(title, ["method", "failed %", "loops %", "length ratio", "mean cosine", "leaking % (kept)",
                        "leaking % (candidates)", "ties %", "synthesis calls/pair", "synthesis s/pair"],
                [[m, pct(v.get("failed_rate")), pct(v.get("loop_rate")),
                  None if v.get("length_ratio") is None else round(v["length_ratio"], 2),
                  None if v.get("mean_cosine") is None else round(v["mean_cosine"], 3), pct(v.get("leakage_rate")),
                  pct(v.get("candidate_leakage_rate")), pct(v.get("tie_rate")), v.get("calls_per_pair"),
                  v.get("seconds_per_pair")]
                 for m, v in methods.items()])


def print_seed_grid(results: SeedResults, methods: list[str]) -> None:
    from recon.evaluation.seed_grid import seed_tables
    by_domain, _ = seed_tables(results.grid, methods, results.baseline)
    if by_domain:
        print_table(f"win rate over {results.baseline} (%), mean ± sd over seeds {', '.join(results.seeds)}",
                    by_domain[0], by_domain[1:])


def cmd_run(args: argparse.Namespace) -> int:
    from recon.config import load_run_config
    from recon.evaluation.results import SeedResults, read_results
    from recon.run import run_pipeline
    cfg, root = load_run_config(args.config, data_root=args.data_root,
                                out=None if args.out is None else str(args.out))
    if args.plan:
        from recon.cli.plan_output import print_plan
        from recon.run.plan import plan_run
        print_plan(plan_run(cfg, root, force=args.force), cfg.budget, cfg.prices)
        return DONE
    result = run_pipeline(cfg, root, force=args.force, progress=progress_bar)   # messages: the `recon` logger
    results = read_results(result.out / "results.json")
    if isinstance(results, SeedResults):                   # seeds: the mean ± sd table (each seed has its own)
        print_seed_grid(results, cfg.predicted_methods)
    else:
        print_winrates(result.comparisons)
        print_methods(results.methods)
    code = print_stages(result)
    from recon.cli.plan_output import print_totals, run_totals
    print_totals(run_totals(result, cfg))
    console.print(f"ran {len(result.ran)} stage(s), skipped {len(result.skipped)} unchanged; "
                  f"{result.seconds:.0f} s. results → {result.out / 'results.json'}; report → {result.report}")
    return code
