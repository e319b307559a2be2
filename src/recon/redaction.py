"""Secrets out of every text recon writes or prints: one function, `redact`, for error messages, call-log rows,
trace and prediction reasons, manifests, reports, results.json and the terminal.

It masks the secret values it is given or has been told of (`remember_secret`: the API key a backend reads, the
password of a base URL and its Basic-auth form), any `Authorization:` value (`Bearer X`, `Basic X`, any scheme),
an `x-api-key:` header, a URL's `user:password@`, and secret-named URL query tokens and JSON fields (`key=`,
`api_key=`, `token=`, `sig=`, `password=`, ...). Text that may be cut is redacted first (`clip_redacted`), so no
prefix of a secret survives a cut. `redacted_spec` and `redact_secrets` are the shapes configs are written in.

    >>> redact("HTTP 400: Authorization: Bearer sk-abc123 at http://u:pw@h/v1?key=k1&n=2")
    'HTTP 400: Authorization: Bearer *** at http://<credentials>@h/v1?key=***&n=2'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
MIN_SECRET_CHARS = 4            # a shorter value would mask ordinary words everywhere; the patterns still apply

_remembered: set[str] = set()

_SECRET_NAMES = (r"(?:api[_-]?key|apikey|key|x-api-key|(?:access|refresh|id|auth)[_-]?token|token|sig|signature"
                 r"|password|passwd|pwd|secret|client[_-]?secret)")
# name=value in a query string or a form; "name": "value" in JSON; name: value in a header
_NAMED_VALUE = re.compile(rf"(?i)(?<![\w-])({_SECRET_NAMES}(?:=|[\"']?\s*:\s*[\"']?))([^\s\"'&;,}}#]+)")
_AUTH_HEADER = re.compile(r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)"
                          r"(?:(basic|bearer|digest|token|negotiate|ntlm|apikey|aws4-hmac-sha256)\s+)?([^\s\"',}]+)")
_BEARER = re.compile(r"(?i)\b(bearer)\s+(?!\*\*\*)([\w.~+/=-]+)")
_BASIC = re.compile(r"(?i)\b(basic)\s+(?!\*\*\*)([A-Za-z0-9+/]{4,}={0,2})")
_USERINFO = re.compile(r"(?<![\w+.-])([a-zA-Z][\w+.-]*://)[^/\s?#\"'<>]*@")   # a scheme starts at a word start


def remember_secret(value: str | None) -> None:
    """Mask `value` in every later `redact` of this process (a backend calls it for the secrets it reads).

    >>> remember_secret("s3cret-value"); redact("it said s3cret-value")
    'it said ***'
    """
    if value and len(value) >= MIN_SECRET_CHARS:
        _remembered.add(value)


def redact(text: str, secrets: Iterable[str | None] = (), *, remembered: bool = True) -> str:
    """`text` with every secret masked: the values given or (unless `remembered` is false) remembered, then the
    patterns above.

    >>> redact("sent Basic cmVhZGVyOnB3 with token=t-1; basic checks pass", secrets=["t-1"])
    'sent Basic *** with token=***; basic checks pass'
    """
    values = {s for s in secrets if s and len(s) >= MIN_SECRET_CHARS} | (_remembered if remembered else set())
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, MASK)
    text = _AUTH_HEADER.sub(_masked_authorization, text)
    text = _BEARER.sub(lambda m: f"{m[1]} {MASK}", text)
    text = _BASIC.sub(_masked_basic, text)
    text = _USERINFO.sub(r"\1<credentials>@", text)
    return _NAMED_VALUE.sub(lambda m: m[1] + MASK, text)


def _masked_authorization(m: re.Match) -> str:
    return f"{m[1]}{m[2] + ' ' if m[2] else ''}{MASK}"


def _masked_basic(m: re.Match) -> str:
    token = m[2]
    if token.isalpha() and token.islower():         # an English word ("basic checks"), not base64 credentials
        return m[0]
    return f"{m[1]} {MASK}"


def clip_redacted(text: str, limit: int, secrets: Iterable[str | None] = ()) -> str:
    """`text` redacted, on one line, then cut to `limit` characters (a cut never leaves a secret's prefix).

    >>> clip_redacted("Authorization: Bearer sk-" + "x" * 300, 40)
    'Authorization: Bearer ***'
    """
    return redact(text, secrets).replace("\r", " ").replace("\n", " ")[:limit]


def redacted_spec(spec: str) -> str:
    """A backend spec without its URL (URLs may carry credentials): safe for manifests, logs and reports.

    >>> redacted_spec("openai:m@https://user:pw@host/v1"), redacted_spec("openai:m@user:pw@host")
    ('openai:m@<url>', 'openai:m@<url>')
    """
    if spec.startswith("openai:") and "@" in spec:
        return spec.split("@", 1)[0] + "@<url>"
    return spec


def redact_secrets(value):
    """A copy of a config (dicts, lists, strings) that is safe to write to any file: every backend spec without
    its URL (`redacted_spec`), every other string `redact`ed by the patterns alone: a config holds no API key
    (keys come from the environment), and what a stage's key hashes must not depend on which backends this
    process has built.

    >>> redact_secrets({"models": {"spec": "openai:m@http://u:pw@h/v1"}, "root": "https://u:pw@h/data"})
    {'models': {'spec': 'openai:m@<url>'}, 'root': 'https://<credentials>@h/data'}
    """
    if isinstance(value, dict):
        return {k: redact_secrets(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_secrets(v) for v in value]
    if isinstance(value, str):
        return redact(redacted_spec(value), remembered=False)
    return value
