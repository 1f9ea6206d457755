"""helpers.relay: a long step's progress lines, read from its kernel's log, on the console."""

from __future__ import annotations

import time
from pathlib import Path

from helpers import bars
from helpers.relay import Relay


def test_progress_lines_written_to_the_kernel_log_are_said_after_the_steps_label(tmp_path):
    log = tmp_path / "05_packs-vi.kernel.log"
    lines: list[str] = []
    with Relay(log, "[5/5] 05_packs [vi]", lines.append):
        time.sleep(0.2)  # the kernel starts after the relay: the log is not there yet
        with log.open("a", encoding="utf-8") as fh:
            fh.write("some kernel noise\n")
            fh.write(f"{bars.RELAY_PREFIX}unit packs 13/126\n")
            fh.flush()
            time.sleep(1.2)
            fh.write(f"{bars.RELAY_PREFIX}unit packs 126/126\n[IPKernelApp] WARNING | x\n")
    assert lines == [
        "[5/5] 05_packs [vi]: unit packs 13/126",
        "[5/5] 05_packs [vi]: unit packs 126/126",
    ]


def test_a_relay_reads_only_what_its_step_wrote(tmp_path):
    log = tmp_path / "k.log"
    log.write_text(f"{bars.RELAY_PREFIX}ingest 6/6\n", "utf-8")  # an earlier attempt's
    lines: list[str] = []
    with Relay(log, "[1/5] 01_ingest", lines.append):
        pass
    assert lines == []


def test_a_bar_in_a_run_relays_each_tenth_of_its_work(monkeypatch, capfd):
    monkeypatch.setenv(bars.ENV, "final")
    with bars.bar(126, "unit packs", unit="pack") as ticks:
        for _ in range(126):
            ticks.update(1)
    relayed = [
        line.removeprefix(bars.RELAY_PREFIX)
        for line in capfd.readouterr().err.splitlines()
        if line.startswith(bars.RELAY_PREFIX)
    ]
    assert len(relayed) == 10
    assert relayed[0] == "unit packs 13/126" and relayed[-1] == "unit packs 126/126"


def test_a_bar_outside_a_run_relays_nothing(monkeypatch, capfd):
    monkeypatch.delenv(bars.ENV, raising=False)
    with bars.bar(5, "ingest") as ticks:
        ticks.update(5)
    assert bars.RELAY_PREFIX not in capfd.readouterr().err


def test_nothing_is_relayed_from_a_log_never_written(tmp_path: Path):
    lines: list[str] = []
    with Relay(tmp_path / "none.log", "[1/1] x", lines.append):
        pass
    assert lines == []
