"""Every example grid and the demo run the selection controls beside Recon-Select, so "recon-select vs
backward" can be read apart from what N samples, the leakage filter and the score each contribute."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from recon.cli.demo_cmd import demo_config
from recon.config import RunConfig

ROOT = Path(__file__).resolve().parents[2]
CONTROLS = ("random-of-n", "longest-of-n")


@pytest.mark.parametrize("name", ["paper-grid.yaml", "paper-grid-cpu.yaml", "demo.yaml", "demo"])
def test_the_grid_runs_the_controls_and_compares_them_with_recon_select(name):
    if name == "demo":
        cfg = demo_config("fake", Path("runs/x"))
    else:                                        # validated as a config; its data files are not needed here
        cfg = RunConfig.model_validate(yaml.safe_load((ROOT / "examples" / name).read_text(encoding="utf-8")))
    assert set(CONTROLS) <= set(cfg.methods)
    compared = {frozenset(pair) for pair in cfg.compare}
    assert all(frozenset(("recon-select", control)) in compared for control in CONTROLS)


def test_the_report_says_a_control_picks_without_a_score():
    from recon.evaluation.report_setup import _method
    traces = {"models": {"synthesizer": {"kind": "fake", "model": "fake"}},
              "recon_select": {"scorer": "random", "n": 3}, "leakage": None}
    text = _method("random-of-n", {"predictions": {"user_model": "icl", "k": 2}, "traces": traces})
    assert "picked at random" in text and "scored by" not in text
