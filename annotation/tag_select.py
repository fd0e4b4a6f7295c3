"""Which (film, trait) tags people should verify first: impact and doubt, seeded.

Human time is the scarce resource, so candidates are ranked by what a wrong tag would cost
and how likely it is to be wrong (docs/tags.md, "Choosing what to verify"):

* **impact** - ``slots``: how many ground-truth slots the tag decides (samples whose user has
  the trait and whose ground truth holds the film: those samples are only safe if the tag's
  ``no`` is right); without samples, and as a tie-breaker, the film's popularity rank (popular
  films are the ones recommended and asked about);
* **doubt** - ``disagree``: evidence lines for the pair say both present and absent;
  ``llm_low``: an LLM line below ``low_confidence``, or an LLM line on a pair that stayed
  unknown; ``single_source``: the yes / no rests on one unverified source (curated, an LLM,
  a rule or user tags).

``priority = 3·slots/max_slots + popularity + 2·disagree + 1.5·llm_low + single_source``,
plus a seeded jitter below 0.01 that only breaks ties. Pairs already verified
(``human:argilla`` among their sources) and pairs with no evidence at all (nothing to check)
are left out. ``per_trait`` caps how many records one trait may take.

Evidence lines are read in the format :mod:`datagen.tags.fusion` writes them
(``source: present 0.70: ...``, DoesTheDogDie ``-> clear yes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from datagen.tags.priority import HUMAN_SOURCE

__all__ = ["SelectOptions", "TagCandidate", "ground_truth_slots", "select_tags"]

W_SLOTS, W_DISAGREE, W_LLM_LOW, W_SINGLE = 3.0, 2.0, 1.5, 1.0
_CONF_LINE = r"^(\S+): (present|absent) ([0-9.]+):"


class SelectOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=500, ge=1)
    seed: int = 0
    #: LLM lines below this confidence are doubtful
    low_confidence: float = Field(default=0.75, ge=0.0, le=1.0)
    #: at most this many records per trait (None = no cap)
    per_trait: int | None = Field(default=None, ge=1)
    #: only these traits (empty = all)
    traits: list[str] = Field(default_factory=list)


class TagCandidate(BaseModel):
    """One (film, trait) tag to verify, with why it was chosen."""

    model_config = ConfigDict(extra="forbid")
    item_id: str
    trait_id: str
    status: str
    score: float
    sources: list[str]
    evidence: list[str]
    slots: int
    reasons: list[str]
    priority: float


def ground_truth_slots(samples: pa.Table | None) -> pl.DataFrame:
    """(item_id, trait_id, slots): ground-truth films per trait of the samples' users."""
    schema = {"item_id": pl.String, "trait_id": pl.String, "slots": pl.Int64}
    if samples is None or samples.num_rows == 0:
        return pl.DataFrame(schema=schema)
    gt = pl.from_arrow(samples.select(["traits", "ground_truth"]))
    assert isinstance(gt, pl.DataFrame)
    rows = (gt.explode("traits").drop_nulls("traits").explode("ground_truth")
            .drop_nulls("ground_truth")
            .select(pl.col("ground_truth").struct.field("item_id").alias("item_id"),
                    pl.col("traits").alias("trait_id")))
    return rows.group_by(["item_id", "trait_id"]).len("slots").cast(schema)  # type: ignore[arg-type]


def _doubt(tags: pl.DataFrame, low_confidence: float) -> pl.DataFrame:
    lines = tags.select("item_id", "trait_id", "evidence").explode("evidence").drop_nulls()
    parsed = lines.with_columns(
        pl.col("evidence").str.extract(_CONF_LINE, 1).alias("src"),
        pl.col("evidence").str.extract(_CONF_LINE, 2).alias("pol"),
        pl.col("evidence").str.extract(_CONF_LINE, 3).cast(pl.Float64, strict=False)
        .alias("conf"),
        pl.col("evidence").str.ends_with("-> clear yes").alias("ddd_yes"),
        pl.col("evidence").str.ends_with("-> clear no").alias("ddd_no"),
        pl.col("evidence").str.ends_with("-> contested").alias("ddd_contested"),
    )
    is_llm = pl.col("src").str.starts_with("llm:").fill_null(False)
    return parsed.group_by(["item_id", "trait_id"]).agg(
        ((pl.col("pol") == "present").any() | pl.col("ddd_yes").any()
         | pl.col("ddd_contested").any()).alias("says_present"),
        ((pl.col("pol") == "absent").any() | pl.col("ddd_no").any()
         | pl.col("ddd_contested").any()).alias("says_absent"),
        (is_llm & (pl.col("conf") < low_confidence)).any().alias("llm_low_line"),
        is_llm.any().alias("has_llm"),
    )


