"""Dedup + grouped, stratified, deterministic train/validation/test splits of samples.

:func:`split_samples` takes the Arrow table of samples (``SAMPLE_SCHEMA``) and returns one
table per split (rows taken from the input, so the schema is untouched), the split report
(``dropped_<reason>`` counts, per-split counts per trait) and the leak report. Filters run in
this order: failed verification, missing human acceptance, exact duplicates (content hash),
near duplicates (MinHash over the dialogue text, across groups only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, field_validator

from datagen.errors import ConfigError
from datagen.records.sample import SAMPLE_SCHEMA, Turn, dialogue_hash
from datagen.splits.dedup import exact_duplicate_mask, near_duplicate_mask
from datagen.splits.grouping import CONTROL, assign_groups, group_ids
from datagen.splits.guard import check_verified_sizes, size_problems
from datagen.splits.leaks import LeakReport, leak_report
from datagen.splits.minhash import MinHashConfig, minhash_signatures, near_duplicate_pairs

__all__ = ["SPLIT_NAMES", "SplitConfig", "SplitResult", "split_samples"]

SPLIT_NAMES = ("train", "validation", "test")


class SplitConfig(BaseModel):
    """Options of ``datagen split`` (the run's resolved config is stored in the report)."""

    model_config = ConfigDict(extra="forbid")

    ratios: tuple[float, float, float] = (0.9, 0.05, 0.05)
    seed: int = 13
    verified_only: bool = False
    #: write verified-only splits even when one is empty or too small to be stratified
    force: bool = False
    drop_failed_verification: bool = False
    near_dup_threshold: float = Field(default=0.8, gt=0.0, le=1.0)

    @field_validator("ratios")
    @classmethod
    def _ratios_sum_to_one(cls, v: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(r < 0 for r in v) or abs(sum(v) - 1.0) > 1e-6:
            raise ValueError(f"ratios must be 3 non-negative numbers summing to 1, got {v}")
        return v

    @property
    def minhash(self) -> MinHashConfig:
        return MinHashConfig(threshold=self.near_dup_threshold)


@dataclass
class SplitResult:
    tables: dict[str, pa.Table]
    report: dict[str, Any]
    leaks: LeakReport


def _frame(table: pa.Table) -> pl.DataFrame:
    """The columns the split logic needs, one row per sample."""
    cols = ["sample_id", "seed_id", "pair_id", "traits", "messages", "content_hash"]
    df = pl.from_arrow(table.select(cols))
    assert isinstance(df, pl.DataFrame)
    df = df.with_columns(
        pl.col("messages")
        .list.eval(pl.element().struct.field("content"))
        .list.join("\n")
        .alias("text"),
        pl.when(pl.col("traits").list.len() > 0)
        .then(pl.col("traits").list.sort().list.join("+"))
        .otherwise(pl.lit(CONTROL))
        .alias("stratum"),
        pl.col("pair_id").replace("", None),
        passed=pl.Series(pc.struct_field(table.column("verification"), "passed")),
        verdict=pl.Series(pc.struct_field(table.column("human"), "verdict")),
    )
    missing = df["content_hash"].is_null() | (df["content_hash"] == "")
    if missing.any():
        fill = [
            dialogue_hash([Turn(**t) for t in msgs]) if m else h
            for msgs, h, m in zip(df["messages"].to_list(), df["content_hash"].to_list(),
                                  missing.to_list(), strict=True)
        ]
        df = df.with_columns(pl.Series("content_hash", fill, dtype=pl.String))
    return df.drop("messages")


def _filters(df: pl.DataFrame, cfg: SplitConfig) -> list[tuple[str, Callable[..., np.ndarray]]]:
    out: list[tuple[str, Callable[..., np.ndarray]]] = []
    if cfg.drop_failed_verification:
        out.append(("failed_verification", lambda alive: ~df["passed"].fill_null(False)
                    .to_numpy().astype(bool)))
    if cfg.verified_only:
        if df["verdict"].drop_nulls().len() == 0:
            raise ConfigError(
                "--verified-only: no sample has a human verdict yet; run `datagen annotate "
                "pull` first or drop the flag"
            )
        out.append(("not_human_accepted", lambda alive: ~(df["verdict"] == "accepted")
                    .fill_null(False).to_numpy().astype(bool)))
    out.append(("exact_duplicate", lambda alive: exact_duplicate_mask(df, alive)))
    return out


def _trait_counts(df: pl.DataFrame) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {n: {} for n in SPLIT_NAMES}
    exploded = df.select(
        "split",
        pl.when(pl.col("traits").list.len() > 0)
        .then(pl.col("traits"))
        .otherwise(pl.lit([CONTROL], dtype=pl.List(pl.String))),
    ).explode("traits")
    for name, trait, n in exploded.group_by("split", "traits").len().iter_rows():
        out[name][trait] = n
    return {n: dict(sorted(c.items())) for n, c in out.items()}


def split_samples(table: pa.Table, config: SplitConfig | None = None) -> SplitResult:
    """Filter, dedup, group, stratify and split ``table`` (rows with ``SAMPLE_SCHEMA``)."""
    cfg = config or SplitConfig()
    table = table.select(SAMPLE_SCHEMA.names)
    df = _frame(table)
    df = df.with_columns(
        pl.Series("group", group_ids(df["seed_id"].to_list(), df["pair_id"].to_list()))
    )
    alive = np.ones(df.height, dtype=bool)
    dropped: dict[str, int] = {}
    for reason, mask_fn in _filters(df, cfg):
        drop = mask_fn(alive) & alive
        dropped[f"dropped_{reason}"] = int(drop.sum())
        alive &= ~drop
    sig = minhash_signatures(df["text"].to_arrow(), cfg.minhash)
    rows = np.flatnonzero(alive)
    pairs, _ = near_duplicate_pairs(sig[rows], cfg.minhash)
    pairs = rows[pairs]  # frame row numbers
    drop = near_duplicate_mask(df, pairs) & alive
    dropped["dropped_near_duplicate"] = int(drop.sum())
    alive &= ~drop

    kept = df.with_row_index("_row").filter(pl.Series(alive))
    ratios = dict(zip(SPLIT_NAMES, cfg.ratios, strict=True))
    where = assign_groups(kept, ratios, cfg.seed)
    kept = kept.with_columns(
        pl.Series("split", [where[g] for g in kept["group"].to_list()], dtype=pl.String)
    )
    position = np.full(df.height, -1, dtype=np.int64)
    position[kept["_row"].to_numpy()] = np.arange(kept.height)
    kept_pairs = position[pairs]
    kept_pairs = kept_pairs[(kept_pairs >= 0).all(axis=1)]
    leaks = leak_report(kept, None, list(SPLIT_NAMES), cfg.minhash, near_pairs=kept_pairs)
    tables = {}
    for name in SPLIT_NAMES:
        rows = kept.filter(pl.col("split") == name).sort("sample_id")["_row"].to_numpy()
        tables[name] = table.take(pa.array(rows, pa.int64()))
    counts = {n: tables[n].num_rows for n in SPLIT_NAMES}
    trait_counts = _trait_counts(kept)
    labels = len({t for c in trait_counts.values() for t in c})
    problems = size_problems(counts, ratios, labels)
    if cfg.verified_only:
        check_verified_sizes(problems, kept.height, force=cfg.force)
    report = {
        "config": cfg.model_dump(mode="json"),
        "input": df.height,
        "kept": kept.height,
        **dropped,
        "groups": int(kept["group"].n_unique()),
        "strata": int(kept["stratum"].n_unique()),
        "counts": counts,
        "trait_counts": trait_counts,
        "size_problems": problems,
        "leaks_ok": leaks.ok,
    }
    return SplitResult(tables=tables, report=report, leaks=leaks)
