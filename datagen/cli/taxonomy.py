"""`datagen taxonomy` commands: validate, show and export the safety-sensitivity taxonomy.

A thin layer over :mod:`datagen.taxonomy`: every command loads the file through
``load_taxonomy`` (so it is fully validated) and only formats the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from datagen.cli.common import console, fail
from datagen.errors import DatagenError

if TYPE_CHECKING:
    from datagen.taxonomy.models import Taxonomy, Trait

__all__ = ["app", "export", "show", "validate"]

app = typer.Typer(
    help=(
        "The safety-sensitivity taxonomy: traits, their trigger topics, Parents Guide weights, "
        "weak rules, leak terms and implicit cue ideas.\n\n"
        "Without PATH every command uses the embedded taxonomies/saferec-v1.yaml."
    ),
    no_args_is_help=True,
)

_PATH_HELP = "Taxonomy YAML file. Default: the embedded taxonomies/saferec-v1.yaml."


def _load(path: Path | None, topics: Path | None = None) -> Taxonomy:
    from datagen.taxonomy import load_taxonomy

    try:
        return load_taxonomy(path, topics_path=topics)
    except DatagenError as exc:
        raise fail(exc) from None


@app.command()
def validate(
    path: Path | None = typer.Argument(None, help=_PATH_HELP, show_default=False),
    topics: Path | None = typer.Option(
        None, "--topics", help="Also check topic ids, labels and categories against a "
        "DoesTheDogDie topics.json.", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
) -> None:
    """Validate a taxonomy file and print its version, content hash and counts.

    Checks field types and ranges, unknown or duplicate topic and trait ids, Parents Guide
    categories, at least 8 cues over 3 strategies per trait, and that no cue contains a leak
    term of any trait. Exits with status 2 and a one-line error naming file, trait and field.

    Example: datagen taxonomy validate taxonomies/saferec-v1.yaml --topics data/dtdd/topics.json
    """
    tax = _load(path, topics)
    summary = _summary(tax)
    if as_json:
        import json

        typer.echo(json.dumps(summary, sort_keys=True))
        return
    console.print(
        f"[green]ok[/] {tax.name} {tax.version} ({tax.source_path})\n"
        f"  content hash  {tax.content_hash}\n"
        f"  traits {summary['traits']}, topics {summary['topics']}, "
        f"weak rules {summary['weak_rules']}, leak terms {summary['leak_terms']}, "
        f"cues {summary['cues']}", highlight=False)


def _summary(tax: Taxonomy) -> dict[str, object]:
    return {
        "name": tax.name,
        "version": tax.version,
        "content_hash": tax.content_hash,
        "version_tag": tax.version_tag,
        "path": tax.source_path,
        "traits": len(tax.traits),
        "topics": len(tax.topics),
        "weak_rules": sum(len(t.weak_rules) for t in tax.traits),
        "leak_terms": sum(len(t.leak_terms) for t in tax.traits),
        "cues": sum(len(t.cues) for t in tax.traits),
    }


@app.command()
def show(
    path: Path | None = typer.Argument(None, help=_PATH_HELP, show_default=False),
    trait: str | None = typer.Option(
        None, "--trait", help="Show one trait in detail (its id, e.g. needle_phobia).",
        show_default=False),
) -> None:
    """Show the traits as a table, or one trait in detail with --trait.

    Table columns: id, family, number of DoesTheDogDie topics, Parents Guide weights, weak
    rules (present/absent), cues and the number of cue strategies.

    Example: datagen taxonomy show --trait spiders_snakes
    """
    tax = _load(path)
    if trait is None:
        console.print(_trait_table(tax))
        return
    try:
        chosen = tax.trait(trait)
    except KeyError:
        from datagen.errors import ConfigError

        raise fail(ConfigError(f"unknown trait {trait!r}; known: {', '.join(tax.trait_ids)}")) \
            from None
    _print_trait(tax, chosen)


def _trait_table(tax: Taxonomy):  # -> rich.table.Table
    from rich.table import Table

    table = Table(title=f"{tax.name} {tax.version}  ({tax.content_hash[:12]})",
                  caption="PG weights: sex=sex & nudity, viol=violence & gore, prof=profanity, "
                  "subs=alcohol/drugs/smoking, fright=frightening & intense")
    for column in ("id", "family", "topics", "PG weights", "rules +/-", "cues/strat"):
        table.add_column(column, no_wrap=column == "id")
    for t in tax.traits:
        present = sum(r.polarity == "present" for r in t.weak_rules)
        table.add_row(
            t.id, str(t.family.value), str(len(t.dtdd_topics)), _weights(t, short=True) or "-",
            f"{present}/{len(t.weak_rules) - present}",
            f"{len(t.cues)} / {len({c.strategy for c in t.cues})}",
        )
    return table


#: Short Parents Guide category names for the summary table.
_PG_SHORT = {"sex_nudity": "sex", "violence_gore": "viol", "profanity": "prof",
             "alcohol_drugs_smoking": "subs", "frightening_intense": "fright"}


def _weights(trait: Trait, short: bool = False) -> str:
    return ", ".join(f"{_PG_SHORT.get(k, k) if short else k}={v:g}"
                     for k, v in trait.pg_weights.items())


def _print_trait(tax: Taxonomy, trait: Trait) -> None:
    from rich.table import Table

    labels = {t.id: f"{t.label} [dim]({t.category})[/]" for t in tax.topics}
    console.print(f"[bold]{trait.id}[/] — {trait.name}  [dim]family {trait.family.value}[/]")
    if trait.reference_name:
        console.print(f"[dim]reference name:[/] {trait.reference_name}", highlight=False)
    console.print(trait.description, highlight=False)
    console.print("\n[bold]DoesTheDogDie topics[/]")
    for topic_id in trait.dtdd_topics:
        console.print(f"  {topic_id}  {labels[topic_id]}", highlight=False)
    console.print(f"\n[bold]Parents Guide weights[/]  {_weights(trait) or '-'}")
    if trait.weak_rules_why:
        console.print(f"\n[bold]weak rules[/]  {trait.weak_rules_why}", highlight=False)
    rules = Table(title="weak rules", title_justify="left",
                  caption="no alone: whether an absence rule can make a film 'no' by itself "
                  "(supports: only alongside other evidence)", caption_justify="left")
    for column in ("kind", "value", "polarity", "weight", "no alone", "unless"):
        rules.add_column(column)
    for rule in trait.weak_rules:
        alone = "-" if rule.decides_no is None else ("decides" if rule.decides_no else "supports")
        unless = "-" if rule.unless is None else ", ".join(
            [*rule.unless.mpaa, *rule.unless.genre,
             *([f"released {rule.unless.years[0]}-{rule.unless.years[1]}"]
               if rule.unless.years else [])])
        rules.add_row(rule.kind, rule.value, rule.polarity, f"{rule.weight:g}", alone, unless)
    console.print(rules)
    for rule in trait.weak_rules:
        if rule.why:
            console.print(f"  [dim]why {rule.kind} {rule.value} ({rule.polarity}):[/] "
                          f"{rule.why}", highlight=False)
    console.print("[bold]leak terms[/]  " + "; ".join(trait.leak_terms), highlight=False)
    cues = Table(title="cue ideas", title_justify="left")
    cues.add_column("strategy", no_wrap=True)
    cues.add_column("text")
    for cue in sorted(trait.cues, key=lambda c: c.strategy.value):
        cues.add_row(cue.strategy.value, cue.text)
    console.print(cues)


@app.command()
def export(
    path: Path | None = typer.Argument(None, help=_PATH_HELP, show_default=False),
    as_json: bool = typer.Option(
        True, "--json", help="Export as JSON (the only format so far; on by default)."),
    out: Path | None = typer.Option(
        None, "--out", help="Write to this file (atomically) instead of standard output.",
        show_default=False),
) -> None:
    """Export the validated taxonomy as JSON, with its version, content hash and version tag.

    Example: datagen taxonomy export --json --out artifacts/taxonomy.json
    """
    import json

    tax = _load(path)
    data = tax.model_dump(mode="json")
    data["version_tag"] = tax.version_tag
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    from datagen.parquet_io import atomic_write_bytes

    atomic_write_bytes(text.encode("utf-8"), out)
    console.print(f"wrote {out} ({tax.version_tag})", highlight=False)
