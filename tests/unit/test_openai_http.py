"""The OpenAI-compatible backend: pure payload/parse functions by equality, then the client against a
scripted stub server on 127.0.0.1 (retries, faults, secrets, the trust probe)."""

from __future__ import annotations

import pytest

from recon.backends import openai_payloads as P
from recon.backends.base import GenRequest, Message, Score, ScoreRequest
from recon.backends.openai_http import PROBE_TEXT, OpenAIBackend
from recon.errors import BackendError, ConfigError
from recon.store.cache import CachedBackend
from recon.store.db import Database
from tests.stub_server import Reply, StubServer, chat_body, echo_body

REQ = GenRequest(messages=(Message("system", "s"), Message("user", "u")), temperature=0.5, top_p=0.9,
                 max_tokens=7, stop=("\n\n",), seed=3, sample_index=1)


def test_chat_payload_is_exact():
    assert P.build_chat_payload("m", REQ) == {
        "model": "m", "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
        "temperature": 0.5, "top_p": 0.9, "max_tokens": 7, "seed": REQ.effective_seed, "n": 1, "stop": ["\n\n"]}


def test_chat_response_parse_and_malformed():
    g = P.parse_chat_response(chat_body("hi", 4, 2), server="s")
    assert (g.text, g.prompt_tokens, g.completion_tokens, g.finish_reason) == ("hi", 4, 2, "stop")
    with pytest.raises(BackendError, match="no choices.0.message.content"):
        P.parse_chat_response({"choices": []}, server="s")


def test_echo_score_sums_only_the_continuation():
    body = echo_body(["The", " court", " heard", " it", "!"], [None, -1.0, -2.0, -0.5, -9.0])
    text = "The court heard it"                          # "!" is the one extra generated token
    s = P.parse_echo_score(body, text=text, context_chars=len("The court"), server="s")
    assert s == Score(logprob=-2.5, n_tokens=2, prompt_tokens=2)


def test_echo_token_straddling_the_boundary_counts_as_continuation():
    body = echo_body(["ab", "cd", "ef"], [None, -1.0, -2.0])
    s = P.parse_echo_score(body, text="abcdef", context_chars=3, server="s")
    assert s == Score(logprob=-3.0, n_tokens=2, prompt_tokens=1)


def test_missing_logprobs_say_the_server_cannot_score():
    with pytest.raises(BackendError, match="no per-token log-probabilities"):
        P.parse_echo_score({"choices": [{"text": "x"}]}, text="x", context_chars=0, server="server h:1")


def backend(stub, **kw):
    kw.setdefault("backoff_s", 0.001)
    return OpenAIBackend("m", stub.url, **kw)


def test_generation_retries_429_and_500_then_succeeds():
    with StubServer() as stub:
        stub.queue("/chat/completions", Reply(429, {"error": "slow down"}), Reply(503, "busy"),
                   Reply(200, chat_body("done")))
        [g] = backend(stub).generate([REQ])
        assert g.text == "done" and len(stub.requests) == 3


@pytest.mark.parametrize("status,message", [(401, "refused the credentials"), (403, "refused the credentials"),
                                            (404, "not found")])
def test_auth_and_not_found_stop_the_job_at_once(status, message):
    with StubServer() as stub:
        stub.default["/chat/completions"] = lambda p: Reply(status, {"error": "no"})
        with pytest.raises(ConfigError, match=message):
            backend(stub).generate([REQ, REQ])
        assert len(stub.requests) <= 2                             # no retries


def test_server_error_text_never_carries_the_api_key(monkeypatch):
    monkeypatch.setenv("MY_KEY", "sk-secret-123")
    with StubServer() as stub:
        stub.queue("/chat/completions", Reply(400, {"error": "bad key sk-secret-123 in header"}))
        with pytest.raises(BackendError) as info:
            backend(stub, api_key_env="MY_KEY").generate([REQ])
        assert "sk-secret-123" not in str(info.value) and "***" in str(info.value)


def test_client_errors_are_not_retried():
    with StubServer() as stub:
        stub.queue("/chat/completions", Reply(400, {"error": "bad request"}))
        with pytest.raises(BackendError, match="HTTP 400") as info:
            backend(stub).generate([REQ])
        assert not info.value.retryable and len(stub.requests) == 1


