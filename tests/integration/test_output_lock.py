"""One writer per output: while one process holds a run folder (or any command's --out), a second command on
it stops at once with exit 2 naming the holder's pid; a lock left by a killed process is taken over; two
concurrent runs of one config no longer both pay for the same LM calls."""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from recon.bench.corpus_files import write_corpus
from recon.cli.main import main
from tests.stub_server import ChatServer

RECON = ("import sys, recon.method.embeddings as e; e.Embedder = e.HashEmbedder  # no MiniLM in the fast suite\n"
         "from recon.cli.main import main; sys.exit(main(sys.argv[1:]))")
HOLDER = """
import sys
from recon.output_lock import hold_output
with hold_output(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.read()
"""


@contextmanager
def holder(path: Path):
    """A second process holding `path` until the block ends."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def corpus(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    write_corpus(data, individuals=2, pairs=6, seed=0, test_fraction=1 / 3)
    return data


def run_config(tmp_path: Path, synthesizer="fake") -> Path:
    data = corpus(tmp_path)
    cfg = {"name": "t", "data": {"train": ["train.jsonl"], "test": ["test.jsonl"]},
           "models": {"synthesizer": synthesizer, "user_model": "fake", "judge": "embedding"},
           "methods": ["none", "backward"], "user_model": {"kind": "icl", "k": 2},
           "compare": [["backward", "none"]], "out": str(tmp_path / "run")}
    path = data / "run.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def commands(tmp_path: Path) -> dict[str, tuple[list[str], Path]]:
    """Each command and the --out (or run folder) it writes."""
    data = corpus(tmp_path) / "train.jsonl"
    preds = tmp_path / "a.jsonl"
    preds.write_text('{"id": "x", "action": "yes"}\n')
    return {
        "run": (["run", str(run_config(tmp_path / "cfg"))], tmp_path / "cfg" / "run"),
        "synthesize": (["synthesize", "--data", str(data), "--method", "backward", "--dry-run", "--out",
                        str(tmp_path / "traces.jsonl")], tmp_path / "traces.jsonl"),
        "evaluate": (["evaluate", "--test", str(data), "--pred", f"a={preds}", "--pred", f"b={preds}", "--out",
                      str(tmp_path / "eval")], tmp_path / "eval"),
        "export": (["export", "--data", str(data), "--out", str(tmp_path / "export")], tmp_path / "export"),
    }


@pytest.mark.parametrize("name", ["run", "synthesize", "evaluate", "export"])
def test_a_second_writer_stops_at_once_naming_the_holder(tmp_path, recon_home, capsys, name):
    argv, out = commands(tmp_path)[name]
    with holder(out) as proc:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert f"pid {proc.pid}" in err and str(out) in err, err
        assert not out.exists()
    db = recon_home / "recon.sqlite3"
    assert not db.exists() or sqlite3.connect(db).execute("SELECT COUNT(*) FROM calls").fetchone()[0] == 0


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path, capsys):
    argv, out = commands(tmp_path)["synthesize"]
    with holder(out) as proc:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    from recon.output_lock import lock_path
    assert lock_path(out).read_text().strip() == str(proc.pid)          # the dead holder's file is still there
    assert main(argv) == 0 and out.is_file()
    assert f"pid {proc.pid}" in capsys.readouterr().err                 # it says whose lock it took over
    assert not lock_path(out).exists()                                  # released when the command ended


def test_without_flock_the_command_runs_and_warns(tmp_path, monkeypatch, capsys):
    import fcntl

    def no_flock(fd, op):
        raise OSError(errno.ENOLCK, "No locks available")
    monkeypatch.setattr(fcntl, "flock", no_flock)
    argv, out = commands(tmp_path)["synthesize"]
    assert main(argv) == 0 and out.is_file()
    assert "cannot lock" in capsys.readouterr().err


def test_a_folder_where_no_lock_file_can_be_made_still_takes_the_output(tmp_path, monkeypatch, capsys):
    from recon.output_lock import lock_path
    argv, out = commands(tmp_path)["synthesize"]
    real = os.open

    def read_only_for_the_lock(path, *args, **kwargs):
        if Path(path) == lock_path(out):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *args, **kwargs)
    monkeypatch.setattr(os, "open", read_only_for_the_lock)
    assert main(argv) == 0 and out.is_file()
    assert "cannot lock" in capsys.readouterr().err


def test_two_concurrent_runs_of_one_config_do_not_both_pay(tmp_path, recon_home):
    """The first run's first LM call is held at the server; a second run starts meanwhile. Without a lock it
    ran the whole experiment, paying again for the call the first one was waiting on."""
    second_started = threading.Event()
    release = threading.Event()

    def text(prompt: str) -> str:
        if not second_started.is_set():
            release.wait(60)                     # the first run's call waits while the second run tries
        return "They weigh the cost against the benefit."
    with ChatServer(text=text) as server:
        config = run_config(tmp_path, {"spec": f"openai:m@{server.url}", "concurrency": 1})
        env = os.environ | {"RECON_HOME": str(recon_home)}
        cmd = [sys.executable, "-c", RECON, "run", str(config)]
        first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        while not server.prompts:
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            time.sleep(0.02)
        second_started.set()
        second = subprocess.run(cmd, env=env, capture_output=True, text=True)
        release.set()
        assert first.wait() == 0
    assert second.returncode == 2 and f"pid {first.pid}" in second.stderr, second.stderr
    pairs = len((config.parent / "train.jsonl").read_text().splitlines())
    assert len(server.prompts) == len(set(server.prompts)) == pairs       # each training pair's call, once
