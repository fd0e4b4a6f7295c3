"""The comparison tables fit the console: every model's name shows whole, nothing is cropped."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

import datagen.cli.evaluate as cli


@pytest.mark.parametrize("width", [80, 120, 400])
def test_columns_split_into_tables_that_fit(monkeypatch, width):
    out = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=out, width=width, color_system=None))
    names = [f"some-provider/model-{i}.safety-aware-v1" for i in range(7)] + ["graph"]
    labels = ["recall@10", "questions_per_dialogue", "titles_resolved"]
    columns = [(n, [f"0.{i}00", "n/a", str(1000 + i)]) for i, n in enumerate(names)]
    cli._print_columns("SafeRec test", labels, columns, section_after=2)
    text = out.getvalue()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    for name in names:
        assert name in text, name  # never folded or cut to an ellipsis
    assert "…" not in text
    tables = text.count("┃ metric")
    if width == 400:
        assert tables == 1 and "[1/" not in text
    else:
        assert tables > 1 and "[1/" in text
    # every value of every model is printed once
    for i in range(len(names)):
        assert text.count(str(1000 + i)) == 1
