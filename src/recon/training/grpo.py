"""GRPO training of the synthesizer (`recon` reward) or of the user model end to end (`e2e` baseline):
a thin adapter from our validated config to TRL's GRPOConfig and GRPOTrainer.

- recon: prompts are backward-synthesis prompts (context + true action); the reward is the reconstruction
  score of the written trace under a *separate, frozen* reconstruction model, with the leakage penalty
  (rewards.py). The trained synthesizer is used by `recon synthesize --method recon-grpo`.
- e2e: prompts are user-model prompts (context only); the policy writes `<reasoning>…</reasoning>` and an
  action; the reward looks at the action only.

The run folder holds `checkpoints/` (TRL's, every `save_steps`; `resume=True` continues from the latest;
TensorBoard or W&B logs as `report_to` asks), `train.log` (the libraries' own log lines and warnings),
`steps.jsonl` (one line per logged step, every `logging_steps`: reward mean/std, leakage, empty and failed
rates, KL, completion length, seconds), and at the end the merged model, its tokenizer and `recon_grpo.json`
(with the training pairs' ids, conversations and data files). For GPUs: `use_vllm` (colocate or server) and
`accelerate launch`, whose process count is read from the launcher (docs/grpo.md).

Example (not run here: trains; the slow test does)::

    train_grpo(pairs, GRPOTrainConfig(reward="recon", max_steps=3), out="ckpt-recon/")
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from recon.atomicio import write_json_atomic
from recon.config import GRPOTrainConfig, validated
from recon.errors import ConfigError
from recon.hashing import canonical_json, content_hash
from recon.method.rewards import E2EReward, ReconReward
from recon.method.synthesis import synthesis_messages
from recon.method.usermodel import user_model_messages
from recon.paths import GRPO_META
from recon.redaction import redact_secrets
from recon.training.common import (
    latest_checkpoint,
    launched_processes,
    load_base,
    lora_config,
    quiet,
    quiet_library_progress,
    save_trained,
    step_callback,
    training_data,
    use_cpu,
    watch_args,
)
from recon.training.library_output import TRAIN_LOG, library_output_to
from recon.training.sft import warm_start_record
from recon.types import Example


def grpo_records(train: Sequence[Example], cfg: GRPOTrainConfig) -> list[dict]:
    records = []
    for ex in train:
        if cfg.reward == "recon":
            messages = synthesis_messages(ex, cfg.synthesis)
        else:
            messages = user_model_messages(ex, [], cfg.user_model, with_reasoning=True, answer_format="tags")
        records.append({"prompt": [{"role": m.role, "content": m.content} for m in messages],
                        "example": canonical_json(ex.to_json())})
    return records


def build_reward(cfg: GRPOTrainConfig, embedder=None, source=None):
    """The reward of `cfg`; `source` (a method.rewards.BackendSource) makes its LM calls go through a given
    database, run and backend factory (`recon run` passes its own), else the default database."""
    if cfg.reward == "recon":
        return ReconReward(cfg.reconstructor, scorer=cfg.scorer, judge=cfg.judge, reconstruction=cfg.reconstruction,
                           leakage=cfg.leakage, synthesis=cfg.synthesis, embedder=embedder, source=source)
    return E2EReward(judge=cfg.judge, reconstruction=cfg.reconstruction, embedder=embedder, source=source)


@dataclass
class GRPOResult:
    out: Path
    steps: int
    seconds_per_step: float
    log: list[dict] = field(default_factory=list)


def with_launched_processes(cfg: GRPOTrainConfig) -> GRPOTrainConfig:
    """`cfg` with `num_processes` read from `accelerate launch` unless the config sets it (then they must agree);
    the batch check runs again for the new count."""
    given = cfg.num_processes if "num_processes" in cfg.model_fields_set else None
    processes = launched_processes(given)
    if processes == cfg.num_processes:
        return cfg
    return validated(GRPOTrainConfig, **{**cfg.model_dump(), "num_processes": processes})


def train_grpo(train: Sequence[Example], cfg: GRPOTrainConfig, *, out: str | Path, resume: bool = False,
               on_step: Callable[[int, int], None] | None = None, reward=None,
               data_files: dict[str, str] | None = None,
               on_log: Callable[[object, dict], None] | None = None) -> GRPOResult:
    """`resume`: continue from the latest checkpoint in `out/checkpoints` (from scratch when there is none).
    TRL's own output goes to `out/train.log`."""
    if not train:
        raise ConfigError("GRPO needs training pairs")
    out = Path(out)
    cfg = with_launched_processes(cfg)
    quiet_library_progress()
    with library_output_to(out / TRAIN_LOG):
        return _train(train, cfg, out, resume, on_step, on_log, reward, data_files)


