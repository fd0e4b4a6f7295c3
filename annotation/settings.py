"""The Argilla dataset design for verifying SafeRec samples, derived from the taxonomy.

One function builds the :class:`argilla.Settings`; another reduces any settings to a
comparable *signature* (field, question and metadata names, kinds and options) so a push can
refuse a dataset that was created with another design instead of silently logging records
that do not fit. The taxonomy's ``version_tag`` is written into the guidelines as an HTML
comment marker (invisible in the UI) and a visible line, so a push with another taxonomy
version is caught before any record is sent.

Offending films: Argilla label options are fixed when the dataset is created, but each sample
has its own films. The ground-truth field therefore numbers the films ``#1``..``#N`` and the
optional ``offending_films`` question offers the fixed positions ``film1``..``film10``
(:data:`MAX_GT_FILMS`); pull maps positions back to the sample's films.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from datagen.taxonomy.models import CueStrategy, Taxonomy

if TYPE_CHECKING:
    import argilla as rg

__all__ = [
    "FIELD_DIALOGUE",
    "FIELD_GROUND_TRUTH",
    "MAX_GT_FILMS",
    "NONE_LABEL",
    "Q_CORRECTION",
    "Q_CUE_IMPLICIT",
    "Q_GT_SAFE",
    "Q_NATURALNESS",
    "Q_OFFENDING",
    "Q_TRAITS",
    "build_guidelines",
    "build_settings",
    "film_label",
    "settings_signature",
    "taxonomy_tag_of",
    "traits_suggested_of",
]

FIELD_DIALOGUE = "dialogue"
FIELD_GROUND_TRUTH = "ground_truth"
Q_CUE_IMPLICIT = "cue_implicit"
Q_TRAITS = "traits"
Q_GT_SAFE = "gt_safe"
Q_OFFENDING = "offending_films"
Q_NATURALNESS = "naturalness"
Q_CORRECTION = "correction"
#: the trait label meaning "this user shows no sensitivity" (control samples)
NONE_LABEL = "none"
#: fixed number of selectable ground-truth positions in ``offending_films``
MAX_GT_FILMS = 10
#: metadata names (filters in the UI); ``push_hash`` is hidden and drives skip-unchanged
META_TERMS = (
    "generator_traits", "cue_strategy", "backend", "flags", "checks_passed", "taxonomy_version"
)
META_FLOAT = ("judge_agreement",)
META_HIDDEN = "push_hash"

_MARKER = "saferec-taxonomy"
_MARKER_RE = re.compile(r"<!--\s*" + _MARKER + r":\s*(\S+)\s*-->")
#: how the traits question was asked: ``blind`` (no suggestion) or ``suggested``
_MODE_MARKER = "saferec-traits"
_MODE_RE = re.compile(r"<!--\s*" + _MODE_MARKER + r":\s*(blind|suggested)\s*-->")
#: metadata that names the planned traits, hidden from annotators when they answer blind
_REVEALING = ("generator_traits", "cue_strategy", "flags")


def film_label(position: int) -> str:
    """Option key of the ``offending_films`` question for 1-based ground-truth ``position``."""
    return f"film{position}"


_TRAITS_BLIND = """**traits** - every sensitivity a careful reader can infer from the user's
   turns alone; `none` when there is none. Nothing is pre-selected: answer it **before**
   opening the generator's plan under the ground truth, which names the planned traits."""
_TRAITS_SUGGESTED = """**traits** - every sensitivity a careful reader can infer from the user's
   turns; `none` when there is none. The generator's labels are pre-selected as a
   suggestion: correct them."""


def build_guidelines(taxonomy: Taxonomy, *, suggest_traits: bool = False) -> str:
    """Markdown guidelines: the task, each question, the acceptance rule and the trait list."""
    rows = "\n".join(
        f"| `{t.id}` | {t.name} | {' '.join(t.description.split())} |" for t in taxonomy.traits
    )
    mode = "suggested" if suggest_traits else "blind"
    traits = _TRAITS_SUGGESTED if suggest_traits else _TRAITS_BLIND
    # stripped: the server drops a trailing newline, and an exact match avoids an update
    return f"""<!-- {_MARKER}: {taxonomy.version_tag} -->
<!-- {_MODE_MARKER}: {mode} -->
# Verifying SafeRec dialogues

Taxonomy: **{taxonomy.name} {taxonomy.version}** (`{taxonomy.version_tag}`).

Each record is a movie-recommendation dialogue whose user may carry a personal sensitivity
(a phobia, a trauma, a recovery...). The user should reveal it **only implicitly**, through
their own words, and the recommended films (the ground truth) must be safe for them.

1. {traits}
2. **cue_implicit** - yes if every sensitivity shows only implicitly (nobody names it
   outright, e.g. "I have arachnophobia"); for a dialogue with no sensitivity, yes if nothing
   is named outright.
3. **gt_safe** - is every ground-truth film safe for this user? `unsure` when you do not know
   a film. If not, tick the offending films by their number (`film1` = #1).
4. **naturalness** - 1 (robotic, contrived) to 5 (a real person could have written it).
5. **correction** - optional: a better wording or what is wrong.

A record is **accepted** when a strict majority of annotators says cue_implicit = yes and
gt_safe = yes and the median naturalness is at least 3; it is **rejected** otherwise, and
**pending** until enough annotators have submitted.

| trait | name | who it describes |
|---|---|---|
{rows}
""".strip()


