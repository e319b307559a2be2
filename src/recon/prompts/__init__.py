"""Prompt templates, shipped as package data and versioned by content hash.

A template file has a `### system` and a `### user` section; `$name` placeholders are filled with
`string.Template` (so braces in conversation text need no escaping).

    >>> t = load_prompt("backward")
    >>> msgs = t.render(individual="Ann", context="Bob: Why?", action="Because.")
    >>> [m.role for m in msgs], len(t.version)
    (['system', 'user'], 12)
"""

from __future__ import annotations

import importlib.resources
import re
import string
from dataclasses import dataclass
from functools import cache

from recon.backends.base import Message
from recon.errors import ConfigError
from recon.hashing import content_hash


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    system: str
    user: str

    @property
    def version(self) -> str:
        return content_hash([self.system, self.user], tag="prompt", length=12)

    def render(self, **values: str) -> tuple[Message, ...]:
        try:
            return (Message("system", string.Template(self.system).substitute(values)),
                    Message("user", string.Template(self.user).substitute(values)))
        except KeyError as exc:
            raise ConfigError(f"prompt {self.name!r} needs a value for ${exc.args[0]}") from None


def parse_prompt(name: str, text: str) -> PromptTemplate:
    parts = re.split(r"^### (system|user)\s*$", text, flags=re.M)
    sections = {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts) - 1, 2)}
    if set(sections) != {"system", "user"}:
        raise ConfigError(f"prompt {name!r} needs exactly a '### system' and a '### user' section")
    return PromptTemplate(name=name, system=sections["system"].strip(), user=sections["user"].strip())


@cache
def load_prompt(name: str) -> PromptTemplate:
    try:
        text = importlib.resources.files("recon.prompts").joinpath(f"{name}.txt").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"no prompt template named {name!r}") from None
    return parse_prompt(name, text)


def prompt_versions() -> dict[str, str]:
    """Every shipped template's version: part of every stage key, so changed prompts re-run stages."""
    names = sorted(p.name[:-4] for p in importlib.resources.files("recon.prompts").iterdir()
                   if p.name.endswith(".txt"))
    return {name: load_prompt(name).version for name in names}
