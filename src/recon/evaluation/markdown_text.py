r"""Text from data in report.md, shown as written and never as markup.

Data goes into Markdown as text: `<`, `>` and `&` become HTML entities, so no tag survives whatever HTML a
renderer allows (and it reads as the same text), and every other character that Markdown gives a meaning
inline (emphasis, code, links and images, table cells, a heading's closing `#`) is backslash-escaped. Line
breaks become spaces, so the text stays inline: callers put it after a prefix on its line (a list bullet,
a table cell, a label), never where a line starts. Multi-line text goes into a code fence longer than any
backtick run inside it, where nothing is interpreted.

    >>> print(md_text("<script>alert(1)</script> *x* | ![i](http://e/t.png)"))
    &lt;script&gt;alert(1)&lt;/script&gt; \*x\* \| !\[i\](http://e/t.png)
    >>> print(fenced("a ``` b"))
    ````
    a ``` b
    ````
"""

from __future__ import annotations

import re

_ACTIVE = re.compile(r"([\\`*_\[\]|~#])")        # emphasis, code, links and images, table cells, headings
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def md_text(text: str) -> str:
    """One line of Markdown that renders as `text`, literally."""
    text = " ".join(text.splitlines())
    text = _ACTIVE.sub(r"\\\1", text)
    return re.sub(r"[&<>]", lambda m: _ENTITIES[m.group()], text)


def fenced(text: str) -> str:
    """A fenced code block showing `text` as written: the fence is longer than any backtick run in it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"
