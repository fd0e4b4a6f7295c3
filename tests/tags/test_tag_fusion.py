"""Fusion: evidence -> yes / no / unknown per (item, trait). Unknown stays unknown."""

from __future__ import annotations

import polars as pl
import pytest

from datagen.tags import (
    ITEM_TAGS_SCHEMA,
    Evidence,
    FusionPolicy,
    build_item_tags,
    fuse,
    rule_evidence,
)


def _ddd(item: str, topic: int, yes: int, no: int) -> Evidence:
    return Evidence(item_id=item, source="ddd", topic_id=topic, yes_votes=yes, no_votes=no,
                    polarity="present" if yes >= no else "absent",
                    confidence=max(yes, no) / (yes + no))


def _pg(item: str, category: str, severity: int) -> Evidence:
    return Evidence(item_id=item, source="parents_guide", pg_category=category,
                    severity=severity, confidence=severity / 3,
                    polarity="present" if severity else "absent")


def _conf(item: str, trait: str, polarity: str, confidence: float,
          source: str = "llm:test-model") -> Evidence:
    return Evidence(item_id=item, source=source, trait_id=trait, polarity=polarity,
                    confidence=confidence, detail="because")


def _tags(catalogue, taxonomy, evidence, **policy) -> dict[tuple[str, str], dict]:
    table = build_item_tags(catalogue, taxonomy, evidence, FusionPolicy(**policy))
    assert table.schema == ITEM_TAGS_SCHEMA
    return {(r["item_id"], r["trait_id"]): r for r in table.to_pylist()}


def test_no_evidence_is_unknown_for_every_pair(catalogue, taxonomy):
    tags = _tags(catalogue, taxonomy, [])
    assert len(tags) == len(catalogue) * len(taxonomy.traits)
    for row in tags.values():
        assert row["status"] == "unknown"
        assert row["score"] == 0.0
        assert row["sources"] == [] and row["evidence"] == []
        assert row["ddd_hit"] is None and row["pg_risk"] is None


def test_weak_present_below_threshold_is_unknown_with_score(catalogue, taxonomy):
    row = _tags(catalogue, taxonomy, rule_evidence(catalogue, taxonomy))[("tt0000002", "gore")]
    assert row["status"] == "unknown"
    assert row["score"] == pytest.approx(0.6)
    assert row["sources"] == ["rule:genre"]
    assert row["evidence"] == ["rule:genre: present 0.6: genre Horror"]


def test_threshold_is_configurable(catalogue, taxonomy):
    tags = _tags(catalogue, taxonomy, rule_evidence(catalogue, taxonomy), unsafe_threshold=0.5)
    assert tags[("tt0000002", "gore")]["status"] == "yes"


def test_ddd_clear_yes_is_yes(catalogue, taxonomy):
    row = _tags(catalogue, taxonomy, [_ddd("tt0000001", 153, 9, 1)])[("tt0000001", "animal_harm")]
    assert row["status"] == "yes"
    assert row["ddd_hit"] == 1.0 and row["score"] == 1.0
    assert row["evidence"] == ['ddd: topic 153 "a dog dies": 9 yes / 1 no -> clear yes']


def test_ddd_contested_is_unknown(catalogue, taxonomy):
    row = _tags(catalogue, taxonomy, [_ddd("tt0000001", 153, 6, 4)])[("tt0000001", "animal_harm")]
    assert row["status"] == "unknown"
    assert row["ddd_hit"] == 0.0
    assert row["evidence"][0].endswith("-> contested")


def test_ddd_clear_no_is_no_but_contested_topic_blocks_it(catalogue, taxonomy):
    key = ("tt0000001", "animal_harm")
    assert _tags(catalogue, taxonomy, [_ddd("tt0000001", 153, 1, 20)])[key]["status"] == "no"
    mixed = [_ddd("tt0000001", 153, 1, 20), _ddd("tt0000001", 186, 5, 5)]
    assert _tags(catalogue, taxonomy, mixed)[key]["status"] == "unknown"


def test_ddd_min_votes_and_share_come_from_the_policy(catalogue, taxonomy):
    key = ("tt0000001", "animal_harm")
    few = [_ddd("tt0000001", 153, 2, 0)]
    assert _tags(catalogue, taxonomy, few)[key]["status"] == "yes"
    assert _tags(catalogue, taxonomy, few, ddd_min_votes=3)[key]["status"] == "unknown"
    seventy = [_ddd("tt0000001", 153, 7, 3)]
    assert _tags(catalogue, taxonomy, seventy)[key]["status"] == "unknown"
    assert _tags(catalogue, taxonomy, seventy, ddd_clear_yes=0.7)[key]["status"] == "yes"


