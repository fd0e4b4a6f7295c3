"""Audit ``no`` tags against evidence that contradicts them (``datagen tags audit``).

A ``no`` is the label a benchmark trusts most: it puts a film into a sensitive user's ground
truth. The audit fuses the given evidence exactly as ``datagen tags build`` does and lists every
``no`` that other evidence speaks against, with what carried the ``no`` and what contradicts it.
Three kinds of contradiction (:data:`KINDS`):

* ``user_tag``: a user tag of the film (MovieLens ``tags.csv``, not fused into the tags) matches
  one of the trait's *present* keyword rules with the taxonomy's own matcher, e.g.
  ``user tag "suicide" x2 matches "suicide"``.
* ``rating_genre``: a weak rule that carried the ``no`` reads the film as made for children
  (a rating in :data:`CHILD_RATINGS`, a genre in :data:`CHILD_GENRES`) while its other metadata
  says otherwise: a rating in :data:`ADULT_RATINGS` (against a genre) or a genre in
  :data:`CONTRADICTING_GENRES`.
* ``sources_disagree``: the tag's own evidence points the other way: present evidence too
  weak to block the ``no`` (``rule:genre: present 0.4: genre Horror``), or a Parents Guide
  severity of moderate or worse in a category the trait weighs at least 0.5.

The ``no`` sources of a tag are the sources whose absence evidence decided it: absent rows
that are not ``supports_only`` and reach ``absent_min_confidence``, DoesTheDogDie clear-no
votes, and the Parents Guide record.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from datagen.catalogue.models import Item
from datagen.tags.evidence import EvidenceLike, concat_evidence
from datagen.tags.fusion import fuse, trait_evidence
from datagen.tags.ids import CatalogueLike
from datagen.tags.models import FusionPolicy
from datagen.tags.rules import contradicts, rule_matches, user_tag_evidence
from datagen.taxonomy.models import Taxonomy, WeakRule

__all__ = [
    "ADULT_RATINGS",
    "CHILD_GENRES",
    "CHILD_RATINGS",
    "CONTRADICTING_GENRES",
    "KINDS",
    "WEAK_SOURCES",
    "AuditReport",
    "Contradiction",
    "Finding",
    "SourceCounts",
    "TraitCounts",
    "audit_tags",
]

#: the kinds of contradiction, in report order
KINDS: tuple[str, ...] = ("user_tag", "rating_genre", "sources_disagree")
#: ratings that read a film as suitable for children (GP and M/PG: PG's early names)
CHILD_RATINGS = frozenset({"G", "PG", "GP", "M/PG"})
CHILD_GENRES = frozenset({"Family", "Animation"})
#: ratings that contradict a child-audience genre
ADULT_RATINGS = frozenset({"PG-13", "M", "R", "NC-17", "X"})
#: genres that contradict a child-audience rating or genre (issue 9's list)
CONTRADICTING_GENRES = ("Action", "Crime", "Thriller", "Horror", "War")
#: sources of weak metadata evidence: a ``no`` resting only on these is "weak only"
WEAK_SOURCES = frozenset({"rule:genre", "rule:mpaa", "user_tag"})
_PAIR = ["item_id", "trait_id"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Contradiction(_Record):
    kind: str  # one of KINDS
    source: str  # "movielens", "rule:genre", "rule:mpaa", or the evidence row's source
    detail: str
    #: the no sources it speaks against: the rule for ``rating_genre``, else all of them
    against: list[str]


class Finding(_Record):
    """One contradicted ``no`` tag."""

    item_id: str
    title: str
    year: int | None
    trait_id: str
    no_sources: list[str]
    contradictions: list[Contradiction]


class TraitCounts(_Record):
    no: int = 0
    #: ``no`` tags whose no sources are all weak metadata (:data:`WEAK_SOURCES`)
    weak_only: int = 0
    contradicted: int = 0
    #: contradicted tags per kind (a tag can count under several kinds)
    kinds: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(KINDS, 0))


class SourceCounts(_Record):
    no: int = 0  # ``no`` tags this source helped decide
    contradicted: int = 0  # of those, how many a contradiction speaks against


class AuditReport(_Record):
    taxonomy: str
    films: int
    no_tags: int
    contradicted: int
    by_trait: dict[str, TraitCounts]
    by_source: dict[str, SourceCounts]
    by_kind: dict[str, int]
    #: user tags read and films they cover (null without --movielens)
    user_tags: dict[str, int] | None = None
    findings: list[Finding]


def audit_tags(
    catalogue: CatalogueLike,
    taxonomy: Taxonomy,
    evidence: EvidenceLike | Sequence[EvidenceLike],
    *,
    policy: FusionPolicy | None = None,
    user_tags: Iterable[tuple[str, str, int]] | None = None,
) -> AuditReport:
    """Fuse ``evidence`` under ``policy`` and list the ``no`` tags that evidence contradicts.

    ``user_tags`` are ``(item_id, tag, count)`` rows (``load_movielens_tags``) used only as
    contradicting evidence, never fused.
    """
    policy = policy or FusionPolicy()
    ev = concat_evidence(evidence)
    table = pl.from_arrow(fuse(catalogue, taxonomy, ev, policy).table.select(
        ["item_id", "trait_id", "status"]))
    assert isinstance(table, pl.DataFrame)
    no_pairs = table.filter(pl.col("status") == "no").select(_PAIR)
    rows = trait_evidence(ev, taxonomy, policy).join(no_pairs, on=_PAIR, how="semi")
    sources = _no_sources(rows, policy)
    items = {item.item_id: item for item in catalogue.items}
    found: dict[tuple[str, str], list[Contradiction]] = defaultdict(list)
    tag_rows = list(user_tags) if user_tags is not None else None
    hits = [] if tag_rows is None else _user_tag_hits(tag_rows, taxonomy, catalogue, no_pairs)
    for pair, kind, source, detail in [*hits, *_disagreements(rows)]:
        found[pair].append(Contradiction(kind=kind, source=source, detail=detail,
                                         against=sources.get(pair, [])))
    for pair, contradiction in _rating_genre(sources, items, taxonomy, policy):
        found[pair].append(contradiction)
    findings = _findings(found, sources, items, taxonomy)
    return AuditReport(
        taxonomy=taxonomy.version_tag,
        films=len(items),
        no_tags=no_pairs.height,
        contradicted=len(findings),
        by_trait=_by_trait(no_pairs, sources, findings, taxonomy),
        by_source=_by_source(sources, findings),
        by_kind={k: sum(any(c.kind == k for c in f.contradictions) for f in findings)
                 for k in KINDS},
        user_tags=None if tag_rows is None else {
            "rows": len(tag_rows), "films": len({r[0] for r in tag_rows})},
        findings=findings,
    )


def _no_sources(rows: pl.DataFrame, policy: FusionPolicy) -> dict[tuple[str, str], list[str]]:
    """Per ``no`` pair, the sources whose absence evidence decided it."""
    deciding = (
        (pl.col("kind") == "conf") & (pl.col("polarity") == "absent") & ~pl.col("supports_only")
        & (pl.col("confidence") >= policy.absent_min_confidence)
    ) | ((pl.col("kind") == "vote") & pl.col("clear_no")) | (pl.col("kind") == "pg")
    grouped = rows.filter(deciding).group_by(_PAIR).agg(pl.col("source").unique().sort())
    return {(r["item_id"], r["trait_id"]): r["source"] for r in grouped.iter_rows(named=True)}


_Hit = tuple[tuple[str, str], str, str, str]  # (pair, kind, source, detail)


def _disagreements(rows: pl.DataFrame) -> list[_Hit]:
    against = (
        (pl.col("kind") == "conf") & (pl.col("polarity") == "present")
        & (pl.col("confidence") > 0)
    ) | ((pl.col("kind") == "pg") & (pl.col("severity") >= 2) & (pl.col("w") >= 0.5))
    return [((r["item_id"], r["trait_id"]), "sources_disagree", r["source"], r["line"])
            for r in rows.filter(against).sort([*_PAIR, "line"]).iter_rows(named=True)]


def _user_tag_hits(
    tags: list[tuple[str, str, int]], taxonomy: Taxonomy, catalogue: CatalogueLike,
    no_pairs: pl.DataFrame,
) -> list[_Hit]:
    frame = user_tag_evidence(tags, taxonomy, catalogue).frame
    hits = frame.filter(pl.col("polarity") == "present").join(no_pairs, on=_PAIR, how="semi")
    return [((r["item_id"], r["trait_id"]), "user_tag", "movielens",
             f"{r['detail']} (weight {r['confidence']:g})")
            for r in hits.sort([*_PAIR, "detail"]).iter_rows(named=True)]


def _rating_genre(
    sources: dict[tuple[str, str], list[str]], items: dict[str, Item], taxonomy: Taxonomy,
    policy: FusionPolicy,
) -> Iterable[tuple[tuple[str, str], Contradiction]]:
    traits = {t.id: t for t in taxonomy.traits}
    for (item_id, trait_id), names in sources.items():
        item = items.get(item_id)
        if item is None or not {"rule:genre", "rule:mpaa"} & set(names):
            continue
        for rule in traits[trait_id].weak_rules:
            if f"rule:{rule.kind}" not in names or not _decided(rule, item, policy):
                continue
            against = _against_child_signal(rule, item)
            if against:
                what = "MPAA rating" if rule.kind == "mpaa" else "genre"
                yield (item_id, trait_id), Contradiction(
                    kind="rating_genre", source=f"rule:{rule.kind}",
                    detail=f"{what} {rule.value} says no, but {', '.join(against)}",
                    against=[f"rule:{rule.kind}"])


def _decided(rule: WeakRule, item: Item, policy: FusionPolicy) -> bool:
    """Whether this absence rule fired on ``item`` with enough weight to decide a ``no``."""
    return (
        rule.polarity == "absent" and bool(rule.decides_no)
        and rule.weight >= policy.absent_min_confidence
        and rule_matches(rule, item) and contradicts(rule, item) is None
    )


def _against_child_signal(rule: WeakRule, item: Item) -> list[str]:
    """What in ``item``'s metadata contradicts a child-audience rule (empty: nothing)."""
    if (rule.kind, rule.value) not in {("mpaa", r) for r in CHILD_RATINGS} | {
            ("genre", g) for g in CHILD_GENRES}:
        return []
    against = []
    if rule.kind == "genre" and item.mpaa_rating in ADULT_RATINGS:
        against.append(f"MPAA rating {item.mpaa_rating}")
    genres = [g for g in CONTRADICTING_GENRES if g in item.genres]
    if genres:
        against.append("genre " + ", ".join(genres))
    return against


