"""Measure what the weak-rule decisions change: the figures of docs/tags.md ("Effect").

Compares the embedded default tags (taxonomy rules + curated evidence) of an older revision
of this repository with the current ones, on the embedded catalogue:

* per trait: ``no`` before and after, ``no`` -> ``unknown`` and other changes, safe films
  after (the ``no`` count: what ground truth can draw from under the default unknown policy);
* ``datagen tags audit`` before and after, per trait and per ``no`` source, optionally with
  a MovieLens folder's user tags.

The old taxonomy predates ``decides_no``: every absence rule decided alone then, so it is
read with ``decides_no: true`` added to each absence rule (exactly the old semantics).

    python scripts/measure_tag_rules.py --before-rev 1dc4161 \\
        --movielens ../shared/data/ml-latest-small > effect.md
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from datagen.catalogue import Catalogue, load_default_catalogue
from datagen.catalogue.sources import load_movielens_tags
from datagen.tags.audit import AuditReport, audit_tags
from datagen.tags.curated import load_curated
from datagen.tags.defaults import default_evidence
from datagen.tags.evidence import EvidenceBatch
from datagen.tags.fusion import build_item_tags
from datagen.tags.rules import rule_evidence
from datagen.taxonomy import Taxonomy, load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
OLD_WHY = "read with the semantics of its time: every absence rule decided alone"


def _git_show(rev: str, path: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def _old_curated_path(rev: str) -> str:
    names = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", rev,
                            "taxonomies/evidence/"], check=True, capture_output=True,
                           text=True).stdout.split()
    return next(n for n in names if n.endswith(".jsonl"))


def before_inputs(rev: str, catalogue: Catalogue, folder: Path) -> tuple[Taxonomy,
                                                                          list[EvidenceBatch]]:
    """The taxonomy and default evidence of revision ``rev``, with their old semantics."""
    data = yaml.safe_load(_git_show(rev, "taxonomies/saferec-v1.yaml"))
    for trait in data["traits"]:
        for rule in trait.get("weak_rules", []):
            if rule.get("polarity") == "absent":
                rule.setdefault("decides_no", True)
                rule.setdefault("why", OLD_WHY)
    tax_path = folder / "taxonomy-before.yaml"
    tax_path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    taxonomy = load_taxonomy(tax_path)
    curated_name = _old_curated_path(rev)
    curated = folder / Path(curated_name).name
    curated.write_text(_git_show(rev, curated_name))
    source = "curated:saferec-movies-" + curated.stem.rsplit("-", 1)[-1]
    batches = [rule_evidence(catalogue, taxonomy),
               load_curated(curated, catalogue, taxonomy, source=source)]
    return taxonomy, batches


def _statuses(catalogue: Catalogue, taxonomy: Taxonomy, batches: list[Any]) -> pl.DataFrame:
    table = pl.from_arrow(build_item_tags(catalogue, taxonomy, batches).select(
        ["item_id", "trait_id", "status"]))
    assert isinstance(table, pl.DataFrame)
    return table


def status_changes(before: pl.DataFrame, after: pl.DataFrame) -> dict[str, dict[str, int]]:
    """Per trait: no before / after, no -> unknown, no -> yes, other changes."""
    pairs = before.rename({"status": "before"}).join(
        after.rename({"status": "after"}), on=["item_id", "trait_id"])
    out: dict[str, dict[str, int]] = {}
    for trait_id in after["trait_id"].unique(maintain_order=True).to_list():
        p = pairs.filter(pl.col("trait_id") == trait_id)

        def n(expr: pl.Expr, frame: pl.DataFrame = p) -> int:
            return frame.filter(expr).height

        out[trait_id] = {
            "no_before": n(pl.col("before") == "no"),
            "no_after": n(pl.col("after") == "no"),
            "no_to_unknown": n((pl.col("before") == "no") & (pl.col("after") == "unknown")),
            "no_to_yes": n((pl.col("before") == "no") & (pl.col("after") == "yes")),
            "other_changes": n((pl.col("before") != pl.col("after"))
                               & (pl.col("before") != "no")),
        }
    return out


def _markdown(changes: dict[str, dict[str, int]], audits: dict[str, AuditReport]) -> str:
    before, after = audits["before"], audits["after"]
    lines = ["| trait | no before | no after (safe films) | no -> unknown | no -> yes | "
             "other changes | contradicted before | contradicted after |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for trait_id, c in changes.items():
        lines.append(
            f"| {trait_id} | {c['no_before']:,} | {c['no_after']:,} | {c['no_to_unknown']:,} "
            f"| {c['no_to_yes']:,} | {c['other_changes']:,} "
            f"| {before.by_trait[trait_id].contradicted:,} "
            f"| {after.by_trait[trait_id].contradicted:,} |")
    total = {k: sum(c[k] for c in changes.values()) for k in next(iter(changes.values()))}
    lines.append(f"| **all** | {total['no_before']:,} | {total['no_after']:,} "
                 f"| {total['no_to_unknown']:,} | {total['no_to_yes']:,} "
                 f"| {total['other_changes']:,} | {before.contradicted:,} "
                 f"| {after.contradicted:,} |")
    lines += ["", "| no source | no tags before | contradicted before | no tags after | "
              "contradicted after |", "|---|---:|---:|---:|---:|"]
    for name in sorted(set(before.by_source) | set(after.by_source)):
        b, a = before.by_source.get(name), after.by_source.get(name)
        lines.append(f"| {name} | {b.no if b else 0:,} | {b.contradicted if b else 0:,} "
                     f"| {a.no if a else 0:,} | {a.contradicted if a else 0:,} |")
    lines += ["", "| contradiction kind | before | after |", "|---|---:|---:|"]
    lines += [f"| {k} | {before.by_kind[k]:,} | {after.by_kind[k]:,} |" for k in before.by_kind]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before-rev", required=True, help="git revision to compare with")
    parser.add_argument("--movielens", type=Path, help="MovieLens folder for the audits")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    args = parser.parse_args()
    catalogue = load_default_catalogue()
    taxonomy = load_taxonomy()
    user_tags = load_movielens_tags(args.movielens, catalogue) if args.movielens else None
    with tempfile.TemporaryDirectory() as tmp:
        old_tax, old_batches = before_inputs(args.before_rev, catalogue, Path(tmp))
        new_batches = default_evidence(catalogue, taxonomy)
        changes = status_changes(_statuses(catalogue, old_tax, old_batches),
                                 _statuses(catalogue, taxonomy, new_batches))
        audits = {
            "before": audit_tags(catalogue, old_tax, old_batches, user_tags=user_tags),
            "after": audit_tags(catalogue, taxonomy, new_batches, user_tags=user_tags),
        }
    if args.json:
        print(json.dumps({"before": old_tax.version_tag, "after": taxonomy.version_tag,
                          "traits": changes,
                          "audit": {k: {"contradicted": v.contradicted, "by_kind": v.by_kind,
                                        "by_source": {s: c.model_dump()
                                                      for s, c in v.by_source.items()}}
                                    for k, v in audits.items()}}))
        return
    print(f"before: {old_tax.version_tag} ({args.before_rev}); after: {taxonomy.version_tag}")
    print()
    print(_markdown(changes, audits))


if __name__ == "__main__":
    main()
