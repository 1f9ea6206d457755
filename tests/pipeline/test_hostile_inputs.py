"""Issue #23 as a user meets it: what the audit of the whole issue found still open."""

from __future__ import annotations

import pytest

from helpers import ConfigError, headers, paths, runner
from helpers.packs import protect
from tests.packs.builders import U2, WEEK


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


# ------------------------------------------------------------------ config/aliases.yaml


def _aliases(tmp_path, old: str, new: str):
    path = tmp_path / "aliases.yaml"
    text = paths.ALIASES_FILE.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


def test_an_aliases_file_that_is_not_yaml_is_one_line_naming_the_file_and_the_line(tmp_path):
    # a bracket left open: PyYAML's own message ran over seven lines, quoting the file
    path = _aliases(tmp_path, '"ngày khai báo"]', '"ngày khai báo"')
    with pytest.raises(ConfigError) as caught:
        headers.load_aliases(path)
    message = str(caught.value)
    assert str(path) in message and "line 56" in message and "\n" not in message


def test_a_column_given_twice_in_the_aliases_file_is_an_error_naming_both_lines(tmp_path):
    # PyYAML keeps the last in silence: the first list's spellings were dropped unsaid
    path = _aliases(tmp_path, "    kind: [", '    submitted_at: ["ngày duyệt hồ sơ"]\n    kind: [')
    with pytest.raises(ConfigError, match="'submitted_at' is given twice"):
        headers.load_aliases(path)


def test_a_misspelled_section_of_the_aliases_file_is_an_error_naming_the_known_one(tmp_path):
    # `source:` instead of `sources:` left every column with no spelling but its own name
    path = _aliases(tmp_path, "\nsources:", "\nsource:")
    with pytest.raises(ConfigError, match="source.*sources"):
        headers.load_aliases(path)


def test_a_run_checks_the_aliases_file_before_any_step(tmp_ws, tmp_path, monkeypatch):
    # it failed inside the ingest notebook: a failed/ folder and a notebook cell named
    (tmp_ws.raw / WEEK).mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(paths, "ALIASES_FILE", _aliases(tmp_path, "\nsources:", "\nsource:"))
    headers.reload()
    try:
        with pytest.raises(ConfigError, match="aliases.yaml"):
            runner.run(WEEK, ["vi"], tmp_ws, steps=runner.select_steps("01_ingest"), echo=print)
    finally:
        monkeypatch.undo()
        headers.reload()
    assert not (tmp_ws.output / "failed").exists()
