"""`datagen export sft|gdpo|dpo|hf`: training formats and the Hugging Face release."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from datagen.errors import ConfigError

__all__ = ["app"]

app = typer.Typer(
    help="Export the splits for training: Safe-SFT, GDPO/GRPO prompts, DPO preference pairs, "
         "and a Hugging Face dataset repo.",
    no_args_is_help=True,
)

_RUN = typer.Option(Path("runs/default"), "--run-dir",
                    help="Run folder whose splits/ are exported (see `datagen split`).")
_SPLITS = typer.Option("train,validation,test", "--splits", help="Splits to export.")
_LIST = typer.Option(10, "--list-length", min=1, max=100,
                     help="Titles per answer (fewer when the ground truth is shorter).")
_RATIONALE = typer.Option(True, "--rationale/--no-rationale",
                          help="Start answers with one sentence acknowledging the concern.")
_TAX = typer.Option(None, "--taxonomy", help="Taxonomy YAML (default: the embedded one).")
_COT = typer.Option(False, "--cot/--no-cot", help="SFT answers as <reasoning>...</reasoning>"
                    "<solution>...</solution>: the user's concern in plain words and the films "
                    "set aside and why, then the list (the SafeCRS reference's CoT shape).")
_CAT = typer.Option(None, "--catalogue",
                    help="Catalogue Parquet (Catalogue.save) (default: bokeh sample data).")
_PRED = typer.Option(None, "--predictions",
                     help="A model's predictions file (JSONL/Parquet) for self_hard pairs.")


def _load_splits(run_dir: Path, names: str) -> dict[str, Any]:
    from datagen.errors import InputError
    from datagen.splits import SPLIT_NAMES, read_split, split_paths

    wanted = [n.strip() for n in names.split(",") if n.strip()]
    bad = [n for n in wanted if n not in SPLIT_NAMES]
    if bad or not wanted:
        raise ConfigError(f"--splits: unknown split(s) {bad}; choose from {SPLIT_NAMES}")
    for name in wanted:
        if not split_paths(run_dir)[name].exists():
            raise InputError(f"no {name} split; run `datagen split --run-dir {run_dir}` first",
                             file=split_paths(run_dir)[name])
    return {n: read_split(run_dir, n) for n in wanted}


def _config(list_length: int, rationale: bool, cot: bool = False) -> Any:
    from exports.common import ExportConfig

    return ExportConfig(list_length=list_length, rationale=rationale, cot=cot)


def _taxonomy(path: Path | None) -> Any:
    from datagen.taxonomy import load_taxonomy

    return load_taxonomy(path)


def _card_tags(tags: Path | None, catalogue: Path | None, taxonomy: Any) -> Any:
    from datagen.catalogue import Catalogue, load_default_catalogue
    from datagen.tags.provenance import tag_index_for

    cat = Catalogue.load(catalogue) if catalogue else load_default_catalogue()
    return tag_index_for(tags, cat, taxonomy)[0]


def _sources(catalogue: Path | None, predictions: Path | None, types: str | None) -> Any:
    from datagen.catalogue import Catalogue, load_default_catalogue
    from datagen.catalogue.resolver import TitleResolver
    from exports.preference import REJECTION_TYPES, PreferenceSources, load_self_hard

    kinds = tuple(t.strip() for t in (types or ",".join(REJECTION_TYPES)).split(",") if t)
    bad = [t for t in kinds if t not in REJECTION_TYPES]
    if bad:
        raise ConfigError(f"--types: unknown {bad}; choose from {', '.join(REJECTION_TYPES)}")
    cat = Catalogue.load(catalogue) if catalogue else load_default_catalogue()
    resolver = TitleResolver(cat)
    preds = load_self_hard(str(predictions), resolver) if predictions else {}
    return PreferenceSources.from_catalogue(cat, resolver, predictions=preds, types=kinds)


def _write(fmt: str, run_dir: Path, splits: str, out: Path | None, **kw: Any) -> None:
    from datagen.cli.common import console
    from datagen.parquet_io import write_parquet
    from exports.build import export_formats, format_schema

    tables = _load_splits(run_dir, splits)
    result = export_formats(tables, [fmt], **kw)
    folder = out or run_dir / "exports" / fmt
    for split, table in result.tables[fmt].items():
        path = write_parquet(table, folder / f"{split}.parquet", format_schema(fmt, table))
        skipped = result.skipped[fmt][split]
        console.print(f"{fmt} {split}: {table.num_rows} rows -> {path}"
                      + (f" ({skipped} samples without ground truth skipped)" if skipped
                         else ""))


@app.command("sft")
def sft(
    run_dir: Path = _RUN,
    out: Path | None = typer.Option(None, "--out", help="Folder (default: <run>/exports/sft)."),
    prompt_completion: bool = typer.Option(False, "--prompt-completion",
                                           help="Write prompt/completion instead of messages."),
    list_length: int = _LIST,
    rationale: bool = _RATIONALE,
    cot: bool = _COT,
    splits: str = _SPLITS,
    taxonomy: Path | None = _TAX,
) -> None:
    """Safe-SFT data in TRL's conversational format, one Parquet file per split.

    Each row's `messages` are a system prompt, the dialogue, and an assistant answer of safe
    ground-truth films as `Title (Year)` lines (with --cot: reasoning, then the lines in
    <solution>). Example:
    datagen export sft --run-dir runs/default --list-length 5 --prompt-completion --cot
    """
    fmt = "sft_prompt_completion" if prompt_completion else "sft"
    _write(fmt, run_dir, splits, out, config=_config(list_length, rationale, cot),
           taxonomy=_taxonomy(taxonomy))


@app.command("safecrs")
def safecrs(
    run_dir: Path = _RUN,
    out: Path | None = typer.Option(None, "--out", help="Folder (default: "
                                    "<run>/exports/safecrs)."),
    list_length: int = _LIST,
    splits: str = _SPLITS,
    taxonomy: Path | None = _TAX,
) -> None:
    """The splits in the SafeCRS reference's layout, as `datasets` save_to_disk folders.

    Writes <out>/<split>/ (train, validation, test), which the reference's training and
    evaluation scripts open with load_from_disk(os.path.join(path, split)). Fields: prompt,
    completion (<reasoning>/<solution>), seen_titles, groundtruth_with_release_year,
    constraints, assigned_trait, assignment_reason, plus sample_id (docs/exports.md).
    Example: datagen export safecrs --out dist/saferec_sft_dataset
    """
    import datasets

    from datagen.cli.common import console
    from exports.build import export_formats

    tables = _load_splits(run_dir, splits)
    result = export_formats(tables, ["safecrs"], _config(list_length, True),
                            taxonomy=_taxonomy(taxonomy))
    folder = out or run_dir / "exports" / "safecrs"
    for split, table in result.tables["safecrs"].items():
        datasets.Dataset(table).save_to_disk(str(folder / split))
        console.print(f"safecrs {split}: {table.num_rows} rows -> {folder / split}")


@app.command("gdpo")
def gdpo(
    run_dir: Path = _RUN,
    out: Path | None = typer.Option(None, "--out", help="Folder (default: <run>/exports/gdpo)."),
    splits: str = _SPLITS,
) -> None:
    """GRPO/GDPO prompts plus the columns the reward functions in exports.rewards read.

    Columns: prompt, ground_truth, traits, unsafe_items, unknown_items, seen_items, sample_id.
    Example: datagen export gdpo --run-dir runs/default --splits train
    """
    _write("gdpo", run_dir, splits, out)


@app.command("dpo")
def dpo(
    run_dir: Path = _RUN,
    out: Path | None = typer.Option(None, "--out", help="Folder (default: <run>/exports/dpo)."),
    predictions: Path | None = _PRED,
    types: str | None = typer.Option(None, "--types",
                                     help="Rejection types (default: unsafe,popularity,"
                                          "hallucination,self_hard)."),
    catalogue: Path | None = _CAT,
    list_length: int = _LIST,
    rationale: bool = _RATIONALE,
    splits: str = _SPLITS,
    taxonomy: Path | None = _TAX,
) -> None:
    """Preference pairs (prompt, chosen, rejected, rejection_type) for DPO.

    One pair per sample and rejection type: unsafe (the user's trigger), popularity (popular
    but irrelevant), hallucination (near-miss titles not in the catalogue), self_hard (wrong
    items from --predictions). Example:
    datagen export dpo --predictions runs/default/predictions/popularity.jsonl
    """
    _write("dpo", run_dir, splits, out, config=_config(list_length, rationale),
           taxonomy=_taxonomy(taxonomy), sources=_sources(catalogue, predictions, types))


@app.command("hf")
def hf(
    out: Path | None = typer.Option(None, "--out", help="Dataset folder (default: <run>/hf)."),
    run_dir: Path = _RUN,
    formats: str = typer.Option("sft,sft_prompt_completion,gdpo,dpo,safecrs,samples",
                                "--formats", help="Configs to write (one per format)."),
    push: str | None = typer.Option(None, "--push", help="Also upload to the Hub as ORG/NAME "
                                    "(token from HF_TOKEN, endpoint from HF_ENDPOINT)."),
    private: bool = typer.Option(False, "--private", help="Create the Hub repo as private."),
    predictions: Path | None = _PRED,
    catalogue: Path | None = _CAT,
    list_length: int = _LIST,
    license_id: str = typer.Option("cc-by-4.0", "--license", help="License id for the card."),
    pretty_name: str = typer.Option("SafeRec", "--pretty-name", help="Name on the card."),
    taxonomy: Path | None = _TAX,
    cot: bool = _COT,
    tags: Path | None = typer.Option(None, "--tags", show_default=False, help="Item tags the "
                                     "run used, for the card's ground-truth evidence counts "
                                     "(default: artifacts/item_tags.parquet, else the embedded "
                                     "defaults)."),
) -> None:
    """Write a Hugging Face dataset repo (card + data/<config>/<split>-*.parquet).

    Every config loads with datasets.load_dataset(DIR, name=<config>). The card carries a
    content warning and provenance computed from the samples. Example:
    datagen export hf --out dist/saferec --push my-org/saferec --private
    """
    from datagen.cli.common import console
    from exports.build import iter_exports, parse_formats
    from exports.hf_repo import write_dataset_folder
    from exports.hf_upload import push_folder

    try:
        fmts = parse_formats(formats)
    except ValueError as exc:
        raise ConfigError(f"--formats: {exc}") from None
    tables = _load_splits(run_dir, "train,validation,test")
    tax = _taxonomy(taxonomy)
    sources = _sources(catalogue, predictions, None) if "dpo" in fmts else None
    folder = out or run_dir / "hf"
    with console.status("building exports"):
        chunks = iter_exports(tables, fmts, _config(list_length, True, cot), taxonomy=tax,
                              sources=sources)
        stats_path = run_dir / "stats.json"
        run_stats = json.loads(stats_path.read_text(encoding="utf-8")) \
            if stats_path.is_file() else None
        written = write_dataset_folder(folder, chunks, tables, taxonomy=tax,
                                       pretty_name=pretty_name, license_id=license_id,
                                       tags=_card_tags(tags, catalogue, tax),
                                       run_stats=run_stats)
    for fmt, counts in written.items():
        console.print(f"{fmt}: " + ", ".join(f"{s} {n}" for s, n in counts.items()))
    console.print(f"wrote {folder}/")
    if push:
        url = push_folder(folder, push, private=private)
        console.print(f"pushed to {push}: {url}")
