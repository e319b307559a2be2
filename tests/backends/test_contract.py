"""One contract, every backend: fake and embedded (llama.cpp) always, hf on the embedded GGUF, and openai
against a real llama_cpp.server on loopback. Real-model cases are marked slow (they still run in CI)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap

import pytest

from recon.backends.base import PROMPT_TOO_LONG, GenRequest, Message, ScoreRequest
from recon.errors import BackendError, ConfigError

SYSTEM = Message("system", "You are a concise assistant.")


def chat(text: str) -> tuple[Message, ...]:
    return (SYSTEM, Message("user", text))


PROMPTS = ["Name a colour.", "Say hello to Ann.", "What is two plus two?"]


@pytest.fixture(scope="module")
def embedded():
    from recon.backends.llamacpp import LlamaCppBackend
    backend = LlamaCppBackend()
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def hf():
    from recon.backends.hf import HFBackend
    return HFBackend("embedded")


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    from recon.backends.llamacpp import embedded_gguf_path
    from tests.backends.servers import LlamaServer
    server = LlamaServer(embedded_gguf_path(), tmp_path_factory.mktemp("server") / "server.log").wait()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gguf_template(tmp_path_factory, embedded):
    path = tmp_path_factory.mktemp("tpl") / "smollm2.jinja"
    path.write_text(embedded.generator.metadata["tokenizer.chat_template"], encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def openai_backend(llama_server, gguf_template):
    from recon.backends.openai_http import OpenAIBackend
    return OpenAIBackend(llama_server.alias, llama_server.url, chat_template=str(gguf_template), api_key_env=None)


LOCAL = ["fake", pytest.param("embedded", marks=pytest.mark.slow), pytest.param("hf", marks=pytest.mark.slow)]


def _build(request):
    if request.param == "fake":
        from recon.backends.fake import FakeBackend
        return FakeBackend()
    return request.getfixturevalue({"embedded": "embedded", "hf": "hf", "openai": "openai_backend"}[request.param])


@pytest.fixture(params=LOCAL + [pytest.param("openai", marks=pytest.mark.slow)])
def backend(request):
    return _build(request)


@pytest.fixture(params=LOCAL)
def local_backend(request):
    """Backends whose log-probabilities need no trust probe (openai: see the server tests below)."""
    return _build(request)


# ---------------------------------------------------------------------------- generate, every backend
def test_generate_keeps_length_and_order(backend):
    reqs = [GenRequest(messages=chat(p), temperature=0.0, max_tokens=12) for p in PROMPTS]
    batch = backend.generate(reqs)
    one_by_one = [backend.generate([r])[0] for r in reqs]
    assert [g.text for g in batch] == [g.text for g in one_by_one]
    for g in batch:
        assert isinstance(g.text, str) and g.text.strip()
        assert 0 < g.completion_tokens <= 12 and g.prompt_tokens > 0
        assert g.finish_reason in ("stop", "length")


def test_max_tokens_is_respected(backend):
    [g] = backend.generate([GenRequest(messages=chat("Write a long story about a court."), max_tokens=5)])
    assert g.completion_tokens <= 5 and g.finish_reason == "length"


def test_same_seed_same_sample_and_sample_index_varies(backend):
    req = GenRequest(messages=chat("Invent a name for a cat."), temperature=1.0, max_tokens=16, seed=11)
    a = backend.generate([req])[0].text
    backend.generate([GenRequest(messages=chat("Something else entirely."), temperature=1.0, max_tokens=8)])
    if backend.fingerprint.kind != "openai":       # a shared server's state is not ours to control
        assert backend.generate([req])[0].text == a
    texts = {g.text for g in backend.generate(req.samples(4))}
    assert len(texts) >= 2


# ---------------------------------------------------------------------------- logprob, every backend
def score_requests():
    prompt = chat("Complete the sentence: The capital of France is")
    return [ScoreRequest(messages=prompt, continuation="Paris."),
            ScoreRequest(messages=prompt, continuation="The capital of France is Paris."),
            ScoreRequest(messages=chat("Say hello."), continuation="Hello there!")]


def test_logprob_keeps_length_and_order(local_backend):
    backend = local_backend
    reqs = score_requests()
    batch = backend.logprob(reqs)
    singles = [backend.logprob([r])[0] for r in reversed(reqs)][::-1]
    for b, s in zip(batch, singles, strict=True):
        assert b.n_tokens == s.n_tokens > 0
        assert b.logprob < 0 and b.logprob == pytest.approx(s.logprob, abs=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["embedded", "hf"])
def test_likely_continuations_score_higher(request, name):
    b = request.getfixturevalue(name)
    prompt = chat("Complete the sentence: The capital of France is")
    good, bad = b.logprob([ScoreRequest(prompt, " Paris."), ScoreRequest(prompt, " zebra spoon.")])
    assert good.mean > bad.mean


# ---------------------------------------------------------------------------- exactness, local backends
def manual_llamacpp(backend, req):
    """An independent reference: each continuation token scored from a fresh evaluation of its prefix."""
    import numpy as np
    from llama_cpp import Llama
    llm = Llama(model_path=str(backend.model_path), n_ctx=2048, logits_all=False, verbose=False)
    prompt, has_bos, _ = backend.render(llm, req.messages)
    ctx = llm.tokenize(prompt.rstrip().encode(), add_bos=not has_bos, special=True)
    full = llm.tokenize((prompt + req.continuation).encode(), add_bos=not has_bos, special=True)
    total = 0.0
    for t in range(len(ctx), len(full)):
        llm.reset()
        llm.eval(full[:t])
        logits = np.array(llm._ctx.get_logits_ith(-1)[:llm.n_vocab()], dtype=np.float64)
        m = logits.max()
        total += logits[full[t]] - m - np.log(np.exp(logits - m).sum())
    return total, len(full) - len(ctx)


@pytest.mark.slow
def test_embedded_logprob_matches_a_manual_log_softmax(embedded):
    for req in score_requests():
        [s] = embedded.logprob([req])
        manual, n = manual_llamacpp(embedded, req)
        assert s.n_tokens == n
        assert s.logprob == pytest.approx(manual, abs=1e-3)


@pytest.mark.slow
def test_hf_logprob_matches_a_manual_log_softmax(hf):
    import torch
    for req in score_requests():
        [s] = hf.logprob([req])
        prompt = hf.render(req.messages)
        ctx = hf.encode(prompt.rstrip())
        full = hf.encode(prompt + req.continuation)
        with torch.no_grad():
            logits = hf.model(torch.tensor([full])).logits[0].double()
        manual = sum(float(torch.log_softmax(logits[t - 1], -1)[full[t]]) for t in range(len(ctx), len(full)))
        assert s.n_tokens == len(full) - len(ctx)
        assert s.logprob == pytest.approx(manual, abs=1e-3)


@pytest.mark.slow
def test_hf_and_embedded_agree_on_the_same_gguf(embedded, hf):
    for a, b in zip(embedded.logprob(score_requests()), hf.logprob(score_requests()), strict=True):
        assert a.n_tokens == b.n_tokens
        assert abs(a.mean - b.mean) < 0.15          # Q4_1 in llama.cpp vs dequantised float32 weights


@pytest.mark.slow
@pytest.mark.parametrize("name", ["embedded", "hf"])
def test_only_the_prompt_is_truncated_from_the_left(request, name):
    from recon.backends.hf import HFBackend
    from recon.backends.llamacpp import LlamaCppBackend
    small = LlamaCppBackend(n_ctx=256) if name == "embedded" else HFBackend("embedded", n_ctx=256)
    if name == "hf":
        small._model, small._tok = request.getfixturevalue("hf")._load()
    long_prompt = chat("Remember this. " * 200 + "Now say hi.")
    req = ScoreRequest(long_prompt, "Hi there, friend.")
    [s] = small.logprob([req])
    full = request.getfixturevalue(name).logprob([req])[0]
    assert s.truncated_prompt_tokens > 0 and full.truncated_prompt_tokens == 0
    assert s.n_tokens == full.n_tokens
    with pytest.raises(BackendError, match="does not fit"):
        small.logprob([ScoreRequest(chat("x"), "word " * 400)])
    too_long, fits = small.generate([GenRequest(long_prompt, max_tokens=4), GenRequest(chat("Say hi."), max_tokens=4)])
    assert (too_long.finish_reason, too_long.text) == (PROMPT_TOO_LONG, "")     # an outcome, not an error
    assert fits.finish_reason != PROMPT_TOO_LONG
    small.close()


# ---------------------------------------------------------------------------- reproducibility
FRESH = textwrap.dedent("""
    import json, sys
    from recon.backends.llamacpp import LlamaCppBackend
    from recon.backends.base import GenRequest, Message
    req = GenRequest(messages=(Message("system", "You are a concise assistant."),
                               Message("user", "Invent a name for a cat.")), temperature=1.0, max_tokens=16, seed=11)
    print(json.dumps(LlamaCppBackend().generate([req])[0].text))
