"""SIGKILL `recon synthesize` half-way with the embedded model; the re-run completes the file and pays
for nothing twice (asserted from the call log and the cache)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from recon.data.corpus import load_examples

pytestmark = pytest.mark.slow


def count(db, sql, *params):
    try:
        with sqlite3.connect(db, timeout=30) as conn:
            return conn.execute(sql, params).fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def write_pairs(path, n):
    rows = [{"id": f"council:{i}", "domain": "council", "individual": "Ann", "conversation_id": f"c{i}",
             "turn_index": 1, "context": [{"speaker": "Bob", "text": f"Should the town fund project {i}?"}],
             "action": f"I would fund project {i} only if the library keeps its hours.", "meta": {}}
            for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_sigkill_then_rerun_pays_nothing_twice(tmp_path, recon_home):
    n = 6
    data = write_pairs(tmp_path / "pairs.jsonl", n)
    out = tmp_path / "traces.jsonl"
    cmd = [sys.executable, "-m", "recon.cli.main", "synthesize", "--data", str(data), "--method", "backward",
           "--limit", str(n), "--max-tokens", "48", "--out", str(out)]
    env = os.environ | {"RECON_HOME": str(recon_home)}
    db = recon_home / "recon.sqlite3"
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while count(db, "SELECT COUNT(*) FROM cache") < 2:
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()                                  # no half-written output
    finished = count(db, "SELECT COUNT(*) FROM cache")
    assert 2 <= finished < n
    done_keys = {k for (k,) in sqlite3.connect(db).execute("SELECT key FROM cache")}

    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert load_examples_ids(out) == [e.id for e in load_examples([data])][:n]   # complete, in input order
    with sqlite3.connect(db) as conn:
        run = conn.execute("SELECT run FROM calls ORDER BY id DESC LIMIT 1").fetchone()[0]
        rows = conn.execute("SELECT key, cache_hit FROM calls WHERE run = ?", (run,)).fetchall()
    assert len(rows) == n
    assert {k for k, hit in rows if hit} == done_keys            # every finished pair came from the cache
    assert sum(1 for _, hit in rows if not hit) == n - finished   # and only the rest reached the model
    assert not {k for k, hit in rows if not hit} & done_keys


def load_examples_ids(path):
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]
