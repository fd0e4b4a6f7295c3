"""The dataset card (README.md): YAML front matter, content warning and provenance.

Provenance is computed from the sample records themselves, so the card cannot drift from the
data: generation backends and models (with the LLM / offline split), judges, taxonomy
versions, automatic and human verification statistics, and samples per trait per split.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from datagen.taxonomy.models import Taxonomy
from exports.hf_card_validity import validity_markdown

__all__ = ["provenance", "render_card", "size_category"]

_CARD_TAGS = ["recommendation", "conversational-recommendation", "safety",
              "personalized-safety", "synthetic", "sft", "dpo", "grpo"]
_WARNING = (
    "> **Content warning.** The dialogues come from users who carry personal sensitivities "
    "(self-harm and suicide, sexual violence, child harm, domestic abuse, substance recovery, "
    "pregnancy loss, phobias and more). The users hint at them in their own words, and the "
    "negatives of the preference pairs name films that depict those topics. Read and share "
    "with care."
)


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` bucket for ``n`` rows."""
    for bound, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < bound:
            return name
    return "10M<n<100M"


def _field(table: pa.Table, column: str, name: str) -> pl.Series:
    return pl.Series(name, pc.struct_field(table.column(column), name))


def _mean(values: pl.Series) -> float | None:
    arr = values.cast(pl.Float64).to_numpy()
    return round(float(arr.mean()), 4) if len(arr) else None


def _counts(values: pl.Series) -> dict[str, int]:
    vc = values.value_counts(sort=True, name="n")
    return {str(k): int(n) for k, n in zip(vc[values.name], vc["n"], strict=True)}


def _labels(table: pa.Table, column: str, backend: str, model: str, is_llm: str) -> pl.Series:
    b, m, llm = (_field(table, column, k) for k in (backend, model, is_llm))
    frame = pl.DataFrame([b, m, llm])
    return frame.select(pl.format(
        "{}/{} [{}]",
        pl.col(backend).replace("", "none").fill_null("none"),
        pl.col(model).replace("", "none").fill_null("none"),
        pl.when(pl.col(is_llm)).then(pl.lit("llm")).otherwise(pl.lit("offline (no LLM)")),
    ).alias("label"))["label"]


def _trait_counts(table: pa.Table) -> dict[str, int]:
    traits = pl.Series("traits", table.column("traits"))
    filled = pl.DataFrame([traits]).select(
        pl.when(pl.col("traits").list.len() > 0).then(pl.col("traits"))
        .otherwise(pl.lit(["control"], dtype=pl.List(pl.String))).alias("traits"))
    return dict(sorted(_counts(filled["traits"].explode()).items()))


def _human_inferability(table: pa.Table) -> dict | None:
    """Human vs judge inferability over the annotated rows (blind answers when there are any).

    Blind and suggested answers are never pooled: a suggestion anchors the answer.
    """
    from annotation.inferability import inferability_report
    from datagen.records.sample import table_to_samples

    annotated = table.filter(pc.is_valid(table.column("human")))
    if not annotated.num_rows:
        return None
    samples = table_to_samples(annotated)
    blind = [s for s in samples if s.human is not None and s.human.traits_suggested is False]
    modes = {s.human.traits_suggested for s in samples if s.human is not None}
    rep = inferability_report(blind or samples, False if blind else
                              (modes.pop() if len(modes) == 1 else None))
    return rep.model_dump() if rep.records else None


def provenance(splits: Mapping[str, pa.Table], taxonomy: Taxonomy | None = None,
               tags: Any = None, run_stats: Mapping[str, Any] | None = None) -> dict:
    """Facts about how the samples were made, checked and split (JSON-able).

    ``tags`` (the item tags of the run), when given, adds what the ground truth rests on.
    ``run_stats`` is the run's ``stats.json``: its ``validity`` section (which also counts the
    users lost before any sample existed) is used when present, else the validity statistics
    are computed from the samples.
    """
    from datagen.synth.validity import validity_stats

    tables = [t for t in splits.values() if t.num_rows]
    if not tables:
        tables = list(splits.values())[:1]
    table = pa.concat_tables(tables)
    gen = _labels(table, "generation", "backend", "model", "is_llm")
    judges = _labels(table, "verification", "judge_backend", "judge_model", "judge_is_llm")
    verdict = _field(table, "human", "verdict").fill_null("not reviewed")
    agreement = _field(table, "human", "agreement").drop_nulls()
    rates: dict[str, float | None] = {}
    for key in ("passed", "leak_passed", "inferable", "ground_truth_safe"):
        col = _field(table, "verification", key).drop_nulls()
        rates[key] = _mean(col)
    generation = _counts(gen)
    extra: dict[str, Any] = {}
    if tags is not None:
        from datagen.tags.provenance import ground_truth_provenance

        extra["ground_truth_evidence"] = ground_truth_provenance(list(splits.values()), tags)
    return {**extra,
        "samples": {s: t.num_rows for s, t in splits.items()},
        "generation": generation,
        "uses_llm": any("[llm]" in k for k in generation),
        "judges": _counts(judges),
        "taxonomy_versions": _counts(pl.Series("v", table.column("taxonomy_version"))),
        "taxonomy": (
            {"name": taxonomy.name, "version": taxonomy.version,
             "content_hash": taxonomy.content_hash} if taxonomy else None
        ),
        "verification_rates": rates,
        "human_verdicts": _counts(verdict),
        "human_mean_agreement": _mean(agreement),
        "human_inferability": _human_inferability(table),
        "trait_counts": {s: _trait_counts(t) for s, t in splits.items()},
        "validity_from_run": bool(run_stats and run_stats.get("validity")),
        "validity": (run_stats or {}).get("validity") or (
            validity_stats(table) if table.num_rows else None),
    }


