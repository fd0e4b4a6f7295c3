"""The sample plan: every sample's ids, seed, traits and cues, fixed from ``--seed`` up front.

The plan is made before any model call and depends only on the config's seed, the seed list
and the taxonomy, so two runs with the same seed plan the same samples and a resumed run
knows exactly which samples are missing.

Traits are drawn *independently of the seed's films and of the ground truth*: the number of
traits comes from the configured distribution (0 = control sample), and the traits
themselves are dealt from a seeded deck that holds every trait once and is reshuffled when
empty, so each trait gets an almost equal share. Only then are cues chosen (one cue idea per
trait from the taxonomy's bank) and placed on user turns, not always the first.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from datagen.records.sample import ItemRef
from datagen.synth.seeds import Seed
from datagen.taxonomy.models import Taxonomy

__all__ = ["CuePlan", "PlanEntry", "TraitDeck", "make_plan", "sample_id_for"]


class CuePlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trait_id: str
    strategy: str
    idea: str
    user_turn: int  # ordinal of the user turn that carries the cue (0 = first user turn)


class PlanEntry(BaseModel):
    """One planned sample: everything a generator needs, nothing it may decide itself."""

    model_config = ConfigDict(extra="forbid")

    index: int
    sample_id: str
    pair_id: str | None = None
    variant: str = "single"  # "single" | "context_rich" | "context_free"
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


class TraitDeck:
    """Deals traits from a seeded, reshuffled deck so every trait gets an equal share."""

    def __init__(self, trait_ids: Sequence[str], rng: random.Random) -> None:
        self._ids = list(trait_ids)
        self._rng = rng
        self._deck: list[str] = []

    def deal(self, k: int) -> list[str]:
        out: list[str] = []
        k = min(k, len(self._ids))
        skipped: list[str] = []
        while len(out) < k:
            if not self._deck:
                self._deck = list(self._ids)
                self._rng.shuffle(self._deck)
            trait = self._deck.pop()
            (skipped if trait in out else out).append(trait)
        self._deck.extend(reversed(skipped))  # back on top: dealt next
        return sorted(out)


def _draw_count(rng: random.Random, counts: dict[int, float]) -> int:
    keys = list(counts)
    return rng.choices(keys, weights=[counts[k] for k in keys], k=1)[0]


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


def _seed_order(seeds: Sequence[Seed], n: int, seed: int) -> list[Seed]:
    """Graph seeds map one-to-one; a real seed list is shuffled and cycled if ``n`` exceeds it."""
    order = list(range(len(seeds)))
    random.Random(f"{seed}:seeds").shuffle(order)
    return [seeds[order[i % len(order)]] for i in range(n)]


def make_plan(
    n: int,
    seed: int,
    seeds: Sequence[Seed],
    taxonomy: Taxonomy,
    trait_counts: dict[int, float],
    *,
    pair_variants: bool = False,
) -> list[PlanEntry]:
    """The deterministic plan of ``n`` users (``2 n`` entries with pair variants)."""
    if not seeds:
        return []
    trait_rng = random.Random(f"{seed}:traits")
    deck = TraitDeck(taxonomy.trait_ids, trait_rng)
    cue_rng = random.Random(f"{seed}:cues")
    entries: list[PlanEntry] = []
    for index, user_seed in enumerate(_seed_order(seeds, n, seed)):
        traits = deck.deal(_draw_count(trait_rng, trait_counts))
        n_turns = min(6, max(3, len(user_seed.user_turns))) if user_seed.user_turns \
            else cue_rng.choice((3, 3, 4, 4, 5))
        cues = _plan_cues(traits, taxonomy, n_turns, cue_rng)
        variants = [("context_rich", cues), ("context_free", [])] if pair_variants and traits \
            else [("single", cues)]
        pair_id = "p-" + _digest("pair", seed, index)[:16] if len(variants) == 2 else None
        for variant, variant_cues in variants:
            entries.append(PlanEntry(
                index=index, sample_id=sample_id_for(seed, index, variant), pair_id=pair_id,
                variant=variant, seed_id=user_seed.seed_id, seed_source=user_seed.source,
                traits=traits, cues=variant_cues, n_user_turns=n_turns,
                liked=user_seed.liked, recommended=user_seed.recommended,
                genres=user_seed.genres, seed_user_turns=user_seed.user_turns,
                rng_seed=int(_digest("rng", seed, index)[:12], 16),
            ))
    return entries
