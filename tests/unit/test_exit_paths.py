"""Exit codes say what happened: a bug is exit 3 with one line (the traceback under --debug), a full disk is
named as one (the cache database or an output), and the cache database is private to its user."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import stat
import subprocess

import pytest

from recon.cli.main import main
from recon.store.db import Database
from tests.conftest import write_lines

PAIR = {"id": "a:1", "domain": "d", "individual": "Ann", "conversation_id": "c1", "turn_index": 1,
        "context": [{"speaker": "Bob", "text": "Why?"}], "action": "Because.", "meta": {}}


def pairs(tmp_path, n=3, words=1):
    return write_lines(tmp_path / "p.jsonl", [json.dumps(PAIR | {"id": f"a:{i}", "conversation_id": f"c{i}",
                                                                 "action": f"Because {i}. " * words})
                                              for i in range(n)])


def error_lines(err: str, prefix: str = "recon: ") -> list[str]:
    return [x for x in err.splitlines() if x.startswith(prefix)]


def boom(*args, **kwargs):
    raise ValueError("boom\nsecond line")


def test_an_unexpected_exception_is_exit_3_with_one_line_and_a_hint(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("recon.cli.data_cmd.corpus_stats", boom)
    assert main(["data", "stats", "--data", str(pairs(tmp_path))]) == 3
    err = capsys.readouterr().err
    [line] = err.strip().splitlines()
    assert line.startswith("recon: internal error: ValueError: boom second line") and "re-run with --debug" in line


def test_debug_prints_the_traceback(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("recon.cli.data_cmd.corpus_stats", boom)
    assert main(["--debug", "data", "stats", "--data", str(pairs(tmp_path))]) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "in boom" in err
    assert "recon: internal error: ValueError: boom second line" in err


def test_a_failed_write_surfaces_sqlite_full_not_a_failed_rollback(tmp_path):
    db = Database(tmp_path / "home" / "recon.sqlite3")
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    rows = [(str(i), "generate", "{}", "x" * 5000, 0.0) for i in range(20)]
    with pytest.raises(sqlite3.OperationalError) as caught:
        db.write([("INSERT INTO cache (key, op, fingerprint, payload, created) VALUES (?, ?, ?, ?, ?)", rows)])
    assert caught.value.sqlite_errorcode == sqlite3.SQLITE_FULL
    assert not db.conn.in_transaction
    assert db.execute("SELECT COUNT(*) FROM cache").fetchone()[0] == 0


def one_error(err: str) -> str:
    assert "Traceback" not in err
    [line] = error_lines(err, "recon: error:")
    return line


def test_a_full_cache_database_is_named_disk_full_with_its_folder(tmp_path, capsys, monkeypatch, recon_home):
    real_init = Database.__init__

    def tiny(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        pages = self.conn.execute("PRAGMA page_count").fetchone()[0]
        self.conn.execute(f"PRAGMA max_page_count = {pages}")
    monkeypatch.setattr(Database, "__init__", tiny)
    out = tmp_path / "t.jsonl"
    assert main(["synthesize", "--data", str(pairs(tmp_path, n=40, words=60)), "--method", "backward",
                 "--dry-run", "--out", str(out)]) == 3
    line = one_error(capsys.readouterr().err)
    assert "disk full" in line and str(recon_home) in line and "cannot rollback" not in line
    assert not out.exists()


def test_a_full_disk_under_an_output_is_named_disk_full_with_its_folder(tmp_path, capsys, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr("recon.atomicio.os.fsync", full)
    out = tmp_path / "outs" / "t.jsonl"
    assert main(["synthesize", "--data", str(pairs(tmp_path)), "--method", "backward", "--dry-run",
                 "--out", str(out)]) == 3
    line = one_error(capsys.readouterr().err)
    assert "disk full" in line and str(out.parent) in line and str(out) in line


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A 256 KiB tmpfs (root only; skipped where mounting is not allowed)."""
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_really_full_disk_under_recon_home_is_named_disk_full(tmp_path, tiny_tmpfs, capsys, monkeypatch):
    home = tiny_tmpfs / "home"
    monkeypatch.setenv("RECON_HOME", str(home))
    out = tmp_path / "t.jsonl"
    assert main(["synthesize", "--data", str(pairs(tmp_path, n=200, words=80)), "--method", "backward",
                 "--dry-run", "--out", str(out)]) == 3
    line = one_error(capsys.readouterr().err)
    assert "disk full" in line and str(home) in line and "cannot rollback" not in line


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_cache_database_and_a_home_recon_creates_are_private(tmp_path, monkeypatch):
    old = os.umask(0o022)
    try:
        home = tmp_path / "new" / "home"
        monkeypatch.setenv("RECON_HOME", str(home))
        db = Database()
        db.write([("INSERT INTO calls (ts, run, stage, op, backend, model, cache_hit) VALUES (0, 'r', 's', 'g', "
                   "'fake', 'm', 0)", [()])])
        files = [db.path, db.path.with_name(db.path.name + "-wal"), db.path.with_name(db.path.name + "-shm")]
        assert all(p.is_file() for p in files)
        assert mode(home) == 0o700 and [mode(p) for p in files] == [0o600] * 3
        assert mode(home.parent) == 0o755                      # only the home itself is made private
    finally:
        os.umask(old)


def test_an_existing_home_keeps_its_mode_and_an_old_database_is_made_private(tmp_path, monkeypatch):
    home = tmp_path / "shared"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    path = home / "recon.sqlite3"
    sqlite3.connect(path).close()
    os.chmod(path, 0o644)
    Database(path).close()
    assert mode(home) == 0o755 and mode(path) == 0o600


def test_recon_help_states_143_and_the_debug_flag():
    from recon.cli.main import build_parser
    text = build_parser().format_help()
    assert "143  terminated (SIGTERM)" in text and "--debug" in text and "internal error" in text


def test_a_models_folder_made_under_a_new_home_keeps_the_home_private(tmp_path, monkeypatch):
    from recon.paths import models_home, private_folder
    monkeypatch.setenv("RECON_HOME", str(tmp_path / "outer" / "home"))
    monkeypatch.delenv("RECON_MODELS", raising=False)
    private_folder(models_home() / "converted")
    mode = lambda p: p.stat().st_mode & 0o777                    # noqa: E731
    assert [mode(tmp_path / "outer" / "home"), mode(models_home()), mode(models_home() / "converted")] == [0o700] * 3
    assert mode(tmp_path / "outer") == 0o755
