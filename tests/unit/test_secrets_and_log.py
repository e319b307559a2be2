"""Credentials inside a base URL reach no file of a run, and every cached result has its call-log row even
when the process dies right after the result was stored."""

from __future__ import annotations

import sqlite3

import yaml

import recon.method.embeddings
from recon.backends.base import GenRequest, Message
from recon.backends.fake import FakeBackend
from recon.cli.bench_cmd import write_corpus
from recon.cli.main import main
from recon.method.embeddings import HashEmbedder
from recon.store.cache import CachedBackend
from recon.store.db import Database
from tests.stub_server import ChatServer

SECRET = "pl4nted-Pa55word"


def test_credentials_in_a_base_url_are_written_nowhere(tmp_path, recon_home, capsys, monkeypatch):
    monkeypatch.setattr(recon.method.embeddings, "Embedder", HashEmbedder)
    data = tmp_path / "data"
    write_corpus(data, individuals=2, pairs=4, seed=0, test_fraction=1 / 3)
    with ChatServer() as server:
        url = server.url.replace("http://", f"http://reader:{SECRET}@")
        config = data / "run.yaml"
        config.write_text(yaml.safe_dump({
            "name": "secret", "data": {"train": ["train.jsonl"], "test": ["test.jsonl"]},
            "models": {"synthesizer": f"openai:m@{url}", "user_model": {"spec": f"openai:m@{url}"},
                       "judge": "embedding"},
            "methods": ["none", "backward"], "user_model": {"kind": "icl", "k": 1}, "out": str(tmp_path / "run")}))
        assert main(["run", str(config)]) == 0
        assert server.prompts
    said = capsys.readouterr()
    assert SECRET not in said.out + said.err
    files = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert len(files) > 10 and any(p.name == "config.json" for p in files)
    files += [p for p in recon_home.rglob("*") if p.is_file()]
    leaks = [str(p) for p in files if SECRET.encode() in p.read_bytes()]
    assert leaks == []


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
