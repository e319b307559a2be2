"""Models and datasets on the Hugging Face Hub, by id: `ORG/NAME[@REVISION]`, found in the Hugging Face cache or
downloaded into it by `huggingface_hub.snapshot_download`, which honours `HF_HUB_OFFLINE`, `HF_HUB_CACHE` and
`HF_TOKEN`. recon never sets any of them. A snapshot is named by its commit hash, which fingerprints and
setup blocks record. An offline miss is one line naming the id and the command that fetches it.

    >>> parse_hub_ref("HuggingFaceTB/SmolLM2-135M-Instruct@main")
    HubRef(repo_id='HuggingFaceTB/SmolLM2-135M-Instruct', revision='main')
    >>> parse_hub_ref("models/tiny.gguf") is None, parse_hub_ref("embedded") is None
    (True, True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from recon.errors import ConfigError

HUB_ID = re.compile(r"^(?P<repo>[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)(?:@(?P<rev>[\w./-]+))?$")
# what a transformers or sentence-transformers model needs; never code (`*.py`) or other weight formats
MODEL_FILES = ["*.json", "*.safetensors", "*.txt", "*.model", "*.jinja", "*.tiktoken", "1_Pooling/*",
               "2_Normalize/*"]
RepoType = Literal["model", "dataset"]


@dataclass(frozen=True)
class HubRef:
    repo_id: str
    revision: str | None = None

    def __str__(self) -> str:
        return f"{self.repo_id}@{self.revision}" if self.revision else self.repo_id


@dataclass(frozen=True)
class HubSnapshot:
    """A repository's files at one commit, in the local Hugging Face cache."""

    ref: HubRef
    commit: str
    path: Path

    def record(self) -> dict:
        """What fingerprints and setup blocks keep: the id, the revision asked for and the commit it resolved to."""
        return {"hub": self.ref.repo_id, "revision": self.ref.revision or "main", "commit": self.commit}


def parse_hub_ref(text: str) -> HubRef | None:
    """`ORG/NAME[@REVISION]` as a HubRef; None for anything else, and for a path that exists here."""
    match = HUB_ID.match(text)
    if match is None or text.endswith((".gguf", ".jsonl", ".json", ".parquet", ".csv")):
        return None
    if Path(text).expanduser().exists() or Path(match["repo"]).expanduser().exists():
        return None
    return HubRef(match["repo"], match["rev"])


def fetch_command(ref: HubRef, repo_type: RepoType) -> str:
    """The shell command that puts a repository into the cache.

    >>> fetch_command(HubRef("org/data", "v1"), "dataset")
    'hf download org/data --repo-type dataset --revision v1'
    """
    kind = " --repo-type dataset" if repo_type == "dataset" else ""
    revision = f" --revision {ref.revision}" if ref.revision else ""
    return f"hf download {ref.repo_id}{kind}{revision}"


def hub_snapshot(ref: HubRef, repo_type: RepoType = "model", allow_patterns: list[str] | None = None) -> HubSnapshot:
    """The cached snapshot of `ref` (downloaded first unless HF_HUB_OFFLINE is set); a ConfigError when it
    cannot be had."""
    try:
        import huggingface_hub
        from huggingface_hub import errors
    except ImportError:
        raise ConfigError(f"{ref} is a Hub id; loading it needs huggingface_hub: pip install 'recon[hf]'") from None
    what = "dataset" if repo_type == "dataset" else "model"
    try:
        path = Path(huggingface_hub.snapshot_download(ref.repo_id, revision=ref.revision, repo_type=repo_type,
                                                      allow_patterns=allow_patterns))
    except errors.RevisionNotFoundError:
        raise ConfigError(f"{what} {ref.repo_id} has no revision {ref.revision!r} on the Hub") from None
    except (errors.RepositoryNotFoundError, errors.GatedRepoError):
        raise ConfigError(f"{what} {ref.repo_id} is not on the Hub, or is private or gated: check the id, or "
                          "log in with `hf auth login`") from None
    except (errors.LocalEntryNotFoundError, errors.OfflineModeIsEnabled):
        offline = huggingface_hub.constants.HF_HUB_OFFLINE
        why = "HF_HUB_OFFLINE is set" if offline else "the Hub cannot be reached"
        raise ConfigError(f"{what} {ref} is not in the Hugging Face cache and {why}: fetch it with "
                          f"`{fetch_command(ref, repo_type)}`") from None
    return HubSnapshot(ref=ref, commit=path.name, path=path)
