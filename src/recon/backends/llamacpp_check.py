"""Before recon loads a llama.cpp model in its own process, a child process loads it and generates a few
tokens. A native crash there (a segmentation or protection fault in llama.cpp's CPU kernels) stops recon with
one line naming the backend, the CPU's features and the `cpu_repack` switch, instead of killing the command.

A pass is remembered per (model file, `cpu_repack`, llama-cpp-python version, CPU features) in this process
and under `$RECON_HOME/checks/`, so each combination is checked once per machine.

    python -m recon.backends.llamacpp_check FILE.gguf [--cpu-repack] [--n-threads N]   # the child itself

Tests set `RECON_LLAMACPP_CHECK_CRASH=SIGSEGV` (any signal name): the child then kills itself with that signal
where it would load the model, as a crashing llama.cpp would.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

from recon.atomicio import write_json_atomic
from recon.backends.cpu import cpu_features
from recon.backends.dequantize import gguf_identity
from recon.errors import BackendError, ConfigError
from recon.hashing import content_hash
from recon.paths import private_folder, recon_home

CRASH_HOOK = "RECON_LLAMACPP_CHECK_CRASH"
CHECK_TIMEOUT_S = 600.0
CHECK_VERSION = 1
PROBE_PROMPT = "Hello, my name is"
_passed: set[str] = set()          # keys checked by this process


def check_key(model_path: Path, *, cpu_repack: bool) -> str:
    """What a remembered pass holds for: the model file, the switch, the library version and the CPU."""
    return content_hash([CHECK_VERSION, gguf_identity(model_path), cpu_repack,
                         importlib.metadata.version("llama_cpp_python"), platform.machine(), cpu_features(),
                         os.environ.get(CRASH_HOOK, "")], tag="llamacpp-check", length=16)


def checks_folder() -> Path:
    return recon_home() / "checks"


def ensure_llamacpp_runs(model_path: Path, *, cpu_repack: bool, n_threads: int, backend: str = "llamacpp") -> None:
    """Return once a child process has loaded `model_path` and generated with these settings on this machine
    (now or before); raise ConfigError naming the backend, the CPU features and the switch if it crashed."""
    key = check_key(model_path, cpu_repack=cpu_repack)
    record = checks_folder() / f"llamacpp-{key}.json"
    if key in _passed or record.is_file():
        _passed.add(key)
        return
    started = time.monotonic()
    result = run_child(model_path, cpu_repack=cpu_repack, n_threads=n_threads)
    if result.returncode != 0:
        raise ConfigError(failure_message(backend, model_path, cpu_repack, result.returncode, result.stderr))
    private_folder(record.parent)
    write_json_atomic(record, {"model": model_path.name, "cpu_repack": cpu_repack, "cpu_features": cpu_features(),
                               "llama_cpp_python": importlib.metadata.version("llama_cpp_python"),
                               "seconds": round(time.monotonic() - started, 2)})
    _passed.add(key)


def run_child(model_path: Path, *, cpu_repack: bool, n_threads: int) -> subprocess.CompletedProcess:
    """Run this module as a child on `model_path`; its recon is this process's recon."""
    source = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p)}
    argv = [sys.executable, "-m", "recon.backends.llamacpp_check", str(model_path), "--n-threads", str(n_threads)]
    try:
        return subprocess.run(argv + (["--cpu-repack"] if cpu_repack else []), env=env, capture_output=True,
                              text=True, errors="replace", timeout=CHECK_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise BackendError(f"llama.cpp did not load {model_path.name} within {CHECK_TIMEOUT_S:.0f} s in a test "
                           "process") from None


def failure_message(backend: str, model_path: Path, cpu_repack: bool, returncode: int, stderr: str) -> str:
    """One line: what crashed, on which CPU, and what to switch."""
    features = " ".join(cpu_features()) or "unknown"
    if returncode < 0:
        try:
            what = f"crashed ({signal.Signals(-returncode).name})"
        except ValueError:
            what = f"crashed (signal {-returncode})"
    else:
        last = next((line for line in reversed(stderr.splitlines()) if line.strip()), f"exit status {returncode}")
        what = f"failed ({last.strip()[:300]})"
    if cpu_repack:
        fix = "turn cpu_repack off (drop --cpu-repack, or cpu_repack: false in the config) and run again"
    else:
        fix = ("repacked / AMX weights were already off (cpu_repack: false); rebuild llama-cpp-python for this CPU "
               "or use another backend")
    return (f"the {backend} backend: llama.cpp {what} loading {model_path.name} in a test process on this CPU "
            f"(features: {features}); {fix}")


def probe(model_path: Path, *, cpu_repack: bool, n_threads: int) -> str:
    """What the child does: load the model as recon does and generate a few tokens greedily."""
    crash = os.environ.get(CRASH_HOOK)
    if crash:
        os.kill(os.getpid(), signal.Signals[crash])
    from recon.backends.llamacpp_load import load_llama
    llm = load_llama(model_path, n_ctx=256, n_threads=n_threads, n_batch=32, cpu_repack=cpu_repack)
    try:
        return llm.create_completion(PROBE_PROMPT, max_tokens=4, temperature=0.0)["choices"][0]["text"]
    finally:
        llm.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recon.backends.llamacpp_check",
                                     description="load a GGUF as recon does and generate a few tokens")
    parser.add_argument("model", type=Path, metavar="FILE", help="the GGUF file")
    parser.add_argument("--cpu-repack", action="store_true", help="extra buffer types on (default: off)")
    parser.add_argument("--n-threads", type=int, default=1, metavar="N", help="threads (default 1)")
    args = parser.parse_args(argv)
    print(repr(probe(args.model, cpu_repack=args.cpu_repack, n_threads=args.n_threads)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
