"""The parity stage of `recon run`: before any user model is trained or prompted, decide once which training
pairs every predicted method may use (those all of them have a trace for) and each test pair's ICL
demonstrations, and record both in `parity.json`; pairs left out because some method failed on them are
counted per method (and reported in results.json).

    >>> # see tests/integration/test_pipeline.py (every method sees the same demonstrations)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from recon.atomicio import write_json_atomic
from recon.config import UserModelConfig
from recon.hashing import content_hash
from recon.method.parity import common_training_ids, fixed_demonstrations, similarity_for
from recon.methods import parity_notes
from recon.types import Example

E2E_NOTE = parity_notes()


@dataclass(frozen=True)
class Parity:
    train_pairs: int
    eligible: frozenset[str]
    left_out: dict[str, int]          # per method: training pairs it has no trace for
    demos: dict[str, list[str]]       # test pair id -> its demonstrations (ICL), the same for every method
    shared: str = "icl"               # what the user models share: icl demonstrations, or sft pairs and steps

    @property
    def key(self) -> str:
        """What a user-model stage depends on (part of its stage key)."""
        return content_hash([sorted(self.eligible), self.demos], tag="parity", length=16)

    def summary(self) -> dict:
        return {"train_pairs": self.train_pairs, "eligible": len(self.eligible), "left_out": self.left_out,
                "left_out_total": self.train_pairs - len(self.eligible), "user_model": self.shared,
                "note": E2E_NOTE}


def decide_parity(train: list[Example], test: list[Example], traces: dict[str, dict[str, str] | None],
                  cfg: UserModelConfig, *, out: Path | None = None, embedder=None) -> Parity:
    eligible, left_out = common_training_ids(train, traces)
    demos = fixed_demonstrations(test, train, eligible, cfg, similarity=similarity_for(cfg, embedder))
    parity = Parity(len(train), eligible, left_out, demos, shared=getattr(cfg, "kind", "icl"))
    if out is not None:
        write_json_atomic(out, {**parity.summary(), "eligible_ids": sorted(eligible), "demos": demos})
    return parity
