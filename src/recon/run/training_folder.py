"""Where `recon run` keeps a model it trains (an SFT user model, a GRPO policy), so that a stage killed during
training resumes from TRL's latest checkpoint: the folder records the key of the training it holds
(`training.json`), and a folder with another key (a changed config or data) is cleared first.

    >>> folder = Path(getfixture("tmp_path")) / "ckpt"
    >>> prepare_training_folder(folder, "k1", "recon_sft.json")          # nothing to resume yet
    False
    >>> (folder / "checkpoints" / "checkpoint-2").mkdir(parents=True)
    >>> prepare_training_folder(folder, "k1", "recon_sft.json"), prepare_training_folder(folder, "k2", "x.json")
    (True, False)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from recon.atomicio import write_json_atomic

TRAINING_MARK = "training.json"


def prepare_training_folder(folder: Path, key: str, finished_meta: str) -> bool:
    """Keep a folder holding checkpoints of this training (True: resume from them); clear any other, and one
    whose training finished (`finished_meta` written: it is trained again from the start)."""
    mark = folder / TRAINING_MARK
    try:
        same = json.loads(mark.read_text(encoding="utf-8")).get("key") == key
    except (OSError, json.JSONDecodeError):
        same = False
    same = same and not (folder / finished_meta).is_file()
    if not same and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(mark, {"key": key})
    return same and any((folder / "checkpoints").glob("checkpoint-*"))
