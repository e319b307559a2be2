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
from recon.run import run_pipeline

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
    cfg = {k: v for k, v in {**CONFIG, **changes}.items() if v is not None} | {"out": str(tmp_path / "run")}
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
    assert {(c["a"], c["b"]) for c in overall} == {("recon-select", "backward"), ("backward", "none"),
                                                   ("forward", "backward")}    # the report's baseline row
    for c in results["comparisons"]:
        assert set(c) >= {"a", "b", "scope", "win_rate", "ci", "n", "ties", "invalid", "lc_win_rate"}
        assert c["scope"] == "overall" or c["scope"].split(":")[0] in ("domain", "individual")
    for m in ("forward", "backward", "recon-select"):
        assert set(results["methods"][m]) >= {"leakage_rate", "calls_per_pair", "tokens_per_pair", "seconds_per_pair"}
        assert results["methods"][m]["calls_per_pair"] is not None
    setup = results["setup"]
    assert setup["methods"]["recon-select"]["traces"]["recon_select"] == {"scorer": "likelihood", "n": 3}
    assert setup["methods"]["none"]["predictions"]["user_model"] == "icl" and setup["methods"]["none"]["traces"] is None
    assert [f["sha256"] for f in setup["data"]["files"]["train"]][0] and setup["data"]["split"] is None
    assert setup["run_config"]["name"] == "t" and setup["data"]["sample"] is None
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
    # settings that would be silently overridden or ignored
    ({"judge": {"kind": "lm"}}, "judge.kind"),
    ({"judge": {"kind": "embedding"}, "models": {**CONFIG["models"], "judge": "fake"}}, "judge.kind"),
    ({"judge": {"both_orders": True}}, "judge.both_orders"),
    ({"judge": {"margin": 0.1}, "models": {**CONFIG["models"], "judge": "fake"}}, "judge.margin"),
    ({"synthesis": {"method": "forward", "temperature": 0.5}}, "synthesis.method"),
    ({"user_model": {"kind": "icl", "sft": {"max_steps": 3}}}, "user_model.sft"),
    ({"user_model": {"kind": "sft", "k": 2}}, "user_model.k"),
    ({"methods": ["none", "backward"], "compare": [["backward", "none"]]}, "recon_select"),
    ({"methods": ["none", "backward"], "compare": [["backward", "none"]], "recon_select": None,
      "models": {**CONFIG["models"], "reconstructor": "fake"}}, "models.reconstructor"),
])
def test_bad_configs_fail_before_any_lm_call_naming_the_field(tmp_path, recon_home, capsys, change, field):
    path = setup_run(tmp_path, **change)
    with pytest.raises(ConfigError) as info:
        load_run_config(path)
    assert field in str(info.value) and str(path) in str(info.value)
    from recon.cli.main import main
    assert main(["run", str(path)]) == 2 and field in capsys.readouterr().err
    assert not (recon_home / "recon.sqlite3").exists()            # refused before the run opened its database


def test_the_synthesis_section_needs_no_method(tmp_path):
    cfg, _ = load_run_config(setup_run(tmp_path, synthesis={"temperature": 0.5}))
    assert cfg.synthesis.temperature == 0.5


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
    cmd = [sys.executable, "-m", "recon.cli.main", "run", str(config)]          # re-running is resuming
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


# --- baseline parity -------------------------------------------------------------------------------------------

def gappy_factory(data: Path, every: int = 4):
    """Fake backends whose backward synthesis writes nothing for every `every`-th training pair (so backward
    and Recon-Select miss those pairs, `none` does not)."""
    from recon.backends.fake import FakeBackend
    train = [json.loads(x) for x in (data / "train.jsonl").read_text().splitlines()]
    gaps = {r["id"] for r in train[::every]}
    quoted = [f'said: "{" ".join(r["action"].split())}"' for r in train if r["id"] in gaps]

    class Gappy(FakeBackend):
        def _text_for(self, req):
            if any(q in req.messages[-1].content for q in quoted):
                return ""
            return super()._text_for(req)
    return (lambda cfg: Gappy()), gaps


def demos_of(path: Path) -> dict:
    return {p["id"]: p["demos"] for p in map(json.loads, path.read_text().splitlines())}