def _inferability_section(inf: Mapping[str, Any] | None) -> list[str]:
    """Can people read the planned trait? (from `datagen annotate pull`; absent before it)."""
    from annotation.report import inferability_lines

    if not inf:
        return []
    return ["### Human inferability (annotators vs the inferability judge)", "",
            *inferability_lines(dict(inf))]


def _front_matter(pretty_name: str, license_id: str, counts: Mapping[str, Mapping[str, int]],
                  total: int) -> dict:
    configs = []
    for i, (name, by_split) in enumerate(counts.items()):
        entry: dict[str, Any] = {
            "config_name": name,
            "data_files": [{"split": s, "path": f"data/{name}/{s}-*.parquet"} for s in by_split],
        }
        if i == 0:
            entry["default"] = True
        configs.append(entry)
    return {
        "license": license_id,
        "language": ["en"],
        "task_categories": ["text-generation"],
        "size_categories": [size_category(total)],
        "pretty_name": pretty_name,
        "tags": _CARD_TAGS,
        "configs": configs,
    }


def _evidence_section(ev: Mapping[str, Any] | None) -> list[str]:
    """What the ground truth rests on (slots = sample x ground-truth film x user trait)."""
    if not ev:
        return []
    names = {"human": "human-verified (Argilla)", "ddd_pg": "DoesTheDogDie / Parents Guide",
             "llm": "LLM tagging", "curated": "curated (not human-verified)",
             "rule": "rules and user tags", "none": "no evidence (unknown)"}
    rows = [[names[k], n, ev["with_evidence_from"].get(k, "-")]
            for k, n in ev["rests_on"].items()]
    return ["### Ground-truth evidence", "",
            f"{ev['slots']} ground-truth slots (sample x film x trait of the user), by the "
            "strongest evidence behind the film's tag; status " + ", ".join(
                f"{k} {v}" for k, v in ev["status"].items()) + ".", "",
            _table(["rests on", "slots", "slots with any such evidence"], rows), ""]


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def render_card(
    counts: Mapping[str, Mapping[str, int]],
    prov: Mapping[str, Any],
    *,
    pretty_name: str = "SafeRec",
    license_id: str = "cc-by-4.0",
) -> str:
    """README.md text: front matter with one config per format, then the card body."""
    total = sum(prov["samples"].values())
    meta = yaml.safe_dump(_front_matter(pretty_name, license_id, counts, total),
                          sort_keys=False, allow_unicode=True)
    splits = list(prov["samples"])
    trait_names = sorted({t for c in prov["trait_counts"].values() for t in c})
    offline = "" if prov["uses_llm"] else (
        "\n**Note:** every dialogue here was written by the offline template composer, not "
        "by an LLM. Treat it as a pipeline test set, not as training data.\n")
    body = [
        f"# {pretty_name}", "", _WARNING, "",
        "Conversational movie recommendations for users with a personal safety sensitivity "
        "that they reveal only implicitly. Every recommendation target was checked against "
        "item-level trigger tags; unsafe and unknown candidates were dropped with reasons.",
        offline,
        "## Configs", "",
        _table(["config", *splits], [[c, *(by.get(s, 0) for s in splits)]
                                     for c, by in counts.items()]),
        *(["", "`safecrs` follows the SafeCRS reference's field layout (prompt, completion, "
            "seen_titles, groundtruth_with_release_year, constraints, assigned_trait, "
            "assignment_reason) plus `sample_id`; see the toolkit's docs/exports.md."]
          if "safecrs" in counts else []),
        "", "```python", "from datasets import load_dataset",
        f'ds = load_dataset("<repo>", name="{next(iter(counts), "sft")}")', "```", "",
        "## Provenance", "",
        "Generation: " + ", ".join(f"{k}: {v}" for k, v in prov["generation"].items()) + ".",
        "",
        "Judges: " + ", ".join(f"{k}: {v}" for k, v in prov["judges"].items()) + ".", "",
        "Taxonomy: " + ", ".join(prov["taxonomy_versions"]) + (
            f" (content sha256 {prov['taxonomy']['content_hash']})" if prov["taxonomy"]
            else "") + ".", "",
        "Automatic verification: " + ", ".join(
            f"{k} {v:.1%}" for k, v in prov["verification_rates"].items() if v is not None)
        + ".", "",
        "Human verification: " + ", ".join(f"{k}: {v}" for k, v in
                                            prov["human_verdicts"].items())
        + (f"; mean agreement {prov['human_mean_agreement']}"
           if prov["human_mean_agreement"] is not None else "") + ".", "",
        *_evidence_section(prov.get("ground_truth_evidence")),
        *_inferability_section(prov.get("human_inferability")),
        "### Samples per trait", "",
        _table(["trait", *splits], [[t, *(prov["trait_counts"][s].get(t, 0) for s in splits)]
                                    for t in trait_names]),
        "", *validity_markdown(prov.get("validity"), from_run=prov.get("validity_from_run",
                                                                        False)),
        "## Full provenance (JSON)", "", "```json",
        json.dumps(prov, indent=2, sort_keys=True), "```", "",
    ]
    return f"---\n{meta}---\n\n" + "\n".join(body)
