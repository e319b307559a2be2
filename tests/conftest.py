"""Shared fixtures. Every test gets its own RECON_HOME, so no test touches ~/.recon, and its own empty Hugging
Face cache with the Hub offline, so nothing in the suite reaches a network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# before any Hugging Face library is imported: huggingface_hub reads it once, at import
os.environ["HF_HUB_OFFLINE"] = "1"

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("RECON_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def models_home(tmp_path_factory) -> Path:
    """One folder of converted models (GGUF dequantised for transformers) for the whole test session."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def recon_home(tmp_path_factory, monkeypatch, models_home) -> Path:
    home = tmp_path_factory.mktemp("recon_home")
    monkeypatch.setenv("RECON_HOME", str(home))
    monkeypatch.setenv("RECON_MODELS", str(models_home))
    return home


@pytest.fixture(autouse=True)
def offline_hub(tmp_path_factory, monkeypatch) -> Path:
    """An empty Hugging Face cache of the test's own, read offline (tests/hub_cache.py fills it)."""
    cache = tmp_path_factory.mktemp("hf_cache")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache / "hub"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache / "datasets"))
    import sys
    if "huggingface_hub" in sys.modules:        # read once at import: the test's cache and offline mode
        from huggingface_hub import constants
        monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache / "hub"))
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return cache / "hub"


@pytest.fixture
def shared_data() -> Path:
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"the shared development data is not at {SHARED_DATA} (set RECON_SHARED_DATA)")
    return SHARED_DATA


def write_lines(path: Path, lines: list[str | bytes]) -> Path:
    with path.open("wb") as f:
        for line in lines:
            f.write(line if isinstance(line, bytes) else line.encode("utf-8"))
            f.write(b"\n")
    return path


@pytest.fixture(autouse=True)
def no_remembered_secrets(monkeypatch):
    """Secrets a backend remembered for redaction stay with the test that made them: tests run in any order."""
    import recon.redaction
    monkeypatch.setattr(recon.redaction, "_remembered", set())