def test_every_method_sees_the_same_demonstrations_and_left_out_pairs_are_counted(tmp_path):
    cfg, root = load_run_config(setup_run(tmp_path, methods=["none", "backward", "recon-select"],
                                          compare=[["recon-select", "backward"]]))
    factory, gaps = gappy_factory(root)
    run_pipeline(cfg, root, embedder=HashEmbedder(), backend_factory=factory)
    out = tmp_path / "run"
    demos = {m: demos_of(out / "preds" / f"{m}.jsonl") for m in ("none", "backward", "recon-select")}
    assert demos["none"] == demos["backward"] == demos["recon-select"]
    assert any(demos["none"].values()) and not gaps & {d for ds in demos["none"].values() for d in ds}
    parity = json.loads((out / "results.json").read_text())["parity"]
    assert parity["left_out"] == {"none": 0, "backward": len(gaps), "recon-select": len(gaps)}
    assert parity["left_out_total"] == len(gaps) and parity["train_pairs"] - parity["eligible"] == len(gaps)
    recorded = json.loads((out / "parity.json").read_text())
    assert recorded["demos"] == demos["none"]
    assert f"{len(gaps)} were left out because some method has no trace" in (out / "eval/report.md").read_text()


def test_sft_user_models_train_on_the_same_pairs_and_steps(tmp_path, monkeypatch):
    import recon.training.sft as sft
    trained = {}

    def fake_train_sft(train, traces, *, method, cfg, out, user_cfg=None, on_step=None, **kw):
        effective = [e.id for e in train if method == "none" or (traces or {}).get(e.id)]
        trained[method] = (effective, cfg.max_steps)
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / sft.SFT_META).write_text(json.dumps({"method": method, "train_pair_ids": effective}))
    monkeypatch.setattr(sft, "train_sft", fake_train_sft)
    cfg, root = load_run_config(setup_run(tmp_path, methods=["none", "backward"], compare=[["backward", "none"]],
                                          user_model={"kind": "sft", "sft": {"max_steps": 2}}, recon_select=None))
    factory, gaps = gappy_factory(root)
    run_pipeline(cfg, root, embedder=HashEmbedder(), backend_factory=factory)
    assert trained["none"] == trained["backward"] and trained["none"][1] == 2
    assert not gaps & set(trained["none"][0]) and trained["none"][0]


def test_the_controls_run_in_the_grid_on_recon_selects_cached_candidates(tmp_path, recon_home):
    methods = ["none", "backward", "recon-select", "random-of-n", "longest-of-n"]
    cfg, root = load_run_config(setup_run(tmp_path, methods=methods,
                                          compare=[["recon-select", "random-of-n"], ["recon-select", "longest-of-n"]]))
    result = run_pipeline(cfg, root, embedder=HashEmbedder())
    with sqlite3.connect(recon_home / "recon.sqlite3") as conn:
        paid = conn.execute("SELECT COUNT(*) FROM calls WHERE run = ? AND cache_hit = 0 AND (stage LIKE "
                            "'synthesize:random-of-n%' OR stage LIKE 'synthesize:longest-of-n%')",
                            (result.run,)).fetchone()[0]
    assert paid == 0                                        # the same candidates, no reconstruction
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert {"random-of-n", "longest-of-n"} <= set(results["methods"])
    assert {(c["a"], c["b"]) for c in results["comparisons"]} >= {("recon-select", "random-of-n")}


def test_a_stage_record_counts_exactly_its_own_calls(tmp_path, recon_home):
    """`predict:recon-select` must not also count `predict:recon-select:judge:*` (a prefix of it) that ran
    earlier in the same run."""
    cfg, root = load_run_config(setup_run(tmp_path, methods=["none", "recon-select:judge", "recon-select"],
                                          compare=[["recon-select", "none"]]))
    result = run_pipeline(cfg, root, embedder=HashEmbedder())
    with sqlite3.connect(recon_home / "recon.sqlite3") as conn:
        per_stage = dict(conn.execute("SELECT stage, COUNT(*) FROM calls WHERE run = ? GROUP BY stage",
                                      (result.run,)).fetchall())
    assert per_stage["predict:recon-select:judge:icl"] > 0
    for stage, own in [("predict_recon-select", ["predict:recon-select:icl"]),
                       ("synthesize_recon-select", [s for s in per_stage
                                                    if s.startswith("synthesize:recon-select:likelihood:")])]:
        record = json.loads((tmp_path / "run" / "stages" / f"{stage}.json").read_text())
        assert record["cost_this_time"]["calls"] == sum(per_stage[s] for s in own), stage


