import pandas as pd
import pytest

from helpers import DeliveryError, store


def test_newest_delivery_is_the_default_week(tmp_ws):
    for name in ("2025-11-17", "2025-11-23"):
        (tmp_ws.raw / name).mkdir()
    assert store.resolve_week(tmp_ws) == "2025-11-23"


def test_week_between_deliveries_is_allowed(tmp_ws):
    (tmp_ws.raw / "2025-11-17").mkdir()
    assert store.resolve_week(tmp_ws, "2025-11-20") == "2025-11-20"


@pytest.mark.parametrize(
    "week, message", [("23/11/2025", "YYYY-MM-DD"), ("2025-02-30", "calendar")]
)
def test_badly_written_week_is_explained(tmp_ws, week, message):
    (tmp_ws.raw / "2025-11-17").mkdir()
    with pytest.raises(DeliveryError, match=message):
        store.resolve_week(tmp_ws, week)


@pytest.mark.parametrize(
    ("week", "meant"),
    [
        ("23/11/2025", "2025-11-23"),
        ("3.11.2025", "2025-11-03"),
        ("23-11-2025", "2025-11-23"),
        ("2025/11/23", "2025-11-23"),
        ("2025-11-3", "2025-11-03"),
        ("31/02/2025", None),
        ("next week", None),
    ],
)
def test_a_week_written_another_usual_way_suggests_the_date_meant(tmp_ws, week, meant):
    (tmp_ws.raw / "2025-11-17").mkdir()
    with pytest.raises(DeliveryError) as caught:
        store.resolve_week(tmp_ws, week)
    said = str(caught.value)
    if meant:
        assert said.endswith(f"did you mean {meant}? (WEEK={meant})")
    else:
        assert "did you mean" not in said


def test_a_pipeline_notebook_outside_a_run_is_refused_naming_the_command(tmp_ws, monkeypatch):
    monkeypatch.delenv(store.RUN_ENV, raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/analyst/notebooks/03_progress.ipynb")
    for given in ("", str(tmp_ws.output / "mine")):
        with pytest.raises(store.HandRun) as caught:
            store.output_folder(tmp_ws, "2025-11-23", given)
        said = str(caught.value)
        assert "python -m helpers.runner --week 2025-11-23 --steps 03_progress" in said
        assert "make weekly-report WEEK=2025-11-23" in said
    assert not (tmp_ws.output / "mine").exists()
    monkeypatch.setenv(store.RUN_ENV, "20251123T200000-1")
    folder = store.output_folder(tmp_ws, "2025-11-23", str(tmp_ws.output / "staging"))
    assert folder.is_dir()


def test_week_before_every_delivery_names_the_folders(tmp_ws):
    (tmp_ws.raw / "2025-11-17").mkdir()
    with pytest.raises(DeliveryError, match="2025-11-17"):
        store.resolve_week(tmp_ws, "2025-11-01")


def test_save_then_load_round_trips(tmp_ws):
    df = pd.DataFrame({"unit_code": ["00008"], "n": [3]})
    store.save(tmp_ws, df, "t", "2025-11-23")
    assert store.load(tmp_ws, "t", "2025-11-23").equals(df)


def test_save_refuses_the_raw_folder(tmp_ws):
    ws = tmp_ws.__class__(
        raw=tmp_ws.raw, processed=tmp_ws.raw, output=tmp_ws.output, truth=tmp_ws.truth
    )
    with pytest.raises(PermissionError):
        store.save(ws, pd.DataFrame({"a": [1]}), "t", "2025-11-23")


def test_missing_table_says_which_step_to_run(tmp_ws):
    with pytest.raises(DeliveryError, match="run the earlier pipeline steps"):
        store.load(tmp_ws, "unit_progress", "2025-11-23")


def test_replace_dir_keeps_old_folder_when_block_fails(tmp_path):
    target = tmp_path / "week"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with store.replace_dir(target) as staging:
            (staging / "new.txt").write_text("new")
            raise RuntimeError("boom")
    assert (target / "old.txt").exists() and not (target / "new.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["week"]


def test_replace_dir_swaps_in_new_folder(tmp_path):
    target = tmp_path / "week"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with store.replace_dir(target) as staging:
        (staging / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]


def test_leftovers_of_dead_runs_are_removed_and_the_rest_kept(tmp_path):
    import os
    import subprocess
    import sys

    dead = int(
        subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    names = [
        f".2025-11-23.staging-{dead}-ab12",
        f".2025-11-23.old-{dead}",
        f".2025-11-23.staging-{os.getpid()}-cd34",
        "2025-11-23",
        ".staging-notes",
    ]
    for name in names:
        (tmp_path / name).mkdir()
    removed = store.remove_dead_staging([tmp_path])
    assert sorted(p.name for p in removed) == sorted(names[:2])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[2:])


def test_staging_folder_names_its_run(tmp_path):
    import os

    staging = store.staging_dir(tmp_path, "2025-11-23")
    assert staging.name.startswith(f".2025-11-23.staging-{os.getpid()}-")


def test_load_reads_only_the_columns_and_rows_asked_for(tmp_ws):
    df = pd.DataFrame({"unit_code": ["00008", "00009", "00008"], "status": list("abc"), "x": 1})
    store.save(tmp_ws, df, "t", "2025-11-23")
    mine = store.load(
        tmp_ws,
        "t",
        "2025-11-23",
        columns=["unit_code", "status"],
        filters=[("unit_code", "==", "00008")],
    )
    assert mine.to_dict("list") == {"unit_code": ["00008", "00008"], "status": ["a", "c"]}
