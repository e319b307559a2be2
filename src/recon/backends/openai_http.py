"""OpenAI-compatible HTTP backend: vLLM, SGLang, llama.cpp server, Ollama, hosted APIs.

Generation uses `/chat/completions`. Log-probabilities use `/completions` with `echo` + `logprobs` on the
chat prompt rendered to text (`chat_template`: `chatml` or a Jinja file), because chat endpoints give
no prompt log-probabilities. Before the first score, a trust probe compares the server's echoed
log-probability of a token with the log-probability it reports when it generates that same token; a
server that disagrees (llama_cpp.server 0.3.36 shifts echoed values by one position) is refused with a
ConfigError naming it, instead of returning wrong rewards. Jobs call `preflight("logprob")` first, so a
misconfigured server stops a run before anything is paid. 401/403/404 are ConfigErrors too (retrying
cannot help).

Requests run concurrently (bounded). The statuses in `RETRY_STATUS` (408, 429, 500, 502, 503, 504),
timeouts and connection errors are retried with exponential backoff and jitter; everything else fails at
once. The API key comes from the environment variable named by `api_key_env` and never enters
fingerprints, cache keys, logs or errors: a server's error reply is redacted (`recon.redaction`) before it is
cut. A base URL's `user:password@` is sent as Basic auth; with an API key set too, the backend is refused (a
request carries one Authorization header, and recon does not drop either silently).

The cache fingerprint is the model name plus the server's address (scheme, host, port, path; never
credentials), so another server, checkpoint or quantisation under the same name never returns this one's
cached answers; an explicit `revision` string replaces the address (move the server freely, change the
revision when the weights change). Building a backend makes no network call: a cached run replays offline.

    >>> OpenAIBackend("my-model", "http://127.0.0.1:8000/v1").fingerprint.to_json()
    {'kind': 'openai', 'model': 'my-model', 'extra': {'server': 'http://127.0.0.1:8000/v1'}}
"""

from __future__ import annotations

import asyncio
import base64
import functools
import os
import random
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from recon.backends import openai_payloads as P
from recon.backends.base import Backend, Fingerprint, Generation, GenRequest, Message, Score, ScoreRequest
from recon.backends.chat_template import render_chat, template_identity
from recon.backends.tokenize import split_whitespace
from recon.errors import BackendError, ConfigError
from recon.redaction import clip_redacted, remember_secret

RETRY_STATUS = {408, 429, 500, 502, 503, 504}
PROBE_TEXT = "The court heard the case because the law"


def server_address(base_url: str) -> str:
    """scheme://host[:port]/path of a URL: never user:password, query or fragment (they may hold secrets).

    >>> server_address("https://user:pw@Host.example:8443/v1/?key=x")
    'https://host.example:8443/v1'
    """
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path.rstrip('/')}"


def server_label(base_url: str) -> str:
    """host:port of a URL (no credentials, path or query): how errors name a server."""
    parts = urlsplit(base_url)
    return f"server {parts.hostname}:{parts.port}" if parts.port else f"server {parts.hostname}"


def url_secrets(base_url: str) -> list[str]:
    """The secrets of a URL's `user:password@` (remembered, so no later message can quote them): the user and
    password as written and decoded, and their Basic-auth form. Empty without credentials.

    >>> url_secrets("http://reader:pw%21@h/v1")
    ['reader:pw%21', 'reader:pw!', 'pw%21', 'pw!', 'cmVhZGVyOnB3IQ==']
    >>> url_secrets("http://h/v1")
    []
    """
    parts = urlsplit(base_url)
    userinfo = parts.netloc.rpartition("@")[0]
    if not userinfo:
        return []
    user, _, password = userinfo.partition(":")
    plain = f"{unquote(user)}:{unquote(password)}"
    found = [userinfo, plain, password, unquote(password), base64.b64encode(plain.encode()).decode()]
    found = list(dict.fromkeys(s for s in found if s))
    for secret in found:
        remember_secret(secret)
    return found


@functools.cache
def tls_context():
    """httpx's default TLS context, built once per process: building it costs ~50 ms, once per batch call
    otherwise (a window's phase is one call)."""
    import httpx
    return httpx.create_ssl_context()


