"""SIGTERM is handled like Ctrl-C: a real `recon synthesize` subprocess on the fake backend, signalled once it
has cached some results, says in one line that finished calls are cached and exits 143; the re-run pays only
for the rest."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

from tests.conftest import write_lines


def cached(db) -> int:
    try:
        with sqlite3.connect(db, timeout=30) as conn:
            return conn.execute("SELECT COUNT(*) FROM cache").fetchone()[0]
    except sqlite3.OperationalError:                 # not created yet
        return 0


def test_sigterm_exits_143_with_one_line_and_the_finished_calls_cached(tmp_path, recon_home):
    n = 40
    data = write_lines(tmp_path / "p.jsonl", [json.dumps({
        "id": f"a:{i}", "domain": "d", "individual": "Ann", "conversation_id": f"c{i}", "turn_index": 1,
        "context": [{"speaker": "Bob", "text": f"Should the town fund project {i}?"}],
        "action": f"I would fund project {i}.", "meta": {}}) for i in range(n)])
    out = tmp_path / "t.jsonl"
    cmd = [sys.executable, "-m", "recon.cli.main", "synthesize", "--data", str(data), "--method", "backward",
           "--model", "fake", "--out", str(out)]
    env = os.environ | {"RECON_HOME": str(recon_home), "RECON_FAKE_DELAY": "0.05"}
    db = recon_home / "recon.sqlite3"
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while cached(db) < 2:
        assert proc.poll() is None, "the command ended before it could be signalled"
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    [line] = [x for x in err.splitlines() if x.startswith("recon:")]
    assert "terminated" in line and "cached" in line
    assert not out.exists()
    finished = cached(db)
    assert 2 <= finished < n

    again = subprocess.run(cmd, env=env | {"RECON_FAKE_DELAY": "0"}, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(db) as conn:
        run = conn.execute("SELECT run FROM calls ORDER BY id DESC LIMIT 1").fetchone()[0]
        hits = conn.execute("SELECT SUM(cache_hit) FROM calls WHERE run = ?", (run,)).fetchone()[0]
    assert hits == finished
