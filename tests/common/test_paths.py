from helpers import paths


def test_explicit_dirs_win_over_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CATP_RAW_DIR", str(tmp_path / "env-raw"))
    ws = paths.workspace(raw_dir=tmp_path / "mine")
    assert ws.raw == (tmp_path / "mine").resolve()


def test_environment_overrides_project_default(tmp_path, monkeypatch):
    monkeypatch.setenv("CATP_PROCESSED_DIR", str(tmp_path / "p"))
    assert paths.workspace().processed == (tmp_path / "p").resolve()


def test_defaults_are_project_folders(monkeypatch):
    for var in ("CATP_RAW_DIR", "CATP_PROCESSED_DIR", "CATP_OUTPUT_DIR", "CATP_TRUTH_DIR"):
        monkeypatch.delenv(var, raising=False)
    ws = paths.workspace()
    assert ws.raw == paths.PROJECT_ROOT / "data" / "raw"
    assert ws.output == paths.PROJECT_ROOT / "reports" / "output"
    assert ws.truth == paths.PROJECT_ROOT / "data" / "synthetic-truth"


def test_deliveries_lists_only_dated_folders_oldest_first(tmp_ws):
    for name in ("2025-11-23", "2025-11-17", "notes", "2025-13"):
        (tmp_ws.raw / name).mkdir()
    (tmp_ws.raw / "2025-11-30").write_text("a file, not a folder")
    assert tmp_ws.deliveries() == ["2025-11-17", "2025-11-23"]


def test_a_dated_name_that_is_no_calendar_day_is_not_a_delivery(tmp_ws):
    for name in ("2025-11-23", "2025-99-99", "2025-11-23 (1)", ".hidden"):
        (tmp_ws.raw / name).mkdir()
    assert tmp_ws.deliveries() == ["2025-11-23"]
    assert tmp_ws.other_folders() == ["2025-11-23 (1)", "2025-99-99"]