def test_persistent_5xx_gives_up_after_bounded_retries():
    with StubServer() as stub:
        stub.default["/chat/completions"] = lambda p: Reply(500, "oops")
        with pytest.raises(BackendError, match="after 3 tries") as info:
            backend(stub, max_retries=2).generate([REQ])
        assert info.value.retryable and len(stub.requests) == 3


def test_timeouts_are_retried():
    with StubServer() as stub:
        stub.queue("/chat/completions", Reply(200, chat_body("late"), delay=1.0), Reply(200, chat_body("ok")))
        [g] = backend(stub, timeout_s=0.2).generate([REQ])
        assert g.text == "ok"


def test_malformed_json_is_a_clear_error():
    with StubServer() as stub:
        stub.queue("/chat/completions", Reply(200, "{not json"))
        with pytest.raises(BackendError, match="malformed JSON"):
            backend(stub).generate([REQ])


def test_batch_keeps_order_and_partial_successes_reach_the_cache(tmp_path):
    with StubServer() as stub:
        stub.default["/chat/completions"] = lambda p: (Reply(400, "no") if p["messages"][1]["content"] == "bad"
                                                       else Reply(200, chat_body(p["messages"][1]["content"])))
        reqs = [GenRequest(messages=(Message("system", "s"), Message("user", u))) for u in ("a", "bad", "c")]
        db = Database(tmp_path / "db.sqlite3")
        with pytest.raises(BackendError) as info:
            CachedBackend(backend(stub), db, run="r", stage="s").generate(reqs)
        assert [g and g.text for g in info.value.partial] == ["a", None, "c"]
        assert db.execute("SELECT COUNT(*) FROM cache").fetchone()[0] == 2
        out = backend(stub).generate([reqs[2], reqs[0]])
        assert [g.text for g in out] == ["c", "a"]


def test_api_key_comes_from_the_environment_and_is_stored_nowhere(tmp_path, monkeypatch):
    secret = "sk-test-5ecret-value"
    monkeypatch.setenv("MY_KEY", secret)
    with StubServer() as stub:
        stub.default["/chat/completions"] = lambda p: Reply(200, chat_body("hi"))
        db = Database(tmp_path / "db.sqlite3")
        CachedBackend(backend(stub, api_key_env="MY_KEY"), db, run="r", stage="s").generate([REQ])
        assert stub.requests[0][1]["Authorization"] == f"Bearer {secret}"
    db.close()
    blob = b"".join(f.read_bytes() for f in tmp_path.glob("db.sqlite3*"))
    assert blob.count(b"generate") >= 1                         # the database does hold the call
    assert secret.encode() not in blob
    assert b"http://127.0.0.1" in blob                          # the fingerprint names the server (no credentials)


def score_req():
    return ScoreRequest(messages=(Message("user", "q"),), continuation="an answer")


def test_logprob_needs_a_chat_template():
    with StubServer() as stub:
        stub.queue("/completions", Reply(200, echo_body([PROBE_TEXT, " x"], [None, -1.0])))
        with pytest.raises(ConfigError, match="set chat_template"):
            backend(stub).logprob([score_req()])
        with pytest.raises(ConfigError, match="set chat_template"):
            backend(stub).preflight("logprob")
        assert stub.requests == []                                # refused before any call


def probe_replies(stub, gen_lp, echo_lp):
    stub.queue("/completions", Reply(200, echo_body([" is"], [gen_lp])),
               Reply(200, echo_body([PROBE_TEXT, " is"], [None, echo_lp])))


def test_untrustworthy_echo_logprobs_are_refused_naming_the_server():
    with StubServer() as stub:
        probe_replies(stub, gen_lp=-0.9, echo_lp=-7.5)            # shifted by a position, as llama_cpp.server
        host = stub.url.split("//")[1].split("/")[0]
        with pytest.raises(ConfigError, match=f"server {host}: its echoed prompt log-probabilities cannot be "
                                              "trusted"):
            backend(stub, chat_template="chatml").preflight("logprob")
        assert len(stub.requests) == 2                            # nothing scored after the failed probe


