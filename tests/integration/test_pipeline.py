"""`recon run` end to end on the fake backend (two individuals): every artifact, the results.json schema,
a second run that makes no backend calls, bad configs refused before any LM call, and a run killed during
prediction that resumes to the same results without repeating a finished call."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from recon.bench.corpus_files import write_corpus
from recon.config import load_run_config
from recon.errors import ConfigError
from recon.method.embeddings import HashEmbedder
from recon.pipeline import run_pipeline

CONFIG = {
    "name": "t", "data": {"train": ["train.jsonl"], "test": ["test.jsonl"]},
    "models": {"synthesizer": "fake", "user_model": "fake", "judge": "embedding"},
    "methods": ["none", "forward", "backward", "recon-select"],
    "recon_select": {"n": 3, "scorer": "likelihood"}, "user_model": {"kind": "icl", "k": 2},
    "compare": [["recon-select", "backward"], ["backward", "none"]],
}


def setup_run(tmp_path: Path, **changes) -> Path:
    data = tmp_path / "data"
    if not data.exists():
        write_corpus(data, individuals=2, pairs=6, seed=0, test_fraction=1 / 3)
    cfg = {**CONFIG, **changes, "out": str(tmp_path / "run")}
    path = data / "run.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def calls(db_path: Path, run: str | None = None) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        if run is None:
            return conn.execute("SELECT run, stage, key, cache_hit FROM calls").fetchall()
        return conn.execute("SELECT run, stage, key, cache_hit FROM calls WHERE run = ?", (run,)).fetchall()


def test_the_whole_pipeline_writes_every_artifact_and_a_rerun_pays_nothing(tmp_path, recon_home):
    cfg, root = load_run_config(setup_run(tmp_path))
    first = run_pipeline(cfg, root, embedder=HashEmbedder())
    out = tmp_path / "run"
    for rel in ["config.json", "data/train.jsonl", "data/test.jsonl", "traces/forward.jsonl",
                "traces/backward.jsonl", "traces/recon-select.jsonl", "traces/backward.jsonl.manifest.json",
                "preds/none.jsonl", "preds/recon-select.jsonl", "preds/none.jsonl.manifest.json",
                "eval/judgments.jsonl", "eval/report.md", "eval/report.html", "eval/plots/winrates_overall.png",
                "results.json", "stages/data.json", "stages/synthesize_recon-select.json", "stages/evaluate.json"]:
        assert (out / rel).is_file(), rel
    results = json.loads((out / "results.json").read_text())
    overall = [c for c in results["comparisons"] if c["scope"] == "overall"]
    assert {(c["a"], c["b"]) for c in overall} == {("recon-select", "backward"), ("backward", "none")}
    for c in results["comparisons"]:
        assert set(c) >= {"a", "b", "scope", "win_rate", "ci", "n", "ties", "invalid", "lc_win_rate"}
        assert c["scope"] == "overall" or c["scope"].split(":")[0] in ("domain", "individual")
    for m in ("forward", "backward", "recon-select"):
        assert set(results["methods"][m]) >= {"leakage_rate", "calls_per_pair", "tokens_per_pair", "seconds_per_pair"}
        assert results["methods"][m]["calls_per_pair"] is not None
    assert len(first.ran) == 1 + 3 + 4 + 1 and first.skipped == []
    db = recon_home / "recon.sqlite3"
    assert calls(db, first.run)

    second = run_pipeline(cfg, root, embedder=HashEmbedder())
    assert second.ran == [] and len(second.skipped) == 9
    assert calls(db, second.run) == []                                   # zero LM calls, not even cache hits
    assert json.loads((out / "results.json").read_text()) == results


def test_a_changed_input_reruns_only_what_depends_on_it(tmp_path):
    cfg, root = load_run_config(setup_run(tmp_path))
    run_pipeline(cfg, root, embedder=HashEmbedder())
    cfg2, _ = load_run_config(setup_run(tmp_path, user_model={"kind": "icl", "k": 1}))
    again = run_pipeline(cfg2, root, embedder=HashEmbedder())
    assert sorted(again.ran) == ["evaluate", "predict:backward", "predict:forward", "predict:none",
                                 "predict:recon-select"]


@pytest.mark.parametrize("change,field", [
    ({"methods": ["none", "backwards"]}, "methods"),
    ({"compare": [["recon-select", "forward"]], "methods": ["none", "recon-select"]}, "compare"),
    ({"data": {"train": ["missing.jsonl"], "test": ["test.jsonl"]}, }, "missing.jsonl"),
    ({"data": {"train": ["train.jsonl"]}}, "data"),
    ({"recon_select": {"n": 3, "scorer": "likelihood", "nope": 1}}, "recon_select.nope"),
    ({"compare": [["backward", "none"], ["backward", "none"]]}, "compare"),
])
def test_bad_configs_fail_before_any_lm_call_naming_the_field(tmp_path, recon_home, change, field):
    path = setup_run(tmp_path, **change)
    with pytest.raises(ConfigError) as info:
        load_run_config(path)
    assert field in str(info.value) and str(path) in str(info.value)
    assert not (recon_home / "recon.sqlite3").exists() or calls(recon_home / "recon.sqlite3") == []


def test_demo_yaml_is_the_demo_run(tmp_path):
    from recon.cli.demo_cmd import demo_config
    example = yaml.safe_load((Path(__file__).parents[2] / "examples/demo.yaml").read_text())
    internal = demo_config("embedded", Path(example["out"])).model_dump()
    loaded = {**example}
    loaded["data"] = {k: v for k, v in example["data"].items() if k != "root"}
    from recon.config import RunConfig
    assert RunConfig.model_validate(loaded).model_dump() == internal


def run_cli(config: Path, home: Path, *, delay: float = 0.0, wait: bool = True):
    env = os.environ | {"RECON_HOME": str(home), "RECON_FAKE_DELAY": str(delay)}
    cmd = [sys.executable, "-m", "recon.cli.main", "run", str(config), "--resume"]
    if wait:
        return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def comparable(results: dict) -> dict:
    return {"comparisons": results["comparisons"],
            "methods": {m: {k: v for k, v in f.items() if k != "seconds_per_pair"}
                        for m, f in results["methods"].items()}}


@pytest.mark.slow           # three subprocess runs, one slowed down to be killed mid-stage (~20 s)
def test_a_run_killed_during_prediction_resumes_to_the_same_results(tmp_path, recon_home):
    # the reference: an uninterrupted run in its own home
    ref_cfg = setup_run(tmp_path / "ref")
    run_cli(ref_cfg, tmp_path / "ref_home")
    reference = json.loads((tmp_path / "ref" / "run" / "results.json").read_text())

    config = setup_run(tmp_path / "killed")
    home = tmp_path / "killed_home"
    db = home / "recon.sqlite3"
    proc = run_cli(config, home, delay=0.05, wait=False)
    deadline = time.monotonic() + 300
    while True:
        assert proc.poll() is None, "the run finished before it could be killed"
        assert time.monotonic() < deadline
        if db.exists():
            try:
                n = sqlite3.connect(db).execute(
                    "SELECT COUNT(*) FROM calls WHERE stage LIKE 'predict:%' AND cache_hit = 0").fetchone()[0]
            except sqlite3.OperationalError:
                n = 0
            if n >= 2:
                break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "killed" / "run" / "results.json").exists()
    cached_before = {k for (k,) in sqlite3.connect(db).execute("SELECT key FROM cache")}

    run_cli(config, home)
    resumed = json.loads((tmp_path / "killed" / "run" / "results.json").read_text())
    assert comparable(resumed) == comparable(reference)
    with sqlite3.connect(db) as conn:
        last = conn.execute("SELECT run FROM calls ORDER BY id DESC LIMIT 1").fetchone()[0]
        misses = {k for (k,) in conn.execute("SELECT key FROM calls WHERE run = ? AND cache_hit = 0", (last,))}
    assert misses and not misses & cached_before                      # no finished call was paid twice
