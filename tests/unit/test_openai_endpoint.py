"""Which endpoint `openai:MODEL` talks to: `@URL` first, then OPENAI_BASE_URL, then the public OpenAI API."""

from __future__ import annotations

import pytest

from recon.backends.registry import build_backend
from recon.config import BackendConfig
from recon.errors import ConfigError


def test_without_a_url_or_variable_the_public_openai_endpoint_is_used(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    backend = build_backend(BackendConfig(spec="openai:gpt-5-mini"))
    assert (backend.model, backend.base_url) == ("gpt-5-mini", "https://api.openai.com/v1")


def test_openai_base_url_is_read_when_the_spec_names_no_url(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:30000/v1/")
    backend = build_backend(BackendConfig(spec="openai:qwen3-8b"))
    assert backend.base_url == "http://127.0.0.1:30000/v1"
    assert backend.fingerprint.extra["server"] == "http://127.0.0.1:30000/v1"


def test_an_explicit_url_overrides_the_variable(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:30000/v1")
    backend = build_backend(BackendConfig(spec="openai:qwen3-8b@http://gpu-box:8000/v1"))
    assert backend.base_url == "http://gpu-box:8000/v1"


def test_a_variable_that_is_not_a_url_is_refused_naming_it(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "localhost:8000")
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL"):
        build_backend(BackendConfig(spec="openai:qwen3-8b"))
