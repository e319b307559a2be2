"""One redaction function for every text recon writes or prints: known secret values, Authorization values, URL
credentials and URL query tokens are masked, before any cut, and ordinary text is left alone."""

from __future__ import annotations

import pytest

from recon.errors import BackendError, ConfigError, DataError
from recon.redaction import MASK, clip_redacted, redact, redact_secrets, redacted_spec, remember_secret


@pytest.mark.parametrize("text,secret", [
    ("Authorization: Bearer sk-abc123XYZ", "sk-abc123XYZ"),
    ("authorization: bearer sk-abc123XYZ", "sk-abc123XYZ"),
    ('{"Authorization": "Basic cmVhZGVyOnB3"}', "cmVhZGVyOnB3"),
    ("Authorization: Token t0k3n-value", "t0k3n-value"),
    ("Authorization: t0k3n-value-without-scheme", "t0k3n-value-without-scheme"),
    ("Proxy-Authorization: Digest username=x", "username=x"),
    ("x-api-key: k3y-value-1", "k3y-value-1"),
    ("header Bearer sk-abc123XYZ at the end", "sk-abc123XYZ"),
    ("sent Basic cmVhZGVyOnB3 to it", "cmVhZGVyOnB3"),
    ("http://reader:pw-Secret@host:8000/v1", "pw-Secret"),
    ("https://user:p@ss@word@host/v1", "ss@word"),
    ("http://host/v1?key=k-123&x=1", "k-123"),
    ("http://host/v1?x=1&api_key=k-123", "k-123"),
    ("http://host/v1?apikey=k-123", "k-123"),
    ("http://host/v1?access_token=k-123#frag", "k-123"),
    ("https://blob/x?sv=1&sig=s1GnAtuRe%3D&se=2", "s1GnAtuRe"),
    ("http://host/v1?signature=k-123", "k-123"),
    ("http://host/v1?token=k-123", "k-123"),
    ("http://host/v1?password=k-123", "k-123"),
    ('{"api_key": "k-123"}', "k-123"),
])
def test_each_kind_of_secret_is_masked(text, secret):
    out = redact(text)
    assert secret not in out and (MASK in out or "<credentials>@" in out)


def test_explicit_and_remembered_secret_values_are_masked_anywhere():
    assert redact("echo: zzValue42zz!", secrets=["zzValue42zz"]) == f"echo: {MASK}!"
    remember_secret("rememberedValue-77")
    assert redact("got rememberedValue-77 back") == f"got {MASK} back"
    remember_secret("ab")                                  # too short to mask everywhere: ignored
    assert redact("a tab and a cab") == "a tab and a cab"


@pytest.mark.parametrize("text", [
    "server 127.0.0.1:8000: /chat/completions failed with HTTP 400",
    "a basic check of the prompt_tokens: 5 and max_tokens=7 (tokens: 3)",
    "missing key 'action' in pairs.jsonl:3",
    "http://127.0.0.1:8000/v1/chat/completions?stream=false",
    "the model is overloaded; Basic authentication failed",
])
def test_ordinary_text_is_left_alone(text):
    assert redact(text) == text


def test_a_cut_comes_after_redaction_so_no_prefix_of_a_secret_survives():
    text = "x" * 150 + "Authorization: Bearer sk-" + "q" * 100          # the cut would fall inside the key
    out = clip_redacted(text, 200)
    assert "sk-" not in out and "Bearer ***" in out and len(out) <= 200
    assert clip_redacted("line one\nline two", 200) == "line one line two"


def test_backend_specs_and_configs_keep_their_shape():
    assert redacted_spec("openai:m@https://user:pw@host/v1") == "openai:m@<url>"
    assert redacted_spec("hf:/models/x") == "hf:/models/x"
    config = {"models": {"spec": "openai:m@http://u:pw@h/v1"}, "root": "https://u:pw@h/data?token=t1", "n": 3,
              "files": ["a.jsonl"]}
    assert redact_secrets(config) == {"models": {"spec": "openai:m@<url>"},
                                      "root": f"https://<credentials>@h/data?token={MASK}", "n": 3,
                                      "files": ["a.jsonl"]}


def test_every_recon_error_message_is_redacted_when_it_is_made():
    for error in (ConfigError("bad http://u:pw-1@h/v1"), BackendError("HTTP 400: Bearer sk-zzz-123"),
                  DataError("token=zzz-123", path="f.jsonl", line=2)):
        assert "pw-1" not in str(error) and "zzz-123" not in str(error)


def test_a_config_copy_does_not_depend_on_the_secrets_this_process_has_seen():
    """Stage keys hash `redact_secrets` of their inputs: a remembered API key must not change them."""
    config = {"name": "token-abc123-run", "data": ["token-abc123.jsonl"]}
    before = redact_secrets(config)
    remember_secret("token-abc123")
    assert redact_secrets(config) == before == config
    assert redact("run token-abc123-run") == "run ***-run"