def test_pg_risk_follows_the_reference_formula(catalogue, taxonomy):
    # gore weights: violence_gore 1.0, frightening_intense 0.5; severities 2 and 3
    ev = [_pg("tt0000005", "violence_gore", 2), _pg("tt0000005", "frightening_intense", 3)]
    row = _tags(catalogue, taxonomy, ev)[("tt0000005", "gore")]
    assert row["pg_risk"] == pytest.approx((1.0 * 2 + 0.5 * 3) / (3 * 1.5))
    assert row["status"] == "yes"  # 0.778 >= 0.66
    assert row["evidence"] == [
        "parents_guide: Frightening & Intense Scenes severe (weight 0.5)",
        "parents_guide: Violence & Gore moderate (weight 1.0)",
    ]


def test_pg_complete_low_record_is_no_partial_record_is_not(catalogue, taxonomy):
    key = ("tt0000005", "gore")
    complete = [_pg("tt0000005", "violence_gore", 1), _pg("tt0000005", "frightening_intense", 1)]
    row = _tags(catalogue, taxonomy, complete)[key]
    assert row["status"] == "no" and row["pg_risk"] == pytest.approx(1 / 3)
    partial = _tags(catalogue, taxonomy, [_pg("tt0000005", "violence_gore", 0)])[key]
    assert partial["status"] == "unknown" and partial["pg_risk"] == 0.0
    # a partial record is a lower bound: it can still say yes
    high = _tags(catalogue, taxonomy, [_pg("tt0000005", "violence_gore", 3)])[key]
    assert high["pg_risk"] == pytest.approx(3 / 4.5) and high["status"] == "yes"


def test_pg_category_without_weight_for_a_trait_is_ignored(catalogue, taxonomy):
    result = fuse(catalogue, taxonomy, [_pg("tt0000005", "profanity", 3)])
    assert result.report.unmapped_rows == 1
    tags = {(r["item_id"], r["trait_id"]): r for r in result.table.to_pylist()}
    assert tags[("tt0000005", "gore")]["status"] == "unknown"


def test_absent_rule_is_no_and_weak_absent_is_not(catalogue, taxonomy):
    tags = _tags(catalogue, taxonomy, rule_evidence(catalogue, taxonomy))
    assert tags[("tt0000003", "gore")]["status"] == "no"  # Family, absent 0.7
    assert tags[("tt0000003", "horror_avoider")]["status"] == "no"  # MPAA G, absent 0.8
    assert tags[("tt0000004", "gore")]["status"] == "unknown"  # Documentary, absent 0.3 < 0.5


def test_yes_beats_absent(catalogue, taxonomy):
    ev = [rule_evidence(catalogue, taxonomy), [_ddd("tt0000003", 200, 10, 0)]]
    row = _tags(catalogue, taxonomy, ev)[("tt0000003", "gore")]
    assert row["status"] == "yes"
    assert row["sources"] == ["ddd", "rule:genre"]


def test_strong_present_signal_blocks_no(catalogue, taxonomy):
    key = ("tt0000002", "gore")
    ev = [
        rule_evidence(catalogue, taxonomy),  # Horror: present 0.6
        [_pg("tt0000002", "violence_gore", 0), _pg("tt0000002", "frightening_intense", 0)],
    ]
    assert _tags(catalogue, taxonomy, ev)[key]["status"] == "unknown"
    assert _tags(catalogue, taxonomy, ev, present_blocks_no=1.0)[key]["status"] == "no"


def test_llm_evidence_counts_with_its_confidence(catalogue, taxonomy):
    ev = [_conf("tt0000005", "horror_avoider", "present", 0.9),
          _conf("tt0000004", "horror_avoider", "absent", 0.8),
          _conf("tt0000001", "horror_avoider", "present", 0.4)]
    tags = _tags(catalogue, taxonomy, ev)
    assert tags[("tt0000005", "horror_avoider")]["status"] == "yes"
    assert tags[("tt0000005", "horror_avoider")]["sources"] == ["llm:test-model"]
    assert tags[("tt0000004", "horror_avoider")]["status"] == "no"
    assert tags[("tt0000001", "horror_avoider")]["status"] == "unknown"
    assert tags[("tt0000005", "horror_avoider")]["evidence"] == [
        "llm:test-model: present 0.9: because"]


def test_report_counts_what_fusion_cannot_use(catalogue, taxonomy):
    ev = [_conf("tt9999999", "gore", "present", 1.0), _conf("tt0000001", "no_such", "present", 1.0),
          _ddd("tt0000001", 999, 5, 0), _conf("tt0000001", "gore", "present", 1.0)]
    report = fuse(catalogue, taxonomy, ev).report
    assert report.evidence_rows == 4
    assert report.unknown_items == {"tt9999999": 1}
    assert report.unknown_traits == {"no_such": 1}
    assert report.unmapped_rows == 1
    assert report.used_rows == 1


