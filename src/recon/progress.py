"""How long work reports its progress: a `Progress` is a callable (description, total) that returns a context
manager yielding `advance(n=1)`. The CLI passes a bar; library callers pass nothing and get `silent_progress`.

    >>> with silent_progress("synthesize", 3) as advance:
    ...     advance(2)
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager

# (description, total) -> context manager yielding advance(n)
Progress = Callable[[str, int], AbstractContextManager[Callable[..., object]]]


@contextmanager
def silent_progress(description: str, total: int):
    """A progress that shows nothing (the default when no bar is asked for)."""
    yield lambda n=1: None
