"""The SFT stage of `recon run`: one user model per method, trained into `ckpt/METHOD`. A stage killed during
training resumes from TRL's latest checkpoint there, as `recon train sft --resume` does; a folder holding
another training (a changed config or data) is cleared first (`run/training_folder.py`).

    >>> run_sft_training.__name__
    'run_sft_training'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from recon.config import SFTTrainConfig, UserModelConfig
from recon.hashing import content_hash
from recon.paths import SFT_META
from recon.run.training_folder import prepare_training_folder
from recon.types import Example


def run_sft_training(pairs: Sequence[Example], traces: dict[str, str] | None, *, method: str, cfg: SFTTrainConfig,
                     user_cfg: UserModelConfig, out: Path, key_inputs: dict, stage: str,
                     on_step: Callable[[int, int], None] | None = None, data_files: dict[str, str] | None = None,
                     log: Callable[[str], None] = lambda msg: None) -> None:
    """Train (or resume) the user model of `method` into `out`."""
    from recon.training import sft
    resume = prepare_training_folder(out, content_hash(key_inputs, tag="sft-training", length=16), SFT_META)
    if resume:
        log(f"{stage}: resuming from the latest checkpoint in {out / 'checkpoints'}")
    sft.train_sft(pairs, traces, method=method, cfg=cfg, out=out, user_cfg=user_cfg, on_step=on_step,
                  data_files=data_files, resume=resume)