def _train(train, cfg: GRPOTrainConfig, out: Path, resume: bool, on_step, on_log, reward, data_files) -> GRPOResult:
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    model, tokenizer, base = load_base(cfg.model)
    steps_log = out / "steps.jsonl"
    log: list[dict] = []
    clock = {"t": time.perf_counter()}

    def log_step(state, logs: dict) -> None:
        if on_log is not None:
            on_log(state, logs)
        if "reward" not in logs:
            return
        now = time.perf_counter()
        row = {"step": state.global_step, "reward_mean": logs.get("reward"), "reward_std": logs.get("reward_std"),
               "leakage_rate": logs.get("leakage_rate"), "empty_rate": logs.get("empty_rate"),
               "failed_rate": logs.get("failed_rate"), "kl": logs.get("kl"),
               "completion_length": logs.get("completions/mean_length", logs.get("completion_length")),
               "frac_reward_zero_std": logs.get("frac_reward_zero_std"),
               "no_signal_rate": logs.get("no_signal_rate"), "seconds": round(now - clock["t"], 3)}
        clock["t"] = now
        log.append(row)
        with steps_log.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")

    gpu = not use_cpu()
    args = GRPOConfig(
        max_steps=cfg.max_steps,
        per_device_train_batch_size=cfg.per_device_train_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps, num_generations=cfg.num_generations,
        max_completion_length=cfg.max_completion_length, temperature=cfg.temperature, learning_rate=cfg.learning_rate,
        beta=cfg.beta, seed=cfg.seed, use_cpu=not gpu, use_vllm=cfg.use_vllm, vllm_mode=cfg.vllm_mode,
        **watch_args(cfg, out),
        gradient_checkpointing=gpu if cfg.gradient_checkpointing is None else cfg.gradient_checkpointing)
    reward = reward or build_reward(cfg)
    trainer = GRPOTrainer(model=model, reward_funcs=[reward], args=args,
                          train_dataset=Dataset.from_list(grpo_records(train, cfg)), processing_class=tokenizer,
                          peft_config=lora_config(cfg), callbacks=[step_callback(on_step, log_step)])
    quiet(trainer)
    checkpoint = latest_checkpoint(out / "checkpoints") if resume else None
    if checkpoint is None and steps_log.exists():
        steps_log.unlink()
    t0 = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    elapsed = time.perf_counter() - t0
    save_trained(trainer, tokenizer, out, lora=cfg.lora)
    steps = trainer.state.global_step
    done = steps - (int(checkpoint.name.split("-")[1]) if checkpoint else 0)
    write_json_atomic(out / GRPO_META, {
        "reward": cfg.reward, "config": redact_secrets(json.loads(cfg.model_dump_json())), "steps": steps, "base": base,
        "resumed_from": checkpoint.name if checkpoint else None, "warm_start": warm_start_record(cfg.model),
        "data_hash": content_hash([r["example"] for r in grpo_records(train, cfg)], tag="grpo-data", length=16),
        **training_data(train, data_files),
        "seconds": round(elapsed, 2)})
    return GRPOResult(out=out, steps=steps, seconds_per_step=elapsed / max(1, done), log=log)


def step_summary(folder: str | Path, head: int = 5) -> dict:
    """GRPO steps, seconds per step, the reward curve's first / last means (over `head` steps, fewer when the
    curve is short so the two never overlap) and how many steps gave no learning signal (every group's
    rewards equal, or missing) from a policy folder's steps.jsonl; {} when there is none.

    >>> step_summary(Path(getfixture("tmp_path")))
    {}
    """
    path = Path(folder) / "steps.jsonl"
    if not path.is_file():
        return {}
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows[row["step"]] = row                     # a resumed run re-logs the steps after its checkpoint
    ordered = [rows[k] for k in sorted(rows)]
    head = min(head, max(1, len(ordered) // 2))

    def mean(part, key):
        vals = [r[key] for r in part if r.get(key) is not None]
        return round(sum(vals) / len(vals), 4) if vals else None
    seconds = [r["seconds"] for r in ordered if r.get("seconds") is not None]
    return {"steps": len(ordered), "seconds_per_step": round(sum(seconds) / len(seconds), 2) if seconds else None,
            "head": head,
            "reward_first": mean(ordered[:head], "reward_mean"), "reward_last": mean(ordered[-head:], "reward_mean"),
            "leakage_first": mean(ordered[:head], "leakage_rate"),
            "leakage_last": mean(ordered[-head:], "leakage_rate"),
            "no_signal_steps": sum(1 for r in ordered if 1.0 in (r.get("frac_reward_zero_std"),
                                                                  r.get("no_signal_rate")))}


def grpo_signal_warning(stage: str, summary: dict) -> str | None:
    """A warning when no step of a policy had a learning signal: GRPO's advantage is the reward minus its
    group's mean, so a policy whose groups were always graded alike was never moved.

    >>> grpo_signal_warning("grpo:e2e", {"steps": 4, "no_signal_steps": 4})[:46]
    'grpo:e2e: every group of completions got equal'
    """
    steps = summary.get("steps") or 0
    if not steps or summary.get("no_signal_steps") != steps:
        return None
    return (f"{stage}: every group of completions got equal rewards in all {steps} steps, so the policy had no "
            f"learning signal and is its starting model (a reward that cannot tell the completions apart)")
