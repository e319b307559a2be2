"""Data embedded in an HTML page as JSON inside a `<script>` element, safely: `<`, `>` and `&` (and the
JavaScript line separators) are written as `\\u` escapes, so no string can close the element (`</script>`) or
put the parser into a comment or nested-script state (`<!--<script>`). `JSON.parse` reads it back unchanged.

    >>> script_json({"x": "</script><!--<script>"})
    '{"x":"\\\\u003c/script\\\\u003e\\\\u003c!--\\\\u003cscript\\\\u003e"}'
"""

from __future__ import annotations

import json

_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def script_json(data: object) -> str:
    """`data` as compact JSON that is safe inside `<script type="application/json">` or a script literal."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text
