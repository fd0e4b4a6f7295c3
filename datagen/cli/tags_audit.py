"""`datagen tags audit`: list the `no` tags that other evidence contradicts.

Registered as ``datagen tags audit`` by :mod:`datagen.cli.tags`. The work is done by
:func:`datagen.tags.audit.audit_tags`; this module gathers the inputs (the same ones as
``datagen tags build``) and prints the report as rich tables or JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from datagen.cli.common import console, fail
from datagen.errors import DatagenError, InputError

__all__ = ["tags_audit"]


def tags_audit(
    movielens: Path | None = typer.Option(None, "--movielens", help="MovieLens folder "
                                          "(tags.csv, links.csv) whose user tags are checked "
                                          "against the no tags through the taxonomy's keyword "
                                          "rules; used as contradicting evidence only, never "
                                          "fused.", show_default=False),
    taxonomy: Path | None = typer.Option(None, "--taxonomy", help="Taxonomy YAML. Default: "
                                         "the embedded saferec-v1.", show_default=False),
    catalogue: Path | None = typer.Option(None, "--catalogue", "-c", help="Catalogue Parquet. "
                                          "Default: the embedded bokeh-sampledata films.",
                                          show_default=False),
    ddd: Path | None = typer.Option(None, "--ddd", help="DoesTheDogDie votes, as for "
                                    "`tags build`.", show_default=False),
    parents_guide: Path | None = typer.Option(None, "--parents-guide", help="Parents Guide "
                                              "file, as for `tags build`.",
                                              show_default=False),
    evidence: list[Path] = typer.Option([], "--evidence", metavar="FILE", help="Evidence "
                                        "file (.parquet / .jsonl); repeatable."),
    no_rules: bool = typer.Option(False, "--no-rules", help="Leave out the taxonomy's genre / "
                                  "MPAA rules and the curated evidence."),
    no_curated: bool = typer.Option(False, "--no-curated", help="Leave out the shipped "
                                    "curated film evidence."),
    threshold: float | None = typer.Option(None, "--threshold", min=0.0, max=1.0,
                                           help="Unsafe threshold (default 0.66).",
                                           show_default=False),
    policy_file: Path | None = typer.Option(None, "--policy", help="JSON FusionPolicy.",
                                            show_default=False),
    limit: int = typer.Option(30, "--limit", min=0, help="Contradicted films shown in the "
                              "table (the JSON report lists all)."),
    out: Path | None = typer.Option(None, "--out", help="Also write the JSON report to this "
                                    "file (atomically).", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
) -> None:
    """List the no tags that other evidence contradicts, with counts per trait and source.

    The tags are fused from the same inputs as `datagen tags build` (default: the taxonomy's
    rules and the shipped curated evidence); a no is contradicted by a MovieLens user tag
    matching one of the trait's present keywords, by the film's own rating or genres (a G /
    PG / Family / Animation rule that carried the no on a film rated above PG or with an
    Action, Crime, Thriller, Horror or War genre), or by weaker present evidence in the tag.

    Example: datagen tags audit --movielens ../shared/data/ml-latest-small --json
    """
    from datagen.cli.tags import _catalogue, _evidence, _policy, _taxonomy
    from datagen.parquet_io import atomic_write_bytes
    from datagen.tags.audit import audit_tags

    try:
        policy = _policy(policy_file, threshold)
        tax, cat = _taxonomy(taxonomy), _catalogue(catalogue)
        batches = _evidence(tax, cat, None, ddd, parents_guide, evidence, rules=not no_rules,
                            curated=not no_curated)
        user_tags = _user_tags(movielens, cat)
        report = audit_tags(cat, tax, batches, policy=policy, user_tags=user_tags)
        data = report.model_dump(mode="json")
        if out is not None:
            atomic_write_bytes((json.dumps(data, indent=1) + "\n").encode(), out)
    except DatagenError as exc:
        raise fail(exc) from None
    if as_json:
        typer.echo(json.dumps(data))
    else:
        _print_report(data, limit)


def _user_tags(folder: Path | None, cat: Any) -> list[tuple[str, str, int]] | None:
    if folder is None:
        return None
    if not (folder / "tags.csv").is_file():
        raise InputError("no tags.csv in the MovieLens folder", file=folder)
    from datagen.catalogue.sources import load_movielens_tags

    return load_movielens_tags(folder, cat)


def _print_report(data: dict[str, Any], limit: int) -> None:
    from rich.table import Table

    traits = Table(
        title=f"no tags contradicted: {data['contradicted']:,} of {data['no_tags']:,} "
        f"({data['films']:,} films, {data['taxonomy']})",
        caption="weak: no tags resting only on genre / MPAA / user-tag rules; contradicted, "
        "by kind: tag = a MovieLens user tag, rating = the film's rating or genres, other = "
        "weaker present evidence in the tag", caption_justify="left")
    traits.add_column("trait", no_wrap=True)
    for col in ("no", "weak", "contradicted", "tag", "rating", "other"):
        traits.add_column(col, justify="right")
    for trait_id, c in data["by_trait"].items():
        k = c["kinds"]
        traits.add_row(trait_id, f"{c['no']:,}", f"{c['weak_only']:,}", f"{c['contradicted']:,}",
                       f"{k['user_tag']:,}", f"{k['rating_genre']:,}",
                       f"{k['sources_disagree']:,}")
    console.print(traits)
    sources = Table(title="per no source")
    for col in ("source", "no tags decided", "contradicted"):
        sources.add_column(col, justify="left" if col == "source" else "right")
    for name, c in data["by_source"].items():
        sources.add_row(name, f"{c['no']:,}", f"{c['contradicted']:,}")
    console.print(sources)
    if data["user_tags"] is not None:
        console.print(f"user tags read: {data['user_tags']['rows']:,} (film, tag) pairs on "
                      f"{data['user_tags']['films']:,} catalogue films")
    _print_findings(data["findings"], limit)


def _print_findings(findings: list[dict[str, Any]], limit: int) -> None:
    from rich.markup import escape
    from rich.table import Table

    if not findings or limit == 0:
        return
    table = Table(title=f"contradicted films (first {min(limit, len(findings))} of "
                  f"{len(findings):,}; --json lists all)")
    for col in ("film", "trait", "no sources", "contradicting evidence"):
        table.add_column(col)
    for f in findings[:limit]:
        film = f"{f['title']} ({f['year']})" if f["year"] else f["title"]
        table.add_row(escape(film), f["trait_id"], ", ".join(f["no_sources"]),
                      escape("\n".join(f"{c['kind']}: {c['detail']}"
                                       for c in f["contradictions"])))
    console.print(table)
