"""``datagen import safecrs``: a released SafeCRS split -> SafeRec samples for ``evaluate``.

Each reference row becomes one :class:`~datagen.records.sample.Sample`:

* ``messages``: the prompt's user / assistant turns (a text prompt is one user turn; system
  messages are dropped). The reference injected its constraint sentences into the prompt,
  so these dialogues state the sensitivity explicitly;
* ``traits``: the names ``constraints`` marks true, plus ``assigned_trait``, mapped to trait
  ids through the taxonomy's ``reference_name`` (its own name and id are accepted too); a
  name the taxonomy does not know is counted in the report and left out;
* ``ground_truth`` / ``liked_items``: ``groundtruth_with_release_year`` and ``seen_titles``
  through the one :class:`~datagen.catalogue.resolver.TitleResolver`; titles that do not
  resolve are counted (and the most frequent listed) in the report;
* ``generation``: ``backend="import"``, the reference completion kept as ``raw_output``;
  ``verification.passed`` is false with flag ``imported:safecrs``: nothing here was checked
  by this project's verifiers.

:func:`write_import` writes a run folder (``splits/<split>.parquet``, ``manifest.json``,
``import_report.json``) that ``datagen evaluate --run-dir`` reads like a synthesized run.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datagen.compat.safecrs_rows import (
    SafeCRSRow,
    TitleYear,
    iter_safecrs_rows,
    parse_row,
    seed_fields,
)
from datagen.errors import InputError
from datagen.records.sample import (
    Generation,
    GroundTruthItem,
    ItemRef,
    Sample,
    Turn,
    Verification,
)
from datagen.taxonomy.models import Taxonomy

__all__ = [
    "IMPORT_FLAG",
    "ImportReport",
    "ImportResult",
    "SafeCRSRow",
    "TitleCounts",
    "import_safecrs",
    "iter_safecrs_rows",
    "seed_fields",
    "trait_lookup",
    "write_import",
]

IMPORT_FLAG = "imported:safecrs"
_SHOWN_UNRESOLVED = 50


class TitleCounts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    total: int = 0
    resolved: int = 0
    unresolved: int = 0


class ImportReport(BaseModel):
    """What the import made of the file (``import_report.json``)."""

    model_config = ConfigDict(extra="forbid")

    source_file: str
    split: str
    taxonomy_version: str
    catalogue: str
    catalogue_fingerprint: str
    rows: int = 0
    samples: int = 0
    control_samples: int = 0
    samples_without_ground_truth: int = 0
    ground_truth: TitleCounts = Field(default_factory=TitleCounts)
    seen: TitleCounts = Field(default_factory=TitleCounts)
    #: the most frequent unresolved titles (ground truth and seen), with counts
    unresolved_titles: dict[str, int] = Field(default_factory=dict)
    #: trait id -> samples that carry it
    traits: dict[str, int] = Field(default_factory=dict)
    #: trait name the taxonomy does not know -> rows that named it
    unmapped_traits: dict[str, int] = Field(default_factory=dict)
    #: columns of the release that have no place in the sample schema
    ignored_fields: list[str] = Field(default_factory=list)


@dataclass
class ImportResult:
    samples: list[Sample]
    report: ImportReport


def trait_lookup(taxonomy: Taxonomy) -> dict[str, str]:
    """casefolded reference name / name / id -> trait id."""
    out: dict[str, str] = {}
    for trait in taxonomy.traits:
        for key in (trait.id, trait.name, trait.reference_name):
            if key:
                out.setdefault(" ".join(key.casefold().split()), trait.id)
    return out


class _Importer:
    """Row-by-row conversion with the counters of the report."""

    def __init__(self, resolver: Any, taxonomy: Taxonomy, report: ImportReport) -> None:
        self.resolver = resolver
        self.taxonomy = taxonomy
        self.lookup = trait_lookup(taxonomy)
        self.report = report
        self.unresolved: Counter[str] = Counter()
        self.unmapped: Counter[str] = Counter()
        self.traits: Counter[str] = Counter()
        self.ignored: set[str] = set()

    def _refs(self, entries: Iterable[TitleYear | str], counts: TitleCounts) -> list[ItemRef]:
        refs: list[ItemRef] = []
        for entry in entries:
            text, year = (entry, None) if isinstance(entry, str) else entry
            counts.total += 1
            match = self.resolver.resolve(text, year)
            if not match.matched:
                counts.unresolved += 1
                self.unresolved[text if year is None else f"{text} ({year})"] += 1
                continue
            counts.resolved += 1
            if all(r.item_id != match.item_id for r in refs):
                refs.append(ItemRef(item_id=match.item_id, title=match.title, year=match.year))
        return refs

    def _traits(self, row: SafeCRSRow) -> list[str]:
        ids: list[str] = []
        for name in row.trait_names():
            trait_id = self.lookup.get(" ".join(name.casefold().split()))
            if trait_id is None:
                self.unmapped[name] += 1
            elif trait_id not in ids:
                ids.append(trait_id)
        return ids

    def sample(self, row: SafeCRSRow, path: Path, where: int | str, index: int) -> Sample:
        self.ignored.update(row.model_extra or {})
        turns = [Turn(role=role, content=text) for role, text in row.turns()]
        digest = hashlib.sha256("\x1e".join(t.content for t in turns).encode()).hexdigest()
        traits = self._traits(row)
        self.traits.update(traits)
        sample = Sample(
            sample_id=row.sample_id or f"safecrs-{self.report.split}-{index:06d}",
            taxonomy_version=self.taxonomy.version_tag,
            seed_source="safecrs",
            seed_id=f"safecrs:{digest[:16]}",
            traits=traits,
            messages=turns,
            liked_items=self._refs(row.seen_titles, self.report.seen),
            ground_truth=[GroundTruthItem.model_validate(r.model_dump()) for r in
                          self._refs(row.ground_truth(path, where), self.report.ground_truth)],
            generation=Generation(backend="import", model="safecrs-reference", is_llm=False,
                                  prompt_version="safecrs-release",
                                  raw_output=row.completion_text()),
            verification=Verification(passed=False, leak_passed=False, flags=[IMPORT_FLAG]),
        )
        self.report.control_samples += not traits
        self.report.samples_without_ground_truth += not sample.ground_truth
        return sample

    def finish(self) -> None:
        r = self.report
        r.unresolved_titles = dict(self.unresolved.most_common(_SHOWN_UNRESOLVED))
        r.unmapped_traits = dict(self.unmapped.most_common())
        r.traits = dict(sorted(self.traits.items()))
        r.ignored_fields = sorted(self.ignored - {"liked_with_release_year", "id"})


def import_safecrs(path: str | Path, resolver: Any, taxonomy: Taxonomy, *,
                   split: str = "test") -> ImportResult:
    """Read a released SafeCRS split (file or ``datasets`` folder) as SafeRec samples.

    ``resolver`` is the project's :class:`~datagen.catalogue.resolver.TitleResolver`.
    Raises :class:`InputError` for a malformed row or a repeated ``sample_id``.
    """
    path = Path(path)
    catalogue = resolver.catalogue
    report = ImportReport(source_file=str(path), split=split,
                          taxonomy_version=taxonomy.version_tag,
                          catalogue=getattr(catalogue, "name", "catalogue"),
                          catalogue_fingerprint=catalogue.fingerprint)
    importer = _Importer(resolver, taxonomy, report)
    samples: list[Sample] = []
    seen_ids: set[str] = set()
    for index, (where, obj) in enumerate(iter_safecrs_rows(path)):
        sample = importer.sample(parse_row(obj, path, where), path, where, index)
        if sample.sample_id in seen_ids:
            raise InputError(f"duplicate sample id {sample.sample_id!r}", file=path,
                             record=where, field="sample_id")
        seen_ids.add(sample.sample_id)
        samples.append(sample)
    if not samples:
        raise InputError("no rows in file (it is empty)", file=path)
    report.rows = report.samples = len(samples)
    importer.finish()
    return ImportResult(samples, report)


def write_import(result: ImportResult, out_dir: str | Path, *,
                 catalogue_path: str | Path | None = None,
                 taxonomy_path: str | Path | None = None) -> dict[str, Path]:
    """Write ``splits/<split>.parquet``, ``import_report.json`` and ``manifest.json``.

    The manifest names the catalogue and taxonomy files used (None = the embedded ones), so
    ``datagen evaluate --run-dir OUT`` resolves with the same catalogue.
    """
    from datagen.evaluate.truth import split_path
    from datagen.parquet_io import atomic_write_bytes, write_parquet
    from datagen.records.sample import SAMPLE_SCHEMA, samples_to_table

    out = Path(out_dir)
    report = result.report
    split_file = write_parquet(samples_to_table(result.samples),
                               split_path(out, report.split), SAMPLE_SCHEMA)
    manifest = {
        "kind": "import:safecrs",
        "source_file": report.source_file,
        "split": report.split,
        "config": {"catalogue_path": str(catalogue_path) if catalogue_path else None,
                   "taxonomy_path": str(taxonomy_path) if taxonomy_path else None},
        "catalogue": {"name": report.catalogue, "fingerprint": report.catalogue_fingerprint},
        "taxonomy": {"version": report.taxonomy_version},
    }
    return {
        "split": Path(split_file),
        "report": atomic_write_bytes(report.model_dump_json(indent=2).encode(),
                                     out / "import_report.json"),
        "manifest": atomic_write_bytes(json.dumps(manifest, indent=2).encode(),
                                       out / "manifest.json"),
    }