def _findings(
    found: dict[tuple[str, str], list[Contradiction]],
    sources: dict[tuple[str, str], list[str]],
    items: dict[str, Item],
    taxonomy: Taxonomy,
) -> list[Finding]:
    order = {t: i for i, t in enumerate(taxonomy.trait_ids)}

    def rank(pair: tuple[str, str]) -> tuple[int, float, str]:
        item = items.get(pair[0])
        return order[pair[1]], -(item.popularity if item else 0.0), pair[0]

    out = []
    for pair in sorted(found, key=rank):
        item = items.get(pair[0])
        out.append(Finding(
            item_id=pair[0], title=item.title if item else pair[0],
            year=item.year if item else None, trait_id=pair[1],
            no_sources=sources.get(pair, []), contradictions=found[pair]))
    return out


def _by_trait(
    no_pairs: pl.DataFrame, sources: dict[tuple[str, str], list[str]],
    findings: list[Finding], taxonomy: Taxonomy,
) -> dict[str, TraitCounts]:
    counts = {t: TraitCounts() for t in taxonomy.trait_ids}
    for item_id, trait_id in no_pairs.iter_rows():
        counts[trait_id].no += 1
        names = sources.get((item_id, trait_id), [])
        if names and set(names) <= WEAK_SOURCES:
            counts[trait_id].weak_only += 1
    for finding in findings:
        c = counts[finding.trait_id]
        c.contradicted += 1
        for kind in {x.kind for x in finding.contradictions}:
            c.kinds[kind] += 1
    return counts


def _by_source(
    sources: dict[tuple[str, str], list[str]], findings: list[Finding]
) -> dict[str, SourceCounts]:
    no = Counter(name for names in sources.values() for name in names)
    bad = Counter(name for f in findings
                  for name in {s for c in f.contradictions for s in c.against})
    return {name: SourceCounts(no=no[name], contradicted=bad[name]) for name in sorted(no)}
