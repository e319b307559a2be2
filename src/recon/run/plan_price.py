"""Prices of a plan and of a finished run (`prices:` in the run config: USD per million input / output tokens
per model spec), and the `budget:` rule: a run stops before the stage whose planned cost would cross
`budget.max_usd`, so nothing is spent.

    >>> from recon.config.run import PriceConfig
    >>> stage = StagePlan("synthesize:backward", "run", calls=2, models={"openai:m": [2, 1000, 500]})
    >>> priced([stage], {"openai:m": PriceConfig(input=1.0, output=4.0)})[0].cost_usd
    0.003
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recon.config.run import BudgetConfig, PriceConfig
from recon.errors import ConfigError


@dataclass
class StagePlan:
    """One stage of the plan: `run`, `skip` (complete and reusable) or `train` (training; its reward calls are
    not planned). Tokens are upper bounds for completions and estimates for prompts (`tokens_by`)."""

    stage: str
    action: str
    calls: int = 0
    cached: int = 0                     # calls whose answer the cache already holds (or repeated in the run)
    prompt_tokens: int = 0              # of the calls still to pay
    completion_tokens: int = 0          # of the calls still to pay (max_tokens)
    models: dict[str, list[int]] = field(default_factory=dict)   # spec -> [calls, prompt, completion] to pay
    tokens_by: str = ""
    cost_usd: float | None = 0.0        # None: a model it pays for has no price

    @property
    def to_pay(self) -> int:
        return self.calls - self.cached


def price_of(spec: str | None, prices: dict[str, PriceConfig]) -> PriceConfig | None:
    """A model spec's price: its own entry, else the entry of its backend kind (`hf` prices every local
    checkpoint a run trains).

    >>> price_of("hf:runs/x/ckpt/none", {"hf": PriceConfig(input=0, output=0)}).output
    0.0
    """
    if spec is None:
        return None
    return prices.get(spec) or prices.get(spec.split(":", 1)[0])


def tokens_cost(price: PriceConfig, prompt: int, completion: int) -> float:
    return (prompt * price.input + completion * price.output) / 1e6


def priced(stages: list[StagePlan], prices: dict[str, PriceConfig]) -> list[StagePlan]:
    """Each stage's cost of the calls it still has to pay; None where one of its models has no price."""
    for stage in stages:
        costs = [tokens_cost(price, prompt, completion) if (price := price_of(spec, prices)) else None
                 for spec, (_, prompt, completion) in stage.models.items()]
        stage.cost_usd = None if None in costs else round(sum(c for c in costs if c is not None), 6)
    return stages


def unpriced(stages: list[StagePlan]) -> list[str]:
    """The model specs the plan would pay for that `prices:` does not name."""
    return sorted({spec for s in stages for spec in s.models if s.cost_usd is None})


def check_budget(stages: list[StagePlan], budget: BudgetConfig | None, prices: dict[str, PriceConfig]) -> None:
    """Refuse (ConfigError: exit 2, before anything is spent) a run whose planned cost would cross the budget,
    naming the first stage that would cross it, its planned cost and the budget."""
    if budget is None:
        return
    spent = 0.0
    for stage in stages:
        if stage.cost_usd is None:
            missing = [spec for spec in stage.models if price_of(spec, prices) is None]
            raise ConfigError(f"budget: stage {stage.stage} would call {', '.join(missing)}, which has no price "
                              "under prices: (give one, 0 for a local model), so its cost cannot be checked; "
                              "nothing was spent")
        spent += stage.cost_usd
        if spent > budget.max_usd:
            raise ConfigError(f"budget: stage {stage.stage} is planned to cost ${stage.cost_usd:.4f} "
                              f"(${spent:.4f} with the stages before it), over budget.max_usd ${budget.max_usd:g}; "
                              "the run stopped before it and nothing was spent (see recon run CONFIG --plan)")


def run_cost_usd(db, runs: list[str], specs: dict[tuple[str, str], str],
                 prices: dict[str, PriceConfig]) -> float | None:
    """What a finished run's paid calls (no cache hit, no error) cost at `prices`; None when unpriced."""
    if not prices:
        return None
    total = 0.0
    for run in runs:
        rows = db.execute("SELECT backend, model, COALESCE(SUM(prompt_tokens),0), COALESCE(SUM(completion_tokens),0) "
                          "FROM calls WHERE run = ? AND cache_hit = 0 AND error IS NULL GROUP BY backend, model",
                          (run,)).fetchall()
        for kind, model, prompt, completion in rows:
            price = price_of(specs.get((kind, model)) or kind, prices)     # a trained checkpoint: its kind
            if price is None:
                return None
            total += tokens_cost(price, prompt, completion)
    return round(total, 6)
