"""Where recon keeps things: its home (the database), converted models, the manifest beside an output, and
the metadata file a trained checkpoint carries.

    >>> manifest_path(Path("runs/x/traces.jsonl")).name
    'traces.jsonl.manifest.json'
"""

from __future__ import annotations

import os
from pathlib import Path


def recon_home() -> Path:
    """$RECON_HOME, or ~/.recon."""
    return Path(os.environ.get("RECON_HOME") or Path.home() / ".recon")


def default_db_path() -> Path:
    """The one SQLite database of the cache and the call log."""
    return recon_home() / "recon.sqlite3"


def models_home() -> Path:
    """Where converted models live: $RECON_MODELS, or $RECON_HOME/models."""
    return Path(os.environ.get("RECON_MODELS") or recon_home() / "models")


def private_folder(folder: str | Path) -> Path:
    """Create `folder` 0700, and its missing parents: 0700 from `$RECON_HOME` down (it holds prompts, outputs
    and models), as usual above it. Folders that already exist keep their mode.

    >>> import tempfile; base = Path(tempfile.mkdtemp())
    >>> oct(private_folder(base / "a" / "b").stat().st_mode & 0o777)
    '0o700'
    """
    folder = Path(folder).absolute()
    home = recon_home().absolute()
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for path in reversed(missing):
        private = path == folder or path == home or home in path.parents
        try:
            path.mkdir(mode=0o700 if private else 0o777)
        except FileExistsError:                     # made by another process meanwhile
            pass
    return folder


def manifest_path(out: str | Path) -> Path:
    """The manifest written beside a stage output: `OUT.manifest.json`."""
    out = Path(out)
    return out.with_name(out.name + ".manifest.json")


SFT_META = "recon_sft.json"      # in an SFT checkpoint: config, method, base fingerprint, training pairs, losses
GRPO_META = "recon_grpo.json"    # in a GRPO policy folder: config, reward, training pairs, steps