""")


@pytest.mark.slow
def test_a_fresh_process_reproduces_a_generation(embedded):
    req = GenRequest(messages=chat("Invent a name for a cat."), temperature=1.0, max_tokens=16, seed=11)
    embedded.generate([GenRequest(messages=chat("Warm up with other text."), temperature=1.0, max_tokens=8)])
    here = embedded.generate([req])[0].text
    again = embedded.generate([dataclasses.replace(req)])[0].text
    fresh = json.loads(subprocess.run([sys.executable, "-c", FRESH], capture_output=True, text=True,
                                      check=True).stdout)
    assert here == again == fresh


# ---------------------------------------------------------------------------- the real server
def raw_echo_logprob(server, text: str, at: int) -> float:
    import httpx

    from recon.backends import openai_payloads as P
    body = httpx.post(server.url + "/completions", json=P.build_echo_payload(server.alias, text), timeout=60).json()
    return P.echo_token_logprob(body, at_char=at, server="s")


@pytest.mark.slow
def test_openai_logprob_is_trusted_only_when_correct(llama_server, openai_backend, embedded):
    """Ground truth from the embedded backend on the same GGUF decides what the openai backend must do:
    return the server's numbers if they are right, refuse with an error naming the server if not."""
    req = ScoreRequest(messages=chat("Complete the sentence: The capital of France is"), continuation=" Paris.")
    [truth] = embedded.logprob([req])
    from recon.backends.chat_template import render_chat
    prompt = render_chat(str(openai_backend.chat_template), req.messages)
    assert prompt == embedded.render(embedded.scorer, req.messages)[0]      # same text reaches both
    server_says = raw_echo_logprob(llama_server, prompt.rstrip() + "\n Paris.", len(prompt.rstrip()))
    server_is_right = server_says is not None and abs(server_says - truth.logprob) < 0.5 * truth.n_tokens
    if server_is_right:
        [s] = openai_backend.logprob([req])
        assert s.logprob == pytest.approx(truth.logprob, abs=0.05 * truth.n_tokens)
    else:
        with pytest.raises(ConfigError, match=rf"server 127\.0\.0\.1:{llama_server.port}: .*cannot be trusted"):
            openai_backend.logprob([req])


@pytest.mark.slow
def test_llama_server_0_3_36_echo_values_disagree_with_a_direct_log_softmax(llama_server, embedded):
    """The measurement behind the trust probe (docs/design.md §4), kept as a regression check of the refusal's
    premise."""
    server_court = raw_echo_logprob(llama_server, "The court", 3)
    import numpy as np
    from llama_cpp import Llama
    llm = Llama(model_path=str(embedded.model_path), n_ctx=512, verbose=False)
    ids = llm.tokenize(b"The court", add_bos=False, special=True)
    llm.eval(ids[:-1])
    row = np.array(llm._ctx.get_logits_ith(-1)[:llm.n_vocab()], dtype=np.float64)
    direct = row[ids[-1]] - row.max() - np.log(np.exp(row - row.max()).sum())
    assert direct == pytest.approx(-15.56, abs=0.01)            # the direct log-softmax of "court" after "The"
    assert abs(server_court - direct) > 1.0
    llm.close()