def test_trusted_server_scores_the_rendered_chat_prompt():
    with StubServer() as stub:
        probe_replies(stub, gen_lp=-0.9, echo_lp=-0.92)
        prompt = "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n"
        # the prompt's trailing newline moves into the continuation (lm-eval's rule, as in every backend)
        stub.queue("/completions", Reply(200, echo_body([prompt[:-1], "\n", "an", " answer", "."],
                                                        [None, -0.25, -1.5, -0.5, -3.0])))
        [s] = backend(stub, chat_template="chatml").logprob([score_req()])
        assert s == Score(logprob=-2.25, n_tokens=3, prompt_tokens=1)
        assert stub.requests[-1][2] == P.build_echo_payload("m", prompt + "an answer")


def test_repetition_penalty_is_sent_as_the_servers_extension_only_when_on():
    import dataclasses
    on = dataclasses.replace(REQ, repetition_penalty=1.15)
    assert P.build_chat_payload("m", on)["repetition_penalty"] == 1.15
    assert "frequency_penalty" not in P.build_chat_payload("m", on)
    assert "repetition_penalty" not in P.build_chat_payload("m", dataclasses.replace(REQ, repetition_penalty=1.0))


def test_the_cache_fingerprint_names_the_server_without_credentials():
    from recon.store.cache import cache_key
    fp = OpenAIBackend("m", "https://user:secret@Models.Example.org:8443/v1/?api-key=k2", api_key_env=None) \
        .fingerprint.to_json()
    assert fp["extra"]["server"] == "https://models.example.org:8443/v1"
    assert "secret" not in str(fp) and "user" not in str(fp) and "k2" not in str(fp)
    here = OpenAIBackend("m", "http://127.0.0.1:8000/v1").fingerprint.to_json()
    there = OpenAIBackend("m", "http://10.0.0.2:8000/v1").fingerprint.to_json()
    assert cache_key(here, "generate", REQ) != cache_key(there, "generate", REQ)       # another server's answers


def test_an_explicit_revision_replaces_the_address_so_a_moved_server_keeps_its_cache():
    from recon.backends.registry import build_backend
    from recon.config import BackendConfig
    a = build_backend(BackendConfig(spec="openai:m@http://127.0.0.1:8000/v1", revision="qwen3-8b-awq-2026-05"))
    b = build_backend(BackendConfig(spec="openai:m@http://gpu-box:9000/v1", revision="qwen3-8b-awq-2026-05"))
    assert a.fingerprint == b.fingerprint and a.fingerprint.extra["revision"] == "qwen3-8b-awq-2026-05"
    assert "server" not in a.fingerprint.extra
    retrained = build_backend(BackendConfig(spec="openai:m@http://gpu-box:9000/v1", revision="qwen3-8b-awq-2026-06"))
    assert retrained.fingerprint != b.fingerprint
    with pytest.raises(ConfigError, match="revision"):
        build_backend(BackendConfig(spec="fake", revision="x"))


