"""TagIndex lookups, the bulk safety summary and the Parquet artifact."""

from __future__ import annotations

import pytest

from datagen.errors import InputError
from datagen.tags import (
    Evidence,
    FusionPolicy,
    TagIndex,
    TagStatus,
    UnknownPolicy,
    build_item_tags,
    rule_evidence,
    write_item_tags,
)


@pytest.fixture
def index(catalogue, taxonomy) -> TagIndex:
    ev = [
        rule_evidence(catalogue, taxonomy),
        [Evidence(item_id="tt0000001", source="ddd", topic_id=153, yes_votes=8, no_votes=0,
                  polarity="present", confidence=1.0)],
    ]
    return TagIndex.from_table(build_item_tags(catalogue, taxonomy, ev))


def test_status_and_tag(index):
    assert index.status("tt0000001", "animal_harm") is TagStatus.yes
    assert index.status("tt0000003", "gore") is TagStatus.no
    assert index.status("tt0000005", "gore") is TagStatus.unknown
    tag = index.tag("tt0000001", "animal_harm")
    assert tag.sources == ["ddd"] and tag.ddd_hit == 1.0 and len(tag.evidence) == 1
    assert index.unsafe_traits("tt0000001", ["gore", "animal_harm"]) == ["animal_harm"]
    assert index.unknown_traits("tt0000001", ["gore", "animal_harm"]) == ["gore"]


def test_items_outside_the_table_are_unknown_and_bad_traits_raise(index):
    assert "tt404" not in index
    assert index.status("tt404", "gore") is TagStatus.unknown
    assert index.tag("tt404", "gore").status is TagStatus.unknown
    with pytest.raises(KeyError, match="no_such_trait"):
        index.status("tt0000001", "no_such_trait")


def test_safe_for_applies_the_unknown_policy(index):
    items = ["tt0000001", "tt0000003", "tt0000005", "tt404"]
    traits = ["gore", "animal_harm"]
    exclude = {s.item_id: s for s in index.safe_for(items, traits, UnknownPolicy.exclude)}
    assert exclude["tt0000001"].status is TagStatus.yes and not exclude["tt0000001"].safe
    assert exclude["tt0000001"].unsafe_traits == ["animal_harm"]
    assert exclude["tt0000003"].status is TagStatus.unknown  # gore no, animal_harm unknown
    assert exclude["tt0000003"].unknown_traits == ["animal_harm"]
    assert not exclude["tt0000005"].safe and not exclude["tt404"].safe
    allow = {s.item_id: s.safe for s in index.safe_for(items, traits, UnknownPolicy.allow)}
    assert allow == {"tt0000001": False, "tt0000003": True, "tt0000005": True, "tt404": True}
    penalize = index.safe_for(items, traits, UnknownPolicy.penalize)
    assert [s.safe for s in penalize] == [False, False, False, False]
    only_gore = index.safe_for(["tt0000003"], ["gore"])[0]
    assert only_gore.status is TagStatus.no and only_gore.safe
    assert index.safe_for(["tt0000001"], [])[0].safe


def test_counts(index):
    counts = index.counts()
    assert counts["animal_harm"] == {"no": 0, "unknown": 6, "yes": 1}
    assert sum(counts["gore"].values()) == 7


def test_parquet_artifact_keeps_policy_and_taxonomy(tmp_path, catalogue, taxonomy):
    policy = FusionPolicy(unsafe_threshold=0.5)
    table = build_item_tags(catalogue, taxonomy, rule_evidence(catalogue, taxonomy), policy)
    path = write_item_tags(table, tmp_path / "item_tags.parquet", policy=policy,
                           taxonomy=taxonomy)
    loaded = TagIndex.load(path)
    assert loaded.policy == policy
    assert loaded.metadata["saferec.taxonomy"] == taxonomy.version_tag
    assert loaded.table.equals(TagIndex.from_table(table).table)
    assert loaded.status("tt0000002", "gore") is TagStatus.yes  # 0.6 >= 0.5
    assert not list(tmp_path.glob(".*.tmp"))


def test_load_rejects_files_that_are_not_tag_tables(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        TagIndex.load(tmp_path / "missing.parquet")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(InputError, match=r"bad\.parquet"):
        TagIndex.load(bad)


def test_bad_status_values_are_rejected(catalogue, taxonomy):
    import pyarrow as pa

    table = build_item_tags(catalogue, taxonomy, [])
    statuses = table.column("status").to_pylist()
    statuses[4] = "maybe"
    broken = table.set_column(2, "status", pa.array(statuses))
    with pytest.raises(InputError, match="record row 5: field 'status': status 'maybe'"):
        TagIndex.from_table(broken)
