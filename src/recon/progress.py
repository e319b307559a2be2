"""How long work reports its progress: a `Progress` is a callable (description, total) that returns a context
manager yielding `advance(n=1)`. The CLI passes a bar on a terminal and `line_progress` elsewhere (a batch
log); library callers pass nothing and get `silent_progress`.

    >>> with silent_progress("synthesize", 3) as advance:
    ...     advance(2)
    >>> import io; log = io.StringIO()
    >>> with line_progress(log, interval=0, clock=iter(range(99)).__next__)("predict", 2) as advance:
    ...     advance(1); advance(1)
    >>> print(log.getvalue(), end="")
    predict: 0/2 started
    predict: 1/2 (50%) elapsed 0:01 rate 1.00/s ETA 0:01
    predict: 2/2 done in 0:03 (0.67/s)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TextIO

# (description, total) -> context manager yielding advance(n)
Progress = Callable[[str, int], AbstractContextManager[Callable[..., object]]]


@contextmanager
def silent_progress(description: str, total: int):
    """A progress that shows nothing (the default when no bar is asked for)."""
    yield lambda n=1: None


def format_duration(seconds: float) -> str:
    """Seconds as M:SS, or H:MM:SS from an hour on.

    >>> format_duration(75), format_duration(3600)
    ('1:15', '1:00:00')
    """
    whole = int(round(max(seconds, 0.0)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_rate(done: int, seconds: float) -> str:
    """Items per second, or seconds per item when one takes longer than ten seconds.

    >>> format_rate(3, 2.0), format_rate(1, 40.0), format_rate(0, 0.0)
    ('1.50/s', '40.0 s each', '-')
    """
    if done <= 0 or seconds <= 0:
        return "-"
    rate = done / seconds
    return f"{rate:.2f}/s" if rate >= 0.1 else f"{seconds / done:.1f} s each"


def line_progress(stream: TextIO, *, interval: float = 30.0, percent: float = 5.0,
                  clock: Callable[[], float] = time.monotonic) -> Progress:
    """A `Progress` that writes plain lines to `stream`: one at the start, then one whenever `interval` seconds
    have passed or another `percent` of the total is done since the last line, and always a last line."""

    @contextmanager
    def progress(description: str, total: int) -> Iterator[Callable[..., object]]:
        start = last_time = clock()
        done = last_done = 0

        def write(text: str) -> None:
            stream.write(f"{description}: {text}\n")
            stream.flush()

        def advance(n: int = 1) -> None:
            nonlocal done, last_done, last_time
            done += n
            now = clock()
            step = total * percent / 100
            if done >= total or (now - last_time < interval and (step <= 0 or done - last_done < step)):
                return
            elapsed = now - start
            eta = format_duration((total - done) * elapsed / done) if done > 0 and elapsed > 0 else "?"
            write(f"{done}/{total} ({100 * done // max(total, 1)}%) elapsed {format_duration(elapsed)} "
                  f"rate {format_rate(done, elapsed)} ETA {eta}")
            last_done, last_time = done, now

        write(f"0/{total} started")
        try:
            yield advance
        except BaseException:
            elapsed = clock() - start
            write(f"stopped at {done}/{total} after {format_duration(elapsed)}")
            raise
        elapsed = clock() - start
        write(f"{done}/{total} done in {format_duration(elapsed)} ({format_rate(done, elapsed)})")
    return progress
