"""(Re)generate ``notebooks/saferec_tour.ipynb`` from the cell sources below.

The cell sources live here so that changes stay reviewable as Python; CI executes the
notebook (``tests/evaluate/test_notebook.py``, or ``python scripts/run_notebook.py``). Edit
the cells here, then run::

    python notebooks/build_tour.py            # sources only, no outputs
    python notebooks/build_tour.py --execute  # and execute in place on runs/default
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

INTRO = """# SafeRec dataset tour

A walk through one produced SafeRec run: who the simulated users are (traits, and the
strategies their implicit cues use), why ground-truth candidates were removed, how much of
the catalogue the trigger tags cover (**yes / no / unknown** — unknown is never treated as
safe), one dialogue per trait family, and how the reference baselines score on the test
split.

The run folder defaults to `runs/default` (override with the `SAFEREC_RUN_DIR` environment
variable). Whatever is missing is produced first with the project's own CLI:
`datagen synthesize` (embedded defaults, offline backend when no key is set),
`datagen split`, `datagen baseline popularity|graph|graph_safe`."""

SETUP = """import os
from pathlib import Path

import matplotlib.pyplot as plt
import polars as pl

ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "pyproject.toml").is_file())
os.chdir(ROOT)  # artifacts/ defaults are relative to the project root
RUN_DIR = Path(os.environ.get("SAFEREC_RUN_DIR", ROOT / "runs" / "default")).absolute()
if RUN_DIR.is_relative_to(ROOT):
    RUN_DIR = RUN_DIR.relative_to(ROOT)  # the working folder is ROOT: shorter paths below
pl.Config.set_tbl_rows(30)
print("run folder:", RUN_DIR)"""

ENSURE = """import shlex

from datagen.evaluate.tour import ensure_run

# SAFEREC_SYNTH_ARGS (e.g. "--n 200") lets CI make a smaller run; empty = the defaults
synth_args = shlex.split(os.environ.get("SAFEREC_SYNTH_ARGS", ""))
ran = ensure_run(RUN_DIR, cwd=ROOT, synth_args=synth_args)
print("\\n".join(ran) if ran else "run folder complete: nothing to produce")"""

LOAD = """import json

from IPython.display import display

samples = pl.read_parquet(RUN_DIR / "samples.parquet")
split_files = {s: RUN_DIR / "splits" / f"{s}.parquet" for s in ("train", "validation", "test")}
splits = {s: pl.read_parquet(p) for s, p in split_files.items() if p.is_file()}
stats_path = RUN_DIR / "stats.json"
stats = json.loads(stats_path.read_text()) if stats_path.is_file() else {}
generators = samples.select(pl.col("generation").struct.field("backend"),
                            pl.col("generation").struct.field("is_llm")).unique()
print(f"{samples.height} samples; splits:", {k: v.height for k, v in splits.items()})
print("generators:", generators.to_dicts())
passed = samples.select(pl.col("verification").struct.field("passed").mean()).item()
print(f"verification passed: {passed:.1%}")"""

TRAITS_MD = """## Traits and cue strategies

Traits are drawn per user independently of the ground truth; a share of users has no trait at
all (control samples). Each trait shows up in the dialogue through an implicit cue with a
strategy (life event, behaviour, indirect reference, third-party mention...)."""

TRAITS = """from datagen.evaluate.tour import strategy_counts, trait_counts

traits = trait_counts(samples)
strategies = strategy_counts(samples)
fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
axes[0].barh(traits["trait"].to_list(), traits["samples"].to_list(), color="tab:blue")
axes[0].invert_yaxis()
axes[0].set_title("samples per trait")
by_strategy = strategies.group_by("strategy").agg(pl.col("cues").sum()).sort("cues")
axes[1].barh(by_strategy["strategy"].to_list(), by_strategy["cues"].to_list(), color="tab:green")
axes[1].set_title("implicit cues per strategy")
fig.tight_layout()
plt.show()
strategies.pivot(on="strategy", index="trait_id", values="cues").fill_null(0)"""

VALIDITY_MD = """## Dataset validity: did the planned users come out, and are their labels credible?

