"""A real `llama_cpp.server` (OpenAI-compatible) serving the embedded GGUF on 127.0.0.1, for the contract
tests of the openai backend. It loads the model as recon's llama.cpp backend does (`llamacpp_serve`: no
repacked / AMX weights), so it runs on every CPU the embedded backend runs on."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    def __init__(self, gguf: Path, log: Path, alias: str = "smollm2"):
        self._log = open(log, "wb")      # a file, not a pipe: llama.cpp's startup output would fill a pipe
        self.log_path = log
        self.port = free_port()
        self.alias = alias
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "recon.backends.llamacpp_serve", "--model", str(gguf), "--model_alias", alias,
             "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", "2048", "--logits_all", "true",
             "--n_threads", "2", "--seed", "0"],
            stdout=subprocess.DEVNULL, stderr=self._log)

    def wait(self, timeout: float = 120.0) -> LlamaServer:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {self.log_path.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(self.url + "/models", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError("llama_cpp.server did not start in time")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()
