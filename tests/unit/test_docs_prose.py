"""The README and docs/ read as reference: no sentence over 50 words, and the README opens with what recon is
and its two commands.

A sentence is counted on prose only: fenced and indented code, tables, headings and HTML are dropped, an
inline code span counts as one word, a list item is its own unit, and a sentence ends at . ! or ? followed
by a space and a capital letter or a code span.

>>> [word_count(s) for s in sentences("One `two three`. Four five!\\n\\n- six\\n- seven `x`\\n")]
[2, 2, 1, 2]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MAX_WORDS = 50

CODE_SPAN = re.compile(r"`[^`\n]+`")
LIST_ITEM = re.compile(r"^\s*([-*+]|\d+\.)\s+")
SENTENCE_END = re.compile(r"(?<=[.!?])[*_)\"']*\s+(?=[*_(\[\"]*[A-Z\x00])")


def _units(text: str) -> Iterator[str]:
    """Paragraphs and list items of prose, one string each."""
    text = re.sub(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", "", text, flags=re.S | re.M)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    current: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if line.startswith("    ") and not current:
            continue  # an indented code block
        item = LIST_ITEM.match(line)
        if not stripped or stripped.startswith(("#", "|", "<")) or item:
            if current:
                yield " ".join(current)
            current = [line[item.end():].strip()] if item else []
            continue
        current.append(stripped)
    if current:
        yield " ".join(current)


def sentences(text: str) -> Iterator[str]:
    """Each sentence of the prose in `text`, with each code span as one token (restored in the result)."""
    for unit in _units(text):
        spans = CODE_SPAN.findall(unit)
        hidden = CODE_SPAN.sub("\x00", unit)
        hidden = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", hidden)
        for part in SENTENCE_END.split(hidden):
            if part.strip():
                yield _restore(part, spans)


def _restore(part: str, spans: list[str]) -> str:
    """Put the code spans back, consuming them in order."""
    pieces = part.split("\x00")
    out = pieces[0]
    for piece in pieces[1:]:
        out += spans.pop(0) + piece
    return out


def word_count(sentence: str) -> int:
    return len(CODE_SPAN.sub("CODE", sentence).split())


def test_no_sentence_over_fifty_words() -> None:
    long = [
        f"{path.relative_to(ROOT)}: {word_count(s)} words: {s[:90]}..."
        for path in DOCS
        for s in sentences(path.read_text(encoding="utf-8"))
        if word_count(s) > MAX_WORDS
    ]
    assert not long, "sentences over 50 words; split them:\n" + "\n".join(long)


def test_the_splitter_finds_a_long_sentence() -> None:
    prose = "Short one. Many " + " ".join(["word"] * 50) + ". `code` starts the next one."
    counts = [word_count(s) for s in sentences(prose)]
    assert counts == [2, 51, 5]


def test_readme_opens_with_what_recon_is_then_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# "), "README.md:1: the title comes first"
    fence = next(i for i, line in enumerate(lines) if line.startswith("```"))
    opening = [line for line in lines[1:fence] if line.strip()]
    assert opening, "README.md: a paragraph saying what recon is comes before the first code block"
    assert not any(line.startswith("#") for line in opening), "README.md: no heading before the two commands"
    assert "recon" in " ".join(opening).lower()
    end = next(i for i in range(fence + 1, len(lines)) if lines[i].startswith("```"))
    commands = [line.strip() for line in lines[fence + 1:end] if line.strip()]
    assert commands == ["make demo", "make test"], f"README.md:{fence + 1}: the first block is the two commands"


def test_the_two_commands_exist_in_the_makefile() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert re.search(rf"^{target}:", makefile, flags=re.M), f"Makefile: no `{target}` target"
