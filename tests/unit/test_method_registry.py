"""The method registry is the one place that says what a method needs: config validation, `recon run`'s
stages, the CLI choices and the report all read it, so a spec added there is a method everywhere."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from recon.cli.main import build_parser
from recon.config import RunConfig
from recon.errors import ConfigError
from recon.evaluation.report_setup import setup_sentences
from recon.methods import METHODS, MethodSpec, cli_methods, method_spec, selecting_variant, selection_scorer
from recon.run.pipeline import Pipeline
from recon.store.db import Database

BASE = {"name": "t", "data": {"train": ["a.jsonl"], "test": ["b.jsonl"]}}


@pytest.fixture
def silent_method(monkeypatch) -> MethodSpec:
    """A method added by one spec: no traces, its user model configured like any other."""
    spec = MethodSpec("context-only", "the user model sees the context alone", traces=False, prompt=None, cli=False)
    monkeypatch.setitem(METHODS, spec.name, spec)
    return spec


def test_an_unknown_method_is_refused_with_the_nearest_name():
    with pytest.raises(ConfigError, match="did you mean 'recon-select'"):
        method_spec("recon-selekt")
    with pytest.raises(ConfigError, match="only recon-select takes a scorer suffix"):
        method_spec("backward:judge")
    with pytest.raises(ConfigError, match="scorer suffix"):
        method_spec("recon-select:cosine")
    with pytest.raises(ValueError, match="did you mean 'longest-of-n'"):
        RunConfig.model_validate({**BASE, "methods": ["longest-of-m"]})


def test_a_spec_decides_what_a_method_needs():
    assert method_spec("recon-select:judge") is METHODS["recon-select"]
    assert selection_scorer("recon-select:judge", "likelihood") == "judge"
    assert selection_scorer("recon-grpo-select", "embedding") == "embedding"
    assert selecting_variant(METHODS["recon-grpo"]).name == "recon-grpo-select"
    assert selecting_variant(METHODS["forward"]).name == "recon-select"
    assert [m for m, s in METHODS.items() if s.uses_reconstructor] == ["recon-select", "recon-grpo",
                                                                       "recon-grpo-select", "e2e-grpo"]


def test_config_validation_reads_the_registry(silent_method):
    cfg = RunConfig.model_validate({**BASE, "methods": ["context-only", "backward"]})
    assert cfg.methods == ["context-only", "backward"]
    with pytest.raises(ValueError, match="recon_select applies to"):        # it reads no recon_select block
        RunConfig.model_validate({**BASE, "methods": ["context-only"], "recon_select": {"n": 2}})
    reading = dataclasses.replace(silent_method, selection="length", control=True)
    METHODS[silent_method.name] = reading
    assert RunConfig.model_validate({**BASE, "methods": ["context-only"], "recon_select": {"n": 2}})


def test_the_pipeline_chooses_stages_from_the_spec(silent_method, tmp_path):
    cfg = RunConfig.model_validate({**BASE, "methods": ["context-only", "backward"], "out": str(tmp_path / "r")})
    pipeline = Pipeline(cfg, tmp_path, db=Database(tmp_path / "db.sqlite3"))
    assert pipeline.traces_path("context-only") is None
    assert pipeline.synthesize("context-only", tmp_path / "train.jsonl") is None and pipeline.result.ran == []
    assert pipeline.traces_path("backward") == Path(tmp_path / "r" / "traces" / "backward.jsonl")


def test_the_cli_offers_the_registry_methods(monkeypatch):
    def method_choices() -> list[str]:
        sub = next(a for a in build_parser()._actions if a.dest == "command")
        return next(a for a in sub.choices["synthesize"]._actions if a.dest == "method").choices
    assert method_choices() == cli_methods() and "recon-grpo-select" in method_choices()
    monkeypatch.setitem(METHODS, "sideways", MethodSpec("sideways", "a new prompt's traces"))
    assert method_choices()[-1] == "sideways"


def test_the_report_describes_a_method_from_its_spec(silent_method):
    setup = {"methods": {"context-only": {"predictions": {"user_model": "icl", "k": 2}},
                         "mine": {"predictions": {"user_model": "icl", "k": 2}}}}
    lines = setup_sentences(setup, [])
    assert any(line.startswith("context-only: no traces;") for line in lines)
    assert any(line.startswith("mine: traces unknown") for line in lines)
