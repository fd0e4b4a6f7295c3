"""Human verdicts outrank every source; per-source precision on a hand-computed fixture;
opt-in per-source confidences recorded in the tags file; `datagen tags report` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from datagen.catalogue import Catalogue, Item
from datagen.cli.main import app
from datagen.tags import Evidence, TagIndex, fuse, write_evidence_file, write_item_tags
from datagen.tags.priority import (
    HUMAN_SOURCE,
    SourceConfidence,
    SourceConfidences,
    source_kind,
)
from datagen.tags.report import build_tag_report, render_markdown, source_confidences, wilson
from datagen.taxonomy import load_taxonomy

TAX = load_taxonomy()
IDS = [f"tt000000{i}" for i in range(6)]


def _cat() -> Catalogue:
    return Catalogue([Item(item_id=i, title=f"Film {n}", year=2000 + n, imdb_id=i)
                      for n, i in enumerate(IDS)])


def _ev(item: str, source: str, polarity: str, conf: float = 0.7,
        trait: str = "gore") -> Evidence:
    return Evidence(item_id=item, source=source, trait_id=trait, polarity=polarity,
                    confidence=conf, detail=f"{source} says {polarity}")


def _status(result, item: str, trait: str = "gore") -> tuple[str, float]:
    rows = result.table.to_pylist()
    row = next(r for r in rows if r["item_id"] == item and r["trait_id"] == trait)
    return row["status"], row["score"]


def test_human_verdict_outranks_every_source():
    evidence = [
        _ev(IDS[0], "curated:team", "present", 0.9), _ev(IDS[0], "llm:m", "present"),
        _ev(IDS[0], HUMAN_SOURCE, "absent", 1.0),
        _ev(IDS[1], "llm:m", "absent"), _ev(IDS[1], "rule:genre", "absent", 0.6),
        _ev(IDS[1], HUMAN_SOURCE, "present", 1.0),
        _ev(IDS[2], "llm:m", "present"),
    ]
    result = fuse(_cat(), TAX, evidence)
    assert _status(result, IDS[0]) == ("no", 0.0)
    assert _status(result, IDS[1]) == ("yes", 1.0)
    assert _status(result, IDS[2]) == ("yes", 0.7)  # no human verdict: fusion as before
    row = next(r for r in result.table.to_pylist()
               if r["item_id"] == IDS[0] and r["trait_id"] == "gore")
    assert HUMAN_SOURCE in row["sources"] and "curated:team" in row["sources"]
    assert any(line.startswith("curated:team: present 0.9") for line in row["evidence"])
    other = next(r for r in result.table.to_pylist()
                 if r["item_id"] == IDS[0] and r["trait_id"] == "animal_harm")
    assert other["status"] == "unknown"  # a verdict on gore says nothing about animal_harm


def test_source_kinds():
    assert [source_kind(s) for s in (HUMAN_SOURCE, "llm:gpt-4o-mini", "curated:x",
                                     "rule:genre", "user_tag", "ddd", "parents_guide", "z")] \
        == ["human", "llm", "curated", "rule", "user_tag", "ddd", "pg", "other"]


def _fixture() -> list[Evidence]:
    """Human: films 0-3 present, 4-5 absent. LLM: yes 0, 1, 4; no 2, 5. Curated: yes 3."""
    rows = [_ev(i, HUMAN_SOURCE, "present", 1.0) for i in IDS[:4]]
    rows += [_ev(i, HUMAN_SOURCE, "absent", 1.0) for i in IDS[4:]]
    rows += [_ev(IDS[n], "llm:m", "present") for n in (0, 1, 4)]
    rows += [_ev(IDS[n], "llm:m", "absent") for n in (2, 5)]
    rows += [_ev(IDS[3], "curated:team", "present")]
    return rows


def test_wilson_interval_known_values():
    low, high = wilson(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert wilson(0, 0) is None
    assert wilson(0, 5)[0] == 0.0 and wilson(5, 5)[1] == 1.0


def test_report_precision_and_recall_hand_computed():
    report = build_tag_report(_fixture(), TAX)
    assert (report.verified_pairs, report.human_present, report.human_absent) == (6, 4, 2)
    assert report.sources == ["curated:team", "llm:m"]
    llm = next(r for r in report.overall() if r.source == "llm:m")
    assert (llm.said_yes, llm.said_no) == (3, 2)
    assert (llm.precision_yes.hits, llm.precision_yes.n) == (2, 3)
    assert (llm.recall_yes.hits, llm.recall_yes.n) == (2, 4)
    assert (llm.precision_no.hits, llm.precision_no.n) == (1, 2)
    assert (llm.recall_no.hits, llm.recall_no.n) == (1, 2)
    assert (llm.coverage.hits, llm.coverage.n) == (5, 6)
    assert llm.precision_yes.low == pytest.approx(wilson(2, 3)[0])
    curated = next(r for r in report.overall() if r.source == "curated:team")
    assert (curated.precision_yes.value, curated.recall_yes.value) == (1.0, 0.25)
    assert curated.precision_no.value is None and curated.coverage.hits == 1
    per_trait = [r for r in report.rows if r.trait_id == "gore"]
    assert len(per_trait) == 2
    md = render_markdown(report)
    assert "| llm:m | all | 6 | 0.67 [" in md and "(2/3)" in md


def test_source_confidences_are_opt_in_and_recorded(tmp_path: Path):
    report = build_tag_report(_fixture(), TAX)
    cal = source_confidences(report, min_verdicts=2, origin="fixture")
    assert cal.sources["llm:m"]["*"].present == pytest.approx(2 / 3)
    assert cal.sources["llm:m"]["*"].absent == pytest.approx(0.5)
    assert "curated:team" not in cal.sources  # one yes is below min_verdicts
    llm_only = [_ev(IDS[0], "llm:m", "present"), _ev(IDS[1], "llm:m", "absent")]
    assert _status(fuse(_cat(), TAX, llm_only), IDS[0]) == ("yes", 0.7)
    lowered = SourceConfidences(sources={"llm:m": {"*": SourceConfidence(present=0.5),
                                                   "gore": SourceConfidence(absent=0.4)}})
    result = fuse(_cat(), TAX, llm_only, source_confidences=lowered)
    assert _status(result, IDS[0]) == ("unknown", 0.5)  # below the unsafe threshold now
    assert _status(result, IDS[1])[0] == "unknown"  # absent 0.4 < absent_min_confidence
    path = write_item_tags(result.table, tmp_path / "tags.parquet", taxonomy=TAX,
                           source_confidences=lowered)
    assert TagIndex.load(path).source_confidences == lowered
    assert TagIndex.load(write_item_tags(result.table, tmp_path / "t2.parquet")
                         ).source_confidences is None


def test_cli_report_then_calibrated_build(tmp_path: Path):
    cat = _cat().save(tmp_path / "cat.parquet")
    ev = write_evidence_file(_fixture(), tmp_path / "ev.jsonl")
    out, cal = tmp_path / "report.json", tmp_path / "cal.json"
    runner = CliRunner()
    res = runner.invoke(app, ["tags", "report", "--evidence", str(ev), "--out", str(out),
                              "--confidences-out", str(cal), "--min-verdicts", "2",
                              "--per-trait"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "llm:m" in res.output and "0.67 [" in res.output
    data = json.loads(out.read_text())
    assert data["verified_pairs"] == 6 and out.with_suffix(".md").exists()
    tags = tmp_path / "tags.parquet"
    res = runner.invoke(app, ["tags", "build", "--catalogue", str(cat), "--no-rules",
                              "--evidence", str(ev), "--source-confidences", str(cal),
                              "--out", str(tags), "--json"])
    assert res.exit_code == 0, res.output
    index = TagIndex.load(tags)
    assert index.source_confidences is not None
    assert index.source_confidences.report == str(out)
    assert index.status(IDS[0], "gore").value == "yes"  # human verdicts still decide
    res = runner.invoke(app, ["tags", "report", "--evidence", str(tmp_path / "none.jsonl")])
    assert res.exit_code == 2 and "none.jsonl" in res.output
    no_human = write_evidence_file([_ev(IDS[0], "llm:m", "present")], tmp_path / "x.jsonl")
    res = runner.invoke(app, ["tags", "report", "--evidence", str(no_human)])
    assert res.exit_code == 2 and "no human verdicts" in res.output
