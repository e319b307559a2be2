"""Supervised fine-tuning of a user model with TRL's SFTTrainer (LoRA optional, via PEFT).

Each training pair becomes a conversational prompt-completion record (`method/sft_format.py`, the format
`recon export` writes too): the prompt is the user-model prompt (system + test context, no demonstrations)
and the completion is `<reasoning>trace</reasoning>` then the action (the action alone for method `none`),
so TRL computes the loss on the completion only. The model starts from the embedded GGUF dequantised into
transformers, a .gguf file, or an HF model directory.
The checkpoint directory holds a plain transformers model (LoRA weights merged), its tokenizer, and
`recon_sft.json` (config, method, base fingerprint, training-data hash, the training pair ids, conversations
and data files, losses and eval losses), so `hf:DIR` and `--user-model sft:DIR` load it directly. It also
holds TRL's checkpoints (`checkpoints/`, every `save_steps`; `resume=True` continues from the newest), the
TensorBoard or W&B logs `report_to` asks for, and `train.log` (the libraries' own log lines and warnings).

On GPUs, run the same command under `accelerate launch` (see docs/user-models.md).

Example (not run here: trains; the slow test does)::

    train_sft(train_pairs, traces, method="backward", cfg=SFTTrainConfig(max_steps=3), out="ckpt/")
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recon.atomicio import write_json_atomic
from recon.config import SFTTrainConfig, UserModelConfig
from recon.errors import ConfigError
from recon.hashing import content_hash, file_sha256, hash_fraction
from recon.method.sft_format import ClipCounts, Tokens, sft_records, trained_pairs
from recon.methods import trained_by
from recon.paths import GRPO_META, SFT_META
from recon.training.common import (
    latest_checkpoint,
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
from recon.types import Example


@dataclass
class SFTResult:
    out: Path
    steps: int
    losses: list[float] = field(default_factory=list)
    seconds_per_step: float = 0.0
    examples: int = 0
    eval_losses: list[float] = field(default_factory=list)
    resumed_from: str | None = None
    clipped: dict[str, int] = field(default_factory=dict)     # targets cut to the token budgets (ClipCounts)


def split_eval(records: list[dict], fraction: float) -> tuple[list[dict], list[dict]]:
    """(training records, held-out records): the `fraction` of records (at least one) with the lowest hash are
    held out, so the same records are held out every time, whatever their order.

    >>> train, held = split_eval([{"n": i} for i in range(20)], 0.25)
    >>> len(train), len(held)
    (15, 5)
    """
    if fraction <= 0:
        return records, []
    ranked = sorted(range(len(records)), key=lambda i: hash_fraction(records[i], tag="sft-eval"))
    held = set(ranked[:max(1, round(fraction * len(records)))])
    train = [r for i, r in enumerate(records) if i not in held]
    if not train:
        raise ConfigError(f"eval_fraction {fraction} of {len(records)} records leaves none to train on: "
                          "lower eval_fraction")
    return train, [r for i, r in enumerate(records) if i in held]


def train_sft(train: Sequence[Example], traces: dict[str, str] | None, *, method: str, cfg: SFTTrainConfig,
              out: str | Path, user_cfg: UserModelConfig | None = None,
              on_step: Callable[[int, int], None] | None = None, data_files: dict[str, str] | None = None,
              on_log: Callable[[object, dict], None] | None = None, resume: bool = False) -> SFTResult:
    """`data_files` ({path: hash}) is recorded in the checkpoint with the pair ids and conversations it learned
    from (the train-overlap guard of `recon predict` reads them). `resume`: continue from the latest checkpoint
    in `out/checkpoints` (from scratch when there is none). TRL's own output goes to `out/train.log`."""
    user_cfg = user_cfg or UserModelConfig()
    unclipped = sft_records(train, traces, method=method, cfg=user_cfg)
    if not unclipped:
        raise ConfigError("no training records: no training pair has a trace for this method "
                          "(do the trace ids match the --train pairs?)")
    split_eval(unclipped, cfg.eval_fraction)          # too few records to hold some out: refused before loading
    clipped = ClipCounts()

    def records_for(tokens: Tokens) -> list[dict]:
        """The training records, cut to the generation budgets in this tokenizer's tokens."""
        return sft_records(train, traces, method=method, cfg=user_cfg, tokens=tokens, counts=clipped)

    out = Path(out)
    checkpoint = latest_checkpoint(out / "checkpoints") if resume else None
    if checkpoint is None:
        shutil.rmtree(out / "checkpoints", ignore_errors=True)       # another run's checkpoints
    quiet_library_progress()
    with library_output_to(out / TRAIN_LOG):
        trainer, base, losses, eval_losses, records, (fit, held_out) = _trainer(cfg, out, records_for, on_step,
                                                                                on_log)
        t0 = time.perf_counter()
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
        elapsed = time.perf_counter() - t0
        save_trained(trainer, trainer.processing_class, out, lora=cfg.lora)
    shutil.rmtree(out / "trainer", ignore_errors=True)        # scratch of older versions
    steps = trainer.state.global_step
    done = steps - (int(checkpoint.name.split("-")[1]) if checkpoint else 0)
    write_json_atomic(out / SFT_META, {
        "method": method, "config": cfg.model_dump(), "user_model": user_cfg.model_dump(),
        "base": base,
        "data_hash": content_hash(records, tag="sft-data", length=16), "examples": len(fit),
        "eval_examples": len(held_out), "clipped": clipped.to_json(),
        **training_data(trained_pairs(train, traces, method=method), data_files),
        "steps": steps, "losses": losses, "eval_losses": eval_losses,
        "resumed_from": checkpoint.name if checkpoint else None, "seconds": round(elapsed, 2)})
    return SFTResult(out=out, steps=steps, losses=losses, seconds_per_step=elapsed / max(1, done),
                     examples=len(fit), eval_losses=eval_losses, resumed_from=checkpoint.name if checkpoint else None,
                     clipped=clipped.to_json())


