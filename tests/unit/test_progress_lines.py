"""Progress a batch job can follow: off a terminal, long work writes plain lines (stage, done/total, elapsed,
rate, ETA) at most once per interval or per step of the total, and always a last line; on a terminal, bars
show elapsed time and rate. The clock is injected, so nothing sleeps."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from recon.progress import format_duration, line_progress


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_a_line_per_interval_with_rate_and_eta_and_always_a_last_line():
    out, clock = io.StringIO(), Clock()
    progress = line_progress(out, interval=30, percent=100, clock=clock)
    with progress("synthesize backward", 100) as advance:
        assert lines(out) == ["synthesize backward: 0/100 started"]
        clock.now += 10
        advance(10)                               # 10 s: under the interval, no line
        assert len(lines(out)) == 1
        clock.now += 20
        advance(20)                               # 30 s since the start: a line
        assert lines(out)[-1] == "synthesize backward: 30/100 (30%) elapsed 0:30 rate 1.00/s ETA 1:10"
        clock.now += 5
        advance(5)
        assert len(lines(out)) == 2
        clock.now += 65
        advance(65)
    assert len(lines(out)) == 3
    assert lines(out)[-1] == "synthesize backward: 100/100 done in 1:40 (1.00/s)"


def test_a_line_per_step_of_the_total_without_waiting_for_the_interval():
    out, clock = io.StringIO(), Clock()
    with line_progress(out, interval=3600, percent=25, clock=clock)("predict none", 8) as advance:
        for _ in range(8):
            clock.now += 1
            advance()
    done = [line.split(": ")[1].split()[0] for line in lines(out)]
    assert done == ["0/8", "2/8", "4/8", "6/8", "8/8"]       # 25% steps, the last as the final line


def test_work_that_stops_says_where_it_stopped():
    out, clock = io.StringIO(), Clock()
    with pytest.raises(KeyboardInterrupt), line_progress(out, clock=clock)("evaluate", 10) as advance:
        advance(3)
        raise KeyboardInterrupt
    assert lines(out)[-1].startswith("evaluate: stopped at 3/10")


@pytest.mark.parametrize("seconds,text", [(0, "0:00"), (59.4, "0:59"), (61, "1:01"), (3725, "1:02:05")])
def test_durations_read_as_clock_times(seconds, text):
    assert format_duration(seconds) == text


def test_terminal_bars_show_elapsed_time_and_rate(monkeypatch):
    from recon.cli import output
    screen = Console(file=io.StringIO(), force_terminal=True, width=160, markup=False, emoji=False)
    monkeypatch.setattr(output, "err_console", screen)
    monkeypatch.setattr(output, "settings", output.ProgressSettings())
    clock = Clock()
    with output.progress_bar("synthesize backward", 10, get_time=clock) as advance:
        clock.now += 8
        advance(4)
    shown = screen.file.getvalue()
    assert "4/10" in shown and "0:00:08" in shown and "0.50/s" in shown
