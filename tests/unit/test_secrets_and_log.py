"""Credentials (an API key, a base URL's user:password) reach no file of a run, no row of the cache database and
no line of the terminal, even from a server that echoes the request's headers into its error replies; and every
cached result has its call-log row even when the process dies right after the result was stored."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import pytest
import yaml

import recon.method.embeddings
from recon.backends.base import GenRequest, Message
from recon.backends.fake import FakeBackend
from recon.cli.bench_cmd import write_corpus
from recon.cli.main import main
from recon.method.embeddings import HashEmbedder
from recon.store.cache import CachedBackend
from recon.store.db import Database
from tests.loopback_server import LoopbackServer
from tests.stub_server import ChatServer

KEY = "sk-keycanary-" + "0123456789abcdef" * 9        # as long as a project key: a 200-character cut splits it
USER, PASSWORD = "reader", "pwcanary-Pa55word"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
# pieces short enough to survive any cut of a message: none may appear anywhere
CANARIES = ("keycan", "pwcan", BASIC[:8], KEY[-8:], PASSWORD[-8:])


@pytest.fixture(autouse=True)
def no_minilm(monkeypatch):
    monkeypatch.setattr(recon.method.embeddings, "Embedder", HashEmbedder)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def with_password(url: str) -> str:
    return url.replace("http://", f"http://{USER}:{PASSWORD}@")


def leaks(folders: list[Path], said) -> list[str]:
    """Every file under `folders` (the cache database's bytes included) and the captured output holding any
    piece of a secret."""
    found = [f"{p}: {c}" for folder in folders for p in folder.rglob("*") if p.is_file()
             for c in CANARIES if c.encode() in p.read_bytes()]
    return found + [f"terminal: {c}" for c in CANARIES if c in said.out + said.err]


def corpus(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    write_corpus(data, individuals=2, pairs=4, seed=0, test_fraction=1 / 3)
    return data


def run_config(data: Path, tmp_path: Path, url: str, **extra) -> Path:
    config = data / "run.yaml"
    config.write_text(yaml.safe_dump({
        "name": "secret", "data": {"train": ["train.jsonl"], "test": ["test.jsonl"]},
        "models": {"synthesizer": {"spec": f"openai:m@{url}", "max_retries": 0},
                   "user_model": {"spec": f"openai:m@{url}", "max_retries": 0}, "judge": "embedding"},
        "methods": ["none", "backward"], "user_model": {"kind": "icl", "k": 1}, "out": str(tmp_path / "run"),
        **extra}))
    return config


def test_credentials_in_a_base_url_are_written_nowhere(tmp_path, recon_home, capsys):
    data = corpus(tmp_path)
    with ChatServer() as server:
        assert main(["run", str(run_config(data, tmp_path, with_password(server.url)))]) == 0
        assert server.prompts
    files = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert len(files) > 10 and any(p.name == "config.json" for p in files)
    assert leaks([tmp_path / "run", recon_home], capsys.readouterr()) == []


def test_an_api_key_echoed_by_a_failing_server_is_written_nowhere(tmp_path, recon_home, capsys, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    data = corpus(tmp_path)
    out = tmp_path / "out" / "traces.jsonl"
    with ChatServer(fails=lambda prompt: "1" in prompt, status=400, echo_headers=True) as server:
        code = main(["synthesize", "--data", str(data / "train.jsonl"), "--method", "backward",
                     "--model", f"openai:m@{server.url}", "--out", str(out)])
        assert server.requests[0][1]["Authorization"] == f"Bearer {KEY}"
    assert code == 1                                           # some calls failed: each is named, none leaks
    said = capsys.readouterr()
    assert "HTTP 400" in said.err and "Bearer ***" in said.err
    reasons = [json.loads(line).get("invalid") or "" for line in out.read_text().splitlines()]
    assert any("HTTP 400" in r for r in reasons)
    assert leaks([out.parent, recon_home], said) == []


def test_base_url_credentials_echoed_by_a_failing_server_are_written_nowhere(tmp_path, recon_home, capsys):
    data = corpus(tmp_path)
    with ChatServer(fails=lambda prompt: "1" in prompt, status=400, echo_headers=True) as server:
        code = main(["run", str(run_config(data, tmp_path, with_password(server.url)))])
        assert server.requests[0][1]["Authorization"] == f"Basic {BASIC}"
    assert code == 1
    said = capsys.readouterr()
    stage = json.loads((tmp_path / "run" / "stages" / "synthesize_backward.json").read_text())
    assert "HTTP 400" in stage["errors"][0]
    assert leaks([tmp_path / "run", recon_home], said) == []


def clashing_run(data: Path, tmp_path: Path, url: str, allow: bool) -> Path:
    """recon-select:judge ranks with the evaluation judge's own model: its signal is the test metric."""
    return run_config(data, tmp_path, url, methods=["none", "recon-select:judge"],
                      models={"synthesizer": f"openai:m@{url}", "user_model": f"openai:m@{url}",
                              "judge": f"openai:m@{url}"},
                      recon_select={"n": 2}, allow_signal_equals_judge=allow)


def test_a_clash_with_the_judge_names_its_model_without_credentials(tmp_path, recon_home, capsys):
    data = corpus(tmp_path)
    with LoopbackServer(latency=0.0) as server:          # answers fit each schema: the judges' rankings parse
        url = with_password(server.url)
        assert main(["run", str(clashing_run(data, tmp_path, url, allow=False))]) == 2
        refused = capsys.readouterr()
        assert "allow_signal_equals_judge" in refused.err and leaks([], refused) == []
        assert main(["run", str(clashing_run(data, tmp_path, url, allow=True))]) == 0
    said = capsys.readouterr()
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert "openai:m@" in json.dumps(results["setup"]["signal_equals_judge"])
    for report in ("eval/report.md", "eval/report.html"):
        text = (tmp_path / "run" / report).read_text().replace("\\_", "_")    # report.md escapes Markdown
        assert "allow_signal_equals_judge" in text
    assert leaks([tmp_path / "run", recon_home], said) == []


@pytest.mark.parametrize("spec", [f"opnai:m@http://{USER}:{PASSWORD}@127.0.0.1:9/v1",
                                  f"http://{USER}:{PASSWORD}@127.0.0.1:9/v1",
                                  f"openai:m@ftp://{USER}:{PASSWORD}@127.0.0.1:9/v1"])
def test_a_mistyped_spec_is_refused_without_its_password(tmp_path, capsys, spec):
    data = corpus(tmp_path)
    code = main(["synthesize", "--data", str(data / "train.jsonl"), "--method", "backward", "--model", spec,
                 "--out", str(tmp_path / "t.jsonl")])
    said = capsys.readouterr()
    assert code == 2 and "recon: error:" in said.err
    assert leaks([], said) == []


class DiesAfter(FakeBackend):
    """Produces `n` results (each reported as it is made), then the process is interrupted."""

    def __init__(self, n: int):
        super().__init__()
        self.n = n

    def _generate(self, requests, on_result=None):
        for i, req in enumerate(requests[:self.n]):
            on_result(i, super()._generate([req])[0])
        raise KeyboardInterrupt


def test_a_cached_result_always_has_its_log_row(tmp_path):
    db = Database(tmp_path / "r.sqlite3")
    requests = [GenRequest(messages=(Message("user", f"q{i}"),)) for i in range(5)]
    try:
        CachedBackend(DiesAfter(2), db, run="r", stage="s").generate(requests)
    except KeyboardInterrupt:
        pass
    conn = sqlite3.connect(tmp_path / "r.sqlite3")
    cached = {k for (k,) in conn.execute("SELECT key FROM cache")}
    logged = {k for (k,) in conn.execute("SELECT key FROM calls WHERE cache_hit = 0 AND error IS NULL")}
    assert len(cached) == 2 and logged == cached


def test_the_grpo_setup_of_results_json_names_its_judges_without_credentials(tmp_path):
    from recon.config.run import RunConfig
    from recon.run.grpo_stages import grid_setup
    judge = f"openai:j@http://{USER}:{PASSWORD}@127.0.0.1:9/v1"
    cfg = RunConfig.model_validate({
        "name": "g", "data": {"train": ["t.jsonl"], "test": ["s.jsonl"]}, "methods": ["none", "e2e-grpo"],
        "user_model": {"kind": "sft"}, "grpo": {"e2e": {"judge": judge}, "recon": {"scorer": "judge", "judge": judge}}})
    block = json.dumps(grid_setup(cfg, tmp_path))
    assert "openai:j@" in block and not [c for c in CANARIES if c in block]