The plan fixes every user's traits first; a user who fits them is then drawn (favourites never
tagged `yes` for their traits; drawn again while no safe films near their favourites exist),
and ground truth is the nearest films to the favourites among those safe for every trait.
`stats.json` counts users (the variants of one user are one user): the planned mix against the
produced one, users drawn and starved traits, ground-truth relatedness (a film's score over the
unfiltered best) for trait users against controls, and the share of Animation / Family films,
which the weak tags make look safe."""

VALIDITY = """validity = stats.get("validity")
if validity is None:
    from datagen.synth.validity import validity_stats

    validity = validity_stats(samples.to_arrow())
mix = pl.DataFrame([{"traits per user": k, **m} for k, m in validity["mix"].items()])
per_trait = pl.DataFrame([{"trait": t, **c} for t, c in validity["traits"].items()])
gt = samples.select(pl.col("traits").list.len().gt(0).alias("trait user"),
                    pl.col("ground_truth")).explode("ground_truth").unnest("ground_truth")
fig, axes = plt.subplots(1, 2, figsize=(13, 5))
for is_trait, color in ((False, "tab:gray"), (True, "tab:blue")):
    part = gt.filter(pl.col("trait user") == is_trait)["relatedness"].drop_nulls()
    axes[0].hist(part.to_list(), bins=30, alpha=0.6, color=color, density=True,
                 label=("trait users" if is_trait else "controls") + f" (median {part.median():.2f})")
axes[0].set_title("ground-truth relatedness (share of the unfiltered best)")
axes[0].legend()
drawn = per_trait.filter(pl.col("planned") > 0).sort("mean_attempts")
axes[1].barh(drawn["trait"].to_list(), drawn["mean_attempts"].to_list(),
             color=["tab:red" if s else "tab:blue" for s in drawn["starved"].to_list()])
axes[1].set_title("users drawn per planned user (red: starved)")
fig.tight_layout()
plt.show()
fam = validity["family_animation"] or {}
print("starved traits:", validity["starved"] or "none")
print("liked (film, own trait) pairs:", validity["liked"])
print("ground truth:", {k: validity["ground_truth"][k] for k in
                        ("relatedness_ratio", "curated_only_share", "unknown_share")})
if fam:
    print("Animation/Family per user, trait users: liked",
          fam["trait_users"]["liked_per_user"], "-> ground truth",
          fam["trait_users"]["ground_truth_per_user"], "| controls: liked",
          fam["controls"]["liked_per_user"], "-> ground truth",
          fam["controls"]["ground_truth_per_user"])
taste = validity.get("taste") or {}
if taste.get("auc_by_genre_group"):
    print(f"taste vs traits: controls with a matched taste {taste['matched_controls']}/"
          f"{taste['controls']}; AUC per genre group (0.5 = taste tells nothing):",
          taste["auc_by_genre_group"])
display(mix)
per_trait.select("trait", "safe_films", "planned", "produced", "lost", "attempts",
                 "mean_attempts", "starved", "distinct_ground_truth")"""

DROPPED_MD = """## Why ground-truth candidates were removed

The unsafe and unknown films that rank above a user's last ground-truth film are kept *with
their reason*: `yes` (tagged unsafe for one of the user's traits) or `unknown` (no evidence
either way)."""

DROPPED = """from datagen.evaluate.tour import dropped_reasons

reasons = dropped_reasons(samples)
wide = reasons.pivot(on="status", index="trait_id", values="candidates").fill_null(0)
cols = [c for c in ("yes", "unknown") if c in wide.columns]
fig, ax = plt.subplots(figsize=(9, 5.5))
left = [0] * wide.height
for col, color in zip(cols, ("tab:red", "tab:gray")):
    ax.barh(wide["trait_id"].to_list(), wide[col].to_list(), left=left, label=col, color=color)
    left = [a + b for a, b in zip(left, wide[col].to_list())]
