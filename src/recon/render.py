"""How text reaches a prompt: whitespace-normalised, clipped at a word, and a context as 'Speaker: text' lines.

    >>> clip_text("one two three four", 9)
    'one two…'
    >>> from recon.types import Example, Turn
    >>> ex = Example(id="1", domain="d", individual="Ann", conversation_id="c", turn_index=1,
    ...              context=(Turn("Bob", "Why   now?"),), action="Because.")
    >>> render_context(ex, max_turns=4, max_turn_chars=100)
    'Bob: Why now?'
"""

from __future__ import annotations

from recon.types import Example


def clip_text(text: str, limit: int, *, ellipsis: bool = True) -> str:
    """Whitespace-normalised `text`, cut at a word boundary to at most `limit` characters (plus "…")."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if text[limit] == " ":
        cut = text[:limit]                                    # the limit falls right after a whole word
    else:
        cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut + ("…" if ellipsis else "")


def render_context(example: Example, *, max_turns: int, max_turn_chars: int) -> str:
    """The last `max_turns` turns as 'Speaker: text' lines, each clipped to `max_turn_chars`."""
    turns = example.context[-max_turns:]
    if not turns:
        return "(the conversation starts here)"
    return "\n".join(f"{t.speaker}: {clip_text(t.text, max_turn_chars)}" for t in turns)
