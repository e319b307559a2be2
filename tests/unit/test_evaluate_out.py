"""`recon evaluate --out`: a non-empty folder it did not write is refused, and the folder is replaced as a
whole set, so a failure part-way leaves the previous complete set; files it does not write are kept."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

import recon.method.embeddings
from recon.cli.main import main
from recon.method.embeddings import HashEmbedder
from recon.types import Example, Turn


@pytest.fixture(autouse=True)
def hash_embedder(monkeypatch):
    monkeypatch.setattr(recon.method.embeddings, "Embedder", HashEmbedder)   # no MiniLM in the fast suite


def inputs(tmp_path: Path) -> list[str]:
    test = [Example(id=f"p{i}", domain="d", individual="Ann", conversation_id=f"c{i}", turn_index=1,
                    context=(Turn("Bob", f"Why {i}?"),), action=f"We fund the library in case {i}.")
            for i in range(8)]
    (tmp_path / "test.jsonl").write_text("".join(json.dumps(e.to_json()) + "\n" for e in test))
    (tmp_path / "a.jsonl").write_text("".join(json.dumps({"id": e.id, "action": e.action}) + "\n" for e in test))
    (tmp_path / "b.jsonl").write_text("".join(json.dumps({"id": e.id, "action": "No."}) + "\n" for e in test))
    return ["evaluate", "--test", str(tmp_path / "test.jsonl"), "--pred", f"a={tmp_path / 'a.jsonl'}",
            "--pred", f"b={tmp_path / 'b.jsonl'}"]


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_non_empty_folder_it_did_not_write_is_refused(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes\n")
    assert main(inputs(tmp_path) + ["--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(out) in err and "results.json" in err
    assert files(out) == {"notes.txt": b"my notes\n"}


def test_an_empty_folder_is_taken(tmp_path):
    (tmp_path / "eval").mkdir()
    assert main(inputs(tmp_path) + ["--out", str(tmp_path / "eval")]) == 0
    assert {"results.json", "judgments.jsonl", "report.md", "report.html"} <= set(files(tmp_path / "eval"))


def test_a_failure_in_a_late_write_leaves_the_previous_complete_set(tmp_path, monkeypatch):
    argv = inputs(tmp_path) + ["--out", str(tmp_path / "eval")]
    assert main(argv + ["--seed", "0"]) == 0
    before = files(tmp_path / "eval")
    import recon.evaluation.report as report
    real = report.atomic_writer

    def full_disk_at_the_html(path, mode="w"):
        if Path(path).name == "report.html":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, mode)
    monkeypatch.setattr(report, "atomic_writer", full_disk_at_the_html)
    assert main(argv + ["--seed", "1"]) == 3                   # another seed: other intervals, if it got that far
    assert files(tmp_path / "eval") == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []   # no temporary folder left


def test_files_it_does_not_write_stay_when_the_set_is_replaced(tmp_path):
    argv = inputs(tmp_path) + ["--out", str(tmp_path / "eval")]
    assert main(argv) == 0
    (tmp_path / "eval" / "human_key.json").write_text('{"items": {}}\n')
    (tmp_path / "eval" / "plots" / "stale.png").write_bytes(b"old plot")
    assert main(argv + ["--seed", "1"]) == 0
    after = files(tmp_path / "eval")
    assert after["human_key.json"] == b'{"items": {}}\n' and "plots/stale.png" not in after
