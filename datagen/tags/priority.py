"""Which evidence wins: human verdicts over every source, and measured source confidences.

Two rules that sit on top of the fusion policy (:mod:`datagen.tags.fusion` calls both):

* **Human verdicts outrank everything.** Evidence with source :data:`HUMAN_SOURCE`
  (``human:argilla``, written by ``datagen annotate pull --kind tags``) about a trait decides
  that pair: ``present`` makes it ``yes`` (score 1.0), ``absent`` makes it ``no`` (score
  0.0), whatever DoesTheDogDie, Parents Guide, rules, curated or LLM rows say. Their lines
  stay in the pair's evidence, so `datagen tags explain` still shows what was overruled.
* **Per-source confidences (opt-in).** :class:`SourceConfidences` (from `datagen tags
  report`: the precision of each source's ``yes`` and ``no`` against human verdicts) replace
  the confidence of that source's present / absent rows before fusion; a (source, trait)
  entry wins over the source's overall entry. Vote and Parents Guide rows keep their own
  arithmetic. The mapping used is stored in the tags file's metadata.
"""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ALL_TRAITS",
    "HUMAN_SOURCE",
    "SourceConfidence",
    "SourceConfidences",
    "apply_human_verdicts",
    "apply_source_confidences",
    "source_kind",
]

HUMAN_SOURCE = "human:argilla"
#: the trait key of a source's overall confidence in :class:`SourceConfidences`
ALL_TRAITS = "*"


def source_kind(source: str) -> str:
    """The family a source belongs to: human, llm, curated, rule, user_tag, ddd, pg, other."""
    head = source.split(":", 1)[0]
    if source == HUMAN_SOURCE or head == "human":
        return "human"
    if head in ("llm", "curated", "rule"):
        return head
    if source == "parents_guide":
        return "pg"
    return source if source in ("user_tag", "ddd") else "other"


class SourceConfidence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: confidence given to the source's present rows (precision of its yes); None = keep
    present: float | None = Field(default=None, ge=0.0, le=1.0)
    #: confidence given to the source's absent rows (precision of its no); None = keep
    absent: float | None = Field(default=None, ge=0.0, le=1.0)
    #: human verdicts behind the figures (for the record)
    verdicts: int = 0


class SourceConfidences(BaseModel):
    """source -> trait id (or ``*``) -> confidences; what `tags report --confidences` writes."""

    model_config = ConfigDict(extra="forbid")
    report: str = ""  # where the figures came from
    sources: dict[str, dict[str, SourceConfidence]] = Field(default_factory=dict)

    def frame(self) -> pl.DataFrame:
        rows = [(src, trait, c.present, c.absent) for src, by in self.sources.items()
                for trait, c in by.items()]
        return pl.DataFrame(rows, schema={"source": pl.String, "cal_trait": pl.String,
                                          "cal_present": pl.Float64, "cal_absent": pl.Float64},
                            orient="row")


def apply_source_confidences(rows: pl.DataFrame, confidences: SourceConfidences | None
                             ) -> pl.DataFrame:
    """Trait-resolved evidence rows with calibrated confidences (``kind == "conf"`` rows)."""
    if confidences is None or not confidences.sources:
        return rows
    cal = confidences.frame()
    exact = cal.filter(pl.col("cal_trait") != ALL_TRAITS).rename({"cal_trait": "trait_id"})
    overall = cal.filter(pl.col("cal_trait") == ALL_TRAITS).drop("cal_trait")
    joined = rows.join(exact, on=["source", "trait_id"], how="left").join(
        overall, on="source", how="left", suffix="_all")
    is_conf = pl.col("kind") == "conf"
    present = pl.coalesce("cal_present", "cal_present_all")
    absent = pl.coalesce("cal_absent", "cal_absent_all")
    value = pl.when(pl.col("polarity") == "present").then(present).otherwise(absent)
    calibrated = pl.when(is_conf & value.is_not_null()).then(value).otherwise(
        pl.col("confidence"))
    return joined.with_columns(calibrated.alias("confidence")).select(rows.columns)


def apply_human_verdicts(tags: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """Decided tags with every pair that has a human verdict set by it (see module doc)."""
    human = rows.filter((pl.col("source") == HUMAN_SOURCE) & pl.col("trait_id").is_not_null())
    if human.height == 0:
        return tags
    verdicts = human.group_by(["item_id", "trait_id"]).agg(
        (pl.col("polarity") == "present").any().alias("_h_present"),
        (pl.col("polarity") == "absent").any().alias("_h_absent"),
    ).with_columns(
        pl.when(pl.col("_h_present") & pl.col("_h_absent")).then(pl.lit(None, pl.String))
        .when(pl.col("_h_present")).then(pl.lit("yes")).otherwise(pl.lit("no"))
        .alias("_human"))
    out = tags.join(verdicts.select("item_id", "trait_id", "_human"),
                    on=["item_id", "trait_id"], how="left", maintain_order="left")
    return out.with_columns(
        pl.coalesce("_human", "status").alias("status"),
        pl.when(pl.col("_human") == "yes").then(pl.lit(1.0))
        .when(pl.col("_human") == "no").then(pl.lit(0.0))
        .otherwise(pl.col("score")).alias("score"),
    ).drop("_human")
