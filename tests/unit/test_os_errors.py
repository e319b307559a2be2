"""OS errors are one-line errors naming the path, not tracebacks: an unreadable input is bad input (exit 2),
a full disk or a read-only output folder is a runtime error (exit 3) that leaves no partial file and says a
re-run takes the finished LM work from the cache. The errors are simulated by patching the open or write
(as root, which CI runs as, permissions never fail)."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import tempfile
from pathlib import Path

import pytest
import yaml

import recon.method.embeddings
from recon.cli.bench_cmd import write_corpus
from recon.cli.main import main
from recon.method.embeddings import HashEmbedder
from tests.conftest import write_lines

PAIR = {"id": "a:1", "domain": "d", "individual": "Ann", "conversation_id": "c1", "turn_index": 1,
        "context": [{"speaker": "Bob", "text": "Why?"}], "action": "Because.", "meta": {}}


def pairs_file(tmp_path: Path, n: int = 3) -> Path:
    return write_lines(tmp_path / "pairs.jsonl", [json.dumps(PAIR | {"id": f"a:{i}", "conversation_id": f"c{i}",
                                                                     "action": f"Because {i}."}) for i in range(n)])


def refuse_open(monkeypatch, victim: Path, exc: OSError) -> None:
    real = Path.open

    def fake_open(self, *args, **kwargs):
        if Path(self) == victim:
            raise exc
        return real(self, *args, **kwargs)
    monkeypatch.setattr(Path, "open", fake_open)


def one_line(err: str) -> str:
    """The error: one line (progress bars may precede it on stderr), no traceback."""
    assert "Traceback" not in err
    lines = [x for x in err.splitlines() if x.startswith("recon: error:")]
    assert len(lines) == 1 and err.rstrip().endswith(lines[0]), err
    return lines[0]


def backend_calls(home: Path) -> int:
    return sqlite3.connect(home / "recon.sqlite3").execute(
        "SELECT COUNT(*) FROM calls WHERE cache_hit = 0").fetchone()[0]


def test_an_unreadable_input_is_bad_input_naming_the_path(tmp_path, capsys, monkeypatch):
    data = pairs_file(tmp_path)
    refuse_open(monkeypatch, data, PermissionError(errno.EACCES, "Permission denied", str(data)))
    out = tmp_path / "t.jsonl"
    assert main(["synthesize", "--data", str(data), "--method", "backward", "--dry-run", "--out", str(out)]) == 2
    line = one_line(capsys.readouterr().err)
    assert str(data) in line and "ermission denied" in line and not out.exists()


def test_an_unreadable_run_config_is_bad_input(tmp_path, capsys, monkeypatch):
    path = tmp_path / "run.yaml"
    path.write_text("name: x\n")
    refuse_open(monkeypatch, path, PermissionError(errno.EACCES, "Permission denied", str(path)))
    assert main(["run", str(path)]) == 2
    assert str(path) in one_line(capsys.readouterr().err)


def no_leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def test_a_full_disk_is_a_runtime_error_with_no_partial_file_and_the_work_cached(tmp_path, capsys, monkeypatch,
                                                                                   recon_home):
    data = pairs_file(tmp_path)
    out = tmp_path / "t.jsonl"
    args = ["synthesize", "--data", str(data), "--method", "backward", "--dry-run", "--out", str(out)]

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    with monkeypatch.context() as m:
        m.setattr("recon.atomicio.os.fsync", full)
        assert main(args) == 3
    line = one_line(capsys.readouterr().err)
    assert str(out) in line and "No space left on device" in line and "cache" in line
    assert not out.exists() and not no_leftovers(tmp_path)
    paid = backend_calls(recon_home)
    assert paid == 3
    assert main(args) == 0 and out.is_file()
    assert backend_calls(recon_home) == paid                      # the re-run took everything from the cache


def test_an_output_folder_made_read_only_mid_run_keeps_the_finished_work(tmp_path, capsys, monkeypatch,
                                                                          recon_home):
    monkeypatch.setattr(recon.method.embeddings, "Embedder", HashEmbedder)
    data = tmp_path / "data"
    write_corpus(data, individuals=2, pairs=4, seed=0, test_fraction=1 / 3)
    config = data / "run.yaml"
    config.write_text(yaml.safe_dump({
        "name": "ro", "data": {"train": ["train.jsonl"], "test": ["test.jsonl"]},
        "models": {"synthesizer": "fake", "user_model": "fake", "judge": "embedding"},
        "methods": ["none", "backward"], "user_model": {"kind": "icl", "k": 1}, "out": str(tmp_path / "run")}))
    locked = tmp_path / "run" / "preds"
    real = tempfile.mkstemp

    def read_only(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))
        return real(*args, dir=dir, **kwargs)
    with monkeypatch.context() as m:
        m.setattr("recon.atomicio.tempfile.mkstemp", read_only)
        assert main(["run", str(config)]) == 3
    line = one_line(capsys.readouterr().err)
    assert str(locked) in line and "Permission denied" in line and "cache" in line
    assert not no_leftovers(tmp_path / "run")
    db = sqlite3.connect(recon_home / "recon.sqlite3")
    first = db.execute("SELECT run FROM calls ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert db.execute("SELECT COUNT(*) FROM calls WHERE run = ? AND stage LIKE 'predict:none%'",
                      (first,)).fetchone()[0] > 0              # the failed stage had done its LM work
    assert main(["run", str(config)]) == 0
    last = db.execute("SELECT run FROM calls ORDER BY id DESC LIMIT 1").fetchone()[0]
    rerun = db.execute("SELECT stage, cache_hit FROM calls WHERE run = ?", (last,)).fetchall()
    assert not [s for s, hit in rerun if s.startswith("synthesize")]          # finished stage: skipped
    assert all(hit for s, hit in rerun if s.startswith("predict:none"))       # its work came from the cache


def test_overwriting_an_output_keeps_its_mode(tmp_path):
    from recon.atomicio import write_jsonl_atomic
    out = tmp_path / "t.jsonl"
    write_jsonl_atomic(out, [{"a": 1}])
    os.chmod(out, 0o600)
    write_jsonl_atomic(out, [{"a": 2}])
    assert (os.stat(out).st_mode & 0o777) == 0o600 and json.loads(out.read_text()) == {"a": 2}


def test_a_symlinked_output_is_followed_the_link_stays(tmp_path):
    from recon.atomicio import write_jsonl_atomic
    target = tmp_path / "real" / "t.jsonl"
    target.parent.mkdir()
    target.write_text("old\n")
    link = tmp_path / "latest.jsonl"
    link.symlink_to(target)
    write_jsonl_atomic(link, [{"a": 2}])
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text()) == {"a": 2}
    assert not no_leftovers(tmp_path)


@pytest.mark.parametrize("fail", ["mkstemp", "replace"])
def test_a_failed_write_never_leaves_a_temporary_file(tmp_path, monkeypatch, fail):
    from recon.atomicio import write_json_atomic
    from recon.errors import OutputError

    def boom(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(f"recon.atomicio.{'tempfile' if fail == 'mkstemp' else 'os'}.{fail}", boom)
    with pytest.raises(OutputError, match="Read-only file system"):
        write_json_atomic(tmp_path / "x.json", {"a": 1})
    assert list(tmp_path.iterdir()) == []
