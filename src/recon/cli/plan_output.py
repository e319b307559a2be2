"""What `recon run --plan` prints (one row per stage and a total), and the totals row of a finished run.

    >>> from recon.run.plan_price import StagePlan
    >>> plan_rows([StagePlan("data", "run"), StagePlan("synthesize:backward", "run", calls=4, cached=1,
    ...                                                   prompt_tokens=30, completion_tokens=300, cost_usd=None)])[-1]
    ['total', '', 4, 25.0, 30, 300, '', None]
"""

from __future__ import annotations

from recon.cli.output import console, err_console, print_table

PLAN_COLUMNS = ["stage", "action", "LM calls", "cached %", "prompt tokens to pay", "completion tokens to pay (max)",
                "tokens counted by", "cost (USD)"]


def _cached_pct(cached: int, calls: int) -> float | None:
    return None if not calls else round(100 * cached / calls, 1)


def plan_rows(stages) -> list[list]:
    rows = [[s.stage, s.action, s.calls, _cached_pct(s.cached, s.calls), s.prompt_tokens, s.completion_tokens,
             s.tokens_by, s.cost_usd] for s in stages]
    costs = [s.cost_usd for s in stages]
    calls, cached = sum(s.calls for s in stages), sum(s.cached for s in stages)
    rows.append(["total", "", calls, _cached_pct(cached, calls), sum(s.prompt_tokens for s in stages),
                 sum(s.completion_tokens for s in stages), "",
                 None if None in costs else round(sum(c for c in costs if c is not None), 6)])
    return rows


def print_plan(stages, budget=None, prices=None) -> None:
    """The plan's table, then which models have no price and whether a run would stay within the budget."""
    from recon.errors import ConfigError
    from recon.run.plan_price import check_budget, unpriced
    print_table("plan (no LM call was made)", PLAN_COLUMNS, plan_rows(stages))
    missing = unpriced(stages)
    if missing:
        err_console.print(f"no price for {', '.join(missing)}: add them under prices: (USD per million input / "
                          "output tokens) to see the cost", markup=False)
    if budget is not None:
        try:
            check_budget(stages, budget, prices or {})
            console.print(f"budget: ${budget.max_usd:g}; the planned cost stays within it", markup=False)
        except ConfigError as exc:
            err_console.print(f"a run would stop: {exc}", markup=False)


def run_totals(result, cfg, backend_factory=None) -> list:
    """The end-of-run totals row: calls (cache hits included), tokens, wall time and, with prices, the cost."""
    from recon.backends.registry import build_backend
    from recon.config import BackendConfig
    from recon.errors import ConfigError
    from recon.run.plan_price import run_cost_usd
    from recon.store.calls import run_cost
    from recon.store.db import Database
    db = Database()
    costs = [run_cost(db, run) for run in result.runs]
    factory = backend_factory or build_backend
    specs = {}
    for config in (cfg.models.synthesizer, cfg.models.reconstructor, cfg.models.user_model, cfg.models.judge):
        if isinstance(config, BackendConfig):
            try:
                fp = factory(config).fingerprint       # built, not loaded
            except (ConfigError, OSError):
                continue
            specs[(fp.kind, fp.model)] = config.spec
    usd = run_cost_usd(db, result.runs, specs, cfg.prices)
    return [sum(c.calls for c in costs), sum(c.prompt_tokens for c in costs), sum(c.completion_tokens for c in costs),
            round(result.seconds, 1), usd]


def print_totals(row: list) -> None:
    print_table("totals", ["LM calls", "prompt tokens", "completion tokens", "wall time (s)", "cost (USD)"], [row])
