"""One exit-code rule for every command: 0 done (deterministic outcomes such as an empty or unparsable
answer count as done), 1 finished with transient failures (outputs written, failures named), 2 bad input
(nothing written), 3 a runtime error stopped the command, 130 interrupted."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
import yaml

import recon.method.embeddings
from recon.backends.openai_http import OpenAIBackend
from recon.cli.main import build_parser, main
from recon.method.embeddings import HashEmbedder
from recon.store.cache import CachedBackend
from tests.conftest import write_lines
from tests.stub_server import ChatServer

PAIR = {"id": "a:1", "domain": "d", "individual": "Ann", "conversation_id": "c1", "turn_index": 1,
        "context": [{"speaker": "Bob", "text": "Why?"}], "action": "Because.", "meta": {}}
DOOMED = "project 1?"          # the context of the pairs whose calls fail (or come back empty)


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setitem(OpenAIBackend.__init__.__kwdefaults__, "backoff_s", 0.0)   # retries without waiting
    monkeypatch.setattr(recon.method.embeddings, "Embedder", HashEmbedder)        # no MiniLM in the fast suite


def pairs(path: Path, prefix: str, n: int) -> Path:
    rows = [json.dumps(PAIR | {"id": f"{prefix}:{i}", "conversation_id": f"{prefix}{i}",
                               "context": [{"speaker": "Bob", "text": f"Should the town fund project {i}?"}],
                               "action": f"I would fund project {i} if the library stays open."})
            for i in range(n)]
    return write_lines(path, rows)


def fake_inputs(tmp: Path) -> dict[str, Path]:
    """Training and test pairs, backward traces and two prediction files, all from the fake backend."""
    files = {"train": pairs(tmp / "train.jsonl", "tr", 4), "test": pairs(tmp / "test.jsonl", "te", 4)}
    files["traces"] = tmp / "bw.jsonl"
    assert main(["synthesize", "--data", str(files["train"]), "--method", "backward", "--dry-run",
                 "--out", str(files["traces"])]) == 0
    for method, extra in (("backward", ["--traces", str(files["traces"])]), ("none", [])):
        files[method] = tmp / f"pred_{method}.jsonl"
        assert main(["predict", "--data", str(files["train"]), "--test", str(files["test"]), *extra,
                     "--model", "fake", "--out", str(files[method])]) == 0
    return files


def argv(command: str, tmp: Path, url: str) -> list[str]:
    f = fake_inputs(tmp)
    model = f"openai:m@{url}"
    return {
        "synthesize": ["synthesize", "--data", str(f["train"]), "--method", "backward", "--model", model,
                       "--out", str(tmp / "out.jsonl")],
        "score": ["score", "--traces", str(f["traces"]), "--data", str(f["train"]), "--scorer", "judge",
                  "--model", model, "--out", str(tmp / "out.jsonl")],
        "predict": ["predict", "--data", str(f["train"]), "--test", str(f["test"]), "--traces", str(f["traces"]),
                    "--model", model, "--out", str(tmp / "out.jsonl")],
        "evaluate": ["evaluate", "--test", str(f["test"]), "--pred", f"backward={f['backward']}",
                     "--pred", f"none={f['none']}", "--judge", model, "--out", str(tmp / "eval")],
        "run": ["run", str(run_config(tmp, f, model))],
    }[command]


def run_config(tmp: Path, f: dict[str, Path], model: str) -> Path:
    cfg = {"name": "codes", "data": {"train": [str(f["train"])], "test": [str(f["test"])]},
           "models": {"synthesizer": {"spec": model, "max_retries": 1}, "user_model": "fake", "judge": "embedding"},
           "methods": ["none", "backward"], "user_model": {"kind": "icl", "k": 1}, "out": str(tmp / "run")}
    path = tmp / "run.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


COMMANDS = ["synthesize", "score", "predict", "evaluate", "run"]


@pytest.mark.parametrize("command", COMMANDS)
def test_deterministic_outcomes_are_done_exit_0(tmp_path, capsys, command):
    """An empty text or an unparsable answer is a cached result, counted in the output, not a failure."""
    with ChatServer(text=lambda prompt: "" if DOOMED in prompt else "no idea which") as server:
        assert main(argv(command, tmp_path, server.url)) == 0
        paid = len(server.prompts)
        assert paid
        (tmp_path / "again").mkdir()
        assert main(argv(command, tmp_path / "again", server.url)) == 0
        assert len(server.prompts) == paid                       # the outcomes came from the cache


@pytest.mark.parametrize("command", COMMANDS)
def test_transient_failures_exit_1_name_the_failures_and_write_the_outputs(tmp_path, capsys, command):
    with ChatServer(fails=lambda prompt: DOOMED in prompt) as server:
        assert main(argv(command, tmp_path, server.url)) == 1
    said = capsys.readouterr()
    assert "failed" in said.out + said.err and "HTTP 503" in said.out + said.err
    out = tmp_path / {"evaluate": "eval/results.json", "run": "run/results.json"}.get(command, "out.jsonl")
    assert out.is_file()


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_input_exits_2(tmp_path, capsys, command):
    args = argv(command, tmp_path, "http://127.0.0.1:9/v1")
    (tmp_path / "train.jsonl").write_text("{not json\n")
    (tmp_path / "test.jsonl").write_text("{not json\n")
    assert main(args) == 2
    assert "malformed JSON" in capsys.readouterr().err


@pytest.mark.parametrize("command", COMMANDS)
def test_an_os_error_exits_3_with_one_line(tmp_path, capsys, monkeypatch, command):
    with ChatServer() as server:
        args = argv(command, tmp_path, server.url)

        def full(fd):
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr("recon.atomicio.os.fsync", full)
        assert main(args) == 3
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert len([x for x in err.splitlines() if x.startswith("recon: error:")]) == 1


@pytest.mark.parametrize("command", COMMANDS)
def test_an_interrupt_exits_130(tmp_path, capsys, monkeypatch, command):
    with ChatServer() as server:
        args = argv(command, tmp_path, server.url)

        def interrupted(self, *a, **k):
            raise KeyboardInterrupt
        monkeypatch.setattr(CachedBackend, "_run", interrupted)
        if command == "evaluate":
            monkeypatch.setattr(HashEmbedder, "cosine", interrupted)
        assert main(args) == 130


def test_the_rule_is_stated_in_recon_help():
    text = build_parser().format_help()
    for code, words in (("0", "done"), ("1", "failed"), ("2", "bad input"), ("3", "runtime error"),
                        ("130", "interrupted")):
        assert f"{code} " in text and words in text
