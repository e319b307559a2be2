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
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from recon.atomicio import write_json_atomic
from recon.backends.dequantize import dequantized_dir
from recon.backends.hf import resolve_model_source
from recon.config import SFTTrainConfig, UserModelConfig
from recon.errors import ConfigError
from recon.hashing import content_hash
from recon.method.sft_format import sft_records, trained_pairs
from recon.types import Example

SFT_META = "recon_sft.json"


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
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, PrinterCallback, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    source, gguf = resolve_model_source(cfg.base)
    directory = dequantized_dir(source / gguf) if gguf else source
    tokenizer = AutoTokenizer.from_pretrained(str(directory))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(str(directory), dtype=getattr(torch, cfg.dtype))
    peft_config = None
    if cfg.lora:
        from peft import LoraConfig
        peft_config = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, target_modules="all-linear",
                                 task_type="CAUSAL_LM")
    out = Path(out)
    work = out / "trainer"
    losses: list[float] = []

    class Progress(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                losses.append(float(logs["loss"]))

        def on_step_end(self, args, state, control, **kwargs):
            if on_step is not None:
                on_step(state.global_step, state.max_steps)

    args = SFTConfig(output_dir=str(work), max_steps=cfg.max_steps, per_device_train_batch_size=cfg.batch_size,
                     gradient_accumulation_steps=cfg.grad_accum, learning_rate=cfg.learning_rate,
                     max_length=cfg.max_length, logging_steps=1, save_strategy="no", report_to="none",
                     seed=cfg.seed, use_cpu=not torch.cuda.is_available(), disable_tqdm=True,
                     completion_only_loss=True)
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(records),
                         processing_class=tokenizer, peft_config=peft_config, callbacks=[Progress()])
    trainer.remove_callback(PrinterCallback)        # our progress bar and table report instead
    t0 = time.perf_counter()
    trainer.train()
    elapsed = time.perf_counter() - t0
    trained = trainer.model
    if cfg.lora:
        trained = trained.merge_and_unload()
    trained.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    shutil.rmtree(work, ignore_errors=True)         # trainer scratch (no checkpoints are saved mid-run)
    steps = trainer.state.global_step
    write_json_atomic(out / SFT_META, {
        "method": method, "config": cfg.model_dump(), "user_model": user_cfg.model_dump(),
        "base": {"spec": cfg.base, "source": source.name, "gguf": gguf},
        "data_hash": content_hash(records, tag="sft-data", length=16), "examples": len(records),
        **training_data(trained_pairs(train, traces, method=method), data_files),
        "steps": steps, "losses": losses, "seconds": round(elapsed, 2)})
    return SFTResult(out=out, steps=steps, losses=losses, seconds_per_step=elapsed / max(1, steps),
                     examples=len(records))


def training_data(pairs: Sequence[Example], data_files: dict[str, str] | None) -> dict:
    """What a checkpoint records of its training data: pair ids, conversations, data files and their hashes."""
    return {"train_pair_ids": sorted(e.id for e in pairs),
            "train_conversations": sorted({e.conversation_id for e in pairs}), "data_files": data_files or {}}


def read_sft_meta(path: str | Path) -> dict:
    """The checkpoint's metadata, with its `method`: an SFT user model, or an e2e-GRPO user model."""
    folder = Path(path)
    if (folder / SFT_META).is_file():
        return json.loads((folder / SFT_META).read_text(encoding="utf-8"))
    grpo = folder / "recon_grpo.json"
    if grpo.is_file():
        meta = json.loads(grpo.read_text(encoding="utf-8"))
        if meta.get("reward") == "e2e":
            return {**meta, "method": "e2e-grpo"}
        raise ConfigError(f"{path} is a recon-GRPO *synthesizer*; use it with "
                          "`recon synthesize --method recon-grpo --model hf:DIR` instead")
    raise ConfigError(f"{path} is not a recon user-model checkpoint (no {SFT_META}); train one with "
                      "`recon train sft` or `recon train grpo --reward e2e`")