class OpenAIBackend(Backend):
    def __init__(self, model: str, base_url: str, *, api_key_env: str | None = "OPENAI_API_KEY",
                 concurrency: int = 8, timeout_s: float = 120.0, max_retries: int = 4,
                 backoff_s: float = 0.5, chat_template: str | None = None, trust_tolerance: float = 0.1,
                 sleep: Callable[[float], Any] | None = None, revision: str | None = None):
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError("the base URL must start with http:// or https://")
        if concurrency < 1 or max_retries < 0:
            raise ConfigError("concurrency must be >= 1 and max_retries >= 0")
        self.model, self.base_url = model, base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.concurrency, self.timeout_s = concurrency, timeout_s
        self.max_retries, self.backoff_s = max_retries, backoff_s
        self.chat_template = chat_template
        self.trust_tolerance = trust_tolerance
        self.server = server_label(base_url)
        self._url_secrets = url_secrets(base_url)
        self._refuse_two_credentials()
        # what produced a result: the server (a model name alone does not say which weights answer), or the
        # user's explicit `revision` of them; and the chat template, which decides the exact text scored
        extra: dict[str, Any] = {"revision": revision} if revision else {"server": server_address(base_url)}
        if chat_template:
            extra["chat_template"] = template_identity(chat_template)
        self.fingerprint = Fingerprint(kind="openai", model=model, extra=extra)
        self.preferred_batch = concurrency * 2
        self.window_pairs = concurrency            # even a phase of one request per pair fills `concurrency`
        self._sleep = sleep or asyncio.sleep
        self._trusted: bool | None = None

    # -- credentials --------------------------------------------------------------------------
    def _api_key(self) -> str | None:
        """The key in the variable `api_key_env` names (remembered, so no later message can quote it)."""
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        remember_secret(key)
        return key or None

    def _refuse_two_credentials(self) -> None:
        """A request carries one Authorization header: a URL's user:password (Basic) and an API key (Bearer) cannot
        both be sent, and recon does not pick one silently."""
        if self._url_secrets and self._api_key():
            raise ConfigError(
                f"{self.server}: the base URL carries user:password (sent as Basic auth) and the environment variable "
                f"{self.api_key_env} holds an API key (sent as a Bearer-token header), but a request carries only one: "
                "remove user:password from the URL to send the key, or send the URL's credentials alone by not "
                f"naming a key (api_key_env: null in a config, --api-key-env '' on the command line) or unsetting "
                f"{self.api_key_env}")

    def _headers(self) -> dict[str, str]:
        self._refuse_two_credentials()           # the variable may have been set since the backend was built
        key = self._api_key()
        return {"Authorization": f"Bearer {key}"} if key else {}

    # -- transport ----------------------------------------------------------------------------

    async def _post(self, client, path: str, payload: dict) -> Any:
        import httpx
        last = ""
        for attempt in range(self.max_retries + 1):
            retry_after = None
            try:
                resp = await client.post(self.base_url + path, json=payload)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last = f"{type(exc).__name__}"
            else:
                if resp.status_code < 400:
                    try:
                        return resp.json()
                    except ValueError:
                        raise BackendError(f"{self.server}: malformed JSON in the response to {path}") from None
                last = f"HTTP {resp.status_code}"
                if resp.status_code in (401, 403):
                    raise ConfigError(f"{self.server}: {path} refused the credentials ({last}); check the "
                                      f"environment variable {self.api_key_env or '(none configured)'}")
                if resp.status_code == 404:
                    raise ConfigError(f"{self.server}: {path} not found (HTTP 404); check the base URL and that "
                                      f"the server serves model {self.model!r}")
                if resp.status_code not in RETRY_STATUS:
                    reply = clip_redacted(resp.text, 200, secrets=[self._api_key()])   # redacted, then cut
                    raise BackendError(f"{self.server}: {path} failed with {last}: {reply}")
                retry_after = resp.headers.get("retry-after")
            if attempt == self.max_retries:
                break
            delay = min(30.0, self.backoff_s * 2 ** attempt) * (0.5 + random.random())
            if retry_after and retry_after.replace(".", "", 1).isdigit():
                delay = max(delay, min(60.0, float(retry_after)))
            await self._sleep(delay)
        raise BackendError(f"{self.server}: {path} still failing after {self.max_retries + 1} tries ({last})",
                           retryable=True)

    def _run_all(self, jobs: list[Callable], on_result=None) -> list:
        async def main():
            import httpx
            sem = asyncio.Semaphore(self.concurrency)
            limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
            async with httpx.AsyncClient(timeout=self.timeout_s, headers=self._headers(), verify=tls_context(),
                                         limits=limits) as client:
                async def one(i, job):
                    async with sem:
                        result = await job(client)
                    if on_result is not None:
                        on_result(i, result)
                    return result
                return await asyncio.gather(*(one(i, j) for i, j in enumerate(jobs)), return_exceptions=True)
        results = asyncio.run(main())
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            err = next((e for e in errors if not isinstance(e, BackendError)), errors[0])
            if not isinstance(err, BackendError):
                raise err                                   # ConfigError and bugs stop the job
            partial = [None if isinstance(r, BaseException) else r for r in results]
            raise BackendError(str(err), retryable=err.retryable, partial=partial)
        return results

    # -- generation ---------------------------------------------------------------------------
    def _generate(self, requests: list[GenRequest], on_result=None) -> list[Generation]:
        def job(req):
            async def run(client):
                body = await self._post(client, "/chat/completions", P.build_chat_payload(self.model, req))
                return P.parse_chat_response(body, server=self.server)
            return run
        return self._run_all([job(r) for r in requests], on_result)

    # -- scoring ------------------------------------------------------------------------------
    def _prompt_text(self, req: ScoreRequest) -> str:
        if not self.chat_template:
            raise ConfigError(
                f"{self.server}: likelihood scoring sends raw text to /completions, so recon must render the "
                "chat prompt itself; set chat_template ('chatml' or the model's Jinja template file)")
        return render_chat(self.chat_template, req.messages)

    def check_trust(self) -> None:
        """Refuse a server whose echoed log-probabilities disagree with its own generation log-probabilities."""
        if self._trusted is None:
            async def probe(client):
                body = await self._post(client, "/completions", P.build_next_token_payload(self.model, PROBE_TEXT))
                token, lp_gen = P.parse_next_token(body, server=self.server)
                echo = await self._post(client, "/completions", P.build_echo_payload(self.model, PROBE_TEXT + token))
                return lp_gen, P.echo_token_logprob(echo, at_char=len(PROBE_TEXT), server=self.server)
            lp_gen, lp_echo = self._run_all([probe])[0]
            self._trusted = lp_echo is not None and abs(lp_gen - lp_echo) <= self.trust_tolerance
            self._probe = (lp_gen, lp_echo)
        if not self._trusted:
            lp_gen, lp_echo = self._probe
            raise ConfigError(
                f"{self.server}: its echoed prompt log-probabilities cannot be trusted (the token it generates "
                f"after a probe prompt has logprob {lp_gen:.3f}, but echoing it gives {lp_echo}); use a server "
                "with correct prompt logprobs (e.g. vLLM) or a local backend for likelihood scoring")

    def preflight(self, op: str) -> None:
        """Likelihood scoring needs a chat template and a server whose echoed logprobs pass the trust probe."""
        if op == "logprob":
            if not self.chat_template:
                self._prompt_text(ScoreRequest(messages=(Message("user", "x"),), continuation="x"))
            self.check_trust()

    def _logprob(self, requests: list[ScoreRequest], on_result=None) -> list[Score]:
        prompts = [self._prompt_text(r) for r in requests]      # a missing template fails before any call
        self.check_trust()

        def job(prompt, req):
            async def run(client):
                context, continuation = split_whitespace(prompt, req.continuation)
                text = context + continuation
                body = await self._post(client, "/completions", P.build_echo_payload(self.model, text))
                return P.parse_echo_score(body, text=text, context_chars=len(context), server=self.server)
            return run
        return self._run_all([job(p, r) for p, r in zip(prompts, requests, strict=True)], on_result)
