"""Where a result came from: the checkout's git commit (manifests, stage records and the report's setup).

    >>> sha = git_sha()
    >>> sha is None or len(sha) == 40
    True
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_sha() -> str | None:
    """The checkout's commit, when recon runs from a git working tree (else None)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
