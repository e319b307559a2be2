"""`recon run CONFIG --plan`: each stage that would run or be skipped, its LM calls, tokens, cached share and
price, without any LM call and without touching the run folder.

The plan runs the pipeline itself in a scratch folder with a scratch database: stages build their real
requests with the real prompt builders, and `PlanBackend` answers them (from the run's cache where it holds
the answer, else with the fake backend's stand-in). Whether a stage would be skipped is decided on the real
run folder by the same rule as a run; a skipped stage's outputs are copied into the scratch folder for the
stages after it. Training is not done: a training stage is listed, and later stages plan against a
placeholder model.

    >>> # tests/integration/test_plan.py plans a run, then runs it, and compares the calls stage by stage
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from recon.backends.base import Fingerprint
from recon.backends.registry import build_backend
from recon.config import BackendConfig, RunConfig
from recon.errors import ConfigError
from recon.paths import GRPO_META, SFT_META
from recon.run.checks import check_data, run_folder
from recon.run.pipeline import Pipeline
from recon.run.plan_backend import TOKENS_BY, PlanBackend
from recon.run.plan_price import StagePlan, priced
from recon.run.stage_records import read_record, stage_key, stage_record_path, stage_verdict
from recon.store.calls import last_call_id
from recon.store.db import Database
from recon.store.failures import CallFailures


class PlanPipeline(Pipeline):
    """A pipeline whose stages count requests instead of sending them (see the module docstring)."""

    def __init__(self, cfg: RunConfig, root: Path, scratch: Path, *, cache: Database, backend_factory=build_backend,
                 force: bool = False, embedder=None):
        self.real_out = run_folder(cfg)
        self.cache, self.real_factory = cache, backend_factory
        self.specs: dict[tuple[str, str], str] = {}          # (fingerprint kind, model) -> model spec
        self.counted_by: dict[str, str] = {}                  # model spec -> how its tokens are counted
        self.plan: list[StagePlan] = []
        self.untrained: list[Path] = []                       # checkpoints the run would train (again) first
        super().__init__(cfg.model_copy(update={"out": str(scratch / "run")}), root, db=Database(scratch / "plan.db"),
                         force=force, backend_factory=self._plan_backend, embedder=embedder, log=lambda _: None)

    def _plan_backend(self, config: BackendConfig) -> PlanBackend:
        spec = config.spec.replace(str(self.out), str(self.real_out))     # a checkpoint: where the run keeps it
        real = None
        if not any(config.spec.endswith(str(folder)) for folder in self.untrained):
            try:                                # built from the run's own checkpoint: the run's cache keys
                real = self.real_factory(config.model_copy(update={"spec": spec}))
            except (ConfigError, OSError):
                real = None
        backend = PlanBackend(real, self.cache, fingerprint=None if real else Fingerprint(kind="plan", model=spec))
        self.specs[(backend.fingerprint.kind, backend.fingerprint.model)] = spec
        self.counted_by[spec] = backend.counted_by
        return backend

    def _real(self, path: Path) -> Path:
        return self.real_out / path.relative_to(self.out)

    def _stage(self, name, inputs, outputs, work) -> None:
        _, key = stage_key(inputs)
        real = [self._real(p) for p in outputs]
        last = read_record(self.real_out / stage_record_path(name)) \
            if not self.force and all(p.exists() for p in real) else {}
        skip, _ = stage_verdict(last, key, real, self.real_out)
        self.result.stages[name] = None if skip else CallFailures()
        if skip:
            for mine, theirs in sorted(zip(outputs, real, strict=True), key=lambda pair: not pair[1].is_dir()):
                mine.parent.mkdir(parents=True, exist_ok=True)
                if theirs.is_dir() and not mine.exists():
                    mine.symlink_to(theirs.resolve(), target_is_directory=True)   # a checkpoint: never copied
                elif theirs.is_file() and not mine.exists():
                    shutil.copy2(theirs, mine)
            self.plan.append(StagePlan(name, "skip"))
        elif name.startswith(("train:", "grpo:")):
            self._placeholder_model(name, outputs)
            self.plan.append(StagePlan(name, "train", tokens_by="training: reward calls not planned"))
        elif name == "evaluate" and not isinstance(self.cfg.models.judge, BackendConfig):
            self.plan.append(StagePlan(name, "run", tokens_by="embedding judge: no LM call"))
        else:
            before = last_call_id(self.db)
            work()
            self.plan.append(self._counted(name, before))

    def _placeholder_model(self, name: str, outputs: list[Path]) -> None:
        """What later stages read of a trained model that the plan does not train."""
        folder = outputs[-1]
        folder.mkdir(parents=True, exist_ok=True)
        self.untrained.append(folder)
        meta = {"reward": name.split(":", 1)[1]} if name.startswith("grpo:") else {}
        (folder / (GRPO_META if name.startswith("grpo:") else SFT_META)).write_text(json.dumps(meta))

    def _counted(self, name: str, before: int) -> StagePlan:
        rows = self.db.execute("SELECT backend, model, key, cache_hit, prompt_tokens, completion_tokens FROM calls "
                               "WHERE run = ? AND id > ?", (self.result.run, before)).fetchall()
        keys = [r[2] for r in rows if not r[3]]
        held = cached_keys(self.cache, keys)
        plan = StagePlan(name, "run", calls=len(rows))
        for kind, model, key, hit, prompt, completion in rows:
            if hit or key in held:
                plan.cached += 1
                continue
            spec = self.specs.get((kind, model), f"{kind}:{model}")
            totals = plan.models.setdefault(spec, [0, 0, 0])
            totals[0] += 1
            totals[1] += prompt or 0
            totals[2] += completion or 0
            plan.prompt_tokens += prompt or 0
            plan.completion_tokens += completion or 0
        plan.tokens_by = "; ".join(sorted({self.counted_by.get(spec, TOKENS_BY) for spec in plan.models}))
        return plan

    def planned(self) -> list[StagePlan]:
        """Every stage, in the order a run takes them (the plan's own `run` without the report)."""
        train_path, test_path = self.data()
        traces = {m: self.synthesize(m, train_path) for m in self.cfg.methods}
        parity = self.parity(traces, train_path, test_path)
        preds = {m: self.train_and_predict(m, traces[m], train_path, test_path, parity)
                 for m in self.cfg.predicted_methods}
        self.evaluate(preds, {m: p for m, p in traces.items() if p is not None and m in preds}, test_path, parity)
        return self.plan


def cached_keys(cache: Database, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        found |= {k for (k,) in cache.execute(f"SELECT key FROM cache WHERE key IN ({','.join('?' * len(chunk))})",
                                                tuple(chunk)).fetchall()}
    return found


def plan_run(cfg: RunConfig, root: Path, *, db: Database | None = None, backend_factory=build_backend,
             force: bool = False, embedder=None) -> list[StagePlan]:
    """The plan of `cfg` (every seed's stages as seed-S/STAGE), priced with its `prices:`. No LM call, no model
    loaded, nothing written outside a scratch folder."""
    from recon.run import run_embedder
    from recon.run.seeds import seed_config
    check_data(cfg, root)
    if embedder is None and cfg.models.embedder != "minilm":     # as a run resolves it (loaded only when used)
        embedder = run_embedder(cfg.models.embedder, root)
    cache = db or Database()
    configs = [("", cfg)] if not cfg.seeds else [(f"seed-{s}/", seed_config(cfg, s)) for s in cfg.seeds]
    stages: list[StagePlan] = []
    for prefix, one in configs:
        with tempfile.TemporaryDirectory(prefix="recon-plan-") as scratch:
            pipeline = PlanPipeline(one, root, Path(scratch), cache=cache, backend_factory=backend_factory,
                                    force=force, embedder=embedder)
            try:
                for stage in pipeline.planned():
                    stage.stage = prefix + stage.stage
                    stages.append(stage)
            finally:
                pipeline.db.close()
    return priced(stages, cfg.prices)