def test_a_split_run_records_its_split_rule_and_how_its_limits_sample(tmp_path):
    data = {"train": ["train.jsonl", "test.jsonl"], "split": {"test_fraction": 0.5, "seed": 4},
            "limit_test_per_individual": 2}
    cfg, root = load_run_config(setup_run(tmp_path, data=data, methods=["none", "backward"], recon_select=None,
                                          compare=[["backward", "none"]]))
    run_pipeline(cfg, root, embedder=HashEmbedder())
    setup = json.loads((tmp_path / "run" / "results.json").read_text())["setup"]
    assert setup["data"]["split"]["test_fraction"] == 0.5 and setup["data"]["split"]["seed"] == 4
    assert setup["data"]["limits"]["test_per_individual"] == 2
    assert "round-robin" in setup["data"]["sample"]["rule"] and setup["data"]["test_pairs"] == 4


def test_the_setup_block_never_holds_server_credentials(tmp_path):
    from recon.config import RunConfig
    from recon.evaluation.setup_block import run_setup
    cfg = RunConfig.model_validate({**CONFIG, "models": {**CONFIG["models"],
                                                         "judge": "openai:m@https://ann:pw-1234@host:8443/v1"}})
    text = json.dumps(run_setup(cfg, tmp_path))
    assert "pw-1234" not in text and "ann:" not in text and "openai:m@<url>" in text


def test_seeds_repeat_the_run_and_the_table_shows_mean_and_sd(tmp_path, capsys):
    from recon.cli.run_cmd import print_seed_grid
    cfg, root = load_run_config(setup_run(tmp_path, methods=["none", "backward", "recon-select"],
                                          compare=[["recon-select", "none"]], seeds=[0, 1]))
    result = run_pipeline(cfg, root, embedder=HashEmbedder())
    assert "seed-1/synthesize:recon-select" in result.ran and result.report == tmp_path / "run" / "report.html"
    out = tmp_path / "run"
    for seed in (0, 1):
        setup = json.loads((out / f"seed-{seed}" / "results.json").read_text())["setup"]
        assert setup["run_config"]["synthesis"]["seed"] == seed and setup["run_config"]["seeds"] is None
    results = json.loads((out / "results.json").read_text())
    assert results["baseline"] == "backward" and set(results["grid"]) == {"none", "recon-select"}
    cell = results["grid"]["recon-select"]["overall"]
    assert len(cell["values"]) == 2 and cell["mean"] == pytest.approx(sum(cell["values"]) / 2)
    report = (out / "report.md").read_text()
    assert "mean ± sd over seeds 0, 1" in report and " ± " in report.split("| vs backward |")[1]
    print_seed_grid(results, cfg.predicted_methods)
    assert "mean ± sd over seeds 0, 1" in capsys.readouterr().out


def test_every_method_of_a_run_is_measured_with_the_runs_one_leakage_configuration(tmp_path, recon_home):
    from recon.data.corpus import load_examples
    from recon.method.leakage import measure_leakage
    strict = {"max_shared_run": 1, "max_ngram_fraction": 0.0, "max_coverage": 0.0, "max_lcs_fraction": 0.0}
    cfg, root = load_run_config(setup_run(tmp_path, recon_select={"n": 2, "scorer": "likelihood",
                                                                  "leakage": strict}))
    run_pipeline(cfg, root, embedder=HashEmbedder())
    actions = {e.id: e.action for e in load_examples([tmp_path / "run/data/train.jsonl"])}
    for method in ("forward", "backward"):
        rows = [json.loads(x) for x in (tmp_path / "run/traces" / f"{method}.jsonl").read_text().splitlines()]
        rows = [r for r in rows if r.get("leakage")]
        assert rows, method
        expected = [measure_leakage(r["reasoning"], actions[r["id"]], cfg.recon_select.leakage,
                                    max_action_chars=cfg.synthesis.max_action_chars).leaking for r in rows]
        assert [r["leakage"]["leaking"] for r in rows] == expected, method
        assert any(expected), method                   # the strict thresholds flag some: not the default ones
