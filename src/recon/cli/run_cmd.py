"""`recon run CONFIG`: the whole experiment from one YAML file."""

from __future__ import annotations

import argparse
from pathlib import Path

from recon.cli.exit_codes import DONE, FAILED_CALLS
from recon.cli.output import console, err_console, print_table, progress_bar


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a whole experiment from a YAML config (run it again to resume)",
                       description="Run a whole experiment from a YAML config. Running it again resumes: finished "
                       "stages are skipped, and a stage whose LM calls failed runs again, paying only for those.")
    p.add_argument("config", type=Path)
    p.add_argument("--force", action="store_true", help="re-run every stage (LM calls still come from the cache)")
    p.add_argument("--data-root", help="folder the config's data paths are relative to")
    p.add_argument("--out", help="run folder (default: the config's out, or runs/NAME)")
    p.set_defaults(func=cmd_run)


def print_winrates(comparisons, title: str = "win rates (%)") -> None:
    rows = [[f"{c.a} vs {c.b}", c.scope, None if c.win_rate is None else round(100 * c.win_rate, 1),
             f"{100 * c.ci[0]:.1f}–{100 * c.ci[1]:.1f}" if c.ci else None,
             None if c.lc_win_rate is None else round(100 * c.lc_win_rate, 1), c.n, c.ties, c.invalid]
            for c in comparisons if c.scope == "overall" or c.scope.startswith("domain:")]
    print_table(title, ["comparison", "scope", "win rate", "95% CI", "LC", "n", "ties", "invalid"], rows)
    for c in comparisons:
        if c.warning and c.scope == "overall":
            err_console.print(f"warning: {c.a} vs {c.b}: {c.warning}")


def print_stages(result) -> int:
    """One row per stage (ran, unchanged, or incomplete with its failed calls); the exit code of the run."""
    rows = [[name, "unchanged" if f is None else "ran" if f.complete else "incomplete",
             None if f is None else f.calls, None if f is None else f.failed]
            for name, f in result.stages.items()]
    print_table("stages", ["stage", "status", "LM calls", "failed calls"], rows)
    for name, f in result.incomplete.items():
        err_console.print(f"{name}: {f.describe()}", markup=False)
    return FAILED_CALLS if result.incomplete else DONE


def cmd_run(args: argparse.Namespace) -> int:
    from recon.config import load_run_config
    from recon.pipeline import run_pipeline
    cfg, root = load_run_config(args.config, data_root=args.data_root, out=args.out)
    result = run_pipeline(cfg, root, force=args.force, progress=progress_bar,
                          log=lambda msg: err_console.print(msg, markup=False))
    print_winrates(result.comparisons)
    code = print_stages(result)
    console.print(f"ran {len(result.ran)} stage(s), skipped {len(result.skipped)} unchanged; "
                  f"{result.seconds:.0f} s. results → {result.out / 'results.json'}; report → {result.report}")
    return code
