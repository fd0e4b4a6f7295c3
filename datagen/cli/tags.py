"""`datagen tags` commands (work in progress: filled in by the owner of this stage)."""

from __future__ import annotations

import typer

app = typer.Typer(help="tags commands.", no_args_is_help=True)
