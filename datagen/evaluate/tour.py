"""Helpers behind ``notebooks/saferec_tour.ipynb``: make sure a run exists, tabulate it.

:func:`ensure_run` creates what is missing in a run folder by calling the project's own CLI
(``datagen synthesize`` on the defaults, ``datagen split``, ``datagen baseline ...``), so the
notebook executes on a fresh clone. The table helpers turn ``samples.parquet`` and the tags
into small polars frames that the notebook plots.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from datagen.errors import DatagenError

__all__ = [
    "dropped_reasons",
    "ensure_run",
    "strategy_counts",
    "tag_coverage",
    "trait_counts",
]

_CLI = "from datagen.cli.main import main; main()"


def _datagen(args: Sequence[str], cwd: Path | None) -> None:
    proc = subprocess.run([sys.executable, "-c", _CLI, *args], cwd=cwd, capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise DatagenError(f"`datagen {' '.join(args)}` failed: {' | '.join(tail)}")


def ensure_run(
    run_dir: str | Path,
    *,
    baselines: Sequence[str] = ("popularity", "graph", "graph_safe", "graph_stated"),
    split: str = "test",
    synth_args: Sequence[str] = (),
    cwd: str | Path | None = None,
) -> list[str]:
    """Run whatever is missing of synthesize -> split -> baselines; return the commands run."""
    run = Path(run_dir)
    steps: list[list[str]] = []
    if not (run / "samples.parquet").is_file():
        steps.append(["synthesize", "--run-dir", str(run), *synth_args])
    if not (run / "splits" / f"{split}.parquet").is_file():
        steps.append(["split", "--run-dir", str(run)])
    missing = [n for n in baselines if not (run / "predictions" / f"{n}.jsonl").is_file()]
    if missing:
        steps.append(["baseline", *missing, "--split", split, "--run-dir", str(run)])
    for args in steps:
        _datagen(args, Path(cwd) if cwd else None)
    return ["datagen " + " ".join(a) for a in steps]


def trait_counts(samples: pl.DataFrame) -> pl.DataFrame:
    """Samples per trait, plus a ``(control)`` row for samples without a trait."""
    per_trait = (samples.select(pl.col("traits").explode().alias("trait"))
                 .drop_nulls().group_by("trait").len().rename({"len": "samples"}))
    control = samples.filter(pl.col("traits").list.len() == 0).height
    extra = pl.DataFrame({"trait": ["(control)"], "samples": [control]},
                         schema=per_trait.schema)
    return pl.concat([per_trait, extra]).sort("samples", descending=True)


def strategy_counts(samples: pl.DataFrame) -> pl.DataFrame:
    """Cues per (trait, strategy): how each trait was woven into the dialogue."""
    cues = samples.select(pl.col("cues").explode()).drop_nulls().unnest("cues")
    if cues.height == 0:
        return pl.DataFrame(schema={"trait_id": pl.String, "strategy": pl.String,
                                    "cues": pl.UInt32})
    return (cues.group_by("trait_id", "strategy").len().rename({"len": "cues"})
            .sort("trait_id", "strategy"))


def dropped_reasons(samples: pl.DataFrame) -> pl.DataFrame:
    """Removed ground-truth candidates per (trait, status): why ground truth shrank."""
    dropped = samples.select(pl.col("dropped_candidates").explode()).drop_nulls()
    dropped = dropped.unnest("dropped_candidates")
    if dropped.height == 0:
        return pl.DataFrame(schema={"trait_id": pl.String, "status": pl.String,
                                    "candidates": pl.UInt32})
    return (dropped.with_columns(pl.col("trait_id").fill_null("(none)"))
            .group_by("trait_id", "status").len().rename({"len": "candidates"})
            .sort("trait_id", "status"))


def tag_coverage(tags: Any, item_ids: Sequence[str], trait_ids: Sequence[str]) -> pl.DataFrame:
    """Items per trait with status yes / no / unknown (a missing tag counts as unknown)."""
    from datagen.evaluate.metrics import status_matrix

    matrix = status_matrix(tags, list(item_ids), list(trait_ids))
    rows = []
    for j, trait in enumerate(trait_ids):
        col = matrix[:, j]
        rows.append({"trait": trait, "yes": int((col == 2).sum()), "no": int((col == 0).sum()),
                     "unknown": int((col == 1).sum())})
    return pl.DataFrame(rows)
