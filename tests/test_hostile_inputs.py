"""Issue #23 as a user meets it: what the audit of the whole issue found still open."""

from __future__ import annotations

import pytest

from helpers import protect, runner
from tests.test_excel import U2, WEEK


def test_a_run_refuses_a_secrets_file_missing_a_unit_before_any_step(tmp_ws):
    # the packs step refused it, but from inside its notebook (a failed/ folder and the
    # notebook's cell); the run's own check, before any step, looked only at the file whole
    (tmp_ws.raw / WEEK).mkdir(parents=True, exist_ok=True)
    protect.passwords_for(tmp_ws, [U2])
    path = protect.password_file(tmp_ws)
    path.write_text("".join(line for line in path.open() if not line.startswith(U2)), "utf-8")
    with pytest.raises(protect.PasswordFileError, match=f"no password for unit\\(s\\) {U2}"):
        runner.run(WEEK, ["vi"], tmp_ws, steps=runner.select_steps("05_packs"), echo=lambda _: None)
    assert not (tmp_ws.output / "failed").exists()  # refused before any notebook ran
