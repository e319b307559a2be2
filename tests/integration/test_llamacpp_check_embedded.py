"""The child-process check on the real embedded model: it passes, is remembered, and the model then
generates in this process with extra buffer types off."""

from __future__ import annotations

import pytest

pytest.importorskip("llama_cpp")

from recon.backends import llamacpp_check  # noqa: E402
from recon.backends.base import GenRequest, Message  # noqa: E402
from recon.backends.llamacpp import LlamaCppBackend  # noqa: E402


@pytest.mark.slow
def test_the_embedded_model_passes_the_check_once_and_then_generates(recon_home, monkeypatch):
    monkeypatch.setattr(llamacpp_check, "_passed", set())
    backend = LlamaCppBackend()
    backend.preflight("generate")
    assert len(list((recon_home / "checks").glob("llamacpp-*.json"))) == 1
    monkeypatch.setattr(llamacpp_check, "_passed", set())
    monkeypatch.setattr(llamacpp_check, "run_child", lambda *a, **k: pytest.fail("checked twice"))
    [out] = backend.generate([GenRequest(messages=(Message("user", "Hello, my name is"),), max_tokens=8)])
    assert out.text.strip()
    assert backend.generator.model_params.use_extra_bufts is False
    backend.close()