def test_building_a_server_backend_makes_no_network_call(monkeypatch, tmp_path):
    """A cached run replays offline: the fingerprint (hence every cache key) is known without the server."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("a network connection was attempted")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    backend = OpenAIBackend("m", "http://gpu-box.invalid:9/v1", max_retries=0)
    assert backend.fingerprint.extra["server"] == "http://gpu-box.invalid:9/v1"
    cached = CachedBackend(backend, Database(tmp_path / "db.sqlite3"), run="r", stage="s")
    assert cached.fingerprint.extra["server"] == "http://gpu-box.invalid:9/v1"


@pytest.mark.parametrize("body", [
    {**chat_body("hi"), "usage": {"prompt_tokens": "x", "completion_tokens": 3}},
    {**chat_body("hi"), "usage": {"prompt_tokens": 5, "completion_tokens": [3]}},
    {**chat_body("hi"), "usage": {"prompt_tokens": -5, "completion_tokens": 3}},
    {**chat_body("hi"), "usage": {"prompt_tokens": True, "completion_tokens": 3}},
    {**chat_body("hi"), "usage": ["prompt_tokens", 5]},
    {**chat_body("hi"), "usage": "none"},
    {"choices": [["not", "a", "choice"]]},
    {"choices": "none"},
    {"choices": [{"message": {"content": "hi"}, "finish_reason": 7}]},
    ["not", "an", "object"],
])
def test_a_malformed_chat_reply_is_a_failed_call(body):
    with pytest.raises(BackendError, match="malformed response"):
        P.parse_chat_response(body, server="s")


def test_usage_counts_may_be_absent_or_whole_floats():
    g = P.parse_chat_response({"choices": [{"message": {"content": "hi"}}], "usage": {"prompt_tokens": 4.0}},
                              server="s")
    assert (g.prompt_tokens, g.completion_tokens, g.finish_reason) == (4, 0, "stop")


def malformed_echo(**logprobs):
    body = echo_body(["ab", "cd", "ef"], [None, -1.0, -2.0])
    body["choices"][0]["logprobs"].update(logprobs)
    return body


@pytest.mark.parametrize("body", [
    malformed_echo(token_logprobs=["x", "y", "z"]),
    malformed_echo(token_logprobs=[[1.0], [1.0], [1.0]]),
    malformed_echo(token_logprobs=[True, True, True]),
    malformed_echo(token_logprobs=[float("nan")] * 3),
    malformed_echo(text_offset=[0, "2", 4]),
    malformed_echo(text_offset=[0, 2.5, 4]),
    malformed_echo(tokens=[1, 2, 3]),
    {"choices": []},
    {"choices": ["text"]},
    {"choices": [{"logprobs": {"tokens": "ab", "token_logprobs": [None], "text_offset": [0]}}]},
])
def test_malformed_log_probabilities_are_failed_calls(body):
    with pytest.raises(BackendError, match="malformed|no per-token"):
        P.parse_echo_score(body, text="abcdef", context_chars=3, server="s")
    with pytest.raises(BackendError, match="malformed|no per-token"):
        P.parse_next_token(body, server="s")
    with pytest.raises(BackendError, match="malformed|no per-token"):
        P.echo_token_logprob(body, at_char=2, server="s")


def test_a_malformed_usage_fails_that_request_only_and_reaches_the_call_log(tmp_path):
    with StubServer() as stub:
        stub.default["/chat/completions"] = lambda p: Reply(200, {**chat_body(p["messages"][1]["content"]),
                                                                  "usage": {"prompt_tokens": "x"}}
                                                            if p["messages"][1]["content"] == "bad"
                                                            else chat_body(p["messages"][1]["content"]))
        reqs = [GenRequest(messages=(Message("system", "s"), Message("user", u))) for u in ("a", "bad", "c")]
        db = Database(tmp_path / "db.sqlite3")
        with pytest.raises(BackendError) as info:
            CachedBackend(backend(stub), db, run="r", stage="s").generate(reqs)
        assert [g and g.text for g in info.value.partial] == ["a", None, "c"]
        [(error,)] = db.execute("SELECT error FROM calls WHERE error IS NOT NULL").fetchall()
        assert "usage.prompt_tokens" in error


def test_credentials_in_the_url_and_an_api_key_are_never_both_dropped_silently(monkeypatch):
    monkeypatch.setenv("MY_KEY", "sk-some-key-123")
    with pytest.raises(ConfigError, match="api_key_env") as info:
        OpenAIBackend("m", "http://reader:pw-Secret-9@127.0.0.1:9/v1", api_key_env="MY_KEY")
    assert "pw-Secret-9" not in str(info.value) and "sk-some-key-123" not in str(info.value)
    assert "***" not in str(info.value)                  # the advice itself is not mistaken for a secret
    OpenAIBackend("m", "http://reader:pw-Secret-9@127.0.0.1:9/v1", api_key_env="UNSET_KEY_VAR")
    OpenAIBackend("m", "http://reader:pw-Secret-9@127.0.0.1:9/v1", api_key_env=None)


def test_credentials_in_the_url_without_an_api_key_are_sent_as_basic_auth(monkeypatch):
    import base64
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with StubServer() as stub:
        stub.default["/chat/completions"] = lambda p: Reply(200, chat_body("hi"))
        url = stub.url.replace("http://", "http://reader:pw-Secret-9@")
        [g] = OpenAIBackend("m", url).generate([REQ])
        assert g.text == "hi"
        expected = base64.b64encode(b"reader:pw-Secret-9").decode()
        assert stub.requests[0][1]["Authorization"] == f"Basic {expected}"
