"""The models a run trains, as stages of its `Pipeline`: SFT user models (once per method, on the pairs every
method has a trace for) and GRPO policies (once per reward, on every training pair). E2E-GRPO's policy starts
from the SFT user model of `none`, the same checkpoint that method predicts with, so the acting policy and
the other user models share their supervised start (docs/grpo.md).

The stages of tests/integration/test_pipeline_grpo.py (`train:none` is trained once and serves both)::

    data, synthesize:backward, grpo:recon, …, train:none, predict:none, …, grpo:e2e, predict:e2e-grpo, evaluate
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from recon.config import RunConfig
from recon.data.corpus import load_examples
from recon.data.trace_records import trace_map
from recon.hashing import file_hash
from recon.methods import method_spec, trained_by
from recon.paths import GRPO_META, SFT_META
from recon.progress import Progress
from recon.run.parity import Parity
from recon.run.result import PipelineResult
from recon.store.db import Database
from recon.training.progress import StepProgress


class TrainedModels:
    """Mixed into `Pipeline`, whose `cfg`, `out`, `result`, `progress`, `_stage` and backends it uses."""

    cfg: RunConfig
    out: Path
    result: PipelineResult
    progress: Progress
    db: Database
    backend_factory: Callable
    embedder: object
    log: Callable[[str], None]
    _stage: Callable

    def _user_model_inputs(self, method: str, traces: Path | None, parity: Parity) -> dict:
        return {"traces": file_hash(traces) if traces else None, "user_model": self.cfg.user_model.model_dump(),
                "backend": self.cfg.models.user_model.model_dump(), "method": method, "parity": parity.key}

    def sft_user_model(self, method: str, traces: Path | None, train_path: Path, parity: Parity) -> Path:
        """Train (once per run) the SFT user model of `method` on the pairs every method has a trace for: its own,
        or the warm start an acting policy starts from (`none`'s, the same checkpoint)."""
        um, ckpt, name = self.cfg.user_model, self.out / "ckpt" / method, f"train:{method}"
        if name in self.result.stages:
            return ckpt
        inputs = {"train": file_hash(train_path), **self._user_model_inputs(method, traces, parity)}

        def train_work():                         # training never sees the test pairs
            from recon.run.sft_stage import run_sft_training
            with self.progress(f"train sft {method}", um.sft.max_steps) as advance:
                same_pairs = [e for e in load_examples([train_path]) if e.id in parity.eligible]
                run_sft_training(same_pairs, trace_map(traces), method=method_spec(method).name, cfg=um.sft,
                                 user_cfg=um, out=ckpt, key_inputs=inputs, stage=name, on_step=StepProgress(advance),
                                 data_files={str(train_path): file_hash(train_path)}, log=self.log)
        self._stage(name, inputs, [ckpt / SFT_META, ckpt], train_work)
        return ckpt

    def grpo_policy(self, reward: str, train_path: Path, start: Path | None = None) -> Path:
        """Train (once per run; skipped when unchanged, resumed from its checkpoint when interrupted) the GRPO
        policy of `reward` (recon: Recon-GRPO's synthesizer; e2e: E2E-GRPO's user model, from the SFT checkpoint
        `start`) on every training pair."""
        from recon.run.grpo_stages import grpo_train_config, run_grpo_training
        from recon.training.grpo import step_summary
        method = trained_by(reward).name
        name, folder = f"grpo:{reward}", self.out / "grpo" / reward
        if name in self.result.stages:
            return folder
        tcfg = grpo_train_config(self.cfg, reward, start=start)
        inputs = {"train": file_hash(train_path), "grpo": json.loads(tcfg.model_dump_json()),
                  **({"warm_start": file_hash(start / SFT_META)} if start else {})}

        def work():
            with self.progress(f"train grpo {method}", tcfg.max_steps) as advance:
                return run_grpo_training(load_examples([train_path]), tcfg, out=folder, key_inputs=inputs,
                                         db=self.db, run=self.result.run, stage=name,
                                         backend_factory=self.backend_factory, embedder=self.embedder,
                                         on_step=StepProgress(advance), log=self.log,
                                         data_files={str(train_path): file_hash(train_path)})
        self._stage(name, inputs, [folder / GRPO_META, folder], work)
        self.result.training[name] = step_summary(folder)
        return folder
