"""`datagen annotate push/pull --kind tags`: verify item trigger tags in a second dataset.

Called by :mod:`datagen.cli.annotate` when ``--kind tags`` is given; the work is done by
:mod:`annotation.tag_select`, :mod:`annotation.tag_push` and :mod:`annotation.tag_pull`.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from datagen.cli.common import console

__all__ = ["DEFAULT_HUMAN_TAGS", "AnnotateKind", "pull_tags_cmd", "push_tags_cmd"]

DEFAULT_HUMAN_TAGS = Path("artifacts/human_tags.parquet")


class AnnotateKind(StrEnum):
    """What an annotate dataset holds."""

    samples = "samples"
    tags = "tags"


def push_tags_cmd(*, dataset: str, workspace: str, samples_path: Path, tags: Path | None,
                  catalogue_path: Path | None, taxonomy_path: Path | None, options: Any,
                  min_submitted: int, batch_size: int, api_url: str | None,
                  api_key: str | None, as_json: bool) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from annotation.client import connect
    from annotation.tag_push import push_tags
    from annotation.tag_select import select_tags
    from datagen.catalogue import Catalogue, load_default_catalogue
    from datagen.parquet_io import read_parquet
    from datagen.records.sample import SAMPLE_SCHEMA
    from datagen.tags.provenance import tag_index_for
    from datagen.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(taxonomy_path)
    catalogue = Catalogue.load(catalogue_path) if catalogue_path else load_default_catalogue()
    index, label = tag_index_for(tags, catalogue, taxonomy)
    table = index.table
    samples = read_parquet(samples_path, SAMPLE_SCHEMA) if samples_path.is_file() else None
    popularity = {i.item_id: i.popularity for i in catalogue.items}
    chosen = select_tags(table, popularity=popularity, samples=samples, options=options)
    client = connect(api_url, api_key)
    items = {i.item_id: i for i in catalogue.items}
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, disable=as_json) as bar:
        task = bar.add_task(f"pushing tags to {dataset}", total=None)
        result = push_tags(client, chosen, items, dataset=dataset, workspace=workspace,
                           taxonomy=taxonomy, min_submitted=min_submitted,
                           batch_size=batch_size,
                           on_progress=lambda done, todo: bar.update(task, completed=done,
                                                                     total=todo))
    reasons: dict[str, int] = {}
    for c in chosen:
        for r in c.reasons:
            reasons[r] = reasons.get(r, 0) + 1
    if as_json:
        typer.echo(json.dumps({**result.model_dump(), "reasons": reasons, "tags": label,
                               "samples": str(samples_path) if samples is not None else None}))
        return
    console.print(f"[green]pushed[/] {result.total} (film, trait) tags to {workspace}/{dataset}:"
                  f" {result.created} created, {result.updated} updated, {result.unchanged} "
                  f"unchanged; chosen for {reasons} from {label}\n  {result.url}", highlight=False)


def pull_tags_cmd(*, dataset: str, workspace: str, out: Path, report: Path,
                  min_submitted: int | None, api_url: str | None, api_key: str | None,
                  as_json: bool) -> None:
    from annotation.client import connect
    from annotation.tag_pull import pull_tags, render_tag_markdown

    client = connect(api_url, api_key)
    result, rep = pull_tags(client, dataset=dataset, workspace=workspace, out_path=out,
                            report_path=report, min_submitted=min_submitted)
    if as_json:
        typer.echo(json.dumps(rep))
        return
    from rich.markdown import Markdown

    console.print(Markdown(render_tag_markdown(result, out)))
    console.print(f"[green]wrote[/] {out} (human:argilla evidence: `datagen tags build "
                  f"--evidence {out}`) and {report} (+ .md)", highlight=False)
