"""`recon run`: the whole experiment from one config, in stages under runs/NAME/.

`pipeline` strings the stages together (`Pipeline`), `seeds` repeats a run per seed, `checks` is what is
checked before anything is written, `stage_records` decides what a re-run may skip, `parity` and
`grpo_stages` are the run's own stages, `result` is what a run returns, and `plan` (+ `plan_backend`,
`plan_price`) is what `--plan` prints and `budget:` checks.

    >>> from recon.config import RunConfig
    >>> cfg = RunConfig.model_validate({"name": "t", "data": {"train": ["a.jsonl"], "test": ["b.jsonl"]},
    ...                                 "methods": ["none"]})
    >>> run_pipeline.__name__, cfg.seeds is None
    ('run_pipeline', True)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recon.config import RunConfig
    from recon.run.result import PipelineResult


def run_pipeline(cfg: RunConfig, root: Path, **kwargs) -> PipelineResult:
    """Run `cfg` once, or once per seed and then mean ± sd over the seeds (`seeds:`). The embedder named by
    `models.embedder` is resolved first (a Hub id: its snapshot in the Hugging Face cache), before any work.
    With `budget:`, the run is planned first and refused (ConfigError) before any stage whose planned cost
    would cross it."""
    if kwargs.get("embedder") is None and cfg.models.embedder != "minilm":
        kwargs["embedder"] = run_embedder(cfg.models.embedder, root)
    if cfg.budget is not None:
        from recon.run.plan import plan_run
        from recon.run.plan_price import check_budget
        plan = plan_run(cfg, root, **{k: v for k, v in kwargs.items() if k in ("db", "backend_factory", "force",
                                                                               "embedder")})
        check_budget(plan, cfg.budget, cfg.prices)
    if cfg.seeds:
        from recon.run.seeds import run_seeds
        return run_seeds(cfg, root, **kwargs)
    from recon.run.pipeline import Pipeline
    return Pipeline(cfg, root, **kwargs).run()


def run_embedder(spec: str, root: Path):
    """The embedder `models.embedder` names (a folder is relative to the config's data root); a ConfigError naming
    the field when it cannot be had."""
    from recon.errors import ConfigError
    from recon.hub import parse_hub_ref
    from recon.method.embeddings import open_embedder
    try:
        return open_embedder(spec if parse_hub_ref(spec) else str(Path(root) / Path(spec).expanduser()))
    except ConfigError as exc:
        raise ConfigError(f"models.embedder: {exc}") from None
