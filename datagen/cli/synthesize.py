"""`datagen synthesize`: write SafeRec dialogues with implicit cues and safe ground truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from datagen.cli import llm_options as llm
from datagen.cli.common import LLMProgress, console, fail
from datagen.errors import ConfigError, DatagenError

__all__ = ["synthesize"]


def _summary(stats: dict[str, Any], run_dir: Path, skipped: int) -> None:
    from rich.table import Table

    table = Table(title=f"synthesis run {run_dir}", show_header=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(justify="right")
    gen = f"{stats['backend']} / {stats['model']} ({'LLM' if stats['is_llm'] else 'not an LLM'})"
    judge = (f"{stats['judge_backend']} / {stats['judge_model']} "
             f"({'LLM' if stats['judge_is_llm'] else 'heuristic, not an LLM'})")
    rows = [("generator", gen), ("judge", judge), ("planned", stats["planned"]),
            ("samples", stats["samples"]), ("verified", stats["verified"]),
            ("failed verification", stats["failed_verification"]),
            ("rejects", stats["rejects"])]
    rows += [(f"  {k}", v) for k, v in stats.items() if k.startswith("dropped_")]
    rows += [(f"  {k}", v) for k, v in stats.items() if k.startswith("flag_")]
    rows += [("skipped (resumed)", skipped),
             ("tokens in / out", f"{stats['tokens']['input']:,} / {stats['tokens']['output']:,}"),
             ("cost (USD)", f"{stats['cost_usd']:.4f}"),
             ("cached samples", stats["cached_samples"]),
             ("elapsed (s)", f"{stats['duration_s']:.1f}")]
    rows += _validity_rows(stats.get("validity") or {})
    for name, value in rows:
        table.add_row(name, str(value))
    console.print(table)
    if stats.get("validity", {}).get("traits"):
        console.print(_trait_table(stats["validity"]))


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _validity_rows(v: dict[str, Any]) -> list[tuple[str, Any]]:
    """Summary lines of the dataset-validity statistics (see docs/synthesis.md)."""
    if not v:
        return []
    mix = v["mix"]
    gt, liked, fam = v["ground_truth"], v["liked"], v.get("family_animation")
    rows: list[tuple[str, Any]] = [
        ("users planned / produced", f"{v['users']['planned']:,} / {v['users']['produced']:,}"),
        ("  traits per user: planned -> out", "  ".join(
            f"{k}: {_pct(m['planned_share'])} -> {_pct(m['produced_share'])}"
            for k, m in mix.items())),
        ("  control share", _pct(v["control_share"])),
        ("  draws (mean per user)", f"{v['attempts']['total']:,} ({v['attempts']['mean']})"),
        ("  starved traits", ", ".join(f"{t} ({v['traits'][t]['safe_films']} safe films)"
                                       for t in v["starved"]) or "none"),
        ("  lost users by traits", ", ".join(f"{k}: {n}" for k, n in
                                             v.get("lost_combinations", {}).items()) or "none"),
        ("ground truth relatedness, median", f"trait users "
         f"{gt['trait_users']['median_relatedness']} / controls "
         f"{gt['controls']['median_relatedness']} (ratio {gt.get('relatedness_ratio', '-')})"),
        ("  unfiltered rank, median", f"trait users "
         f"{gt['trait_users']['median_unfiltered_rank']} / controls "
         f"{gt['controls']['median_unfiltered_rank']}"),
        ("  safe only through curated evidence", _pct(gt["curated_only_share"])),
        ("  unknown (unknown policy allow)", _pct(gt["unknown_share"])),
        ("liked films x own traits", f"no {liked['no']:,}, unknown {liked['unknown']:,}, "
         f"yes {liked['yes']:,}"),
    ]
    if fam:
        t, c = fam["trait_users"], fam["controls"]
        rows.append(("Animation/Family, per user", f"trait users: liked "
                     f"{_pct(t['liked_per_user'])}, ground truth "
                     f"{_pct(t['ground_truth_per_user'])}; controls: liked "
                     f"{_pct(c['liked_per_user'])}, ground truth "
                     f"{_pct(c['ground_truth_per_user'])}"))
    taste = v.get("taste") or {}
    if taste.get("worst_group"):
        rows.append(("taste tells traits apart (AUC)", f"worst genre group "
                     f"{taste['worst_group']} {taste['worst_auc']} (0.5 = no); controls matched "
                     f"{taste['matched_controls']}/{taste['controls']}"))
    return rows


def _trait_table(v: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title="users per trait (a user may have two traits)")
    for name in ("trait", "safe films", "planned", "produced", "verified", "lost", "draws",
                 "draws/user", "starved"):
        table.add_column(name, justify="left" if name == "trait" else "right")
    for trait, c in v["traits"].items():
        table.add_row(trait, str(c["safe_films"] if c["safe_films"] is not None else "-"),
                      str(c["planned"]), str(c["produced"]), str(c["verified"]), str(c["lost"]),
                      str(c["attempts"]), str(c["mean_attempts"] or "-"),
                      "[bold red]starved[/]" if c["starved"] else "")
    return table


def synthesize(
    n: int = typer.Option(1000, "--n", help="Users to plan (pairs: 2 samples each)."),
    seed: int = typer.Option(13, help="Plan seed: same seed, same samples."),
    seed_source: str = typer.Option("graph", help="graph | redial | reddit | safecrs (reddit "
                                    "also reads SafeCRS release rows)."),
    seed_file: Path | None = typer.Option(None, help="ReDial or Reddit-Movie-style JSONL, or a "
                                          "SafeCRS split (.jsonl/.json/.parquet/datasets folder)."),
    redial_movies: Path | None = typer.Option(
        None, help="ReDial movies_with_mentions.csv (default: next to --seed-file)."),
    traits_per_user: str = typer.Option(
        "0:0.2,1:0.6,2:0.2", help="Traits per user -> weight; 0 = control sample."),
    control_share: float | None = typer.Option(
        None, min=0.0, max=1.0, help="Override the weight of 0 traits (controls)."),
    variants: str = typer.Option(
        "implicit", help="Context variants per user with traits, sharing pair_id, profile and "
        "ground truth: implicit (cue woven in), explicit (stated plainly), absent (no cue), "
        "acquisition (the assistant asks about sensitivities first: training data for "
        "asking). Controls get one implicit sample (and an acquisition one when asked for)."),
    pairs: bool = typer.Option(False, "--pairs", hidden=True,
                               help="Old name of --variants implicit,absent."),
    backend: str = typer.Option("offline", help="offline | openai | anthropic."),
    model: str | None = typer.Option(None, help="Model name (required for LLM backends)."),
    base_url: str | None = typer.Option(None, help="OpenAI-compatible server, e.g. "
                                        "http://127.0.0.1:8000/v1 (vLLM, Ollama, llama.cpp)."),
    judge_backend: str = typer.Option("offline", help="offline (heuristic) | openai | "
                                      "anthropic."),
    judge_model: str | None = typer.Option(None, help="Judge model (default: --model)."),
    temperature: float = typer.Option(0.8, help="Sampling temperature of the generator."),
    unknown_policy: str = typer.Option(
        "exclude", help="exclude (unknown is not safe) | allow (recorded in the manifest)."),
    gt_min: int = typer.Option(3, help="Fewer safe films above the relevance floor -> draw "
                               "another user for the same traits."),
    gt_max: int = typer.Option(10, help="Ground-truth films kept per sample (the nearest "
                               "safe films to the liked ones)."),
    relevance_floor: float = typer.Option(
        0.4, min=0.0, max=1.0, help="Ground truth must score at least this share of the "
        "nearest film of all (safe or not); below it a safe film counts as unrelated."),
    max_attempts: int = typer.Option(
        40, min=1, help="Users drawn per planned user (profiles or real seeds) before it is a "
        "reject; every draw is counted in stats.json."),
    max_unknown_liked: float = typer.Option(
        0.6, min=0.0, max=1.0, help="Share of a trait user's liked films that may be tagged "
        "unknown for their traits (never yes)."),
    taste_balance: float = typer.Option(
        0.0, min=0.0, max=1.0, help="How far a trait user's first favourite follows the "
        "catalogue's genre mix (1) rather than the mix of films known safe for their traits "
        "(0). Higher values make fewer family-film fans but less related ground truth and "
        "more starved traits on thin tags (docs/synthesis.md)."),
    control_taste: str = typer.Option(
        "matched", help="matched: each control's taste is drawn as for a user with traits "
        "(then unfiltered ground truth), so traits cannot be read from taste; catalogue: "
        "controls like films from the whole catalogue."),
    strict_history: str = typer.Option(
        "young_children", help="Traits whose users like only films tagged no (comma list; "
        "'' for none): a parent's history is what the family watches."),
    max_dropped: int = typer.Option(
        20, min=0, help="Unsafe/unknown films ranked above the last ground-truth film kept "
        "per sample (dropped_candidates)."),
    pair_min_safe: int = typer.Option(
        50, min=0, help="A trait combination is planned only when at least this many films "
        "are safe for all of it."),
    concurrency: int = llm.CONCURRENCY,
    timeout: float = llm.TIMEOUT,
    max_tokens: int = llm.MAX_TOKENS,
    retries: int = llm.RETRIES,
    structured_output: str = llm.STRUCTURED_OUTPUT,
    shard_size: int = typer.Option(256, help="Finished entries per shard (resume unit)."),
    max_failure_rate: float = typer.Option(0.5, help="Abort above this generation failure "
                                           "rate (shards are kept)."),
    drop_failed: bool = typer.Option(False, "--drop-failed", help="Move samples that fail "
                                     "verification to rejects.parquet."),
    run_dir: Path = typer.Option(Path("runs/default"), help="Run directory."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --run-dir."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing run."),
    taxonomy: Path | None = typer.Option(None, help="Taxonomy YAML (default: embedded)."),
    catalogue: Path | None = typer.Option(None, help="Saved catalogue Parquet (default: "
                                          "embedded bokeh films)."),
    tags: Path | None = typer.Option(None, help="item_tags.parquet (default: artifacts/"
                                     "item_tags.parquet, else built in memory)."),
    graph: Path | None = typer.Option(None, help="graph.json (default: artifacts/graph.json, "
                                      "else built in memory)."),
    cache: Path | None = typer.Option(None, help="LLM response cache (default: "
                                      "<run-dir>/../llm_cache.sqlite)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not cache LLM responses."),
    price_in: float = typer.Option(0.0, help="USD per 1M input tokens (for stats)."),
    price_out: float = typer.Option(0.0, help="USD per 1M output tokens (for stats)."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress display."),
    progress_every: float = llm.PROGRESS_EVERY,
    json_out: bool = typer.Option(False, "--json", help="Print stats.json to stdout."),
) -> None:
    """Synthesize SafeRec dialogues: implicit cues, safe ground truth, verification.

    Defaults: offline backend (a labelled template composer, not an LLM), offline judge,
    embedded taxonomy and bokeh catalogue, 1000 users, 20% controls -> runs/default with
    manifest.json, shards/, samples.parquet, rejects.parquet and stats.json.

    Examples:

      datagen synthesize   (offline, 1000 users -> runs/default)

      datagen synthesize --backend openai --model gpt-4o-mini --n 2000 --concurrency 32

      datagen synthesize --backend openai --base-url http://127.0.0.1:8000/v1 --model M
      --concurrency 1 --timeout 600   (a local server answering one request at a time)

      datagen synthesize --seed-source redial --seed-file data/redial/test_data.jsonl

      datagen synthesize --resume   (continue a killed run with the same options)

    LLM backends are checked before any work (reachable, key, model, structured-output
    mode: see --structured-output); the mode is recorded in manifest.json and stats.json.
    Keys come from OPENAI_API_KEY / ANTHROPIC_API_KEY and never reach the run folder.
    """
    from pydantic import ValidationError

    from datagen.synth.config import SynthConfig, parse_trait_counts
    from datagen.synth.runner import synthesize as run

    try:
        counts = parse_trait_counts(traits_per_user)
        if control_share is not None:
            rest = sum(v for k, v in counts.items() if k) or 1.0
            counts = {k: (v / rest) * (1 - control_share) for k, v in counts.items() if k}
            counts[0] = control_share
        try:
            config = SynthConfig.model_validate(dict(
                n=n, seed=seed, seed_source=seed_source, seed_path=seed_file,
                redial_movies=redial_movies, trait_counts=counts,
                variants="implicit,absent" if pairs else variants,
                backend=backend, model=model, base_url=base_url, judge_backend=judge_backend,
                judge_model=judge_model, temperature=temperature, unknown_policy=unknown_policy,
                gt_min=gt_min, gt_max=gt_max, relevance_floor=relevance_floor,
                max_attempts=max_attempts, max_unknown_liked=max_unknown_liked,
                taste_balance=taste_balance, control_taste=control_taste,
                strict_history_traits=[t.strip() for t in strict_history.split(",")
                                       if t.strip()],
                max_dropped=max_dropped, pair_min_safe=pair_min_safe,
                concurrency=concurrency, timeout=timeout, max_tokens=max_tokens, retries=retries,
                structured_output=structured_output,
                shard_size=shard_size, max_failure_rate=max_failure_rate,
                drop_failed=drop_failed, run_dir=run_dir, resume=resume, overwrite=overwrite,
                taxonomy_path=taxonomy, catalogue_path=catalogue, tags_path=tags,
                graph_path=graph, cache_path=cache, no_cache=no_cache,
                price_input_per_mtok=price_in, price_output_per_mtok=price_out,
                progress=not no_progress))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "options"
            raise ConfigError(f"invalid option {where}: {first['msg']}") from None
        from datagen.llm import UsageMeter

        meter = UsageMeter()
        with LLMProgress("synthesize", meter=meter, enabled=not no_progress and not json_out,
                         every=progress_every) as shown:
            result = run(config, progress=shown.update, meter=meter)
    except DatagenError as exc:
        raise fail(exc) from None
    if json_out:
        typer.echo(json.dumps(result.stats, indent=2, sort_keys=True))
    else:
        _summary(result.stats, result.run_dir, result.skipped)
