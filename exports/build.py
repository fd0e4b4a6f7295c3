"""Build every export format from the split tables (the one entry the CLI and HF writer use).

Formats (the Hugging Face config names): ``sft`` (TRL ``messages``), ``sft_prompt_completion``
(TRL ``prompt``/``completion``), ``gdpo`` (GRPO prompts + reward columns), ``dpo``
(preference pairs), ``safecrs`` (the SafeCRS reference's field layout, :mod:`exports.safecrs`;
its schema depends on the taxonomy's traits, see :func:`format_schema`) and ``samples`` (the
full sample records, ``SAMPLE_SCHEMA``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import pyarrow as pa

from datagen.records.sample import SAMPLE_SCHEMA
from datagen.taxonomy.models import Taxonomy
from exports.chunk import ChunkBuilder
from exports.common import ExportConfig, concern_phrases
from exports.gdpo import GDPO_SCHEMA
from exports.preference import PREFERENCE_SCHEMA, PreferenceSources
from exports.safecrs import SafeCRSNames
from exports.sft import SFT_PROMPT_COMPLETION_SCHEMA, SFT_SCHEMA

__all__ = [
    "CHUNK_ROWS",
    "FORMATS",
    "FORMAT_SCHEMAS",
    "ExportChunk",
    "ExportResult",
    "export_formats",
    "format_schema",
    "iter_exports",
    "parse_formats",
]

FORMATS = ("sft", "sft_prompt_completion", "gdpo", "dpo", "safecrs", "samples")
FORMAT_SCHEMAS: dict[str, pa.Schema] = {
    "sft": SFT_SCHEMA,
    "sft_prompt_completion": SFT_PROMPT_COMPLETION_SCHEMA,
    "gdpo": GDPO_SCHEMA,
    "dpo": PREFERENCE_SCHEMA,
    "samples": SAMPLE_SCHEMA,
}
CHUNK_ROWS = 10_000


def format_schema(fmt: str, table: pa.Table | None = None) -> pa.Schema:
    """The explicit schema of a format; ``safecrs`` (taxonomy-dependent) takes its table's."""
    schema = FORMAT_SCHEMAS.get(fmt)
    if schema is not None:
        return schema
    if table is None or fmt not in FORMATS:
        raise KeyError(fmt)
    return table.schema


def _names(taxonomy: Taxonomy | None, splits: Mapping[str, pa.Table]) -> SafeCRSNames:
    if taxonomy is not None:
        return SafeCRSNames.from_taxonomy(taxonomy)
    ids = {t for table in splits.values() for ts in table.column("traits").to_pylist()
           for t in ts or []}
    return SafeCRSNames.from_ids(ids)


@dataclass(frozen=True)
class ExportChunk:
    """Records of one format for a slice of one split (``last``: the split's final slice)."""

    format: str
    split: str
    table: pa.Table
    skipped: int
    last: bool


@dataclass
class ExportResult:
    """format -> split -> table, and format -> split -> samples that gave no record."""

    tables: dict[str, dict[str, pa.Table]] = field(default_factory=dict)
    skipped: dict[str, dict[str, int]] = field(default_factory=dict)

    def counts(self) -> dict[str, dict[str, int]]:
        return {f: {s: t.num_rows for s, t in by.items()} for f, by in self.tables.items()}


def parse_formats(text: str | Iterable[str]) -> list[str]:
    """``"sft,dpo"`` -> ``["sft", "dpo"]``; ValueError naming an unknown format."""
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text)]
    names = [n for n in names if n]
    bad = [n for n in names if n not in FORMATS]
    if bad or not names:
        raise ValueError(f"unknown format(s) {bad or names}; choose from {', '.join(FORMATS)}")
    return list(dict.fromkeys(names))


def iter_exports(
    splits: Mapping[str, pa.Table],
    formats: Iterable[str] = FORMATS,
    config: ExportConfig | None = None,
    *,
    taxonomy: Taxonomy | None = None,
    sources: PreferenceSources | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[ExportChunk]:
    """Every requested format for every split, ``chunk_rows`` samples at a time.

    Tables are built column by column (:class:`exports.chunk.ChunkBuilder`), sharing the
    prompt and answer columns between formats; memory stays bounded by the chunk whatever
    the split size. ``taxonomy`` supplies the words of
    the SFT acknowledgement and reasoning (none without it) and the ``safecrs`` constraint
    names (trait ids without it); ``sources`` the negatives of the preference pairs (only
    ``unsafe`` without it).
    """
    cfg = config or ExportConfig()
    fmts = parse_formats(formats)
    phrases = concern_phrases(taxonomy, cfg.phrases_per_trait) if taxonomy else None
    names = _names(taxonomy, splits) if "safecrs" in fmts else None
    for split, table in splits.items():
        starts = range(0, max(table.num_rows, 1), chunk_rows)
        for start in starts:
            builder = ChunkBuilder(table.slice(start, chunk_rows), cfg, phrases, sources,
                                   names)
            for fmt in fmts:
                out, skipped = builder.build(fmt)
                yield ExportChunk(fmt, split, out, skipped, last=start == starts[-1])


def export_formats(
    splits: Mapping[str, pa.Table],
    formats: Iterable[str] = FORMATS,
    config: ExportConfig | None = None,
    *,
    taxonomy: Taxonomy | None = None,
    sources: PreferenceSources | None = None,
) -> ExportResult:
    """All of :func:`iter_exports` in memory: format -> split -> one table."""
    parts: dict[str, dict[str, list[pa.Table]]] = {}
    result = ExportResult()
    for c in iter_exports(splits, formats, config, taxonomy=taxonomy, sources=sources):
        parts.setdefault(c.format, {}).setdefault(c.split, []).append(c.table)
        by = result.skipped.setdefault(c.format, {})
        by[c.split] = by.get(c.split, 0) + c.skipped
    for fmt, by_split in parts.items():
        result.tables[fmt] = {s: pa.concat_tables(ts) for s, ts in by_split.items()}
    return result
