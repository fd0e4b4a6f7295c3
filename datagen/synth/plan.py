"""The sample plan: every user's ids, traits and cues, fixed from ``--seed`` up front.

The plan is made before any model call and depends only on the config's seed, the taxonomy
and (for real seeds) the seed list, so two runs with the same seed plan the same samples and
a resumed run knows exactly which samples are missing. It is **prefix-stable**: user ``i``
depends only on the seed and ``i``, never on ``--n``, so ``--n 8`` plans the first 8 users of
``--n 20`` (same sample ids, traits, cues, hence the same profiles, ground truth, LLM
requests and cache keys), and ``--resume`` with a larger ``--n`` extends a run.

Traits are drawn *independently of any films and of the ground truth*:

* the number of traits per user (0 = control) follows ``trait_counts`` exactly per block of
  :data:`COUNT_BLOCK` users (a running quota fixes how many users of each count a block
  holds, a seeded shuffle where they sit), so the output mix is the planned one at any size;
* the traits themselves are dealt from a seeded deck holding every trait once, reshuffled
  when empty, so each trait gets an equal share. A trait combination that the tags make
  impossible (``feasible`` says no: too few films safe for both) is not dealt; the next trait
  of the deck is taken instead (and the skipped one stays on top for the next user).

Cues are then chosen (one cue idea per trait from the taxonomy's bank) and placed on user
turns, not always the first. With several ``variants`` a user with traits gets one entry per
variant, all sharing ``pair_id``, traits and planned cues (an ``absent`` entry carries no cue);
a control gets one ``implicit`` entry.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from datagen.records.sample import VARIANTS, ItemRef
from datagen.synth.seeds import Seed, seed_pick
from datagen.taxonomy.models import Taxonomy

__all__ = [
    "COUNT_BLOCK",
    "CuePlan",
    "PlanEntry",
    "TraitDeck",
    "count_sequence",
    "make_plan",
    "parse_variants",
    "plan_digest",
    "sample_id_for",
]

#: users per block in which the planned trait-count mix is met exactly
COUNT_BLOCK = 20
GRAPH_SOURCE = "graph_profile"


class CuePlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trait_id: str
    strategy: str
    idea: str
    user_turn: int  # ordinal of the user turn that carries the cue (0 = first user turn)


class PlanEntry(BaseModel):
    """One planned sample: everything a generator needs, nothing it may decide itself.

    ``liked`` and the other seed fields are the user's history: for a real seed, the first
    seed drawn for the user; for a graph profile, empty until the pipeline draws the user
    (``prepare_entry`` returns the entry with the final history filled in).
    """

    model_config = ConfigDict(extra="forbid")

    index: int
    sample_id: str
    pair_id: str | None = None
    variant: str = "implicit"  # one of datagen.records.sample.VARIANTS
    seed_id: str
    seed_source: str
    traits: list[str] = Field(default_factory=list)
    cues: list[CuePlan] = Field(default_factory=list)
    n_user_turns: int = 3
    liked: list[ItemRef] = Field(default_factory=list)
    recommended: list[ItemRef] = Field(default_factory=list)
    genres: list[str] = Field(default_factory=list)
    seed_user_turns: list[str] = Field(default_factory=list)
    rng_seed: int  # seeds the offline composer and is passed to LLM backends


def _digest(*parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()


def sample_id_for(seed: int, index: int, variant: str) -> str:
    """Stable sample id from (plan seed, index, variant)."""
    return "s-" + _digest("sample", seed, index, variant)[:16]


def parse_variants(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"implicit,absent"`` -> ``("implicit", "absent")`` in :data:`VARIANTS` order (ValueError
    on an unknown or empty list)."""
    names = [v.strip() for v in (text.split(",") if isinstance(text, str) else text)]
    names = [v for v in names if v]
    bad = sorted(set(names) - set(VARIANTS))
    if bad or not names:
        raise ValueError(f"variants must be a comma-separated subset of {','.join(VARIANTS)}"
                         + (f" (not {', '.join(bad)})" if bad else ""))
    return tuple(v for v in VARIANTS if v in names)


Feasible = Callable[[Sequence[str]], bool]


class TraitDeck:
    """Deals traits from a seeded, reshuffled deck so every trait gets an equal share."""

    def __init__(self, trait_ids: Sequence[str], rng: random.Random,
                 feasible: Feasible | None = None) -> None:
        self._ids = list(trait_ids)
        self._rng = rng
        self._deck: list[str] = []
        self._feasible = feasible
        self._partners: dict[str, bool] = {}

    def _fits(self, chosen: list[str], trait: str, k: int) -> bool:
        if trait in chosen:
            return False
        if self._feasible is None or k < 2:
            return True
        if not chosen:  # the first of several traits must have a feasible partner
            return self._has_partner(trait)
        return self._feasible([*chosen, trait])

    def _has_partner(self, trait: str) -> bool:
        hit = self._partners.get(trait)
        if hit is None:
            assert self._feasible is not None
            hit = self._partners[trait] = any(self._feasible([trait, other])
                                              for other in self._ids if other != trait)
        return hit

    def deal(self, k: int) -> list[str]:
        out: list[str] = []
        k = min(k, len(self._ids))
        skipped: list[str] = []
        tried = 0
        while len(out) < k:
            if not self._deck:
                self._deck = list(self._ids)
                self._rng.shuffle(self._deck)
            trait = self._deck.pop()
            tried += 1
            if self._fits(out, trait, k) or tried > 4 * len(self._ids):
                out.append(trait)  # (after a whole pass of misfits: take it anyway)
            else:
                skipped.append(trait)
        self._deck.extend(reversed(skipped))  # back on top: dealt next
        return sorted(out)


