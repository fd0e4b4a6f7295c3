"""Helpers of the predict tests: a split of paired context variants, a small catalogue.

Splits are real ``SAMPLE_SCHEMA`` Parquet files under ``<run>/splits/``; trait ids are the
embedded taxonomy's (acquisition runs read it). Films are the fake recommender's list, so
its answers resolve.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from datagen.catalogue import Catalogue, Item
from datagen.parquet_io import write_parquet
from datagen.predict.fake_responder import FILMS
from datagen.records.sample import (
    SAMPLE_SCHEMA,
    Generation,
    ItemRef,
    Sample,
    Turn,
    Verification,
    samples_to_table,
)

TAXONOMY_VERSION = "saferec@test"
TRAITS = ("spiders_snakes", "substance_recovery", "gore", "horror_avoider")


def film_items() -> list[Item]:
    items = []
    for i, text in enumerate(FILMS):
        title, year = text.rsplit(" (", 1)
        items.append(Item(item_id=f"tt{i:07d}", title=title, year=int(year.rstrip(")")),
                          imdb_id=f"tt{i:07d}", genres=["Drama"], popularity=100.0 - i,
                          sources=["test"]))
    return items


def save_catalogue(path: Path) -> Path:
    return Catalogue(film_items(), name="test").save(path)


def _ref(i: int) -> ItemRef:
    item = film_items()[i % len(FILMS)]
    return ItemRef(item_id=item.item_id, title=item.title, year=item.year)


def sample(sample_id: str, *, traits: Sequence[str] = (), variant: str = "implicit",
           pair_id: str | None = None, last: str = "What would you recommend?",
           index: int = 0) -> Sample:
    return Sample(
        sample_id=sample_id, pair_id=pair_id, variant=variant,
        taxonomy_version=TAXONOMY_VERSION, seed_source="graph_profile",
        seed_id=f"seed-{pair_id or sample_id}", traits=list(traits),
        messages=[Turn(role="user", content=f"Hi! I loved {_ref(index).title}."),
                  Turn(role="assistant", content="Nice. What else do you enjoy?"),
                  Turn(role="user", content=last)],
        liked_items=[_ref(index), _ref(index + 1)],
        ground_truth=[_ref(index + 2), _ref(index + 3), _ref(index + 4)],
        generation=Generation(backend="offline", model="offline-composer-v1", is_llm=False,
                              prompt_version="test"),
        verification=Verification(passed=True, leak_passed=True))


def paired_samples(users: int, *, variants: Sequence[str] = ("implicit", "explicit", "absent"),
                   controls: int = 0, malformed: int = 0) -> list[Sample]:
    """``users`` trait users with one sample per variant (sharing pair_id), then controls;
    the last user turn of the first ``malformed`` samples asks the fake for no titles."""
    out = []
    for u in range(users):
        traits = [TRAITS[u % len(TRAITS)]]
        for v in variants:
            out.append(sample(f"s-{u:03d}-{v}", traits=traits, variant=v, pair_id=f"p-{u:03d}",
                              index=u))
    out += [sample(f"c-{c:03d}", index=c) for c in range(controls)]
    for i in range(min(malformed, len(out))):
        out[i] = out[i].model_copy(update={"messages": [
            *out[i].messages[:-1], Turn(role="user", content="[[malformed]] anything?")]})
    return out


def write_split(run_dir: Path, samples: Sequence[Sample], split: str = "test") -> Path:
    path = run_dir / "splits" / f"{split}.parquet"
    write_parquet(samples_to_table(list(samples)), path, SAMPLE_SCHEMA)
    return path
