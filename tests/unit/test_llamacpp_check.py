"""A llama.cpp backend is loaded once in a child process before recon loads it itself: a native crash stops
the command with one line naming the backend, the CPU's features and the `cpu_repack` switch (exit 2), and a
pass is remembered per model file, switch, library version and CPU."""

from __future__ import annotations

import json
import subprocess

import pytest

pytest.importorskip("llama_cpp")

from recon.backends import llamacpp_check  # noqa: E402
from recon.backends.llamacpp import LlamaCppBackend, embedded_gguf_path  # noqa: E402
from recon.cli.main import main  # noqa: E402
from recon.config import RunConfig  # noqa: E402
from recon.errors import ConfigError  # noqa: E402
from recon.run.checks import check_backends  # noqa: E402
from tests.conftest import write_lines  # noqa: E402

AMX_HOST = ("amx_bf16", "amx_int8", "amx_tile", "avx2", "avx512f")


@pytest.fixture
def crashing_child(monkeypatch):
    """The child kills itself with SIGSEGV where it would load the model, as llama.cpp's AMX path does."""
    monkeypatch.setenv(llamacpp_check.CRASH_HOOK, "SIGSEGV")
    monkeypatch.setattr(llamacpp_check, "cpu_features", lambda cpuinfo=None: AMX_HOST)
    monkeypatch.setattr(llamacpp_check, "_passed", set())


@pytest.fixture
def counted_child(monkeypatch):
    """A child that passes without loading anything; the list counts the children started."""
    started = []

    def fake_child(model_path, *, cpu_repack, n_threads):
        started.append(cpu_repack)
        return subprocess.CompletedProcess([], 0, "", "")
    monkeypatch.setattr(llamacpp_check, "run_child", fake_child)
    monkeypatch.setattr(llamacpp_check, "_passed", set())
    return started


def test_a_crash_in_the_child_stops_with_one_line_naming_backend_features_and_switch(crashing_child, recon_home):
    with pytest.raises(ConfigError) as caught:
        LlamaCppBackend().preflight("generate")
    message = str(caught.value)
    assert "\n" not in message
    assert "embedded backend" in message and "SIGSEGV" in message and "amx_tile" in message
    assert "cpu_repack" in message
    assert not (recon_home / "checks").exists()         # nothing remembered


def test_with_cpu_repack_on_the_crash_names_how_to_turn_it_off(crashing_child):
    with pytest.raises(ConfigError, match=r"drop --cpu-repack, or cpu_repack: false"):
        LlamaCppBackend(cpu_repack=True).preflight("generate")


def test_the_model_is_never_loaded_in_process_after_a_crashing_check(crashing_child, monkeypatch):
    import llama_cpp
    monkeypatch.setattr(llama_cpp, "Llama", lambda **kw: pytest.fail("loaded in the recon process"))
    with pytest.raises(ConfigError):
        assert LlamaCppBackend().generator is None


def test_a_pass_is_remembered_under_recon_home_in_a_private_folder(counted_child, recon_home, monkeypatch):
    path = embedded_gguf_path()
    llamacpp_check.ensure_llamacpp_runs(path, cpu_repack=False, n_threads=1)
    monkeypatch.setattr(llamacpp_check, "_passed", set())       # a new process: only the file remembers
    llamacpp_check.ensure_llamacpp_runs(path, cpu_repack=False, n_threads=2)
    assert counted_child == [False]
    folder = recon_home / "checks"
    assert folder.stat().st_mode & 0o777 == 0o700
    [record] = folder.glob("*.json")
    assert json.loads(record.read_text())["model"] == path.name
    llamacpp_check.ensure_llamacpp_runs(path, cpu_repack=True, n_threads=1)      # other settings: checked again
    assert counted_child == [False, True]


def test_a_pass_is_not_reused_on_other_cpu_features(counted_child, monkeypatch):
    path = embedded_gguf_path()
    llamacpp_check.ensure_llamacpp_runs(path, cpu_repack=False, n_threads=1)
    monkeypatch.setattr(llamacpp_check, "cpu_features", lambda cpuinfo=None: AMX_HOST)
    llamacpp_check.ensure_llamacpp_runs(path, cpu_repack=False, n_threads=1)
    assert counted_child == [False, False]


def test_a_child_that_fails_without_crashing_names_its_last_error_line():
    line = llamacpp_check.failure_message("llamacpp", embedded_gguf_path(), False, 1,
                                          "Traceback ...\nValueError: Failed to load model from file\n")
    assert "failed (ValueError: Failed to load model from file)" in line and "\n" not in line


def test_synthesize_on_a_crashing_cpu_exits_2_with_one_line_and_writes_nothing(crashing_child, tmp_path, capsys):
    pair = {"id": "a:1", "domain": "d", "individual": "Ann", "conversation_id": "c1", "turn_index": 1,
            "context": [{"speaker": "Bob", "text": "Why?"}], "action": "Because.", "meta": {}}
    data = write_lines(tmp_path / "pairs.jsonl", [json.dumps(pair)])
    out = tmp_path / "traces.jsonl"
    code = main(["synthesize", "--data", str(data), "--method", "backward", "--model", "embedded",
                 "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "SIGSEGV" in err and "cpu_repack" in err
    assert not out.exists()


def test_recon_run_checks_each_llamacpp_backend_before_any_stage(crashing_child):
    cfg = RunConfig.model_validate({"name": "x", "data": {"train": ["t.jsonl"], "test": ["u.jsonl"]},
                                    "models": {"synthesizer": "fake", "user_model": "embedded", "judge": "embedding"},
                                    "methods": ["none", "backward"], "user_model": {"kind": "icl", "k": 1}})
    with pytest.raises(ConfigError, match=r"^models\.user_model: the embedded backend: .*SIGSEGV"):
        check_backends(cfg)