def taxonomy_tag_of(guidelines: str | None) -> str | None:
    """The taxonomy ``version_tag`` stored in a dataset's guidelines, if any."""
    m = _MARKER_RE.search(guidelines or "")
    return m.group(1) if m else None


def traits_suggested_of(guidelines: str | None) -> bool:
    """Whether a dataset shows the generator's traits as a suggestion.

    Datasets made before the marker existed always did, so no marker means True.
    """
    m = _MODE_RE.search(guidelines or "")
    return m is None or m.group(1) == "suggested"


def _trait_labels(taxonomy: Taxonomy) -> dict[str, str]:
    labels = {t.id: t.name for t in taxonomy.traits}
    labels[NONE_LABEL] = "None - no sensitivity shown"
    return labels


def _questions(taxonomy: Taxonomy, client: rg.Argilla, *, suggest_traits: bool) -> list[Any]:
    import argilla as rg

    yes_no = {"yes": "yes", "no": "no"}
    films = {film_label(i): f"#{i}" for i in range(1, MAX_GT_FILMS + 1)}
    return [
        rg.MultiLabelQuestion(
            Q_TRAITS, labels=_trait_labels(taxonomy), client=client,
            labels_order="suggestion" if suggest_traits else "natural",
            title="Which sensitivities does the user show? (from the dialogue alone)"),
        rg.LabelQuestion(
            Q_CUE_IMPLICIT, labels=yes_no, client=client,
            title="Is every sensitivity cue implicit (never named outright)?"),
        rg.LabelQuestion(
            Q_GT_SAFE, labels={**yes_no, "unsure": "unsure"}, client=client,
            title="Is every ground-truth film safe for this user?"),
        rg.MultiLabelQuestion(
            Q_OFFENDING, labels=films, required=False, client=client,
            title="If not: which ground-truth films are unsafe (by number)?"),
        rg.RatingQuestion(
            Q_NATURALNESS, values=[1, 2, 3, 4, 5], client=client,
            title="How natural is the dialogue? (1 = robotic, 5 = real)"),
        rg.TextQuestion(
            Q_CORRECTION, required=False, use_markdown=False, client=client,
            title="Correction or comment (optional)"),
    ]


def _metadata(taxonomy: Taxonomy, client: rg.Argilla, *, suggest_traits: bool) -> list[Any]:
    import argilla as rg

    def terms(name: str, title: str, options: list[str] | None = None,
              visible: bool = True) -> Any:
        visible = visible and (suggest_traits or name not in _REVEALING)
        return rg.TermsMetadataProperty(name=name, options=options, title=title,
                                        visible_for_annotators=visible, client=client)

    return [
        terms("generator_traits", "Generator traits", [*taxonomy.trait_ids, NONE_LABEL]),
        terms("cue_strategy", "Cue strategy", [s.value for s in CueStrategy] + [NONE_LABEL]),
        terms("backend", "Generation backend"),
        terms("flags", "Verification flags"),
        terms("checks_passed", "Automatic checks passed", ["yes", "no"]),
        terms("taxonomy_version", "Taxonomy version"),
        rg.FloatMetadataProperty(name="judge_agreement", min=0.0, max=1.0,
                                 title="Judge agreement", client=client),
        terms(META_HIDDEN, "Content hash of the pushed record", visible=False),
    ]


def build_settings(taxonomy: Taxonomy, client: rg.Argilla, *, min_submitted: int = 2,
                   suggest_traits: bool = False) -> rg.Settings:
    """The dataset settings for ``taxonomy`` with ``min_submitted`` responses per record.

    ``suggest_traits`` pre-selects the generator's traits in the traits question (the old
    behaviour); by default annotators answer blind and the metadata naming the planned traits
    is hidden from them. ``client`` is passed to every settings property: the SDK otherwise
    falls back on a process-wide default client.
    """
    import argilla as rg

    # ground truth first: a short field, visible without scrolling past the whole dialogue
    fields = [
        rg.TextField(FIELD_GROUND_TRUTH,
                     title="Recommended films (ground truth: filtered as safe for the planned "
                     "traits)",
                     use_markdown=True, client=client),
        rg.ChatField(FIELD_DIALOGUE, title="Dialogue", use_markdown=False, _client=client),
    ]
    return rg.Settings(
        fields=fields,
        questions=_questions(taxonomy, client, suggest_traits=suggest_traits),
        metadata=_metadata(taxonomy, client, suggest_traits=suggest_traits),
        guidelines=build_guidelines(taxonomy, suggest_traits=suggest_traits),
        allow_extra_metadata=False,
        distribution=rg.OverlapTaskDistribution(min_submitted=min_submitted),
    )


def _options(question: Any) -> tuple[str, ...]:
    """Label keys of a (multi-)label question, values of a rating question, else ()."""
    opts = getattr(question, "labels", None) or getattr(question, "values", None) or []
    return tuple(str(o) for o in opts)


def settings_signature(settings: rg.Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Names, kinds and options of fields, questions and metadata (what records depend on).

    Titles, guidelines and the distribution are left out: they can change without making
    existing records or responses invalid.
    """
    fields = sorted((f.name, type(f).__name__) for f in settings.fields)
    questions = sorted(
        (q.name, type(q).__name__, bool(q.required), _options(q)) for q in settings.questions
    )
    metadata = sorted((m.name, type(m).__name__) for m in settings.metadata)
    return {"fields": fields, "questions": questions, "metadata": metadata}
