"""`make forms` (python -m helpers.forms): the console says what was written, in English."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from helpers.forms import __main__ as cli
from helpers.forms.issue import Issued
from helpers.forms.write import Period


def test_make_forms_says_what_it_wrote_in_english_like_the_whole_console(monkeypatch, capsys):
    # the console is English throughout (#30); `make forms` printed its line in Vietnamese.
    # The forms themselves are the writer's tests: here only what the command says.
    period = Period(date(2025, 11, 24), date(2025, 11, 30), date(2025, 11, 30), date(2025, 12, 1))
    files = {f"{i:05d}": {"unit_daily": Path("d"), "org_review": Path("o")} for i in range(126)}
    issued = Issued(Path("/out/forms"), period, files, {})
    monkeypatch.setattr(cli, "issue_forms", lambda ws, week: issued)
    assert cli.main(["--week", "2025-11-23"]) == 0
    said = capsys.readouterr().out
    assert said.startswith("Wrote 252 forms for 126 units"), said
