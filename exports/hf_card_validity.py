"""The dataset card's "Dataset validity" section: who the users are and how good the labels are.

The figures come from :func:`datagen.synth.validity.validity_stats`: the run's own
``stats.json`` when the card is written from a run folder (it also counts the users lost
before any sample existed: planned, attempts, starvation), else computed from the released
samples themselves. Either way they are computed by the project from the records, never
typed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["validity_markdown"]


def _pct(value: Any) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]


def _summary(v: Mapping[str, Any]) -> list[str]:
    gt, liked, fam = v["ground_truth"], v["liked"], v.get("family_animation")
    lines = [
        f"- Users: {v['users']['planned']:,} planned, {v['users']['produced']:,} produced, "
        f"{v['users']['lost_at_ground_truth']:,} lost because no draw had usable ground "
        f"truth; {v['attempts']['total']:,} users drawn in all ({v['attempts']['mean']} per "
        "planned user).",
        "- Traits per user (planned -> produced): " + ", ".join(
            f"{k}: {_pct(m['planned_share'])} -> {_pct(m['produced_share'])}"
            for k, m in v["mix"].items()) + f"; control share {_pct(v['control_share'])}.",
        "- Starved traits (could not reach their planned users): " + (", ".join(
            f"{t} ({v['traits'][t]['safe_films']} safe films)" for t in v["starved"])
            or "none") + "; lost users by traits: " + (", ".join(
            f"{k} ({n})" for k, n in v.get("lost_combinations", {}).items()) or "none") + ".",
        f"- Ground-truth relatedness (share of the nearest film of all, median): trait users "
        f"{gt['trait_users']['median_relatedness']}, controls "
        f"{gt['controls']['median_relatedness']}; median rank in the unfiltered "
        f"neighbourhood {gt['trait_users']['median_unfiltered_rank']} vs "
        f"{gt['controls']['median_unfiltered_rank']}.",
        f"- Trait users' ground truth safe only through the curated evidence file: "
        f"{_pct(gt['curated_only_share'])}; unknown for a trait (unknown policy allow): "
        f"{_pct(gt['unknown_share'])}; {gt['distinct_films']:,} distinct films.",
        f"- Liked films x own traits: {liked['no']:,} no, {liked['unknown']:,} unknown "
        f"({_pct(liked['unknown_share'])}), {liked['yes']:,} yes.",
    ]
    if fam:
        t, c = fam["trait_users"], fam["controls"]
        lines.append(
            f"- Animation / Family films, per user (trait users without strict-history "
            f"traits / controls): liked {_pct(t['liked_per_user'])} / "
            f"{_pct(c['liked_per_user'])}, ground truth {_pct(t['ground_truth_per_user'])} / "
            f"{_pct(c['ground_truth_per_user'])} (per film: liked {_pct(t['liked'])}, ground "
            f"truth {_pct(t['ground_truth'])}).")
    taste = v.get("taste") or {}
    if taste.get("worst_group"):
        lines.append(
            f"- Taste vs traits: {taste['matched_controls']:,} of {taste['controls']:,} "
            f"controls drawn with a matched taste (as if they had traits); the genre group "
            f"whose share of liked films best tells trait users from controls is "
            f"{taste['worst_group']} with AUC {taste['worst_auc']} (0.5: taste tells nothing).")
    if gt.get("top_films"):
        lines.append("- Most frequent ground-truth films of trait users: " + ", ".join(
            f"{name} ({n})" for name, n in gt["top_films"][:5]) + ".")
    return lines


def validity_markdown(v: Mapping[str, Any] | None, *, from_run: bool) -> list[str]:
    """Markdown lines of the section (empty when there are no statistics)."""
    if not v:
        return []
    origin = ("from the synthesis run's stats.json (all planned users, rejects included)"
              if from_run else "from the released samples (users lost before a sample "
              "existed are not counted here)")
    rows = [[t, c["safe_films"] if c["safe_films"] is not None else "-", c["planned"],
             c["produced"], c["attempts"], "**starved**" if c["starved"] else ""]
            for t, c in v["traits"].items()]
    return ["## Dataset validity", "",
            f"Computed by `datagen` {origin}. A user's traits are fixed first; their liked "
            "films are then drawn so that none carries their trigger, and ground truth is "
            "the nearest films to the liked ones among those safe for every trait.", "",
            *_summary(v), "",
            *_table(["trait", "safe films", "planned", "produced", "users drawn", ""], rows),
            ""]