def count_sequence(seed: int, trait_counts: dict[int, float], n: int) -> list[int]:
    """Trait count of each of the first ``n`` users (prefix-stable, see module docstring).

    A running quota hands user ``t`` the count whose share is most behind ``weight * t``
    (ties: the smaller count), so the first ``t`` users match the weights within one user;
    inside each block of :data:`COUNT_BLOCK` users a seeded shuffle sets the order.
    """
    counts = sorted(trait_counts.items())
    got = {k: 0 for k, _ in counts}
    out: list[int] = []
    t = 0
    for block in range((n + COUNT_BLOCK - 1) // COUNT_BLOCK):
        bag: list[int] = []
        for _ in range(COUNT_BLOCK):
            t += 1
            key = max(counts, key=lambda kv: (kv[1] * t - got[kv[0]], -kv[0]))[0]
            got[key] += 1
            bag.append(key)
        random.Random(f"{seed}:counts:{block}").shuffle(bag)
        out.extend(bag)
    return out[:n]


def _plan_cues(
    traits: list[str], taxonomy: Taxonomy, n_turns: int, rng: random.Random
) -> list[CuePlan]:
    """One cue idea per trait, each on a user turn drawn uniformly (distinct when possible)."""
    turns = list(range(n_turns))
    rng.shuffle(turns)
    cues: list[CuePlan] = []
    used_strategies: set[str] = set()
    for i, trait_id in enumerate(traits):
        bank = list(taxonomy.trait(trait_id).cues)
        fresh = [c for c in bank if c.strategy.value not in used_strategies] or bank
        idea = rng.choice(fresh)
        used_strategies.add(idea.strategy.value)
        cues.append(CuePlan(trait_id=trait_id, strategy=idea.strategy.value, idea=idea.text,
                            user_turn=turns[i % n_turns]))
    return cues


def make_plan(
    n: int,
    seed: int,
    seeds: Sequence[Seed] | None,
    taxonomy: Taxonomy,
    trait_counts: dict[int, float],
    *,
    variants: Sequence[str] = ("implicit",),
    feasible: Feasible | None = None,
) -> list[PlanEntry]:
    """The deterministic plan of ``n`` users (one entry per requested variant of a user with
    traits). ``seeds`` is a real seed list, or None for graph profiles drawn per user."""
    if seeds is not None and not seeds:
        return []
    variants = parse_variants(variants)
    trait_rng = random.Random(f"{seed}:traits")
    deck = TraitDeck(taxonomy.trait_ids, trait_rng, feasible)
    entries: list[PlanEntry] = []
    for index, count in enumerate(count_sequence(seed, trait_counts, n)):
        traits = deck.deal(count)
        cue_rng = random.Random(f"{seed}:cues:{index}")
        user_seed = seeds[seed_pick(seed, index, 0, len(seeds))] if seeds else None
        if user_seed is not None and user_seed.user_turns:
            n_turns = min(6, max(3, len(user_seed.user_turns)))
        else:
            n_turns = cue_rng.choice((3, 3, 4, 4, 5))
        cues = _plan_cues(traits, taxonomy, n_turns, cue_rng)
        # a control has nothing to state or hide: one implicit sample, plus an acquisition
        # dialogue when asked for (the assistant asks; the user has no sensitivity to give)
        mine = variants if traits else \
            ("implicit", *(v for v in variants if v == "acquisition"))
        pair_id = "p-" + _digest("pair", seed, index)[:16] if len(mine) > 1 else None
        base = PlanEntry(
            index=index, sample_id="", pair_id=pair_id, traits=traits, n_user_turns=n_turns,
            rng_seed=int(_digest("rng", seed, index)[:12], 16),
            seed_id=user_seed.seed_id if user_seed else f"graph:{seed}:{index}",
            seed_source=user_seed.source if user_seed else GRAPH_SOURCE)
        if user_seed is not None:
            base.liked, base.recommended = list(user_seed.liked), list(user_seed.recommended)
            base.genres, base.seed_user_turns = list(user_seed.genres), list(user_seed.user_turns)
        for variant in mine:
            entries.append(base.model_copy(update={
                "sample_id": sample_id_for(seed, index, variant), "variant": variant,
                "cues": [] if variant == "absent" else cues}))
    return entries


def plan_digest(plan: Sequence[PlanEntry], users: int | None = None) -> str:
    """sha256 over the plan's entries (of its first ``users`` users): what a resume checks,
    so a run can only be extended by a plan whose prefix is the run's plan."""
    h = hashlib.sha256()
    for e in plan:
        if users is not None and e.index >= users:
            break
        h.update(f"{e.sample_id}|{','.join(e.traits)}|{e.seed_id}|{e.variant}\n".encode())
    return h.hexdigest()
