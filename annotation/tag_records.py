"""(film, trait) tag -> Argilla record: a pure mapping, and the record id both ways.

The record id is ``<item_id>:<trait_id>``, so a re-push upserts the same record and a pull
maps each verdict back to its pair. The payload's hash (hidden metadata, as for samples)
lets a re-push skip unchanged records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from annotation.records import payload_hash
from annotation.settings import META_HIDDEN
from annotation.tag_select import TagCandidate
from annotation.tag_settings import FIELD_EVIDENCE, FIELD_FILM, FIELD_TRAIT
from datagen.catalogue.models import Item
from datagen.tags.priority import source_kind
from datagen.taxonomy.models import Taxonomy

if TYPE_CHECKING:
    import argilla as rg

__all__ = ["film_markdown", "record_id", "split_record_id", "tag_payload", "to_tag_record"]

#: people shown per role
MAX_PEOPLE = 6


def record_id(item_id: str, trait_id: str) -> str:
    return f"{item_id}:{trait_id}"


def split_record_id(rid: str) -> tuple[str, str]:
    """``(item_id, trait_id)`` of a record id (item ids may contain ``:``, trait ids not)."""
    item_id, _, trait_id = rid.rpartition(":")
    return item_id, trait_id


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def film_markdown(item: Item | None, item_id: str) -> str:
    if item is None:
        return f"**{_md(item_id)}** (not in the catalogue)"
    lines = [f"**{_md(item.display)}**", ""]
    facts = [("Genres", ", ".join(item.genres)), ("Rating", item.mpaa_rating or ""),
             ("Directed by", ", ".join(item.directors[:MAX_PEOPLE])),
             ("Written by", ", ".join(item.writers[:MAX_PEOPLE])),
             ("Cast", ", ".join(item.cast[:MAX_PEOPLE])),
             ("IMDb", f"https://www.imdb.com/title/{item.imdb_id}/" if item.imdb_id else "")]
    lines += [f"- {k}: {_md(v)}" for k, v in facts if v]
    return "\n".join(lines)


def _trait_markdown(taxonomy: Taxonomy, trait_id: str) -> str:
    trait = taxonomy.trait(trait_id)
    labels = {t.id: t.label for t in taxonomy.topics}
    topics = [labels[t] for t in trait.dtdd_topics if t in labels]
    lines = [f"**{_md(trait.name)}** (`{trait.id}`)", "", _md(" ".join(trait.description.split()))]
    if topics:
        lines += ["", "Counts as present, among others: " + _md("; ".join(topics))]
    return "\n".join(lines)


def _evidence_markdown(candidate: TagCandidate) -> str:
    lines = [f"- {_md(line)}" for line in candidate.evidence]
    return "\n".join(lines) if lines else "(no evidence)"


def tag_payload(candidate: TagCandidate, item: Item | None, taxonomy: Taxonomy
                ) -> dict[str, Any]:
    """Fields and metadata of the record for one candidate (plain data)."""
    return {
        "id": record_id(candidate.item_id, candidate.trait_id),
        "fields": {
            FIELD_FILM: film_markdown(item, candidate.item_id),
            FIELD_TRAIT: _trait_markdown(taxonomy, candidate.trait_id),
            FIELD_EVIDENCE: _evidence_markdown(candidate),
        },
        "metadata": {
            "trait_id": candidate.trait_id,
            "reasons": candidate.reasons,
            "source_kinds": sorted({source_kind(s) for s in candidate.sources}),
            "taxonomy_version": taxonomy.version_tag,
            "priority": candidate.priority,
        },
    }


def to_tag_record(payload: dict[str, Any]) -> rg.Record:
    """An SDK record (no suggestion: annotators judge blind to the fused status)."""
    import argilla as rg

    return rg.Record(id=payload["id"], fields=payload["fields"],
                     metadata={**payload["metadata"], META_HIDDEN: payload_hash(payload)})