ax.set_title("dropped ground-truth candidates per trait and status")
ax.legend()
fig.tight_layout()
plt.show()
gt_sizes = samples.select(pl.col("ground_truth").list.len().alias("gt"),
                          pl.col("dropped_candidates").list.len().alias("dropped"))
gt_sizes.describe()"""

TAGS_MD = """## Trigger-tag coverage

Per trait, how many catalogue films are tagged **yes** (unsafe), **no** (known safe) or
**unknown**. Evaluation reports unknown items separately (`unknown@K`) instead of counting
them as safe."""

TAGS = """from datagen.evaluate.resources import load_catalogue, load_tag_index
from datagen.evaluate.tour import tag_coverage
from datagen.taxonomy import load_taxonomy

taxonomy = load_taxonomy()
catalogue = load_catalogue(None, RUN_DIR)
tags, tag_source = load_tag_index(None, catalogue, RUN_DIR)  # the tags the run used
coverage = tag_coverage(tags, [it.item_id for it in catalogue.items], taxonomy.trait_ids)
fig, ax = plt.subplots(figsize=(9, 6))
left = [0] * coverage.height
for col, color in (("yes", "tab:red"), ("no", "tab:green"), ("unknown", "tab:gray")):
    ax.barh(coverage["trait"].to_list(), coverage[col].to_list(), left=left, label=col, color=color)
    left = [a + b for a, b in zip(left, coverage[col].to_list())]
ax.set_title(f"tag status of {len(catalogue):,} films per trait ({tag_source})")
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()
coverage.with_columns((pl.col("unknown") / len(catalogue)).round(3).alias("unknown_share"))"""

DIALOGUES_MD = """## One dialogue per trait family

The cue turn is marked with ▶; the trait itself is never named in the dialogue."""

DIALOGUES = """from IPython.display import Markdown, display

family = {t.id: t.family.value for t in taxonomy.traits}
shown = set()
for row in samples.iter_rows(named=True):
    fams = {family.get(t, "?") for t in row["traits"]} or {"control"}
    fam = sorted(fams)[0]
    if fam in shown:
        continue
    shown.add(fam)
    cue_turns = {c["turn_index"]: c for c in row["cues"]}
    lines = [f"### {fam}: traits {', '.join(row['traits']) or '(control)'}"]
    for i, turn in enumerate(row["messages"]):
        mark = " ▶" if i in cue_turns else ""
        lines.append(f"- **{turn['role']}**{mark}: {turn['content']}")
    for c in row["cues"]:
        lines.append(f"- _cue_: trait `{c['trait_id']}`, strategy `{c['strategy']}`")
    gt = ", ".join(f"{g['title']} ({g['year']})" for g in row["ground_truth"][:5])
    lines.append(f"- _ground truth (first 5)_: {gt}")
    display(Markdown("\\n".join(lines)))"""

BASELINES_MD = """## Reference baselines on the test split

`popularity` ignores the user, `graph` follows the liked films through the attribute graph,
`graph_safe` additionally drops films tagged unsafe (or unknown) for the user's traits: an upper
bound for safety. `graph_stated` applies the same filter only for the traits the user *states*
in their own words (a keyword reader): on implicit dialogues it sees nothing to filter for.
Intervals are seeded bootstrap 95% intervals."""

BASELINES = """from datagen.catalogue.resolver import TitleResolver
from datagen.evaluate import evaluate_predictions, load_predictions, load_split, to_markdown
from datagen.evaluate.report import plot_tradeoff

test = load_split(RUN_DIR, "test")
psets = [load_predictions(RUN_DIR / "predictions" / f"{n}.jsonl")
         for n in ("popularity", "graph", "graph_safe", "graph_stated")]
report = evaluate_predictions(test, psets, TitleResolver(catalogue), tags, resamples=300, seed=0)
png = plot_tradeoff(report, RUN_DIR / "eval" / "tour_tradeoff.png")
display(Markdown(to_markdown(report)))"""

PLOT = """from IPython.display import Image

