"""Verifying item tags: selection by impact and doubt, verdicts and agreement computed by
hand, and the whole loop against the real argilla-server (push -> two annotators answer
through the UI's own REST calls -> pull -> human:argilla evidence -> fusion changes)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from annotation.tag_pull import TagVote, decide_tag, tag_agreement, verdict_evidence
from annotation.tag_records import record_id, split_record_id, tag_payload
from annotation.tag_select import SelectOptions, ground_truth_slots, select_tags
from datagen.catalogue import Catalogue, Item
from datagen.cli.main import app
from datagen.tags import Evidence, TagIndex, fuse, write_evidence_file, write_item_tags
from datagen.tags.priority import HUMAN_SOURCE
from datagen.taxonomy import load_taxonomy

TAX = load_taxonomy()
FILMS = [("tt1000001", "Quiet Meadow", 2001, 50), ("tt1000002", "Red Harbour", 2002, 900),
         ("tt1000003", "Glass River", 2003, 400), ("tt1000004", "Paper Moon Run", 2004, 10),
         ("tt1000005", "Salt Road", 2005, 5)]


def _cat() -> Catalogue:
    return Catalogue([Item(item_id=i, title=t, year=y, imdb_id=i, genres=["Drama"],
                           directors=["A. Director"], cast=["B. Actor", "C. Actor"],
                           mpaa_rating="PG-13", popularity=p) for i, t, y, p in FILMS])


def _ev(item: str, source: str, polarity: str, conf: float, trait: str = "gore") -> Evidence:
    return Evidence(item_id=item, source=source, trait_id=trait, polarity=polarity,
                    confidence=conf, detail=f"{source} thinks {polarity}")


EVIDENCE = [
    _ev("tt1000001", "curated:team", "absent", 0.6),                # no, curated alone
    _ev("tt1000002", "curated:team", "present", 0.7),               # yes, curated alone
    _ev("tt1000003", "llm:m", "present", 0.7),                      # disagree
    _ev("tt1000003", "rule:genre", "absent", 0.6),
    _ev("tt1000004", "llm:m", "present", 0.4),                      # unknown, llm low
    _ev("tt1000005", "curated:team", "absent", 0.6),
    _ev("tt1000005", HUMAN_SOURCE, "absent", 1.0),                  # already verified
]


def _tags() -> pa.Table:
    return fuse(_cat(), TAX, EVIDENCE).table


def _samples() -> pa.Table:
    """Two samples of gore users whose ground truth holds film 1 (and one holds film 4)."""
    gt = pa.struct([("item_id", pa.string()), ("title", pa.string()), ("year", pa.int32())])
    return pa.table({
        "traits": pa.array([["gore"], ["gore", "animal_harm"]], pa.list_(pa.string())),
        "ground_truth": pa.array([[{"item_id": "tt1000001", "title": "x", "year": 1}],
                                  [{"item_id": "tt1000001", "title": "x", "year": 1},
                                   {"item_id": "tt1000004", "title": "y", "year": 1}]],
                                 pa.list_(gt)),
    })


def test_ground_truth_slots_count_samples_per_film_and_trait():
    slots = {(r["item_id"], r["trait_id"]): r["slots"]
             for r in ground_truth_slots(_samples()).iter_rows(named=True)}
    assert slots == {("tt1000001", "gore"): 2, ("tt1000001", "animal_harm"): 1,
                     ("tt1000004", "gore"): 1, ("tt1000004", "animal_harm"): 1}


def test_select_by_impact_and_doubt_is_seeded_and_skips_verified():
    pop = {i.item_id: i.popularity for i in _cat().items}
    chosen = select_tags(_tags(), popularity=pop, samples=_samples(),
                         options=SelectOptions(limit=10, seed=3))
    order = [(c.item_id, c.trait_id) for c in chosen]
    assert ("tt1000005", "gore") not in order  # human-verified already
    assert all(c.evidence for c in chosen)  # nothing without evidence to check
    by = {(c.item_id, c.trait_id): c for c in chosen}
    assert by[("tt1000001", "gore")].reasons == ["ground_truth", "single_source"]
    assert by[("tt1000001", "gore")].slots == 2
    assert by[("tt1000003", "gore")].reasons == ["disagree", "llm_low"]  # stayed unknown
    assert "llm_low" in by[("tt1000004", "gore")].reasons
    assert order[0] == ("tt1000001", "gore")  # 3 (slots) + pop + single source
    assert order == [(c.item_id, c.trait_id) for c in select_tags(
        _tags(), popularity=pop, samples=_samples(), options=SelectOptions(limit=10, seed=3))]
    capped = select_tags(_tags(), popularity=pop, options=SelectOptions(limit=10, per_trait=1))
    assert len([c for c in capped if c.trait_id == "gore"]) == 1
    assert len(select_tags(_tags(), options=SelectOptions(limit=2))) == 2


def test_payload_shows_film_trait_and_every_evidence_line():
    cand = next(c for c in select_tags(_tags()) if c.item_id == "tt1000003")
    payload = tag_payload(cand, _cat().get("tt1000003"), TAX)
    assert payload["id"] == "tt1000003:gore" == record_id("tt1000003", "gore")
    assert split_record_id("ml:12:gore") == ("ml:12", "gore")
    film = payload["fields"]["film"]
    for text in ("Glass River (2003)", "Drama", "PG-13", "A. Director", "B. Actor"):
        assert text in film
    assert TAX.trait("gore").name in payload["fields"]["trait"]
    evidence = payload["fields"]["evidence"]
    assert "llm:m: present 0.7" in evidence and "rule:genre: absent 0.6" in evidence
    assert payload["metadata"]["source_kinds"] == ["llm", "rule"]


def _votes(*verdicts: str | None) -> list[TagVote]:
    return [TagVote(user=f"u{i}", verdict=v) for i, v in enumerate(verdicts)]


def test_majority_verdicts_and_evidence():
    assert decide_tag("tt1:gore", _votes("present", "present"), 2).verdict == "present"
    assert decide_tag("tt1:gore", _votes("present", "absent"), 2).verdict == "split"
    assert decide_tag("tt1:gore", _votes("absent", "cannot_tell"), 2).verdict == "split"
    assert decide_tag("tt1:gore", _votes("absent", "absent", "cannot_tell"), 2).verdict == \
        "absent"
    assert decide_tag("tt1:gore", _votes("absent"), 2).verdict == "pending"
    v = decide_tag("tt1:gore", [TagVote(user="a", verdict="absent", note="no blood"),
                                TagVote(user="b", verdict="absent")], 2)
    (row,) = verdict_evidence([v, decide_tag("tt2:gore", _votes("present", "absent"), 2)])
    assert (row.source, row.item_id, row.trait_id, row.polarity, row.confidence) == (
        HUMAN_SOURCE, "tt1", "gore", "absent", 1.0)
    assert row.detail == "2/2 annotators: absent; notes: a: no blood"


def test_alpha_per_trait_hand_computed():
    votes = {"a:gore": _votes("present", "present"), "b:gore": _votes("absent", "absent"),
             "c:gore": _votes("present", "absent"), "d:gore": _votes("absent", "absent"),
             "a:claustrophobia": _votes("absent", "absent")}
    overall, per_trait = tag_agreement(votes)
    # coincidences P-P 2, A-A 4, P-A 1, A-P 1: alpha = 1 - 7 * 2 / (2 * 3 * 5) = 8/15
    assert per_trait["gore"].alpha == pytest.approx(8 / 15)
    assert per_trait["gore"].percent == pytest.approx(0.75) and per_trait["gore"].units == 4
    assert per_trait["claustrophobia"].alpha is None  # no variation: undefined
    # pooled: P-P 2, A-A 6, P-A 2: alpha = 1 - 9 * 2 / (2 * 3 * 7) = 4/7
    assert overall.alpha == pytest.approx(4 / 7) and overall.units == 5


# -- against the real argilla-server ---------------------------------------------------------
@pytest.mark.integration
def test_tag_records_round_trip_through_argilla_and_change_fusion(argilla_stack, argilla_client,
                                                                  tmp_path: Path):
    from test_argilla_integration import Annotator

    from annotation.accounts import add_user

    cat = _cat().save(tmp_path / "cat.parquet")
    tags_path = write_item_tags(_tags(), tmp_path / "tags.parquet", taxonomy=TAX)
    runner = CliRunner()
    creds = ["--api-url", argilla_stack.url, "--api-key", argilla_stack.api_key]
    push = ["annotate", "push", "--kind", "tags", "--tags", str(tags_path), "--catalogue",
            str(cat), "--dataset", "tagv", "--workspace", "tagws", "--limit", "4",
            "--input", str(tmp_path / "no-samples.parquet"), "--json", *creds]
    res = runner.invoke(app, push)
    assert res.exit_code == 0, (res.output, res.exception)
    pushed = json.loads(res.stdout.strip().splitlines()[-1])
    assert (pushed["total"], pushed["created"], pushed["unchanged"]) == (4, 4, 0)
    for name in ("tagger1", "tagger2"):
        add_user(argilla_client, name, workspace="tagws", password=f"{name}-secret-pw")
    plan = {"tt1000002:gore": ("absent", "absent"), "tt1000003:gore": ("absent", "absent"),
            "tt1000001:gore": ("present", "present"), "tt1000004:gore": ("present", "cannot_tell")}
    for n, name in enumerate(("tagger1", "tagger2")):
        ann = Annotator(argilla_stack.url, name, f"{name}-secret-pw")
        ids = ann.record_ids(pushed["dataset_id"])
        assert set(ids) == set(plan)
        for rid, answers in plan.items():
            values: dict[str, object] = {"verdict": answers[n]}
            if rid == "tt1000002:gore" and n == 0:
                values["note"] = "the harbour fight is bloodless"
            ann.submit(ids[rid], **values)
    human = tmp_path / "human.parquet"
    res = runner.invoke(app, ["annotate", "pull", "--kind", "tags", "--dataset", "tagv",
                              "--workspace", "tagws", "--tags-out", str(human), "--report",
                              str(tmp_path / "rep.json"), "--json", *creds])
    assert res.exit_code == 0, (res.output, res.exception)
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert report["verdicts"] == {"present": 1, "absent": 2, "split": 1, "pending": 0}
    # units (A,A) (A,A) (P,P) (P,C): A-A 4, P-P 2, P-C/C-P 2; n_A 4, n_P 3, n_C 1, n 8
    # alpha = 1 - 7 * 2 / (2 * (4*3 + 4*1 + 3*1)) = 1 - 14 / 38
    assert report["trait_agreement"]["gore"]["alpha"] == pytest.approx(1 - 14 / 38)
    assert report["annotators"] == {"tagger1": 4, "tagger2": 4}
    assert (tmp_path / "rep.md").exists()
    before = TagIndex.load(tags_path)
    assert before.status("tt1000002", "gore").value == "yes"
    assert before.status("tt1000003", "gore").value == "yes"  # LLM 0.7 over the rule
    assert before.status("tt1000001", "gore").value == "no"
    ev = write_evidence_file(EVIDENCE, tmp_path / "ev.jsonl")
    after_path = tmp_path / "after.parquet"
    res = runner.invoke(app, ["tags", "build", "--catalogue", str(cat), "--no-rules",
                              "--evidence", str(ev), "--evidence", str(human), "--out",
                              str(after_path), "--json"])
    assert res.exit_code == 0, res.output
    after = TagIndex.load(after_path)
    assert after.status("tt1000002", "gore").value == "no"  # humans overrule curated yes
    assert after.status("tt1000003", "gore").value == "no"  # and settle the disagreement
    assert after.status("tt1000001", "gore").value == "yes"
    assert after.status("tt1000004", "gore").value == "unknown"  # split: no verdict
    line = next(x for x in after.tag("tt1000002", "gore").evidence if x.startswith("human"))
    assert "2/2 annotators: absent" in line and "bloodless" in line
    again = runner.invoke(app, push)
    assert json.loads(again.stdout.strip().splitlines()[-1])["unchanged"] == 4
