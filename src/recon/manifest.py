"""Manifests written beside every stage output: what made it, from what, at what cost.

    >>> m = build_manifest("synthesize", {"method": "backward"}, fingerprints=[{"kind": "fake"}],
    ...                    counts={"written": 3})
    >>> sorted(m)[:3], len(m["config_hash"])
    (['config', 'config_hash', 'cost'], 16)
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import recon
from recon.hashing import content_hash


def git_sha() -> str | None:
    """The checkout's commit, when recon runs from a git working tree (else None)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def build_manifest(stage: str, config: dict[str, Any], *, fingerprints: list[dict[str, Any]],
                   counts: dict[str, int], cost: dict[str, Any] | None = None,
                   inputs: list[str] | None = None) -> dict[str, Any]:
    return {
        "stage": stage,
        "config": config,
        "config_hash": content_hash(config, tag="config", length=16),
        "recon_version": recon.__version__,
        "git_sha": git_sha(),
        "fingerprints": fingerprints,
        "inputs": inputs or [],
        "counts": counts,
        "cost": cost or {},
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
