"""Every `recon ...` command the README, docs/ and the Makefile show parses with today's flags, so a renamed
flag or positional cannot linger in what users copy."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from recon.cli.main import build_parser

REPO = Path(__file__).resolve().parents[2]
SHELL = ("bash", "sh", "console", "")


def shell_blocks(text: str) -> Iterator[str]:
    """The fenced blocks of a Markdown page that hold shell lines (bash, sh, console or no language)."""
    lang: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip().startswith("```"):
            if lang is None:
                lang, lines = line.strip()[3:], []
            else:
                if lang in SHELL:
                    yield "\n".join(lines)
                lang = None
        elif lang is not None:
            lines.append(line)


def commands_in(text: str) -> list[str]:
    found = []
    for line in text.replace("\\\n", " ").splitlines():
        match = re.match(r"\s*(?:\.venv/bin/|\$\(BIN\)/|\$ )?recon\s+(.*)", line)
        if match:
            found.append(match.group(1).split(" #")[0].strip())
    return found


def documented_commands() -> list[tuple[str, str]]:
    found = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for block in shell_blocks(page.read_text(encoding="utf-8")):
            found += [(page.name, command) for command in commands_in(block)]
    found += [("Makefile", command) for command in commands_in((REPO / "Makefile").read_text(encoding="utf-8"))]
    return found


def test_the_docs_show_the_renamed_commands():
    shown = [command for _, command in documented_commands()]
    assert any(c.startswith("data stats --data") for c in shown) and any(c.startswith("demo") for c in shown)
    assert len(shown) > 30


@pytest.mark.parametrize("page,command", documented_commands(), ids=[f"{p}: {c[:40]}" for p, c in
                                                                      documented_commands()])
def test_every_documented_command_parses(page, command, capsys):
    try:
        build_parser().parse_args(shlex.split(command))
    except SystemExit as stop:
        assert not stop.code, f"{page}: recon {command}\n{capsys.readouterr().err}"


def test_an_old_spelling_in_a_page_would_be_caught(capsys):
    [command] = commands_in("```bash\n.venv/bin/recon data stats pairs.jsonl\n```")
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(shlex.split(command))
    assert stop.value.code == 2 and "is now --data PATH" in capsys.readouterr().err
