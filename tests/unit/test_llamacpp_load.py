"""llama.cpp models load with extra buffer types (repacked / AMX weights) off unless `cpu_repack` asks for
them, for the embedded backend, any GGUF, and the llama.cpp server the contract tests start."""

from __future__ import annotations

import runpy
import sys

import pytest

llama_cpp = pytest.importorskip("llama_cpp")

from recon.backends import llamacpp_serve  # noqa: E402
from recon.backends.llamacpp import LlamaCppBackend, embedded_gguf_path  # noqa: E402
from recon.backends.registry import build_backend  # noqa: E402
from recon.config import BackendConfig  # noqa: E402


def extra_bufts_now() -> bool:
    return bool(llama_cpp.llama_cpp.llama_model_default_params().use_extra_bufts)


class RecordingLlama:
    """Stands in for llama_cpp.Llama: records what a model load would have been given."""
    loads: list[dict] = []

    def __init__(self, **kwargs):
        RecordingLlama.loads.append({**kwargs, "use_extra_bufts": extra_bufts_now()})


@pytest.fixture
def loads(monkeypatch):
    RecordingLlama.loads = []
    monkeypatch.setattr(llama_cpp, "Llama", RecordingLlama)
    monkeypatch.setattr(LlamaCppBackend, "preflight", lambda self, op="generate": None)
    return RecordingLlama.loads


def test_the_library_default_would_take_the_extra_buffer_path():
    assert extra_bufts_now() is True       # what recon turns off: the default of llama.cpp itself


def test_embedded_backend_loads_without_extra_buffer_types(loads):
    backend = LlamaCppBackend()
    assert backend.generator is not None and backend.scorer is not None
    assert [load["use_extra_bufts"] for load in loads] == [False, False]
    assert extra_bufts_now() is True       # the library default is restored after loading


def test_any_gguf_loads_without_extra_buffer_types_unless_cpu_repack(loads, tmp_path):
    gguf = tmp_path / "model.Q4_0.gguf"
    gguf.write_bytes(embedded_gguf_path().read_bytes()[: 1 << 21])
    assert build_backend(BackendConfig(spec=f"llamacpp:{gguf}")).generator is not None
    assert build_backend(BackendConfig(spec=f"llamacpp:{gguf}", cpu_repack=True)).generator is not None
    assert [load["use_extra_bufts"] for load in loads] == [False, True]


def test_cpu_repack_enters_the_fingerprint_only_when_on():
    off = build_backend(BackendConfig(spec="embedded")).fingerprint.to_json()
    on = build_backend(BackendConfig(spec="embedded", cpu_repack=True)).fingerprint.to_json()
    assert "cpu_repack" not in off["extra"]
    assert on["extra"]["cpu_repack"] is True


def test_threads_default_to_physical_cores_and_follow_the_config(loads, monkeypatch):
    import recon.backends.llamacpp as module
    monkeypatch.setattr(module, "physical_cores", lambda: 3)
    assert build_backend(BackendConfig(spec="embedded")).generator is not None
    assert build_backend(BackendConfig(spec="embedded", n_threads=5)).generator is not None
    assert [(load["n_threads"], load["n_threads_batch"]) for load in loads] == [(3, 3), (5, 5)]


def test_the_server_wrapper_loads_without_extra_buffer_types(monkeypatch):
    seen = []
    monkeypatch.setattr(runpy, "run_module", lambda name, **kw: seen.append((name, sys.argv[1:], extra_bufts_now())))
    monkeypatch.setattr(sys, "argv", ["x", "--model", "m.gguf", "--port", "1"])
    llamacpp_serve.main()
    monkeypatch.setattr(sys, "argv", ["x", "--cpu-repack", "--model", "m.gguf"])
    llamacpp_serve.main()
    assert seen == [("llama_cpp.server", ["--model", "m.gguf", "--port", "1"], False),
                    ("llama_cpp.server", ["--model", "m.gguf"], True)]