def test_inputs_may_be_frames_batches_or_evidence_lists(catalogue, taxonomy):
    from datagen.tags import evidence_frame

    rows = [_ddd("tt0000001", 153, 9, 1)]
    a = build_item_tags(catalogue, taxonomy, rows)
    b = build_item_tags(catalogue, taxonomy, evidence_frame(rows))
    c = build_item_tags(catalogue, taxonomy, [evidence_frame(rows).to_arrow()])
    d = build_item_tags(catalogue, taxonomy, (r for r in rows))  # a generator, read once
    assert a.equals(b) and b.equals(c) and c.equals(d)


def test_output_follows_catalogue_and_taxonomy_order(catalogue, taxonomy):
    df = pl.from_arrow(build_item_tags(catalogue, taxonomy, []))
    assert df["item_id"].unique(maintain_order=True).to_list() == [
        i.item_id for i in catalogue.items]
    assert df["trait_id"].head(3).to_list() == taxonomy.trait_ids


def test_llm_topic_answers_map_to_traits_through_the_taxonomy(catalogue, taxonomy):
    def llm(item: str, topic: int, polarity: str) -> Evidence:
        return Evidence(item_id=item, source="llm:m", topic_id=topic, polarity=polarity,
                        confidence=0.7, detail="model answer")

    tags = _tags(catalogue, taxonomy, [llm("tt0000001", 186, "present"),
                                       llm("tt0000002", 153, "absent"),
                                       llm("tt0000002", 200, "absent")])
    assert tags[("tt0000001", "animal_harm")]["status"] == "yes"
    assert tags[("tt0000001", "animal_harm")]["ddd_hit"] is None  # not DoesTheDogDie votes
    assert tags[("tt0000002", "animal_harm")]["status"] == "no"
    assert tags[("tt0000002", "gore")]["status"] == "no"
    assert tags[("tt0000003", "animal_harm")]["status"] == "unknown"


# --- weak rules that cannot decide no alone ---------------------------------------------------

def test_supporting_absence_is_kept_but_never_decides(catalogue, taxonomy):
    tags = _tags(catalogue, taxonomy, rule_evidence(catalogue, taxonomy))
    cartoon = tags[("tt0000007", "gore")]  # Animation only: decides_no false, weight 0.9
    assert cartoon["status"] == "unknown" and cartoon["sources"] == ["rule:genre"]
    assert cartoon["evidence"] == ["rule:genre: absent 0.9 (supports only): genre Animation"]
    kids = tags[("tt0000003", "gore")]  # Family decides, Animation supports
    assert kids["status"] == "no"
    assert kids["evidence"] == ["rule:genre: absent 0.7: genre Family",
                                "rule:genre: absent 0.9 (supports only): genre Animation"]


def test_a_supporting_row_from_any_source_cannot_decide(catalogue, taxonomy):
    weak = Evidence(item_id="tt0000005", source="llm:m", trait_id="gore", polarity="absent",
                    confidence=0.9, supports_only=True, detail="probably none")
    assert _tags(catalogue, taxonomy, [weak])[("tt0000005", "gore")]["status"] == "unknown"
    strong = weak.model_copy(update={"supports_only": False})
    assert _tags(catalogue, taxonomy, [weak, strong])[("tt0000005", "gore")]["status"] == "no"


def test_contradicted_rule_yields_nothing_and_is_counted(catalogue, taxonomy):
    batch = rule_evidence(catalogue, taxonomy)
    heist = batch.frame.filter(pl.col("item_id") == "tt0000006")  # Family + Action
    assert heist.height == 0
    assert batch.skipped == {"rule_contradicted": 1}
    tags = _tags(catalogue, taxonomy, batch)
    assert tags[("tt0000006", "gore")]["status"] == "unknown"
    assert tags[("tt0000006", "gore")]["evidence"] == []


def test_trait_evidence_is_what_fusion_reads(catalogue, taxonomy):
    from datagen.tags.fusion import trait_evidence

    rows = trait_evidence([rule_evidence(catalogue, taxonomy), [_ddd("tt0000001", 153, 9, 1)]],
                          taxonomy)
    vote = rows.filter(pl.col("source") == "ddd").row(0, named=True)
    assert (vote["trait_id"], vote["kind"], vote["clear_yes"]) == ("animal_harm", "vote", True)
    assert vote["line"] == 'ddd: topic 153 "a dog dies": 9 yes / 1 no -> clear yes'
    assert set(rows["kind"]) == {"vote", "conf"}
