"""Render chat messages to raw prompt text, for servers whose log-probabilities come from the
text-completions endpoint (which applies no template).

A template is `chatml` (built in) or a path to a Jinja file (the model's own `chat_template`), rendered
with `add_generation_prompt=True` in a sandbox.

    >>> from recon.backends.base import Message
    >>> render_chat("chatml", (Message("user", "Hi"),))
    '<|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\n'
"""

from __future__ import annotations

from pathlib import Path

from recon.backends.base import Message
from recon.errors import ConfigError
from recon.hashing import content_hash


def _chatml(messages: tuple[Message, ...]) -> str:
    body = "".join(f"<|im_start|>{m.role}\n{m.content}<|im_end|>\n" for m in messages)
    return body + "<|im_start|>assistant\n"


def template_text(template: str) -> str:
    """The template's source ('chatml' or a file's text); a missing file is a ConfigError."""
    if template == "chatml":
        return "chatml"
    path = Path(template)
    if not path.is_file():
        raise ConfigError(f"chat template {template!r}: use 'chatml' or the path of a Jinja template file")
    return path.read_text(encoding="utf-8")


def template_identity(template: str) -> str:
    """A content hash of the template (part of the fingerprint: it decides the exact text scored)."""
    return content_hash(template_text(template), tag="chat-template", length=12)


def render_chat(template: str, messages: tuple[Message, ...], *, bos_token: str = "",
                eos_token: str = "") -> str:
    source = template_text(template)
    if source == "chatml":
        return _chatml(messages)
    try:
        from jinja2 import TemplateError
        from jinja2.sandbox import ImmutableSandboxedEnvironment
    except ImportError as exc:
        raise ConfigError("Jinja chat templates need jinja2: pip install jinja2") from exc
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    try:
        return env.from_string(source).render(messages=[{"role": m.role, "content": m.content} for m in messages],
                                              add_generation_prompt=True, bos_token=bos_token, eos_token=eos_token)
    except TemplateError as exc:
        raise ConfigError(f"chat template {template!r} does not render: {exc}") from None
