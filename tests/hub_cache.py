"""A Hugging Face cache laid out the way the Hub client writes it, filled from local folders, so tests load
models and datasets by Hub id with the network off: the path a user with a warm cache takes.

    repo/
      blobs/<sha256>                   each file's bytes
      snapshots/<commit>/<file>        relative symlinks into blobs/
      refs/main                        the commit the branch points to

    >>> cache = Path(getfixture("tmp_path"))
    >>> src = cache / "src"; src.mkdir(); _ = (src / "config.json").write_text("{}")
    >>> commit = place_in_cache(cache / "hub", "org/tiny", src)
    >>> (cache / "hub" / "models--org--tiny" / "refs" / "main").read_text() == commit
    True
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def place_in_cache(cache: Path, repo_id: str, folder: Path, *, repo_type: str = "model",
                   ref: str = "main") -> str:
    """Copy `folder` into `cache` as repo `repo_id` at a commit named by its contents; return the commit."""
    storage = cache / f"{repo_type}s--{repo_id.replace('/', '--')}"
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    digest = hashlib.sha1()
    for path in files:
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    commit = digest.hexdigest()
    for path in files:
        data = path.read_bytes()
        blob = storage / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = storage / "snapshots" / commit / path.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (storage / "refs").mkdir(parents=True, exist_ok=True)
    (storage / "refs" / ref).write_text(commit)
    return commit
