"""The second Argilla dataset: annotators verify item trigger tags, one record per (film, trait).

Three fields (the film: title, year, genres, rating, people; the trait: who it describes and
its DoesTheDogDie topics; every evidence line from every source with its confidence), one
required question (``verdict``: present / absent / cannot tell), one optional note, and
metadata to filter by trait, why the record was chosen, and which kinds of source spoke.
The guidelines carry the taxonomy marker of :mod:`annotation.settings`, so a push with another
taxonomy version is refused the same way as for samples. The fused status is *not* shown: the
evidence lines are, so annotators judge the film, not the toolkit's conclusion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datagen.taxonomy.models import Taxonomy

if TYPE_CHECKING:
    import argilla as rg

__all__ = [
    "CANNOT_TELL",
    "FIELD_EVIDENCE",
    "FIELD_FILM",
    "FIELD_TRAIT",
    "Q_NOTE",
    "Q_VERDICT",
    "VERDICT_LABELS",
    "build_tag_guidelines",
    "build_tag_settings",
]

FIELD_FILM = "film"
FIELD_TRAIT = "trait"
FIELD_EVIDENCE = "evidence"
Q_VERDICT = "verdict"
Q_NOTE = "note"
CANNOT_TELL = "cannot_tell"
VERDICT_LABELS = {"present": "present - the film contains it",
                  "absent": "absent - it does not",
                  CANNOT_TELL: "cannot tell"}
#: terms metadata of tag records (filters in the UI)
META_TERMS = ("trait_id", "reasons", "source_kinds", "taxonomy_version")
META_FLOAT = ("priority",)


def build_tag_guidelines(taxonomy: Taxonomy) -> str:
    # the marker line is the one annotation.settings.taxonomy_tag_of reads
    return f"""<!-- saferec-taxonomy: {taxonomy.version_tag} -->
# Verifying SafeRec trigger tags

Taxonomy: **{taxonomy.name} {taxonomy.version}** (`{taxonomy.version_tag}`).

Each record is one film and one viewer sensitivity. Decide whether **the film contains
content that would trouble a viewer with this sensitivity** (the trait's description and its
DoesTheDogDie topics say what counts).

1. **verdict** - `present` if the film contains it (you know the film, or can check a
   reliable source), `absent` if you know it does not, `cannot tell` otherwise. Do not
   guess: `cannot tell` is a useful answer.
2. **note** - optional: the scene, or what the evidence got wrong.

The evidence lines show what each source claims (with its confidence); they can be wrong.
A tag becomes a human verdict (`human:argilla`) when a strict majority of the annotators who
submitted says present or says absent; it then outranks every other source.
""".strip()


def build_tag_settings(taxonomy: Taxonomy, client: rg.Argilla, *,
                       min_submitted: int = 2) -> rg.Settings:
    """Settings of the tag dataset (``client`` passed to every property, as for samples)."""
    import argilla as rg

    from annotation.settings import META_HIDDEN

    def terms(name: str, title: str, visible: bool = True) -> rg.TermsMetadataProperty:
        return rg.TermsMetadataProperty(name=name, title=title, visible_for_annotators=visible,
                                        client=client)

    fields = [
        rg.TextField(FIELD_FILM, title="Film", use_markdown=True, client=client),
        rg.TextField(FIELD_TRAIT, title="Sensitivity", use_markdown=True, client=client),
        rg.TextField(FIELD_EVIDENCE, title="Evidence from every source", use_markdown=True,
                     client=client),
    ]
    questions = [
        rg.LabelQuestion(Q_VERDICT, labels=VERDICT_LABELS, client=client,
                         title="Does the film contain what this viewer avoids?"),
        rg.TextQuestion(Q_NOTE, required=False, use_markdown=False, client=client,
                        title="Note (optional): the scene, or what is wrong"),
    ]
    metadata = [
        terms("trait_id", "Trait"), terms("reasons", "Chosen because"),
        terms("source_kinds", "Sources that spoke"), terms("taxonomy_version", "Taxonomy"),
        rg.FloatMetadataProperty(name="priority", title="Priority", client=client),
        terms(META_HIDDEN, "Content hash of the pushed record", visible=False),
    ]
    return rg.Settings(
        fields=fields, questions=questions, metadata=metadata,
        guidelines=build_tag_guidelines(taxonomy), allow_extra_metadata=False,
        distribution=rg.OverlapTaskDistribution(min_submitted=min_submitted))
