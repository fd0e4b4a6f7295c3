"""write_split_result: the leak report is written first and a leak refuses the splits."""

from __future__ import annotations

import json

import pytest

from datagen.records.sample import samples_to_table
from datagen.splits import SplitLeakError, read_split, split_samples, write_split_result


def test_writes_splits_and_reports(fx, tmp_path):
    res = split_samples(samples_to_table(fx.make_corpus(40)))
    paths = write_split_result(res, tmp_path)
    assert read_split(tmp_path, "train").num_rows == res.tables["train"].num_rows
    report = json.loads(paths["split_report"].read_text())
    assert report["dropped_exact_duplicate"] == 0 and report["leaks_ok"] is True


def test_leaking_result_is_refused_and_stale_splits_removed(fx, tmp_path):
    res = split_samples(samples_to_table(fx.make_corpus(40)))
    write_split_result(res, tmp_path)
    res.leaks.ok = False
    res.leaks.overlaps["seed_id"]["train|test"] = 2
    with pytest.raises(SplitLeakError, match=r"2 seed_id train\|test"):
        write_split_result(res, tmp_path)
    assert not (tmp_path / "splits" / "train.parquet").exists()
    assert json.loads((tmp_path / "splits" / "leak_report.json").read_text())["ok"] is False
