"""The ``datagen`` command: a thin layer that composes the stages.

Each command group lives in its own module and imports heavy libraries inside its
functions, so ``datagen --help`` stays fast. Errors derived from
:class:`datagen.errors.DatagenError` are printed as one red line and exit with status 2.
"""

from __future__ import annotations

import sys

from datagen.cli import early_signals

early_signals.arm(sys.argv[1:])  # before the slow imports below (see the module)

import typer  # noqa: E402

from datagen.cli import (  # noqa: E402
    annotate,
    baseline,
    catalog,
    evaluate,
    export,
    graph,
    importer,
    predict,
    split,
    synthesize,
    tags,
    taxonomy,
)

app = typer.Typer(
    name="datagen",
    help=(
        "Build SafeRec: conversational movie-recommendation data where each user has a "
        "personal safety sensitivity shown only implicitly.\n\n"
        "Typical flow: taxonomy validate -> tags build -> synthesize -> annotate push/pull "
        "-> split -> export hf -> predict / baseline -> evaluate (or benchmark)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(taxonomy.app, name="taxonomy")
app.add_typer(catalog.app, name="catalog")
app.add_typer(graph.app, name="graph")
app.add_typer(tags.app, name="tags")
app.command("synthesize")(synthesize.synthesize)
app.command("split")(split.split)
app.add_typer(export.app, name="export")
app.add_typer(annotate.app, name="annotate")
app.command("evaluate")(evaluate.evaluate)
app.add_typer(importer.app, name="import")
app.command("baseline")(baseline.baseline)
app.command("predict")(predict.predict)
app.command("benchmark")(predict.benchmark)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    if version:
        from datagen import __version__

        typer.echo(__version__)
        raise typer.Exit()


def main() -> None:  # pragma: no cover - console entry point
    from datagen.cli.common import run_app

    sys.exit(run_app(app))
