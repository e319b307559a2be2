"""The run config of `recon run` (YAML, validated by pydantic before any LM call).

    >>> cfg = RunConfig.model_validate({"name": "t", "data": {"train": ["a.jsonl"], "split": {"test_fraction": 0.3}},
    ...                                 "methods": ["none", "backward"], "compare": [["backward", "none"]]})
    >>> cfg.models.synthesizer.spec, cfg.user_model.kind
    ('embedded', 'icl')
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, StrictBool, StrictInt, ValidationError, field_validator, model_validator

from recon.config.base import Number, Strict
from recon.config.grpo_run import GRPORunConfig, ReportConfig, acting_policy_problems, signal_judge_clashes
from recon.config.ignored import ignored_settings
from recon.config.problems import describe
from recon.config.stages import (
    BackendConfig,
    PairJudgeConfig,
    ReconSelectConfig,
    SynthesisConfig,
    UserModelConfig,
)
from recon.config.training import SFTTrainConfig
from recon.errors import ConfigError
from recon.methods import method_spec


class SplitConfig(Strict):
    test_fraction: Number = Field(0.3, gt=0.0, lt=1.0)
    by: str = "conversation_id"
    seed: StrictInt = 0


class DataConfig(Strict):
    root: str | None = None                   # relative paths resolve against this (default: the config's folder)
    train: list[str] = Field(min_length=1)
    test: list[str] | None = None
    split: SplitConfig | None = None
    limit_train_per_individual: StrictInt | None = Field(None, ge=1)
    limit_test_per_individual: StrictInt | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _test_or_split(self):
        if (self.test is None) == (self.split is None):
            raise ValueError("give either data.test (files of held-out pairs) or data.split "
                             "(e.g. split: {test_fraction: 0.3}), not both and not neither")
        return self


def _backend(value):
    return {"spec": value} if isinstance(value, str) else value


class ModelsConfig(Strict):
    synthesizer: BackendConfig = BackendConfig(spec="embedded")
    reconstructor: BackendConfig | None = None         # default: the synthesizer
    user_model: BackendConfig = BackendConfig(spec="embedded")
    judge: str | BackendConfig = "embedding"           # `embedding`, or an LM backend for the pairwise judge
    # the sentence embedder of the embedding judge and scorer: `minilm` (shipped), a folder, or a Hub id
    embedder: str = Field("minilm", min_length=1)

    @field_validator("synthesizer", "reconstructor", "user_model", mode="before")
    @classmethod
    def _spec_string(cls, value):
        return _backend(value)

    @field_validator("judge", mode="before")
    @classmethod
    def _judge(cls, value):
        return value if value == "embedding" else BackendConfig.model_validate(_backend(value))


class PriceConfig(Strict):
    """USD per million tokens of one model spec (what `--plan` and the end-of-run table price with)."""
    input: Number = Field(ge=0)
    output: Number = Field(ge=0)


class BudgetConfig(Strict):
    max_usd: Number = Field(ge=0)          # a run stops before a stage whose planned cost would cross it


class RunUserModelConfig(UserModelConfig):
    kind: Literal["icl", "sft"] = "icl"
    sft: SFTTrainConfig = SFTTrainConfig()


class RunConfig(Strict):
    name: str = Field(min_length=1, pattern=r"^[\w.-]+$")
    data: DataConfig
    models: ModelsConfig = ModelsConfig()
    methods: list[str] = Field(min_length=1)
    synthesis: SynthesisConfig = SynthesisConfig()   # one home: forward, backward and the candidates sample with it
    recon_select: ReconSelectConfig = ReconSelectConfig()
    user_model: RunUserModelConfig = RunUserModelConfig()
    judge: PairJudgeConfig = PairJudgeConfig()
    predict: list[str] | None = None           # methods that get user models and judged comparisons (default: all)
    compare: list[list[str]] = Field(default_factory=list)
    out: str | None = None                     # default: runs/NAME (NAME must keep it inside runs/)
    seed: StrictInt = 0                        # evaluation: bootstrap and report examples (synthesis: synthesis.seed)
    grpo: GRPORunConfig = GRPORunConfig()      # recon-grpo, recon-grpo-select and e2e-grpo: one shared block
    report: ReportConfig = ReportConfig()
    allow_signal_equals_judge: StrictBool = False   # let a method train or select on the judge's function anyway
    seeds: list[StrictInt] | None = Field(None, min_length=1)   # repeat synthesis, training, prediction per seed
    prices: dict[str, PriceConfig] = Field(default_factory=dict)   # model spec -> USD per million tokens
    budget: BudgetConfig | None = None

    @field_validator("synthesis", mode="before")
    @classmethod
    def _no_synthesis_method(cls, value):
        if isinstance(value, dict) and "method" in value:
            raise ValueError("the run's synthesis block serves every method (forward, backward and the candidates); "
                             "remove synthesis.method and list the methods under `methods:`")
        return value

    @field_validator("seeds")
    @classmethod
    def _distinct_seeds(cls, seeds):
        if seeds is not None and len(set(seeds)) != len(seeds):
            raise ValueError("a seed is listed twice")
        return seeds

    @field_validator("methods")
    @classmethod
    def _methods(cls, methods):
        for m in methods:
            try:
                method_spec(m)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        if len(set(methods)) != len(methods):
            raise ValueError("a method is listed twice")
        return methods

    @model_validator(mode="after")
    def _run_folder_inside_runs(self):
        if self.out is None and self.name in (".", ".."):
            raise ValueError(f"name: {self.name!r} would put the run folder outside runs/ (runs/{self.name}); give "
                             "another name, or set out to choose the folder explicitly")
        return self

    @model_validator(mode="after")
    def _nothing_ignored(self):
        problems = ignored_settings(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _signal_is_not_the_judge(self):
        clashes = signal_judge_clashes(self)
        if clashes and not self.allow_signal_equals_judge:
            raise ValueError("a method would be trained or selected on the test metric: " + "; ".join(clashes) +
                             ". Use another scorer or reward (likelihood, or an LM judge on another model), another "
                             "evaluation judge, or set allow_signal_equals_judge: true to run it anyway (recorded in "
                             "results.json's setup and the report)")
        return self

    @model_validator(mode="after")
    def _acting_policy_like_for_like(self):
        problems = acting_policy_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def predicted_methods(self) -> list[str]:
        return list(self.predict) if self.predict is not None else list(self.methods)

    @model_validator(mode="after")
    def _compare(self):
        for m in self.predict or []:
            if m not in self.methods:
                raise ValueError(f"predict names {m!r}, which is not in methods {self.methods}")
        for i, pair in enumerate(self.compare):
            if len(pair) != 2 or pair[0] == pair[1]:
                raise ValueError(f"compare[{i}] must name two different methods, got {pair}")
            if [list(p) for p in self.compare].index(list(pair)) != i:
                raise ValueError(f"compare[{i}] repeats {pair}")
            for m in pair:
                if m not in self.predicted_methods:
                    where = "methods" if self.predict is None else "predict"
                    raise ValueError(f"compare[{i}] names {m!r}, which is not in {where} {self.predicted_methods}")
        return self


def load_run_config(path: str | Path, *, data_root: str | None = None,
                    out: str | None = None) -> tuple[RunConfig, Path]:
    """Parse and validate a YAML run config; returns (config, the folder relative data paths resolve against)."""
    import yaml
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no such run config: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the run config: {getattr(exc, 'strerror', None) or exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a run config is a mapping (name, data, methods, …)")
    if out is not None:
        raw["out"] = out
    try:
        cfg = RunConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe(exc, RunConfig, path, path.read_text(encoding="utf-8"))) from None
    root = Path(data_root or cfg.data.root or ".")
    if not root.is_absolute():
        root = (path.parent / root) if not data_root else root
    missing = [p for p in (cfg.data.train + (cfg.data.test or [])) if not (root / p).is_file()]
    if missing:
        raise ConfigError(f"{path}: data file(s) not found under {root}: {', '.join(missing)} "
                          "(set data.root, or pass --data-root)")
    return cfg, root
