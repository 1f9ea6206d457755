"""Merging a city's slices: the appended files and the fault log, on hand-made slice files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from synth import files as sf
from synth import slices as sl


def _log(path: Path, rows: list[tuple[str, int, str]], row_group_size: int) -> Path:
    """A slice's fault log (sorted by file, then row) in row groups of the given size."""
    table = pa.table(
        {
            "source": pa.array(["submissions"] * len(rows)),
            "source_file": pa.array([r[0] for r in rows]),
            "source_row": pa.array([r[1] for r in rows], pa.int64()),
            "fault": pa.array([r[2] for r in rows]),
        }
    )
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def test_fault_logs_merge_file_by_file_when_row_groups_cut_across_files(tmp_path):
    # row groups of 2 rows: one file spreads over groups, one group holds two files
    first = _log(
        tmp_path / "0.parquet",
        [
            ("a.csv", 2, "x"),
            ("a.csv", 5, "y"),
            ("a.csv", 9, "z"),
            ("b.csv", 3, "x"),
            ("c.csv", 2, "y"),
        ],
        row_group_size=2,
    )
    second = _log(
        tmp_path / "1.parquet",
        [("a.csv", 2, "p"), ("c.csv", 4, "q"), ("c.csv", 6, "r")],
        row_group_size=2,
    )
    city = _log(
        tmp_path / "city.parquet", [("b.csv", 7, "s"), ("d.xlsx", 8, "t")], row_group_size=1
    )
    offsets = sl.row_offsets([{"a.csv": 10, "b.csv": 4, "c.csv": 3}, {"a.csv": 5, "c.csv": 6}])
    sl.merge_fault_logs([first, second], offsets, city, tmp_path / "merged.parquet")

    merged = pd.read_parquet(tmp_path / "merged.parquet")
    assert list(zip(merged["source_file"], merged["source_row"], merged["fault"], strict=True)) == [
        ("a.csv", 2, "x"),
        ("a.csv", 5, "y"),
        ("a.csv", 9, "z"),
        ("a.csv", 12, "p"),  # the second slice's rows follow the first slice's 10
        ("b.csv", 3, "x"),
        ("b.csv", 7, "s"),  # the city-wide rows are not moved
        ("c.csv", 2, "y"),
        ("c.csv", 7, "q"),
        ("c.csv", 9, "r"),
        ("d.xlsx", 8, "t"),
    ]


def _slice(folder: Path, csv_rows: str, names: pa.Array) -> dict:
    (folder / "raw" / "d").mkdir(parents=True)
    (folder / "truth" / "w").mkdir(parents=True)
    (folder / "raw" / "d" / "subs.csv").write_text(csv_rows, "utf-8")
    pq.write_table(pa.table({"n": pa.array([1, 2]), "name": names}), folder / "truth/w/t.parquet")
    return {"d/subs.csv": csv_rows.count("\n")}


def test_appended_slices_follow_each_other_and_a_late_type_settles_a_null_column(tmp_path):
    out, truth = tmp_path / "out", tmp_path / "truth"
    appender = sl.SliceAppender(out, truth)
    # the first slice never filled "name": Arrow typed it null; the merge waits for a type
    files = _slice(tmp_path / "s0", "id,v\n1,a\n", pa.nulls(2))
    appender.add(tmp_path / "s0", files)
    files = _slice(tmp_path / "s1", "2,b\n3,c\n", pa.array(["x", None]))
    appender.add(tmp_path / "s1", files)
    deferred = appender.close()

    assert (out / "d" / "subs.csv").read_text("utf-8") == "id,v\n1,a\n2,b\n3,c\n"
    assert [dest for dest, _ in deferred] == [truth / "w" / "t.parquet"]
    for dest, sources in deferred:
        sl.append_files(sources, dest)
    merged = pq.read_table(truth / "w" / "t.parquet")
    assert merged.schema.field("name").type == pa.string()
    assert merged.column("name").to_pylist() == [None, None, "x", None]
    assert merged.column("n").to_pylist() == [1, 2, 1, 2]


def test_a_typed_parquet_file_is_appended_as_each_slice_arrives(tmp_path):
    out, truth = tmp_path / "out", tmp_path / "truth"
    appender = sl.SliceAppender(out, truth)
    for k, names in enumerate((["a", "b"], ["c", None])):
        files = _slice(tmp_path / f"s{k}", f"{k},x\n", pa.array(names))
        appender.add(tmp_path / f"s{k}", files)
        # appended and let go: the slice's own copy is gone before the next slice arrives
        assert not (tmp_path / f"s{k}" / "truth" / "w" / "t.parquet").exists()
    assert appender.close() == []
    merged = pq.read_table(truth / "w" / "t.parquet")
    assert merged.column("name").to_pylist() == ["a", "b", "c", None]


def test_a_slice_worker_writes_scratch_the_merge_encodes_once_with_its_compression(tmp_path):
    out, truth = tmp_path / "out", tmp_path / "truth"
    appender = sl.SliceAppender(out, truth)
    sf.write_slices_as_scratch(True)
    try:
        for k in range(2):
            folder = tmp_path / f"s{k}"
            delivered = pd.DataFrame({"plate": [f"29A{k}1", None]})
            sf.write_parquet(delivered, folder / "raw" / "d" / "subs.parquet")
            sf.write_table(pa.table({"n": [k]}), folder / "truth" / "w" / "t.parquet")
            assert not (folder / "raw" / "d" / "subs.parquet").exists()
            assert (folder / "raw" / "d" / "subs.arrow").exists()
            appender.add(folder, {"d/subs.parquet": 2})
    finally:
        sf.write_slices_as_scratch(False)
    assert appender.close() == []

    delivered = pq.ParquetFile(out / "d" / "subs.parquet")
    assert delivered.metadata.row_group(0).column(0).compression == "ZSTD"
    assert delivered.schema_arrow.metadata is None  # a delivered file carries the data only
    assert delivered.read().column("plate").to_pylist() == ["29A01", None, "29A11", None]
    table = pq.ParquetFile(truth / "w" / "t.parquet")
    assert table.metadata.row_group(0).column(0).compression == "SNAPPY"
    assert table.read().column("n").to_pylist() == [0, 1]
    assert not list(tmp_path.glob("s*/**/*.arrow"))  # the scratch is let go once appended


def test_a_failed_city_leaves_no_merged_file_behind(tmp_path):
    # a slice failed after two were appended: what was merged holds part of the city only
    out, truth = tmp_path / "out", tmp_path / "truth"
    appender = sl.SliceAppender(out, truth)
    for k, names in enumerate((["a", "b"], ["c", None])):
        appender.add(tmp_path / f"s{k}", _slice(tmp_path / f"s{k}", f"{k},x\n", pa.array(names)))
    assert (out / "d" / "subs.csv").exists() and (truth / "w" / "t.parquet").exists()
    appender.discard()
    assert not list(out.rglob("*")) and not list(truth.rglob("*.parquet"))
