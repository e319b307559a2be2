"""The GRPO stages of `recon run`: one policy per reward (Recon-GRPO's synthesizer, E2E-GRPO's user model),
trained on the same training pairs with the same step budget and number of generations (the run's one
`grpo:` block), the reward's LM calls going through the run's database, run id and backends.

A stage killed during training resumes from TRL's latest checkpoint (`run/training_folder.py`).

    >>> from recon.config import RunConfig
    >>> cfg = RunConfig.model_validate({"name": "t", "data": {"train": ["a.jsonl"], "test": ["b.jsonl"]},
    ...     "methods": ["backward", "recon-grpo", "e2e-grpo"], "grpo": {"max_steps": 3, "num_generations": 2},
    ...     "user_model": {"kind": "sft"}})
    >>> [(c.reward, c.max_steps, c.num_generations) for c in (grpo_train_config(cfg, "recon"),
    ...                                                          grpo_train_config(cfg, "e2e"))]
    [('recon', 3, 2), ('e2e', 3, 2)]
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from recon.config import BackendConfig, GRPOTrainConfig, UserModelConfig
from recon.hashing import content_hash
from recon.methods import method_spec, policy_rewards, trained_by
from recon.paths import GRPO_META
from recon.redaction import redact_secrets
from recon.run.training_folder import prepare_training_folder
from recon.store.backend_source import BackendSource
from recon.store.failures import CallFailures, call_failures
from recon.types import Example


def grpo_train_config(cfg, reward: str, *, start: Path | None = None) -> GRPOTrainConfig:
    """The GRPOTrainConfig of one GRPO method of a RunConfig: the shared `grpo:` block, the run's reconstructor,
    Recon-Select's leakage and reconstruction settings, the run's synthesis prompt and user-model prompt.
    `start`: the SFT checkpoint the policy starts from (E2E-GRPO's warm start) instead of `grpo.model`; LoRA is
    added on top of it as `grpo:` says, and merged when training ends."""
    g = cfg.grpo
    shared = g.model_dump(exclude={"recon", "e2e"}) | ({"model": str(start)} if start is not None else {})
    reconstructor = cfg.models.reconstructor or cfg.models.synthesizer
    common = {"reconstructor": reconstructor, "reconstruction": cfg.recon_select.reconstruction}
    if reward == "recon":
        judge = (g.recon.judge or reconstructor) if g.recon.scorer == "judge" else None
        return GRPOTrainConfig(reward="recon", **shared, **common, scorer=g.recon.scorer, judge=judge,
                               leakage=cfg.recon_select.leakage,
                               synthesis=cfg.synthesis.model_copy(update={"method": trained_by("recon").prompt}))
    judge = (g.e2e.judge or reconstructor) if g.e2e.reward == "judge" else None
    user = UserModelConfig(**{**cfg.user_model.model_dump(exclude={"kind", "sft"}), "k": 0})
    return GRPOTrainConfig(reward="e2e", **shared, **common, judge=judge, user_model=user)


def checkpoint_backend(cfg, folder: Path) -> BackendConfig:
    """The backend a checkpoint the run trained predicts with, the same for an SFT user model and the acting
    policy: with SFT user models, the hf backend's defaults; with ICL ones (on an `hf:` backend, or the config
    was refused: config/grpo_run.py), the user model's own settings (dtype, batch size, window).

    >>> from recon.config import RunConfig
    >>> cfg = RunConfig.model_validate({"name": "t", "data": {"train": ["a.jsonl"], "test": ["b.jsonl"]},
    ...     "methods": ["none", "e2e-grpo"], "models": {"user_model": {"spec": "hf:embedded", "dtype": "float32"}}})
    >>> checkpoint_backend(cfg, Path("runs/t/grpo/e2e")).dtype
    'float32'
    """
    if cfg.user_model.kind == "icl":
        return cfg.models.user_model.model_copy(update={"spec": f"hf:{folder}"})
    return BackendConfig(spec=f"hf:{folder}")


def run_grpo_training(pairs: Sequence[Example], tcfg: GRPOTrainConfig, *, out: Path, key_inputs: dict, db,
                      run: str, stage: str, backend_factory, embedder=None,
                      on_step: Callable[[int, int], None] | None = None, data_files: dict[str, str] | None = None,
                      log: Callable[[str], None] = lambda msg: None) -> CallFailures:
    """Train (or resume) one policy into `out`; the failed reward calls of this stage, from the call log."""
    from recon.training.grpo import build_reward, train_grpo
    key = content_hash(key_inputs, tag="grpo-training", length=16)
    resume = prepare_training_folder(out, key, GRPO_META)
    if resume:
        log(f"{stage}: resuming from the latest checkpoint in {out / 'checkpoints'}")
    reward = build_reward(tcfg, embedder=embedder, source=BackendSource.of(db, run, stage, backend_factory))
    train_grpo(pairs, tcfg, out=out, resume=resume, on_step=on_step, reward=reward, data_files=data_files)
    return call_failures(db, run, stage + ":", prefix=True)


def grid_setup(cfg, out: Path) -> dict:
    """What results.json's setup records of the GRPO methods (same training pairs, same step budget and
    generations for both policies; each policy's steps and reward curve) and of the signal-equals-judge rule."""
    from recon.config.grpo_run import signal_judge_clashes
    from recon.training.grpo import step_summary
    block: dict = {"allow_signal_equals_judge": cfg.allow_signal_equals_judge,
                   "signal_equals_judge": signal_judge_clashes(cfg), "report_baseline": cfg.report.baseline}
    used = {method_spec(m).policy for m in cfg.methods}
    if used - {None}:
        policies = {}
        for reward in [r for r in policy_rewards() if r in used]:
            meta = out / "grpo" / reward / GRPO_META
            if meta.is_file():
                m = json.loads(meta.read_text(encoding="utf-8"))
                policies[reward] = {"steps": m.get("steps"), "training_pairs": len(m.get("train_pair_ids") or []),
                                    "data_hash": m.get("data_hash"), "train_pair_ids_hash": content_hash(
                                        m.get("train_pair_ids") or [], tag="pair-ids", length=16),
                                    "base": m.get("base"), "warm_start": m.get("warm_start"),
                                    **step_summary(meta.parent)}
        block["grpo"] = {"max_steps": cfg.grpo.max_steps, "num_generations": cfg.grpo.num_generations,
                         "model": cfg.grpo.model, "lora": cfg.grpo.lora,
                         "recon": cfg.grpo.recon.model_dump(), "e2e": cfg.grpo.e2e.model_dump(),
                         "policies": policies}
    return redact_secrets(block)                  # the judges' specs may carry a URL's credentials