class TokenizerTokens:
    """A transformers tokenizer as `Tokens` (no special tokens added)."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def decode(self, ids: list[int]) -> str:
        return str(self.tokenizer.decode(ids, skip_special_tokens=True))


def _trainer(cfg: SFTTrainConfig, out: Path, records_for: Callable[[Tokens], list[dict]], on_step, on_log):
    """TRL's SFTTrainer for `cfg`, the base model's record, the lists its training and eval losses are
    appended to, the records (cut to the base tokenizer's budgets) and their (training, held-out) split."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    model, tokenizer, base = load_base(cfg.model, cfg.dtype)
    records = records_for(TokenizerTokens(tokenizer))
    fit, held_out = split_eval(records, cfg.eval_fraction)
    losses: list[float] = []
    eval_losses: list[float] = []

    def log(state, logs: dict) -> None:
        if "loss" in logs:
            losses.append(float(logs["loss"]))
        if "eval_loss" in logs:
            eval_losses.append(float(logs["eval_loss"]))
        if on_log is not None:
            on_log(state, logs)

    evaluation: dict[str, Any] = {"eval_strategy": "steps", "eval_steps": cfg.logging_steps} if held_out else {}
    args = SFTConfig(max_steps=cfg.max_steps, per_device_train_batch_size=cfg.per_device_train_batch_size,
                     gradient_accumulation_steps=cfg.gradient_accumulation_steps, learning_rate=cfg.learning_rate,
                     max_length=cfg.max_length, seed=cfg.seed, use_cpu=use_cpu(), completion_only_loss=True,
                     **watch_args(cfg, out), **evaluation)
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(fit),
                         eval_dataset=Dataset.from_list(held_out) if held_out else None,
                         processing_class=tokenizer, peft_config=lora_config(cfg),
                         callbacks=[step_callback(on_step, log)])
    quiet(trainer)
    return trainer, base, losses, eval_losses, records, (fit, held_out)


def read_sft_meta(path: str | Path) -> dict:
    """The checkpoint's metadata, with its `method`: an SFT user model, or an e2e-GRPO user model."""
    folder = Path(path)
    if (folder / SFT_META).is_file():
        return json.loads((folder / SFT_META).read_text(encoding="utf-8"))
    grpo = folder / GRPO_META
    if grpo.is_file():
        meta = json.loads(grpo.read_text(encoding="utf-8"))
        if meta.get("reward") == "e2e":
            return {**meta, "method": trained_by("e2e").name}
        raise ConfigError(f"{path} is a recon-GRPO *synthesizer*; use it with "
                          "`recon synthesize --method recon-grpo --model hf:DIR` instead")
    raise ConfigError(f"{path} is not a recon user-model checkpoint (no {SFT_META}); train one with "
                      "`recon train sft` or `recon train grpo --reward e2e`")


def warm_start_record(model: str) -> dict | None:
    """What a policy records of the SFT checkpoint it started from (`model` a folder with `recon_sft.json`): the
    folder, the SHA-256 of that file, the method, steps, training pairs (count and a hash of their ids), the
    data hash and base model; None for any other starting model.

    >>> warm_start_record("embedded") is None
    True
    """
    folder = Path(model.removeprefix("hf:")).expanduser()
    meta_path = folder / SFT_META
    if not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    ids = meta.get("train_pair_ids") or []
    return {"checkpoint": str(folder), "sha256": file_sha256(meta_path), "method": meta.get("method"),
            "steps": meta.get("steps"), "training_pairs": len(ids),
            "train_pair_ids_hash": content_hash(ids, tag="pair-ids", length=16), "data_hash": meta.get("data_hash"),
            "base": (meta.get("base") or {}).get("spec")}