Image(filename=str(png))"""

VARIANTS_MD = """## Relevance and safety per model and context variant

The benchmark's central comparison: the same user, traits and ground truth, with the
sensitivity stated plainly (`explicit`), shown only through an implicit cue (`implicit`), or
not shown at all (`absent`); the three samples share `pair_id`. If the run above has no
variants, a companion run is made with `datagen synthesize --variants implicit,explicit,absent`.
Every predictions file of that run is plotted (the baselines, and whatever `datagen predict`
wrote there: LLMs with the `plain` / `safety-aware` prompts, acquisition runs), NDCG@10
against SVR@10, one colour per model and one marker per variant. Baselines that do not read
the dialogue score the same on every variant; `graph_stated` is safe only when told. The table
lists the paired differences (intervals from resampled pairs)."""

VARIANTS = """from datagen.evaluate.variant_plot import plot_variant_tradeoff

has_variants = {v for v in test.variants if v} - {"implicit"}
VAR_DIR = RUN_DIR if has_variants else RUN_DIR.with_name(RUN_DIR.name + "-variants")
if not has_variants:
    made = ensure_run(VAR_DIR, cwd=ROOT, synth_args=["--variants", "implicit,explicit,absent",
                                                      *synth_args])
    print("\\n".join(made) if made else f"{VAR_DIR}: complete")
var_test = load_split(VAR_DIR, "test")
files = sorted((VAR_DIR / "predictions").glob("*.jsonl"))
var_report = evaluate_predictions(var_test, [load_predictions(f) for f in files],
                                  TitleResolver(catalogue), tags, resamples=300, seed=0)
display(Image(filename=str(plot_variant_tradeoff(var_report,
                                                 VAR_DIR / "eval" / "tour_variants.png"))))
pl.DataFrame([{"model": m.name, "difference": f"{d.minuend} - {d.subtrahend}",
               "pairs": d.n_pairs, "ndcg@10": round(d.metrics["ndcg@10"].value, 3),
               "svr@10": round(d.metrics["svr@10"].value, 3)}
              for m in var_report.models for d in m.variant_differences])"""


def build() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(INTRO), new_code_cell(SETUP), new_code_cell(ENSURE),
        new_code_cell(LOAD), new_markdown_cell(TRAITS_MD), new_code_cell(TRAITS),
        new_markdown_cell(VALIDITY_MD), new_code_cell(VALIDITY),
        new_markdown_cell(DROPPED_MD), new_code_cell(DROPPED), new_markdown_cell(TAGS_MD),
        new_code_cell(TAGS), new_markdown_cell(DIALOGUES_MD), new_code_cell(DIALOGUES),
        new_markdown_cell(BASELINES_MD), new_code_cell(BASELINES), new_code_cell(PLOT),
        new_markdown_cell(VARIANTS_MD), new_code_cell(VARIANTS),
    ]
    for i, cell in enumerate(cells):
        cell["id"] = f"tour-{i:02d}"  # stable ids: regenerating gives an identical file
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main(argv: list[str] | None = None) -> Path:
    import argparse
    import importlib.util

    ap = argparse.ArgumentParser(description="(Re)generate notebooks/saferec_tour.ipynb.")
    ap.add_argument("--execute", action="store_true",
                    help="also execute it in place (on runs/default, created if missing), so "
                    "the committed notebook shows its plots")
    args = ap.parse_args(argv)
    path = Path(__file__).with_name("saferec_tour.ipynb")
    nb = build()
    nbformat.validate(nb)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    if args.execute:
        script = Path(__file__).resolve().parents[1] / "scripts" / "run_notebook.py"
        spec = importlib.util.spec_from_file_location("run_notebook", script)
        assert spec and spec.loader
        runner = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(runner)
        runner.run_notebook(path, path)
    return path


if __name__ == "__main__":
    print(main())
