"""The leakage guard against adversarial traces of the development corpora, and its flag rate on honest
forward and backward traces of the embedded model: a thin wrapper around `recon bench leakage`.

Every LM call goes through the cache in $RECON_HOME, so a re-run costs nothing.

    RECON_HOME=/tmp/home .venv/bin/python benchmarks/bench_leakage.py [--forward-pairs 20] [--backward-pairs 4]
"""

from __future__ import annotations

import sys
from pathlib import Path

from recon.cli.main import main

SHARED = Path(__file__).resolve().parents[2] / "shared/data"

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--data" not in args:
        if not SHARED.is_dir():
            print(f"skipped: the shared development data is not under {SHARED} (pass --data DIR)")
            raise SystemExit(0)
        args += ["--data", str(SHARED)]
    raise SystemExit(main(["bench", "leakage", *args]))
