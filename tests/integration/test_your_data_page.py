"""docs/your-data.md, run as written: its fenced `bash` blocks command by command and its `yaml` config, on
local stand-ins, so the page cannot drift from the software. The stand-ins:

- `hf download ID --repo-type dataset` places a tiny chat dataset under ID in the test's Hugging Face cache,
  and `hf download ID` a tiny sentence-transformers model (tests/hub_cache.py; the network stays off);
- `vllm serve … --port P` starts a loopback OpenAI-compatible server (tests/loopback_server.py), and the
  config's `http://127.0.0.1:P/v1` is replaced by its address;
- the hosted API is a second loopback server, reached through `OPENAI_BASE_URL`, set by the test;
- `export NAME=VALUE` sets the variable, and `recon …` runs recon's CLI in the test's folder.

Any other command fails the test: a command added to the page needs a stand-in here.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recon.cli.main import main
from tests.hub_cache import place_in_cache
from tests.loopback_server import LoopbackServer
from tests.tiny_model import make_tiny_embedder

pytest.importorskip("sentence_transformers")
PAGE = Path(__file__).resolve().parents[2] / "docs" / "your-data.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
KEY = "sk-your-key"


def page_blocks() -> list[tuple[str, str]]:
    """(language, text) of each fenced block, in page order."""
    return [(m[1], m[2]) for m in FENCE.finditer(PAGE.read_text(encoding="utf-8"))]


def commands(block: str) -> list[str]:
    """One command per line, a trailing backslash joining lines; comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [line.split(" #")[0].strip() for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def chats_dataset(folder: Path) -> Path:
    """A Hub dataset with the columns the page maps: 18 one-turn threads of 3 users."""
    rows = [{"history": [{"speaker": "Agent", "text": f"How can I help with order {i}?"}],
             "response": f"My parcel {i} never arrived, please send it again.", "user_id": f"user{i % 3}",
             "thread_id": f"t{i}"} for i in range(18)]
    (folder / "data").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "data" / "train.parquet")
    (folder / "README.md").write_text("---\nconfigs:\n- config_name: default\n  data_files:\n"
                                      "  - {split: train, path: data/train.parquet}\n---\n")
    return folder


class StandIns:
    def __init__(self, tmp: Path, cache: Path, monkeypatch):
        self.tmp, self.cache, self.monkeypatch = tmp, cache, monkeypatch
        self.servers: dict[str, LoopbackServer] = {}
        self.commits: dict[str, str] = {}

    def run(self, command: str) -> None:
        argv = shlex.split(command)
        if argv[:2] == ["hf", "download"]:
            repo = argv[2]
            dataset = "--repo-type" in argv and argv[argv.index("--repo-type") + 1] == "dataset"
            source = self.tmp / "sources" / repo
            folder = chats_dataset(source) if dataset else make_tiny_embedder(source)
            self.commits[repo] = place_in_cache(self.cache, repo, folder, repo_type="dataset" if dataset else "model")
        elif argv[0] == "export":
            name, value = argv[1].split("=", 1)
            self.monkeypatch.setenv(name, value)
        elif argv[:2] == ["vllm", "serve"]:
            port = argv[argv.index("--port") + 1]
            self.servers[f"http://127.0.0.1:{port}/v1"] = LoopbackServer(latency=0.0).__enter__()
        elif argv[0] == "recon":
            assert main(argv[1:]) == 0, command
        else:
            pytest.fail(f"docs/your-data.md runs `{command}`, which has no stand-in in this test")

    def write_config(self, text: str) -> None:
        name = text.splitlines()[0].removeprefix("#").strip()
        for url, server in self.servers.items():
            text = text.replace(url, server.url)
        (self.tmp / name).write_text(text)

    def close(self) -> None:
        for server in self.servers.values():
            server.__exit__(None, None, None)


def test_the_page_runs_as_written_on_local_stand_ins(tmp_path, offline_hub, recon_home, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stand_ins = StandIns(tmp_path, offline_hub, monkeypatch)
    with LoopbackServer(latency=0.0) as hosted:
        monkeypatch.setenv("OPENAI_BASE_URL", hosted.url)
        try:
            for language, text in page_blocks():
                if language == "bash":
                    for command in commands(text):
                        stand_ins.run(command)
                elif language == "yaml":
                    stand_ins.write_config(text)
        finally:
            stand_ins.close()
        assert hosted.requests > 0 and all(s.requests > 0 for s in stand_ins.servers.values())
    out = tmp_path / "runs" / "support"
    assert (out / "eval" / "report.html").is_file() and (out / "view.html").is_file()
    results = json.loads((out / "results.json").read_text())
    embedder = next(repo for repo in stand_ins.commits if not repo.startswith("my-org/"))
    assert results["setup"]["embedder"]["commit"] == stand_ins.commits[embedder]
    assert results["setup"]["judge"]["kind"] == "lm"
    written = [p for folder in (out, recon_home) for p in folder.rglob("*") if p.is_file()]
    assert [str(p) for p in written if KEY.encode() in p.read_bytes()] == []


def test_every_block_of_the_page_is_run():
    languages = [language for language, _ in page_blocks()]
    assert set(languages) <= {"bash", "yaml"} and languages.count("yaml") == 1
    assert any(text.startswith("export OPENAI_API_KEY=" + KEY) for _, text in page_blocks())
