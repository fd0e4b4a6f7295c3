"""Fuse evidence into one yes / no / unknown tag per (item, trait), vectorized with polars.

The reference policy is the default (``final = max(ddd_hit, pg_risk)``, unsafe at 0.66),
extended with rule / user-tag / LLM confidences and with an explicit ``unknown``:

* ``ddd_hit`` = 1.0 when any of the trait's DoesTheDogDie topics is a clear yes, 0.0 when
  DDD votes exist but none is, null without DDD votes.
* ``pg_risk`` = ``(w·s) / (3·Σw)`` over the trait's Parents Guide weights; null without a
  record. A category the record lacks adds 0 to ``w·s`` (not to ``Σw``), so a partial
  record gives a lower bound: it can say yes, but only a complete record can say no.
* ``final`` = max of those and the confidences of *present* rule / user-tag / LLM evidence.
* ``yes``  when ``final >= unsafe_threshold``.
* ``no``   when some evidence affirms absence (a DDD clear no on the trait's topics with no
  clear yes or contested topic; a Parents Guide record covering every weighted category with
  ``pg_risk`` below the threshold; an *absent* observation with confidence >=
  ``absent_min_confidence`` that is not ``supports_only``) and nothing blocks it (a contested
  DDD topic, or present evidence >= ``present_blocks_no``).
* ``supports_only`` absence rows (weak rules the taxonomy marks ``decides_no: false``: a G
  rating says little about suicide or hate speech) never make ``no`` by themselves; they stay
  in the tag's sources and evidence lines, marked "(supports only)".
* ``unknown`` otherwise: no evidence, or only weak present evidence (its score is kept).

A human verdict (``human:argilla``) overrides all of this for its pair, and measured
per-source confidences can replace the given ones (opt-in): :mod:`datagen.tags.priority`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl
import pyarrow as pa

from datagen.tags.evidence import EvidenceLike, concat_evidence
from datagen.tags.ids import CatalogueLike
from datagen.tags.models import FusionPolicy
from datagen.tags.parents_guide import PG_DISPLAY_NAMES
from datagen.tags.priority import (
    SourceConfidences,
    apply_human_verdicts,
    apply_source_confidences,
)
from datagen.taxonomy.models import Taxonomy

__all__ = [
    "ITEM_TAGS_SCHEMA",
    "FusionReport",
    "FusionResult",
    "build_item_tags",
    "fuse",
    "trait_evidence",
]

ITEM_TAGS_SCHEMA = pa.schema([
    pa.field("item_id", pa.string(), nullable=False),
    pa.field("trait_id", pa.string(), nullable=False),
    pa.field("status", pa.string(), nullable=False),  # yes | no | unknown
    pa.field("score", pa.float64(), nullable=False),
    pa.field("ddd_hit", pa.float64()),
    pa.field("pg_risk", pa.float64()),
    pa.field("sources", pa.list_(pa.string()), nullable=False),
    pa.field("evidence", pa.list_(pa.string()), nullable=False),
])


@dataclass(frozen=True)
class FusionReport:
    """What fusion could not use, per reason (nothing is dropped silently)."""

    evidence_rows: int
    #: evidence rows that reached at least one (catalogue item, taxonomy trait) pair
    used_rows: int
    #: evidence rows per item id that is not in the catalogue
    unknown_items: dict[str, int] = field(default_factory=dict)
    #: evidence rows per trait id that is not in the taxonomy
    unknown_traits: dict[str, int] = field(default_factory=dict)
    #: rows about a topic / Parents Guide category that no trait of the taxonomy uses
    unmapped_rows: int = 0


@dataclass(frozen=True)
class FusionResult:
    table: pa.Table
    report: FusionReport


def build_item_tags(
    catalogue: CatalogueLike,
    taxonomy: Taxonomy,
    evidence: EvidenceLike | Sequence[EvidenceLike] = (),
    policy: FusionPolicy | None = None,
) -> pa.Table:
    """One row per (catalogue item, taxonomy trait) in :data:`ITEM_TAGS_SCHEMA`."""
    return fuse(catalogue, taxonomy, evidence, policy).table


def fuse(
    catalogue: CatalogueLike,
    taxonomy: Taxonomy,
    evidence: EvidenceLike | Sequence[EvidenceLike] = (),
    policy: FusionPolicy | None = None,
    source_confidences: SourceConfidences | None = None,
) -> FusionResult:
    """Like :func:`build_item_tags`, also returning the :class:`FusionReport`.

    Human verdicts (``human:argilla``) outrank every other source, and
    ``source_confidences`` (opt-in) recalibrate sources: see :mod:`datagen.tags.priority`.
    """
    policy = policy or FusionPolicy()
    ev = concat_evidence(evidence)
    item_ids = [i.item_id for i in catalogue.items]
    known = ev["item_id"].is_in(pl.Series(item_ids, dtype=pl.String).implode())
    unknown_items = _counts(ev.filter(~known), "item_id")
    rows, unknown_traits, unmapped = _trait_rows(ev.filter(known), taxonomy)
    classified = apply_source_confidences(_classify(rows, policy), source_confidences)
    pairs = _aggregate(_with_lines(classified, taxonomy), taxonomy)
    tags = apply_human_verdicts(_decide(pairs, policy), rows)
    grid = pl.DataFrame({"item_id": item_ids}, schema={"item_id": pl.String}).join(
        pl.DataFrame({"trait_id": taxonomy.trait_ids}, schema={"trait_id": pl.String}),
        how="cross",
    )
    table = grid.join(tags, on=["item_id", "trait_id"], how="left", maintain_order="left")
    table = table.with_columns(
        pl.col("status").fill_null("unknown"),
        pl.col("score").fill_null(0.0),
        pl.col("sources").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        pl.col("evidence").fill_null(pl.lit([], dtype=pl.List(pl.String))),
    )
    report = FusionReport(
        evidence_rows=ev.height,
        used_rows=int(known.sum()) - sum(unknown_traits.values()) - unmapped,
        unknown_items=unknown_items,
        unknown_traits=unknown_traits,
        unmapped_rows=unmapped,
    )
    arrow = table.select(ITEM_TAGS_SCHEMA.names).to_arrow()
    return FusionResult(table=arrow.cast(ITEM_TAGS_SCHEMA), report=report)


def trait_evidence(
    evidence: EvidenceLike | Sequence[EvidenceLike],
    taxonomy: Taxonomy,
    policy: FusionPolicy | None = None,
) -> pl.DataFrame:
    """The evidence rows as fusion reads them: one row per (item, trait) they speak about.

    Columns: the evidence columns, ``w`` (Parents Guide weight), ``kind`` (``vote``, ``pg``
    or ``conf``), ``clear_yes`` / ``clear_no`` / ``contested`` (DoesTheDogDie votes) and
    ``line`` (what ``tags explain`` prints). Rows about unknown traits or unused topics are
    left out. For tools that look behind a tag (``datagen tags audit``).
    """
    rows, _, _ = _trait_rows(concat_evidence(evidence), taxonomy)
    return _with_lines(_classify(rows, policy or FusionPolicy()), taxonomy)


def _counts(df: pl.DataFrame, col: str) -> dict[str, int]:
    counts = df.group_by(col).len().sort(col)
    return dict(zip(counts[col].to_list(), counts["len"].to_list(), strict=True))


def _trait_rows(
    ev: pl.DataFrame, taxonomy: Taxonomy
) -> tuple[pl.DataFrame, dict[str, int], int]:
    """Resolve each row to the traits it is about (explicit trait, topic, PG category)."""
    topic_map = pl.DataFrame(
        [(t, tr.id) for tr in taxonomy.traits for t in tr.dtdd_topics],
        schema={"topic_id": pl.Int32, "trait_id": pl.String}, orient="row",
    ).unique()
    pg_map = pl.DataFrame(
        [(c, tr.id, w) for tr in taxonomy.traits for c, w in tr.pg_weights.items() if w > 0],
        schema={"pg_category": pl.String, "trait_id": pl.String, "w": pl.Float64},
        orient="row",
    )
    explicit = ev.filter(pl.col("trait_id").is_not_null())
    valid = explicit["trait_id"].is_in(pl.Series(taxonomy.trait_ids, dtype=pl.String).implode())
    unknown_traits = _counts(explicit.filter(~valid), "trait_id")
    explicit = explicit.filter(valid).with_columns(pl.lit(None, dtype=pl.Float64).alias("w"))
    by_topic = ev.filter(pl.col("trait_id").is_null() & pl.col("topic_id").is_not_null())
    by_pg = ev.filter(
        pl.col("trait_id").is_null() & pl.col("topic_id").is_null()
        & pl.col("pg_category").is_not_null()
    )
    topic_rows = by_topic.drop("trait_id").join(topic_map, on="topic_id", how="inner")
    topic_rows = topic_rows.with_columns(pl.lit(None, dtype=pl.Float64).alias("w"))
    pg_rows = by_pg.drop("trait_id").join(pg_map, on="pg_category", how="inner")
    mapped_topics = int(by_topic["topic_id"].is_in(topic_map["topic_id"].implode()).sum())
    mapped_pg = int(by_pg["pg_category"].is_in(pg_map["pg_category"].implode()).sum())
    unmapped = by_topic.height - mapped_topics + by_pg.height - mapped_pg
    cols = [*ev.columns, "w"]
    rows = pl.concat(
        [explicit.select(cols), topic_rows.select(cols), pg_rows.select(cols)], how="vertical"
    )
    return rows, unknown_traits, int(unmapped)


def _classify(rows: pl.DataFrame, policy: FusionPolicy) -> pl.DataFrame:
    is_vote = (
        pl.col("topic_id").is_not_null() & pl.col("yes_votes").is_not_null()
        & pl.col("no_votes").is_not_null()
    )
    is_pg = pl.col("w").is_not_null() & pl.col("severity").is_not_null()
    total = pl.col("yes_votes") + pl.col("no_votes")
    share_yes = pl.col("yes_votes") / total
    enough = total >= policy.ddd_min_votes
    return rows.with_columns(
        pl.when(is_vote).then(pl.lit("vote")).when(is_pg).then(pl.lit("pg"))
        .otherwise(pl.lit("conf")).alias("kind"),
        (is_vote & enough & (share_yes >= policy.ddd_clear_yes)).alias("clear_yes"),
        (is_vote & enough & (1 - share_yes >= policy.ddd_clear_yes)).alias("clear_no"),
    ).with_columns(
        (is_vote & ~pl.col("clear_yes") & ~pl.col("clear_no")).alias("contested"),
    )


def _with_lines(rows: pl.DataFrame, taxonomy: Taxonomy) -> pl.DataFrame:
    """One human-readable line per evidence row (what `datagen tags explain` prints)."""
    labels = {t.id: t.label for t in taxonomy.topics}
    topic_label = pl.col("topic_id").replace_strict(
        labels, default="?", return_dtype=pl.String
    )
    verdict = (
        pl.when(pl.col("clear_yes")).then(pl.lit("clear yes"))
        .when(pl.col("clear_no")).then(pl.lit("clear no")).otherwise(pl.lit("contested"))
    )
    pg_name = pl.col("pg_category").replace_strict(
        PG_DISPLAY_NAMES, default=pl.col("pg_category"), return_dtype=pl.String
    )
    levels = pl.col("severity").replace_strict(
        {0: "none", 1: "mild", 2: "moderate", 3: "severe"}, default="?", return_dtype=pl.String
    )
    supports = pl.when(pl.col("supports_only")).then(pl.lit(" (supports only)")).otherwise(
        pl.lit(""))
    line = (
        pl.when(pl.col("kind") == "vote")
        .then(pl.format("{}: topic {} \"{}\": {} yes / {} no -> {}", "source", "topic_id",
                        topic_label, "yes_votes", "no_votes", verdict))
        .when(pl.col("kind") == "pg")
        .then(pl.format("{}: {} {} (weight {})", "source", pg_name, levels,
                        pl.col("w").round(2)))
        .otherwise(pl.format("{}: {} {}{}: {}", "source", "polarity",
                             pl.col("confidence").round(2), supports, "detail"))
    )
    return rows.with_columns(line.alias("line"))


def _aggregate(rows: pl.DataFrame, taxonomy: Taxonomy) -> pl.DataFrame:
    keys = ["item_id", "trait_id"]
    present = pl.when(pl.col("kind") == "conf").then(
        pl.when(pl.col("polarity") == "present").then(pl.col("confidence"))
    )
    absent = pl.when(
        (pl.col("kind") == "conf") & (pl.col("polarity") == "absent") & ~pl.col("supports_only")
    ).then(pl.col("confidence"))
    main = rows.sort([*keys, "source", "line"]).group_by(keys, maintain_order=True).agg(
        (pl.col("kind") == "vote").any().alias("ddd_any"),
        pl.col("clear_yes").any().alias("ddd_yes"),
        pl.col("clear_no").any().alias("ddd_no"),
        pl.col("contested").any().alias("ddd_contested"),
        present.max().alias("conf_present"),
        absent.max().alias("conf_absent"),
        pl.col("source").unique(maintain_order=True).sort().alias("sources"),
        pl.col("line").alias("evidence"),
    )
    weighted = pl.DataFrame(
        [
            (tr.id, sum(1 for w in tr.pg_weights.values() if w > 0),
             float(sum(w for w in tr.pg_weights.values() if w > 0)))
            for tr in taxonomy.traits
        ],
        schema={"trait_id": pl.String, "n_weighted": pl.Int64, "w_total": pl.Float64},
        orient="row",
    )
    pg = (
        rows.filter(pl.col("kind") == "pg")
        .group_by([*keys, "pg_category"]).agg(pl.col("severity").max(), pl.col("w").first())
        .group_by(keys).agg(
            (pl.col("w") * pl.col("severity")).sum().alias("ws"),
            pl.len().alias("n_pg"),
        )
        .join(weighted, on="trait_id", how="left")
        .select(
            *keys,
            (pl.col("ws") / (3 * pl.col("w_total"))).alias("pg_risk"),
            (pl.col("n_pg") >= pl.col("n_weighted")).alias("pg_complete"),
        )
    )
    return main.join(pg, on=keys, how="left", maintain_order="left")


def _decide(pairs: pl.DataFrame, policy: FusionPolicy) -> pl.DataFrame:
    thr = policy.unsafe_threshold
    ddd_hit = (
        pl.when(pl.col("ddd_yes")).then(pl.lit(1.0))
        .when(pl.col("ddd_any")).then(pl.lit(0.0)).otherwise(pl.lit(None, dtype=pl.Float64))
    )
    pairs = pairs.with_columns(ddd_hit.alias("ddd_hit"))
    final = pl.max_horizontal("ddd_hit", "pg_risk", "conf_present").fill_null(0.0)
    absent = (
        (pl.col("ddd_no") & ~pl.col("ddd_yes") & ~pl.col("ddd_contested"))
        | (pl.col("pg_complete").fill_null(False) & (pl.col("pg_risk") < thr).fill_null(False))
        | (pl.col("conf_absent") >= policy.absent_min_confidence).fill_null(False)
    )
    blocked = pl.col("ddd_contested") | (
        pl.col("conf_present") >= policy.present_blocks_no
    ).fill_null(False)
    status = (
        pl.when(final >= thr).then(pl.lit("yes"))
        .when(absent & ~blocked).then(pl.lit("no"))
        .otherwise(pl.lit("unknown"))
    )
    return pairs.select(
        "item_id", "trait_id", status.alias("status"), final.alias("score"),
        "ddd_hit", "pg_risk", "sources", "evidence",
    )


