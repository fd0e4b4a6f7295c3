"""`datagen tags audit` on a small world the test writes, with counts worked out by hand.

The world: a three-trait taxonomy whose absence rules all decide (the old, trusting kind), a
catalogue of seven films, an evidence file (a curated-style absence, a DoesTheDogDie vote, a
Parents Guide record) and a MovieLens folder (tags.csv, links.csv). Per film and trait:

=====  ==================  ====================  ======================================
film   metadata            no tags (no sources)  contradicted by
=====  ==================  ====================  ======================================
tt1    G; Animation,       gore (mpaa, genre),   hate_speech: user tag "racism" x2
       Family              hate_speech (mpaa)
tt2    Family, Action      gore (genre)          rating_genre: Family vs Action
tt3    G; Horror           gore (mpaa),          gore: rating_genre G vs Horror and
                           hate_speech (mpaa)    sources_disagree (Horror present 0.4);
                                                 hate_speech: rating_genre G vs Horror
tt4    PG-13; Family       gore (genre)          rating_genre: Family vs PG-13
tt5    Drama               gore (curated:test),  gore: user tag "gore"
                           animal_harm (ddd)
tt6    Documentary         (supports only)       -
tt8    Drama               gore (parents_guide)  sources_disagree: Violence & Gore moderate
=====  ==================  ====================  ======================================

So 9 no tags, 7 contradicted: user_tag 2, rating_genre 4, sources_disagree 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from datagen.catalogue import Catalogue
from datagen.catalogue.models import Item
from datagen.catalogue.sources import load_movielens_tags
from datagen.cli.main import app
from datagen.tags import load_evidence_file, rule_evidence
from datagen.tags.audit import KINDS, audit_tags
from datagen.taxonomy import load_taxonomy

runner = CliRunner()


def _absent(kind: str, value: str, weight: float, decides: bool = True) -> dict[str, Any]:
    return {"kind": kind, "value": value, "polarity": "absent", "weight": weight,
            "decides_no": decides, "why": "the test world's trusting absence rule"}


def _trait(trait_id: str, **kw: Any) -> dict[str, Any]:
    cues = [{"strategy": s, "text": f"a cue idea number {i} about quiet evenings"}
            for i, s in enumerate(["life_event", "behaviour", "third_party"] * 3)]
    return {"id": trait_id, "name": trait_id.replace("_", " "), "family": "trauma",
            "description": "a test trait", "leak_terms": [f"no {trait_id} please"],
            "cues": cues, **kw}


TAXONOMY = {
    "name": "auditworld", "version": "0.1.0",
    "topics": [{"id": 153, "label": "a dog dies", "category": "Animal"}],
    "traits": [
        _trait("animal_harm", dtdd_topics=[153]),
        _trait("gore", pg_weights={"violence_gore": 1.0, "frightening_intense": 0.5},
               weak_rules=[
                   {"kind": "genre", "value": "Horror", "polarity": "present", "weight": 0.4},
                   {"kind": "tag_keyword", "value": "gore", "polarity": "present",
                    "weight": 0.9},
                   _absent("mpaa", "G", 0.8), _absent("genre", "Family", 0.6),
                   _absent("genre", "Documentary", 0.6, decides=False)]),
        _trait("hate_speech", weak_rules=[
            {"kind": "tag_keyword", "value": "racism", "polarity": "present", "weight": 0.8},
            _absent("mpaa", "G", 0.5)]),
    ],
}


def _item(n: int, title: str, genres: list[str], rating: str | None = None,
          popularity: float = 0.0) -> Item:
    iid = f"tt{n:07d}"
    return Item(item_id=iid, imdb_id=iid, title=title, year=2000 + n, genres=genres,
                mpaa_rating=rating, popularity=popularity)


CATALOGUE = Catalogue([
    _item(1, "Toon", ["Animation", "Family"], "G", popularity=50),
    _item(2, "Family Heist", ["Family", "Action"]),
    _item(3, "Kid Horror", ["Horror"], "G", popularity=10),
    _item(4, "Teen Family", ["Family"], "PG-13"),
    _item(5, "Curated Drama", ["Drama"]),
    _item(6, "Doc", ["Documentary"]),
    _item(8, "Rated Drama", ["Drama"]),
])


def _evidence_rows() -> list[dict[str, Any]]:
    return [
        {"item_id": "tt0000005", "source": "curated:test", "trait_id": "gore",
         "polarity": "absent", "confidence": 0.6, "detail": "curated"},
        {"item_id": "tt0000005", "source": "ddd", "topic_id": 153, "yes_votes": 0,
         "no_votes": 5, "polarity": "absent", "confidence": 1.0},
        {"item_id": "tt0000008", "source": "parents_guide", "pg_category": "violence_gore",
         "severity": 2, "polarity": "present", "confidence": 2 / 3},
        {"item_id": "tt0000008", "source": "parents_guide", "pg_category": "frightening_intense",
         "severity": 0, "polarity": "absent", "confidence": 0.0},
    ]


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    paths = {"taxonomy": tmp_path / "tax.yaml", "catalogue": tmp_path / "cat.parquet",
             "evidence": tmp_path / "ev.jsonl", "movielens": tmp_path / "ml"}
    paths["taxonomy"].write_text(yaml.safe_dump(TAXONOMY, sort_keys=False))
    CATALOGUE.save(paths["catalogue"])
    paths["evidence"].write_text("".join(json.dumps(r) + "\n" for r in _evidence_rows()))
    ml = paths["movielens"]
    ml.mkdir()
    (ml / "tags.csv").write_text(
        "userId,movieId,tag,timestamp\n1,1,racism,1\n2,1,Racism,2\n1,5,gore,3\n"
        "1,7,gore,4\n3,6,boring,5\n")
    (ml / "links.csv").write_text(
        "movieId,imdbId,tmdbId\n1,0000001,\n5,0000005,\n6,0000006,\n7,0000099,\n")
    return paths


def _report(world: dict[str, Path], *, user_tags: bool = True):
    tax = load_taxonomy(world["taxonomy"])
    evidence = [rule_evidence(CATALOGUE, tax), load_evidence_file(world["evidence"])]
    tags = load_movielens_tags(world["movielens"], CATALOGUE) if user_tags else None
    return audit_tags(CATALOGUE, tax, evidence, user_tags=tags)


def test_counts_per_trait_kind_and_source(world):
    report = _report(world)
    assert (report.films, report.no_tags, report.contradicted) == (7, 9, 7)
    assert report.by_kind == {"user_tag": 2, "rating_genre": 4, "sources_disagree": 2}
    gore, hate, animal = (report.by_trait[t] for t in ("gore", "hate_speech", "animal_harm"))
    assert (gore.no, gore.weak_only, gore.contradicted) == (6, 4, 5)
    assert gore.kinds == {"user_tag": 1, "rating_genre": 3, "sources_disagree": 2}
    assert (hate.no, hate.weak_only, hate.contradicted) == (2, 2, 2)
    assert hate.kinds == {"user_tag": 1, "rating_genre": 1, "sources_disagree": 0}
    assert (animal.no, animal.weak_only, animal.contradicted) == (1, 0, 0)
    assert {s: (c.no, c.contradicted) for s, c in report.by_source.items()} == {
        "curated:test": (1, 1), "ddd": (1, 0), "parents_guide": (1, 1),
        "rule:genre": (3, 2), "rule:mpaa": (4, 3)}
    assert report.user_tags == {"rows": 3, "films": 3}  # movie 7 is not in the catalogue


def test_findings_name_the_film_its_no_sources_and_the_evidence(world):
    findings = {(f.item_id, f.trait_id): f for f in _report(world).findings}
    assert len(findings) == 7
    heist = findings[("tt0000002", "gore")]
    assert (heist.title, heist.year, heist.no_sources) == ("Family Heist", 2002, ["rule:genre"])
    assert [(c.kind, c.detail, c.against) for c in heist.contradictions] == [
        ("rating_genre", "genre Family says no, but genre Action", ["rule:genre"])]
    teen = findings[("tt0000004", "gore")].contradictions[0]
    assert teen.detail == "genre Family says no, but MPAA rating PG-13"
    horror = findings[("tt0000003", "gore")].contradictions
    assert {(c.kind, c.source, c.detail) for c in horror} == {
        ("sources_disagree", "rule:genre", "rule:genre: present 0.4: genre Horror"),
        ("rating_genre", "rule:mpaa", "MPAA rating G says no, but genre Horror")}
    tag = findings[("tt0000005", "gore")].contradictions[0]
    assert (tag.kind, tag.source, tag.against) == ("user_tag", "movielens", ["curated:test"])
    assert tag.detail == 'user tag "gore" x1 matches "gore" (weight 0.9)'
    racism = findings[("tt0000001", "hate_speech")].contradictions[0]
    assert racism.detail == 'user tag "racism" x2 matches "racism" (weight 0.8)'
    pg = findings[("tt0000008", "gore")]
    assert pg.no_sources == ["parents_guide"]
    assert pg.contradictions[0].detail == (
        "parents_guide: Violence & Gore moderate (weight 1.0)")


def test_findings_follow_taxonomy_order_then_popularity(world):
    order = [(f.trait_id, f.item_id) for f in _report(world).findings]
    assert order == [("gore", "tt0000003"), ("gore", "tt0000002"), ("gore", "tt0000004"),
                     ("gore", "tt0000005"), ("gore", "tt0000008"),
                     ("hate_speech", "tt0000001"), ("hate_speech", "tt0000003")]


def test_without_user_tags_only_metadata_and_sources_speak(world):
    report = _report(world, user_tags=False)
    assert report.user_tags is None
    assert report.contradicted == 5 and report.by_kind["user_tag"] == 0


def test_rules_that_only_support_or_are_void_leave_nothing_to_contradict(world):
    data = yaml.safe_load(world["taxonomy"].read_text())
    for trait in data["traits"]:
        for rule in trait.get("weak_rules", []):
            if (rule["kind"], rule["value"]) == ("genre", "Family"):
                rule["unless"] = {"mpaa": ["PG-13"], "genre": ["Action"]}
            if rule["polarity"] == "absent" and rule["kind"] == "mpaa":
                rule["unless"] = {"genre": ["Horror"]}
            if (trait["id"], rule["value"]) == ("hate_speech", "G"):
                rule["decides_no"] = False
    world["taxonomy"].write_text(yaml.safe_dump(data, sort_keys=False))
    report = _report(world)
    assert report.by_kind == {"user_tag": 1, "rating_genre": 0, "sources_disagree": 1}
    assert report.by_trait["hate_speech"].no == 0
    assert report.by_trait["gore"].no == 3  # tt1 (G, Family), tt5 (curated), tt8 (PG record)


def test_cli_json_has_the_report_shape(world):
    args = ["tags", "audit", "--taxonomy", str(world["taxonomy"]), "--catalogue",
            str(world["catalogue"]), "--evidence", str(world["evidence"]), "--movielens",
            str(world["movielens"]), "--out", str(world["movielens"].parent / "a.json"),
            "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"taxonomy", "films", "no_tags", "contradicted", "by_trait",
                         "by_source", "by_kind", "user_tags", "findings"}
    assert data["taxonomy"].startswith("auditworld@0.1.0+")
    assert (data["no_tags"], data["contradicted"]) == (9, 7)
    assert list(data["by_kind"]) == list(KINDS)
    assert set(data["by_trait"]["gore"]) == {"no", "weak_only", "contradicted", "kinds"}
    finding = data["findings"][0]
    assert set(finding) == {"item_id", "title", "year", "trait_id", "no_sources",
                            "contradictions"}
    assert set(finding["contradictions"][0]) == {"kind", "source", "detail", "against"}
    assert json.loads((world["movielens"].parent / "a.json").read_text()) == data


def test_cli_table_lists_traits_sources_and_films(world):
    args = ["tags", "audit", "--taxonomy", str(world["taxonomy"]), "--catalogue",
            str(world["catalogue"]), "--evidence", str(world["evidence"]), "--movielens",
            str(world["movielens"]), "--limit", "2"]
    result = runner.invoke(app, args, env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "no tags contradicted: 7 of 9" in out
    assert "curated:test" in out and "rule:mpaa" in out
    assert "first 2 of 7" in out and "Kid Horror (2003)" in out
    assert "Teen Family" not in out  # beyond --limit


def test_cli_names_a_movielens_folder_without_tags(world, tmp_path):
    args = ["tags", "audit", "--taxonomy", str(world["taxonomy"]), "--catalogue",
            str(world["catalogue"]), "--movielens", str(tmp_path / "nowhere")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "nowhere: no tags.csv in the MovieLens folder" in result.output


def test_embedded_defaults_have_no_contradicted_no_against_movielens(shared_data):
    """The regression guard of issue 9: defaults + ml-latest-small audit clean."""
    from datagen.catalogue import load_default_catalogue
    from datagen.tags.defaults import default_evidence

    catalogue, taxonomy = load_default_catalogue(), load_taxonomy()
    tags = load_movielens_tags(shared_data / "ml-latest-small", catalogue)
    report = audit_tags(catalogue, taxonomy, default_evidence(catalogue, taxonomy),
                        user_tags=tags)
    assert report.user_tags is not None and report.user_tags["films"] > 1000
    assert report.no_tags > 4000
    assert [(f.title, f.trait_id, f.contradictions[0].detail)
            for f in report.findings] == []
