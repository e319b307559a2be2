"""What a batch job sees: `recon run` on the fake backend with stderr piped (not a terminal) writes plain
progress lines while it works — a first line, one per step of the total, a last line — and leaves
`run.log` in its folder with timestamped stage starts and ends; `-q` leaves only what is not progress."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from recon.bench.corpus_files import write_corpus

CONFIG = {
    "name": "t", "data": {"train": ["train.jsonl"], "test": ["test.jsonl"]},
    "models": {"synthesizer": "fake", "user_model": "fake", "judge": "fake"},
    "methods": ["none", "backward"], "user_model": {"kind": "icl", "k": 2}, "judge": {"kind": "lm"},
}
PROGRESS = re.compile(r"^(?P<stage>[\w :-]+): (?P<done>\d+)/(?P<total>\d+) (?P<rest>.*)$")


def run(tmp_path: Path, home: Path, *flags: str) -> subprocess.CompletedProcess:
    data = tmp_path / "data"
    if not data.exists():
        write_corpus(data, individuals=2, pairs=12, seed=0, test_fraction=1 / 3)
    config = data / "run.yaml"
    config.write_text(yaml.safe_dump(CONFIG | {"out": str(tmp_path / "run")}))
    cmd = [sys.executable, "-m", "recon.cli.main", "run", str(config), *flags]
    env = os.environ | {"RECON_HOME": str(home)}
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)


def progress_lines(err: str) -> dict[str, list[re.Match]]:
    by_stage: dict[str, list[re.Match]] = {}
    for line in err.splitlines():
        m = PROGRESS.match(line)
        if m:
            by_stage.setdefault(m["stage"], []).append(m)
    return by_stage


def test_a_piped_run_prints_periodic_progress_lines_and_leaves_run_log(tmp_path, recon_home):
    err = run(tmp_path, recon_home, "--progress-interval", "3600", "--progress-percent", "25").stderr
    stages = progress_lines(err)
    assert {"synthesize backward", "predict none", "predict backward", "evaluate"} <= set(stages), err
    for stage, lines in stages.items():
        first, *middle, last = lines
        assert first["done"] == "0" and first["rest"] == "started", stage
        assert last["done"] == last["total"] and last["rest"].startswith("done in "), stage
        for m in middle:                          # periodic: between the first and the last, with rate and ETA
            assert 0 < int(m["done"]) < int(m["total"]) and re.search(r"elapsed \S+ rate \S+ ETA \S+", m["rest"])
    assert any(len(lines) > 2 for lines in stages.values()), err
    assert "\x1b[" not in err and "━" not in err                 # no terminal bar in a log

    log = (tmp_path / "run" / "run.log").read_text()
    stamp = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO recon\.run: "
    for stage in ("data", "synthesize:backward", "predict:none", "evaluate"):
        assert re.search(stamp + re.escape(f"{stage}: started"), log, re.M), log
        assert re.search(stamp + re.escape(f"{stage}: ran in "), log, re.M), log
    assert re.search(stamp + "run t finished", log, re.M), log

    again = run(tmp_path, recon_home, "-q")                       # unchanged: every stage skipped, quietly
    assert not progress_lines(again.stderr), again.stderr
    log = (tmp_path / "run" / "run.log").read_text()
    assert re.search(r"INFO recon\.run: evaluate: unchanged, skipped$", log, re.M), log
