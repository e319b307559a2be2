"""`recon run` against a server that fails some calls: a stage with transient failures is incomplete (its
record and manifest say so, the end of the run names the failed count, results.json warns, exit 1), the next
run re-runs it paying only for the failed calls, and deterministic outcomes (an empty text) are results that
never make a stage incomplete."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

import recon.method.embeddings
from recon.cli.bench_cmd import write_corpus
from recon.cli.main import main
from recon.data.corpus import load_examples
from recon.jobs.context import JobContext
from recon.method.embeddings import HashEmbedder
from tests.stub_server import ChatServer


@pytest.fixture(autouse=True)
def hash_embedder(monkeypatch):
    monkeypatch.setattr(recon.method.embeddings, "Embedder", HashEmbedder)   # no MiniLM in the fast suite


def flaky_run(tmp_path: Path, server: ChatServer) -> Path:
    data = tmp_path / "data"
    write_corpus(data, individuals=2, pairs=6, seed=0, test_fraction=1 / 3)
    cfg = {"name": "flaky", "data": {"train": ["train.jsonl"], "test": ["test.jsonl"]},
           "models": {"synthesizer": {"spec": f"openai:m@{server.url}", "max_retries": 0},
                      "user_model": "fake", "judge": "embedding"},
           "methods": ["none", "backward"], "user_model": {"kind": "icl", "k": 2},
           "compare": [["backward", "none"]], "out": str(tmp_path / "run")}
    path = data / "run.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def actions(tmp_path: Path, n: int) -> list[str]:
    return [e.action for e in load_examples([tmp_path / "data" / "train.jsonl"])][:n]


def record(tmp_path: Path, stage: str) -> dict:
    return json.loads((tmp_path / "run" / "stages" / f"{stage}.json").read_text())


def test_failed_calls_leave_the_stage_incomplete_and_the_next_run_pays_only_for_them(tmp_path, capsys):
    failing = {"on": True}
    with ChatServer(fails=lambda prompt: failing["on"] and any(a in prompt for a in doomed)) as server:
        config = flaky_run(tmp_path, server)
        doomed = actions(tmp_path, 3)
        n = len(load_examples([tmp_path / "data" / "train.jsonl"]))
        assert n > 3

        assert main(["run", str(config)]) == 1                    # finished, but some calls failed
        said = capsys.readouterr()
        assert "synthesize:backward" in said.out + said.err and f"3 of {n} LM calls failed" in said.out + said.err
        rec = record(tmp_path, "synthesize_backward")
        assert rec["complete"] is False and rec["failed_calls"] == 3 and "HTTP 503" in rec["errors"][0]
        manifest = json.loads((tmp_path / "run/traces/backward.jsonl.manifest.json").read_text())
        assert manifest["complete"] is False and manifest["failed_calls"] == 3
        results = json.loads((tmp_path / "run/results.json").read_text())
        assert any("synthesize:backward" in w and f"3 of {n} LM calls failed" in w for w in results["warnings"])
        assert len(server.prompts) == n
        log = (tmp_path / "run/run.log").read_text()               # each failed call, then the stage's count
        failed_call = r"WARNING recon\.store\.cache: synthesize:backward: \d+ of \d+ generate calls? failed: .*HTTP 503"
        assert re.search(failed_call, log, re.M), log
        assert re.search(r"Z WARNING recon\.run: synthesize:backward: ran in .*, 3 failed", log), log

        assert main(["run", str(config)]) == 1                    # still failing: still incomplete, not skipped
        assert len(server.prompts) == n + 3
        assert record(tmp_path, "synthesize_backward")["complete"] is False

        failing["on"] = False                                     # the server recovers
        capsys.readouterr()
        assert main(["run", str(config)]) == 0
        assert len(server.prompts) == n + 3 + 3                   # only the failed calls were paid again
        assert record(tmp_path, "synthesize_backward") | {"complete": True} == record(tmp_path,
                                                                                        "synthesize_backward")
        assert record(tmp_path, "synthesize_backward")["failed_calls"] == 0
        traces = [json.loads(x) for x in (tmp_path / "run/traces/backward.jsonl").read_text().splitlines()]
        assert all(t["reasoning"] for t in traces)
        results = json.loads((tmp_path / "run/results.json").read_text())
        assert not any("failed" in w for w in results["warnings"])

        assert main(["run", str(config)]) == 0                    # finished: nothing re-runs, nothing is paid
        assert len(server.prompts) == n + 3 + 3
        assert "skipped" in capsys.readouterr().err


def test_when_every_call_of_a_stage_fails_the_error_names_the_backend_error(tmp_path, capsys):
    with ChatServer(fails=lambda prompt: True) as server:
        config = flaky_run(tmp_path, server)
        assert main(["run", str(config)]) == 3
    err = capsys.readouterr().err
    assert "HTTP 503" in err and "synthesize:backward" in err and "trace ids" not in err
    assert record(tmp_path, "synthesize_backward")["complete"] is False
    assert not (tmp_path / "run" / "preds" / "backward.jsonl").exists()


def test_empty_texts_are_results_the_stage_is_complete_and_never_re_run(tmp_path, capsys):
    blank: list[str] = []
    text = (lambda prompt: "" if any(a in prompt for a in blank) else "They weigh the cost against the benefit.")
    with ChatServer(text=text) as server:
        config = flaky_run(tmp_path, server)
        blank.extend(actions(tmp_path, 3))
        assert main(["run", str(config)]) == 0
        rec = record(tmp_path, "synthesize_backward")
        assert rec["complete"] is True and rec["failed_calls"] == 0
        traces = [json.loads(x) for x in (tmp_path / "run/traces/backward.jsonl").read_text().splitlines()]
        assert sum(t["reasoning"] is None for t in traces) == 3
        assert all(t["transient"] is False for t in traces if t["reasoning"] is None)
        paid = len(server.prompts)
        assert main(["run", str(config)]) == 0
        assert len(server.prompts) == paid


def test_a_prediction_without_an_action_is_a_loss_unless_its_call_failed(tmp_path):
    from recon.config import PairJudgeConfig
    from recon.jobs.evaluate import run_evaluate
    from recon.types import Example, Turn
    test = [Example(id=f"p{i}", domain="d", individual="Ann", conversation_id=f"c{i}", turn_index=1,
                    context=(Turn("Bob", "Why?"),), action=f"Because of the budget {i}.") for i in range(3)]

    def preds(name: str, outcome: dict) -> Path:
        path = tmp_path / f"{name}.jsonl"
        rows = [{"id": e.id, "action": f"Because of the budget {e.id}."} for e in test]
        rows[0] |= outcome
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        return path
    ok = preds("ok", {})
    empty = preds("empty", {"action": None, "error": "the user model wrote no action", "transient": False})
    failed = preds("failed", {"action": None, "error": "server 127.0.0.1: HTTP 503", "transient": True})
    result = run_evaluate(JobContext(embedder=HashEmbedder()), test, {"ok": ok, "empty": empty, "failed": failed},
                          compare=[("empty", "ok"), ("failed", "ok")], judge_cfg=PairJudgeConfig(),
                          out=tmp_path / "eval")
    overall = {(c.a, c.b): c for c in result.comparisons if c.scope == "overall"}
    assert overall["empty", "ok"].invalid == 0 and overall["empty", "ok"].n == 3    # a deterministic loss
    failed_ok = overall["failed", "ok"]              # no outcome yet: pending, in neither rate; a re-run fills it
    assert (failed_ok.pending, failed_ok.judge_invalid, failed_ok.n, failed_ok.failed_a) == (1, 0, 2, 0)
    [first] = [j for j in result.judgments if j["id"] == "p0" and j["a"] == "empty"]
    assert first["p_a"] == 0.0
