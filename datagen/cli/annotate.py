"""`datagen annotate`: human verification of samples in Argilla (serve, push, pull, users).

A thin layer over the :mod:`annotation` package. Credentials come from ``--api-url`` /
``--api-key`` or the ``ARGILLA_API_URL`` / ``ARGILLA_API_KEY`` environment variables.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from datagen.cli.annotate_tags import DEFAULT_HUMAN_TAGS, AnnotateKind
from datagen.cli.common import console, err_console

if TYPE_CHECKING:
    from annotation.server import LocalArgillaStack

__all__ = ["app", "pull", "push", "serve", "users_add"]

app = typer.Typer(
    help=(
        "Human verification in Argilla: annotators check that cues are implicit, which traits "
        "the user shows, that the ground truth is safe, and how natural the dialogue is.\n\n"
        "Three commands: `datagen annotate serve` (a local server, or use your own via "
        "ARGILLA_API_URL / ARGILLA_API_KEY), `datagen annotate push --dataset NAME`, "
        "`datagen annotate pull --dataset NAME`."
    ),
    no_args_is_help=True,
)
users_app = typer.Typer(help="Annotator accounts in Argilla.", no_args_is_help=True)
app.add_typer(users_app, name="users")

_URL = typer.Option(None, "--api-url", envvar="ARGILLA_API_URL", show_default=False,
                    help="Argilla server URL (env ARGILLA_API_URL).")
_KEY = typer.Option(None, "--api-key", envvar="ARGILLA_API_KEY", show_default=False,
                    help="Owner API key (env ARGILLA_API_KEY).")
_WS = typer.Option("saferec", "--workspace", "-w", help="Argilla workspace (created if missing).")
_RUN = typer.Option(Path("runs/default"), "--run-dir", help="Run folder with samples.parquet.")
_INPUT = typer.Option(None, "--input", "-i", show_default=False,
                      help="Samples Parquet. Default: <run-dir>/samples.parquet.")
_SPLIT = typer.Option(None, "--split", show_default=False,
                      help="Use <run-dir>/splits/<SPLIT>.parquet (train, validation, test).")
_KIND = typer.Option(AnnotateKind.samples, "--kind", help="samples (dialogues) or tags (one "
                     "record per (film, trait) tag to verify; docs/tags.md).")


#: environment variables of `serve`'s owner credentials (not on the command line: ps shows it)
ENV_OWNER_KEY = "SAFEREC_ARGILLA_API_KEY"
ENV_OWNER_PASSWORD = "SAFEREC_ARGILLA_PASSWORD"


def warn_if_on_command_line(ctx: typer.Context, param: str, env: str) -> None:
    """A secret typed as an option is readable by every local user in ps; say so."""
    source = ctx.get_parameter_source(param)  # typer may carry its own click: compare names
    if getattr(source, "name", None) == "COMMANDLINE":
        flag = "--" + param.replace("_", "-")
        err_console.print(f"[yellow]warning:[/] {flag} on the command line is visible to other "
                          f"users (ps, /proc); set {env} instead", highlight=False)


@app.command()
def serve(
    ctx: typer.Context,
    port: int = typer.Option(0, "--port", help="Port of the UI/API (0 = a free port)."),
    api_key: str | None = typer.Option(None, "--api-key", envvar=ENV_OWNER_KEY,
                                       show_default=False,
                                       help=f"Owner API key (env {ENV_OWNER_KEY}; default: "
                                       "random, or the one stored in --data-dir)."),
    password: str | None = typer.Option(None, "--password", envvar=ENV_OWNER_PASSWORD,
                                        show_default=False,
                                        help=f"Owner password, 8+ chars (env "
                                        f"{ENV_OWNER_PASSWORD}; default: random, or stored)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", show_default=False,
                                         help="Keep data here across restarts (default: a "
                                         "temporary folder removed on exit)."),
) -> None:
    """Start a local Argilla stack (redis + search engine + server + worker) until stopped.

    Ctrl-C, SIGTERM or SIGHUP stop every process of the stack, also during start-up and
    also when started in the background with `&` (exit status 0 once it was ready, 128 +
    signal number if stopped before). Credentials never appear on a command line: pass them
    through the environment. Needs `bash scripts/setup_argilla.sh` once (Debian
    redis-server and a separate argilla-server virtualenv). For production use Argilla's
    Docker image instead.

    Example: SAFEREC_ARGILLA_PASSWORD=... datagen annotate serve --port 6900 --data-dir ~/argilla
    """
    from annotation.lifecycle import StopRequested, stop_on_signals
    from annotation.server import LocalArgillaStack
    from datagen.cli import early_signals

    warn_if_on_command_line(ctx, "api_key", ENV_OWNER_KEY)
    warn_if_on_command_line(ctx, "password", ENV_OWNER_PASSWORD)
    stack = LocalArgillaStack(port=port or None, api_key=api_key, password=password,
                              data_dir=data_dir)
    ready = False
    try:
        with stop_on_signals():  # before the first child starts
            early = early_signals.take()  # a signal while the CLI was loading
            if early is not None:
                raise StopRequested(early)
            try:
                with console.status("starting redis, search engine, argilla-server and "
                                    "worker..."):
                    stack.start()
                ready = True
                _print_running(stack)
                while True:
                    time.sleep(3600)
            finally:
                if ready or isinstance(sys.exc_info()[1], StopRequested):
                    console.print("stopping...")
                stack.stop()
    except StopRequested as stop:
        if not ready:
            console.print(f"[yellow]stopped during start-up[/] ({stop})", highlight=False)
            raise typer.Exit(128 + stop.signum) from None
    console.print("[green]stopped[/]")


def _print_running(stack: LocalArgillaStack) -> None:
    from rich.panel import Panel

    console.print(Panel.fit(
        f"UI and API  [bold]{stack.url}[/]\n"
        f"username    {stack.username}\npassword    {stack.password}\n"
        f"API key     {stack.api_key}\ndata        {stack.data_dir}\n\n"
        f"export ARGILLA_API_URL={stack.url}\nexport ARGILLA_API_KEY={stack.api_key}",
        title="Argilla is running - Ctrl-C stops it", border_style="green"), highlight=False)


@app.command()
def push(
    dataset: str = typer.Option(..., "--dataset", "-d", help="Argilla dataset name."),
    workspace: str = _WS,
    run_dir: Path = _RUN,
    input_path: Path | None = _INPUT,
    split: str | None = _SPLIT,
    min_submitted: int = typer.Option(2, "--min-submitted", min=1,
                                      help="Submitted responses that complete a record."),
    taxonomy_path: Path | None = typer.Option(None, "--taxonomy", show_default=False,
                                              help="Taxonomy YAML (default: embedded)."),
    batch_size: int = typer.Option(250, "--batch-size", min=1, max=500,
                                   help="Records per bulk upsert."),
    suggest_traits: bool = typer.Option(
        False, "--suggest-traits",
        help="Pre-select the generator's traits in the traits question (the old behaviour). "
        "Default: blind - annotators infer traits from the dialogue alone, so `pull` can "
        "measure human inferability. Fixed per dataset."),
    api_url: str | None = _URL,
    api_key: str | None = _KEY,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    kind: AnnotateKind = _KIND,
    tags: Path | None = typer.Option(None, "--tags", show_default=False, help="--kind tags: "
                                     "item_tags.parquet to choose from (default: "
                                     "artifacts/item_tags.parquet, else the embedded defaults)."),
    catalogue: Path | None = typer.Option(None, "--catalogue", show_default=False,
                                          help="--kind tags: catalogue Parquet (default: "
                                          "embedded)."),
    limit: int = typer.Option(500, "--limit", min=1, help="--kind tags: records to push, "
                              "by impact and doubt (samples, if found, give ground-truth use)."),
    seed: int = typer.Option(0, "--seed", help="--kind tags: seed of the tie-breaking jitter."),
    per_trait: int | None = typer.Option(None, "--per-trait", min=1, show_default=False,
                                         help="--kind tags: at most N records per trait."),
) -> None:
    """Create or update an Argilla dataset with one record per sample (record id = sample id),
    or with --kind tags one record per (film, trait) tag to verify.

    Idempotent and resumable: a re-run sends only new or changed records and never
    duplicates; after an interrupted push, run the same command again. The traits question
    is blind unless --suggest-traits (recorded in the dataset's guidelines and in the pull
    report; a push in the other mode is refused).

    Example: datagen annotate push --split test --dataset saferec-test --min-submitted 2 ;
    datagen annotate push --kind tags --dataset saferec-tags --limit 500
    """
    if kind == "tags":
        from annotation.samples_io import resolve_input as _resolve
        from annotation.tag_select import SelectOptions
        from datagen.cli.annotate_tags import push_tags_cmd

        push_tags_cmd(dataset=dataset, workspace=workspace,
                      samples_path=_resolve(run_dir, input_path, split), tags=tags,
                      catalogue_path=catalogue, taxonomy_path=taxonomy_path,
                      options=SelectOptions(limit=limit, seed=seed, per_trait=per_trait),
                      min_submitted=min_submitted, batch_size=batch_size, api_url=api_url,
                      api_key=api_key, as_json=as_json)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from annotation.client import connect
    from annotation.push import push_samples
    from annotation.samples_io import load_samples, resolve_input
    from datagen.taxonomy import load_taxonomy

    path = resolve_input(run_dir, input_path, split)
    samples = load_samples(path)
    taxonomy = load_taxonomy(taxonomy_path)
    client = connect(api_url, api_key)
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, disable=as_json) as bar:
        task = bar.add_task(f"pushing to {dataset}", total=None)
        result = push_samples(
            client, samples, dataset=dataset, workspace=workspace, taxonomy=taxonomy,
            min_submitted=min_submitted, batch_size=batch_size, source=str(path),
            suggest_traits=suggest_traits,
            on_progress=lambda done, todo: bar.update(task, completed=done, total=todo))
    if as_json:
        typer.echo(result.model_dump_json())
        return
    console.print(f"[green]pushed[/] {result.total} samples from {path} to {workspace}/{dataset}:"
                  f" {result.created} created, {result.updated} updated, {result.unchanged} "
                  f"unchanged (min_submitted {result.min_submitted}, traits question "
                  f"{'suggested' if result.traits_suggested else 'blind'})\n  {result.url}",
                  highlight=False)


@app.command()
def pull(
    dataset: str = typer.Option(..., "--dataset", "-d", help="Argilla dataset name."),
    workspace: str = _WS,
    run_dir: Path = _RUN,
    input_path: Path | None = _INPUT,
    split: str | None = _SPLIT,
    out: Path | None = typer.Option(None, "--out", "-o", show_default=False,
                                    help="Where to write the samples with verdicts "
                                    "(default: overwrite the input, atomically)."),
    report: Path | None = typer.Option(None, "--report", show_default=False,
                                       help="Report JSON (a .md is written beside it). Default:"
                                       " <run-dir>/annotation/<dataset>.report.json"),
    min_submitted: int | None = typer.Option(None, "--min-submitted", min=1, show_default=False,
                                             help="Override the dataset's min_submitted."),
    api_url: str | None = _URL,
    api_key: str | None = _KEY,
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    kind: AnnotateKind = _KIND,
    tags_out: Path = typer.Option(DEFAULT_HUMAN_TAGS, "--tags-out",
                                  help="--kind tags: human:argilla evidence file to write "
                                  "(then `datagen tags build --evidence FILE`)."),
) -> None:
    """Read submitted responses, score agreement, and write verdicts into the samples (or,
    with --kind tags, write the tag verdicts as human:argilla evidence).

    Verdict per record: accepted when a strict majority says the cue is implicit and the
    ground truth safe and the median naturalness is >= 3; rejected otherwise; pending with
    fewer than min_submitted responses. Agreement: Krippendorff's alpha (nominal for labels
    and per trait, ordinal for naturalness) and percent agreement. Human inferability: per
    trait, cue strategy and variant, the share of annotators who named the planned trait and
    false positives on control samples, next to the inferability judge's figures, with 95%
    intervals (in the samples' `human` column, the report and, after `export hf`, the card).

    Example: datagen annotate pull --split test --dataset saferec-test
    """
    from annotation.client import connect
    from annotation.pull import pull_to_parquet
    from annotation.report import render_markdown
    from annotation.samples_io import resolve_input

    if kind == "tags":
        from datagen.cli.annotate_tags import pull_tags_cmd

        pull_tags_cmd(dataset=dataset, workspace=workspace, out=tags_out,
                      report=report or run_dir / "annotation" / f"{dataset}.report.json",
                      min_submitted=min_submitted, api_url=api_url, api_key=api_key,
                      as_json=as_json)
        return
    path = resolve_input(run_dir, input_path, split)
    out_path = out or path
    report_path = report or run_dir / "annotation" / f"{dataset}.report.json"
    if not path.exists():
        from datagen.errors import InputError

        raise InputError("file not found", file=path)
    client = connect(api_url, api_key)
    _, rep = pull_to_parquet(client, dataset=dataset, workspace=workspace, input_path=path,
                             out_path=out_path, report_path=report_path,
                             min_submitted=min_submitted)
    if as_json:
        typer.echo(json.dumps(rep))
        return
    from rich.markdown import Markdown

    console.print(Markdown(render_markdown(rep)))
    console.print(f"[green]wrote[/] {out_path} and {report_path} (+ .md)", highlight=False)


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="Login name (lowercase, digits, - and _)."),
    role: str = typer.Option("annotator", "--role", help="annotator, admin or owner."),
    workspace: str = _WS,
    password: str | None = typer.Option(None, "--password", show_default=False,
                                        help="8+ characters (default: a random one, printed)."),
    api_url: str | None = _URL,
    api_key: str | None = _KEY,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Create an Argilla user (if missing) and add it to the workspace.

    Example: datagen annotate users add alice --role annotator --workspace saferec
    """
    from annotation.accounts import add_user
    from annotation.client import connect, map_errors

    client = connect(api_url, api_key)
    res = map_errors(str(client.api_url), lambda: add_user(
        client, username, role=role, workspace=workspace, password=password))
    if as_json:
        typer.echo(res.model_dump_json())
        return
    what = "created" if res.created else "exists;"
    pw = f", password {res.password}" if res.password else ""
    console.print(f"[green]{username}[/] {what} role {res.role}, member of {workspace}{pw}",
                  highlight=False)
