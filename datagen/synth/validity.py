"""Dataset validity statistics: did the planned users come out, and are their labels credible?

Computed from the records themselves (``samples.parquet`` and, when there is one,
``rejects.parquet``), so ``stats.json``, the run summary and the dataset card cannot drift from
the data. Users, not samples, are counted: the variants of one user share ``pair_id`` and are
one user (a sample without ``pair_id`` is its own user). Reported:

* ``mix``: users by number of traits, planned vs produced (shares);
* ``traits``: per trait, users planned / produced / lost at the ground-truth stage, draws
  (``attempts``), films safe for it alone (``safe_films``), and ``starved`` when a user was
  lost because no draw had usable ground truth and this trait was that user's scarcest (the
  one with the fewest safe films: a gore + photosensitivity user lost starves
  photosensitivity, not gore); ``lost_combinations`` lists the lost users' trait sets;
* ``ground_truth``: relatedness (share of the unfiltered best) and unfiltered rank of trait
  users' vs controls' ground truth (medians over ground-truth items), the share of trait
  users' ground truth that is safe only through curated evidence, the unknown share, and the
  films that recur most;
* ``liked``: (liked film, own trait) pairs by tag status;
* ``family_animation``: the share of Animation / Family films in liked films and ground truth
  (trait users without strict-history traits vs controls), per user (each user weighs the
  same, as in Recall or NDCG) and per film;
* ``taste``: can taste alone tell trait users from controls? For each genre group
  (:mod:`datagen.synth.genres`), the AUC of the group's share of a user's liked films
  separating trait users (strict-history traits aside) from controls (0.5 = not at all);
  the worst group, and how many controls were drawn with a matched taste (``taste_of``);
* ``rejected_draws``: why draws were rejected, over all users.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

import numpy as np
import pyarrow as pa

from datagen.synth.genres import GENRE_GROUPS, OTHER_GROUP, genre_group

__all__ = ["FAMILY_GENRES", "RunFacts", "validity_stats"]

#: the genres of the Animation / Family statistic (the cartoons weak tags call safe)
FAMILY_GENRES = frozenset({"Animation", "Family"})
_TOP_FILMS = 10


@dataclass(frozen=True)
class RunFacts:
    """What the statistics need besides the tables (from the run's inputs)."""

    safe_films: Mapping[str, int] = field(default_factory=dict)
    genres: Mapping[str, Sequence[str]] = field(default_factory=dict)
    strict_traits: Sequence[str] = ()
    trait_ids: Sequence[str] = ()


@dataclass
class _User:
    traits: list[str]
    attempts: int = 0
    rejected: list[str] = field(default_factory=list)
    produced: bool = False
    verified: bool = False
    lost: bool = False
    liked: list[dict[str, Any]] = field(default_factory=list)
    truth: list[dict[str, Any]] = field(default_factory=list)
    status: tuple[int, int, int] = (0, 0, 0)  # liked (no, unknown, yes) pairs
    taste_of: list[str] = field(default_factory=list)  # a matched control's taste traits


def _rows(table: pa.Table | None, columns: Sequence[str]) -> list[dict[str, Any]]:
    if table is None or not table.num_rows:
        return []
    return table.select([c for c in columns if c in table.column_names]).to_pylist()


def _users(samples: pa.Table, rejects: pa.Table | None) -> dict[str, _User]:
    users: dict[str, _User] = {}
    for row in _rows(samples, ["sample_id", "pair_id", "traits", "user", "liked_items",
                               "ground_truth", "verification"]):
        key = row.get("pair_id") or row["sample_id"]
        user = users.setdefault(key, _User(traits=list(row["traits"] or [])))
        draw = row.get("user") or {}
        user.attempts = max(user.attempts, int(draw.get("attempts") or 0))
        user.rejected = list(draw.get("rejected") or user.rejected)
        user.verified |= bool((row.get("verification") or {}).get("passed"))
        if not user.produced:
            user.liked, user.truth = list(row["liked_items"] or []), list(row["ground_truth"])
            user.status = (int(draw.get("liked_no") or 0), int(draw.get("liked_unknown") or 0),
                           int(draw.get("liked_yes") or 0))
            user.taste_of = list(draw.get("taste_of") or [])
        user.produced = True
    for row in _rows(rejects, ["sample_id", "pair_id", "traits", "stage", "attempts",
                               "attempt_reasons"]):
        key = row.get("pair_id") or row["sample_id"]
        user = users.setdefault(key, _User(traits=list(row["traits"] or [])))
        user.attempts = max(user.attempts, int(row.get("attempts") or 0))
        if row["stage"] == "ground_truth":
            user.lost = True
            user.rejected = list(row.get("attempt_reasons") or [])
    return users


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _mix(users: Mapping[str, _User]) -> dict[str, Any]:
    planned = Counter(len(u.traits) for u in users.values())
    produced = Counter(len(u.traits) for u in users.values() if u.produced)
    n_planned, n_produced = sum(planned.values()), sum(produced.values())
    return {
        str(k): {"planned": planned[k], "produced": produced[k],
                 "planned_share": _share(planned[k], n_planned),
                 "produced_share": _share(produced[k], n_produced)}
        for k in sorted(planned)
    }


def _traits(users: Mapping[str, _User], facts: RunFacts) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    names = list(facts.trait_ids) or sorted({t for u in users.values() for t in u.traits})
    per: dict[str, list[_User]] = defaultdict(list)
    for user in users.values():
        for trait in user.traits:
            per[trait].append(user)
    def scarcest(user: _User) -> str:  # the trait with the fewest safe films: the bottleneck
        return min(user.traits, key=lambda t: (facts.safe_films.get(t, 1 << 30), t))

    for trait in sorted(set(names) | set(per)):
        group = per.get(trait, [])
        attempts = sum(u.attempts for u in group)
        lost = sum(u.lost for u in group)
        starved = sum(u.lost and scarcest(u) == trait for u in group)
        out[trait] = {
            "planned": len(group), "produced": sum(u.produced for u in group),
            "verified": sum(u.verified for u in group), "lost": lost,
            "attempts": attempts, "mean_attempts": round(attempts / len(group), 2)
            if group else None,
            "safe_films": facts.safe_films.get(trait), "starved": starved > 0,
            "lost_as_scarcest": starved,
            "distinct_ground_truth": len({g["item_id"] for u in group for g in u.truth}),
        }
    return out


def _median(values: list[float]) -> float | None:
    return round(float(median(values)), 4) if values else None


def _truth(users: Mapping[str, _User]) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {"trait_users": [], "controls": []}
    for user in users.values():
        if user.produced:
            groups["trait_users" if user.traits else "controls"].extend(user.truth)
    out: dict[str, Any] = {}
    for name, items in groups.items():
        rel = [g["relatedness"] for g in items if g.get("relatedness") is not None]
        ranks = [g["unfiltered_rank"] for g in items if g.get("unfiltered_rank") is not None]
        out[name] = {"items": len(items), "median_relatedness": _median(rel),
                     "median_unfiltered_rank": _median(ranks)}
    trait, control = out["trait_users"], out["controls"]
    if trait["median_relatedness"] is not None and control["median_relatedness"]:
        out["relatedness_ratio"] = round(trait["median_relatedness"]
                                         / control["median_relatedness"], 4)
    items = groups["trait_users"]
    out["curated_only_share"] = _share(sum(bool(g.get("curated_only")) for g in items),
                                       len(items))
    out["unknown_share"] = _share(sum(bool(g.get("unknown")) for g in items), len(items))
    films = Counter(f"{g['title']} ({g['year']})" if g.get("year") else g["title"]
                    for g in items)
    out["top_films"] = [[name, n] for name, n in films.most_common(_TOP_FILMS)]
    out["distinct_films"] = len({g["item_id"] for g in items})
    return out


def _liked(users: Mapping[str, _User]) -> dict[str, Any]:
    no = unknown = yes = 0
    for user in users.values():
        if user.produced and user.traits:
            no, unknown, yes = no + user.status[0], unknown + user.status[1], \
                yes + user.status[2]
    total = no + unknown + yes
    return {"no": no, "unknown": unknown, "yes": yes, "unknown_share": _share(unknown, total)}


def _family(users: Mapping[str, _User], facts: RunFacts) -> dict[str, Any] | None:
    if not facts.genres:
        return None
    family = {i for i, g in facts.genres.items() if FAMILY_GENRES.intersection(g)}
    strict = set(facts.strict_traits)
    out: dict[str, Any] = {}
    for name, keep in (("trait_users", lambda u: u.traits and not strict & set(u.traits)),
                       ("controls", lambda u: not u.traits)):
        group = [u for u in users.values() if u.produced and keep(u)]
        block: dict[str, Any] = {"users": len(group)}
        for part in ("liked", "truth"):
            lists = [getattr(u, part) for u in group]
            hits = [sum(d["item_id"] in family for d in items) for items in lists]
            sizes = [len(items) for items in lists]
            label = "ground_truth" if part == "truth" else "liked"
            block[label] = _share(sum(hits), sum(sizes))
            per_user = [h / n for h, n in zip(hits, sizes, strict=True) if n]
            block[f"{label}_per_user"] = round(sum(per_user) / len(per_user), 4) \
                if per_user else None
        out[name] = block
    t = out["trait_users"]
    if t["ground_truth_per_user"] is not None and t["liked_per_user"] is not None:
        out["excess_points_per_user"] = round(100 * (t["ground_truth_per_user"]
                                                     - t["liked_per_user"]), 1)
        out["excess_points"] = round(100 * (t["ground_truth"] - t["liked"]), 1)
    return out


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(a positive's value > a negative's) + half the ties (Mann-Whitney AUC)."""
    neg = np.sort(neg)
    below = np.searchsorted(neg, pos, side="left")
    ties = np.searchsorted(neg, pos, side="right") - below
    return float((below + 0.5 * ties).sum() / (len(pos) * len(neg)))


def _taste(users: Mapping[str, _User], facts: RunFacts) -> dict[str, Any] | None:
    if not facts.genres:
        return None
    strict = set(facts.strict_traits)
    groups = {i: genre_group(g) for i, g in facts.genres.items()}
    n_groups = OTHER_GROUP + 1

    def shares(user: _User) -> np.ndarray:
        got = np.bincount([groups.get(d["item_id"], OTHER_GROUP) for d in user.liked],
                          minlength=n_groups).astype(np.float64)
        return got / max(len(user.liked), 1)

    produced = [u for u in users.values() if u.produced and u.liked]
    trait = [shares(u) for u in produced if u.traits and not strict & set(u.traits)]
    controls = [u for u in produced if not u.traits]
    out: dict[str, Any] = {"matched_controls": sum(bool(u.taste_of) for u in controls),
                           "controls": len(controls)}
    if not trait or not controls:
        return out
    t, c = np.array(trait), np.array([shares(u) for u in controls])
    names = [name for name, _ in GENRE_GROUPS] + ["other"]
    aucs = {names[g]: round(_auc(t[:, g], c[:, g]), 3) for g in range(n_groups)}
    worst = max(aucs, key=lambda k: abs(aucs[k] - 0.5))
    out.update({"auc_by_genre_group": aucs, "worst_group": worst, "worst_auc": aucs[worst]})
    return out


def validity_stats(samples: pa.Table, rejects: pa.Table | None = None,
                   facts: RunFacts | None = None) -> dict[str, Any]:
    """The validity section of ``stats.json`` (see module docstring)."""
    facts = facts or RunFacts()
    users = _users(samples, rejects)
    produced = [u for u in users.values() if u.produced]
    rejected: Counter[str] = Counter()
    for user in users.values():
        rejected.update(user.rejected)
    traits = _traits(users, facts)
    return {
        "users": {"planned": len(users), "produced": len(produced),
                  "lost_at_ground_truth": sum(u.lost for u in users.values())},
        "mix": _mix(users),
        "control_share": _share(sum(not u.traits for u in produced), len(produced)),
        "traits": traits,
        "starved": sorted(t for t, c in traits.items() if c["starved"]),
        "lost_combinations": dict(Counter("+".join(sorted(u.traits)) or "(control)"
                                          for u in users.values() if u.lost).most_common()),
        "attempts": {"total": sum(u.attempts for u in users.values()),
                     "mean": _share(sum(u.attempts for u in users.values()), len(users))},
        "rejected_draws": dict(rejected.most_common()),
        "ground_truth": _truth(users),
        "liked": _liked(users),
        "family_animation": _family(users, facts),
        "taste": _taste(users, facts),
    }
