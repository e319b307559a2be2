"""Supervised fine-tuning of a user model with TRL's SFTTrainer (LoRA optional, via PEFT).

Each training pair becomes a conversational prompt-completion record (`method/sft_format.py`, the format
`recon export` writes too): the prompt is the user-model prompt (system + test context, no demonstrations)
and the completion is `<reasoning>trace</reasoning>` then the action (the action alone for method `none`),
so TRL computes the loss on the completion only. The model starts from the embedded GGUF dequantised into
transformers, a .gguf file, or an HF model directory.
The checkpoint directory holds a plain transformers model (LoRA weights merged), its tokenizer, and
`recon_sft.json` (config, method, base fingerprint, training-data hash, the training pair ids, conversations
and data files, losses), so `hf:DIR` and
`--user-model sft:DIR` load it directly.

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

from recon.atomicio import write_json_atomic
from recon.config import SFTTrainConfig, UserModelConfig
from recon.errors import ConfigError
from recon.hashing import content_hash
from recon.method.sft_format import sft_records, trained_pairs
from recon.methods import trained_by
from recon.paths import GRPO_META, SFT_META
from recon.training.common import (
    load_base,
    lora_config,
    quiet,
    save_trained,
    step_callback,
    training_data,
    use_cpu,
)
from recon.types import Example


@dataclass
class SFTResult:
    out: Path
    steps: int
    losses: list[float] = field(default_factory=list)
    seconds_per_step: float = 0.0
    examples: int = 0


def train_sft(train: Sequence[Example], traces: dict[str, str] | None, *, method: str, cfg: SFTTrainConfig,
              out: str | Path, user_cfg: UserModelConfig | None = None,
              on_step: Callable[[int, int], None] | None = None, data_files: dict[str, str] | None = None
              ) -> SFTResult:
    """`data_files` ({path: hash}) is recorded in the checkpoint with the pair ids and conversations it learned
    from (the train-overlap guard of `recon predict` reads them)."""
    user_cfg = user_cfg or UserModelConfig()
    records = sft_records(train, traces, method=method, cfg=user_cfg)
    if not records:
        raise ConfigError("no training records: no training pair has a trace for this method "
                          "(do the trace ids match the --train pairs?)")
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    model, tokenizer, base = load_base(cfg.model, cfg.dtype)
    out = Path(out)
    work = out / "trainer"
    losses: list[float] = []

    def log(state, logs: dict) -> None:
        if "loss" in logs:
            losses.append(float(logs["loss"]))

    args = SFTConfig(output_dir=str(work), max_steps=cfg.max_steps,
                     per_device_train_batch_size=cfg.per_device_train_batch_size,
                     gradient_accumulation_steps=cfg.gradient_accumulation_steps, learning_rate=cfg.learning_rate,
                     max_length=cfg.max_length, logging_steps=1, save_strategy="no", report_to="none",
                     seed=cfg.seed, use_cpu=use_cpu(), disable_tqdm=True, completion_only_loss=True)
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(records),
                         processing_class=tokenizer, peft_config=lora_config(cfg),
                         callbacks=[step_callback(on_step, log)])
    quiet(trainer)
    t0 = time.perf_counter()
    trainer.train()
    elapsed = time.perf_counter() - t0
    save_trained(trainer, tokenizer, out, lora=cfg.lora)
    shutil.rmtree(work, ignore_errors=True)         # trainer scratch (no checkpoints are saved mid-run)
    steps = trainer.state.global_step
    write_json_atomic(out / SFT_META, {
        "method": method, "config": cfg.model_dump(), "user_model": user_cfg.model_dump(),
        "base": base,
        "data_hash": content_hash(records, tag="sft-data", length=16), "examples": len(records),
        **training_data(trained_pairs(train, traces, method=method), data_files),
        "steps": steps, "losses": losses, "seconds": round(elapsed, 2)})
    return SFTResult(out=out, steps=steps, losses=losses, seconds_per_step=elapsed / max(1, steps),
                     examples=len(records))


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