def _single_source(sources: pl.Expr) -> pl.Expr:
    kinds = sources.list.eval(pl.element().str.split(":").list.first()).list.unique()
    weak = kinds.list.eval(pl.element().is_in(["curated", "llm", "rule", "user_tag"])).list.all()
    return (sources.list.len() == 1) & weak


def select_tags(
    tags: pa.Table,
    *,
    popularity: dict[str, float] | None = None,
    samples: pa.Table | None = None,
    options: SelectOptions | None = None,
) -> list[TagCandidate]:
    """The ``options.limit`` tags most worth verifying, best first (see module docstring)."""
    options = options or SelectOptions()
    df = pl.from_arrow(tags.select(["item_id", "trait_id", "status", "score", "sources",
                                    "evidence"]))
    assert isinstance(df, pl.DataFrame)
    if options.traits:
        df = df.filter(pl.col("trait_id").is_in(options.traits))
    df = df.filter((pl.col("evidence").list.len() > 0)
                   & ~pl.col("sources").list.contains(HUMAN_SOURCE))
    slots = ground_truth_slots(samples)
    pop = _popularity_rank(popularity or {})
    df = (df.join(_doubt(df, options.low_confidence), on=["item_id", "trait_id"], how="left")
          .join(slots, on=["item_id", "trait_id"], how="left")
          .join(pop, on="item_id", how="left")
          .with_columns(pl.col("slots").fill_null(0), pl.col("pop").fill_null(0.0)))
    decided = pl.col("status").is_in(["yes", "no"])
    df = df.with_columns(
        (pl.col("says_present") & pl.col("says_absent")).fill_null(False).alias("disagree"),
        (pl.col("llm_low_line") | (pl.col("has_llm") & ~decided)).fill_null(False)
        .alias("llm_low"),
        (decided & _single_source(pl.col("sources"))).alias("single_source"),
    )
    max_slots = max(int(df["slots"].max() or 0), 1)  # type: ignore[arg-type]
    jitter = pl.Series("jitter", _jitter(df.height, options.seed))
    df = df.with_columns(jitter).with_columns((
        W_SLOTS * pl.col("slots") / max_slots + pl.col("pop")
        + W_DISAGREE * pl.col("disagree").cast(pl.Float64)
        + W_LLM_LOW * pl.col("llm_low").cast(pl.Float64)
        + W_SINGLE * pl.col("single_source").cast(pl.Float64)
        + pl.col("jitter")).alias("priority"))
    df = df.sort(["priority", "item_id", "trait_id"], descending=[True, False, False])
    if options.per_trait is not None:
        df = df.filter(pl.int_range(pl.len()).over("trait_id") < options.per_trait)
    return [_candidate(r) for r in df.head(options.limit).iter_rows(named=True)]


def _popularity_rank(popularity: dict[str, float]) -> pl.DataFrame:
    """Popularity as a rank share in [0, 1] (1 = the most popular film)."""
    schema = {"item_id": pl.String, "pop": pl.Float64}
    if not popularity:
        return pl.DataFrame(schema=schema)
    df = pl.DataFrame({"item_id": list(popularity), "p": list(popularity.values())},
                      schema={"item_id": pl.String, "p": pl.Float64})
    n = max(df.height - 1, 1)
    return df.select("item_id", ((pl.col("p").rank("min") - 1) / n).alias("pop"))


def _jitter(n: int, seed: int) -> Sequence[float]:
    import numpy as np

    return (np.random.default_rng(seed).random(n) * 0.01).tolist()


def _candidate(row: dict[str, Any]) -> TagCandidate:
    reasons = [name for name in ("disagree", "llm_low", "single_source") if row[name]]
    if row["slots"]:
        reasons.insert(0, "ground_truth")
    return TagCandidate(
        item_id=row["item_id"], trait_id=row["trait_id"], status=row["status"],
        score=row["score"], sources=row["sources"], evidence=row["evidence"],
        slots=row["slots"], reasons=reasons or ["popular"],
        priority=round(float(row["priority"]), 6))
