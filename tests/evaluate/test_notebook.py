"""The dataset tour executes headless on a fresh run folder (CI runs this)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_notebook_matches_its_builder():
    import nbformat

    builder = _load(ROOT / "notebooks" / "build_tour.py", "build_tour")
    committed = nbformat.read(ROOT / "notebooks" / "saferec_tour.ipynb", as_version=4)
    assert [c.source for c in committed.cells] == [c.source for c in builder.build().cells], (
        "notebooks/saferec_tour.ipynb is stale: run python notebooks/build_tour.py")


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_tour_executes_on_a_fresh_run(tmp_path, monkeypatch):
    """No run folder: the notebook synthesizes, splits, runs baselines, then plots."""
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    runner = _load(ROOT / "scripts" / "run_notebook.py", "run_notebook")
    run_dir = tmp_path / "run"
    monkeypatch.setenv("SAFEREC_RUN_DIR", str(run_dir))
    monkeypatch.setenv("SAFEREC_SYNTH_ARGS", "--n 300")  # smaller than the default, same path
    out = tmp_path / "executed.ipynb"
    seconds = runner.run_notebook(ROOT / "notebooks" / "saferec_tour.ipynb", out, timeout=300)
    for name in ("samples.parquet", "splits/test.parquet", "predictions/graph_safe.jsonl"):
        assert (run_dir / name).is_file(), name
    import nbformat

    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 4  # traits/strategies, dropped reasons, coverage, baselines plot
    assert seconds < 300
