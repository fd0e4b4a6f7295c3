"""Curated film evidence: the shipped file, its loader, fusion with rules, the defaults, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from datagen.catalogue import Catalogue, load_default_catalogue
from datagen.catalogue.models import Item
from datagen.cli.main import app
from datagen.errors import InputError
from datagen.tags import FusionPolicy, TagIndex, TagStatus, build_item_tags, rule_evidence
from datagen.tags.curated import (
    ABSENT_CONFIDENCE,
    CURATED_DETAIL,
    CURATED_SOURCE,
    PRESENT_CONFIDENCE,
    default_curated_path,
    load_curated,
)
from datagen.tags.defaults import (
    DEFAULT_TAGS_LABEL,
    RULES_ONLY_LABEL,
    default_evidence,
    default_tag_index,
)
from datagen.taxonomy import load_taxonomy

runner = CliRunner()


@pytest.fixture(scope="module")
def embedded() -> tuple[Catalogue, object]:
    return load_default_catalogue(), load_taxonomy()


def _lines() -> list[dict]:
    text = default_curated_path().read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _write(path: Path, *rows: dict | str) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def _film(imdb_id: str = "tt0000001", **kw: object) -> dict:
    return {"imdb_id": imdb_id, "title": "Dog Movie", "year": 2001, **kw}


# --- the shipped file ---------------------------------------------------------------------

def test_shipped_file_loads_with_every_film_in_the_catalogue(embedded):
    catalogue, taxonomy = embedded
    batch = load_curated(None, catalogue, taxonomy)
    lines = _lines()
    assert batch.rows_read == len(lines) >= 400
    assert batch.unmatched == {}
    assert batch.frame.height == sum(len(x["present"]) + len(x["absent"]) for x in lines)
    assert set(batch.frame["source"]) == {CURATED_SOURCE}
    assert set(batch.frame["detail"]) == {CURATED_DETAIL}
    conf = dict(batch.frame.group_by("polarity").agg(pl.col("confidence").max()).iter_rows())
    assert conf == {"present": PRESENT_CONFIDENCE, "absent": ABSENT_CONFIDENCE}


def test_every_line_matches_the_catalogue_id_title_and_year(embedded):
    catalogue, _ = embedded
    wrong = []
    for row in _lines():
        item = catalogue.by_imdb(row["imdb_id"])
        if item is None or (item.title, item.year) != (row["title"], row["year"]):
            wrong.append(row["imdb_id"])
    assert wrong == []


def test_no_trait_is_both_present_and_absent_and_ids_are_taxonomy_traits(embedded):
    _, taxonomy = embedded
    ids = set(taxonomy.trait_ids)
    for row in _lines():
        assert not set(row["present"]) & set(row["absent"]), row["imdb_id"]
        assert set(row["present"]) | set(row["absent"]) <= ids, row["imdb_id"]
    assert len({r["imdb_id"] for r in _lines()}) == len(_lines())


def test_confidences_clear_the_default_policy_thresholds():
    policy = FusionPolicy()
    assert policy.unsafe_threshold <= PRESENT_CONFIDENCE
    assert policy.absent_min_confidence <= ABSENT_CONFIDENCE


# --- defaults: every trait gets safe ground truth -----------------------------------------

def test_default_tags_give_every_trait_at_least_20_no_films(embedded):
    catalogue, taxonomy = embedded
    index, label = default_tag_index(catalogue, taxonomy)
    assert label == DEFAULT_TAGS_LABEL
    counts = index.counts()
    short = {t: counts[t].get("no", 0) for t in taxonomy.trait_ids
             if counts[t].get("no", 0) < 20}
    assert short == {}
    # the Dark Knight: curated present -> yes; curated absent -> no
    assert index.status("tt0468569", "gore") is TagStatus.yes
    assert index.status("tt0468569", "spiders_snakes") is TagStatus.no
    assert CURATED_SOURCE in index.tag("tt0468569", "spiders_snakes").sources


def test_default_evidence_without_curated_is_rules_only(embedded):
    catalogue, taxonomy = embedded
    with_curated = default_evidence(catalogue, taxonomy)
    without = default_evidence(catalogue, taxonomy, curated=False)
    assert [b.source for b in with_curated] == ["rule", CURATED_SOURCE]
    assert [b.source for b in without] == ["rule"]


def test_a_taxonomy_without_the_saferec_traits_gets_rules_only(catalogue, taxonomy):
    assert [b.source for b in default_evidence(catalogue, taxonomy)] == ["rule"]
    index, label = default_tag_index(catalogue, taxonomy)
    assert label == RULES_ONLY_LABEL
    assert index.status("tt0000002", "gore") is TagStatus.unknown  # Horror 0.6 < 0.66


# --- fusion with other evidence (small hand-made catalogue and taxonomy) -------------------

def test_curated_absent_and_present_become_no_and_yes(tmp_path, catalogue, taxonomy):
    path = _write(tmp_path / "c.jsonl", _film(present=["animal_harm"], absent=["gore"]))
    table = build_item_tags(catalogue, taxonomy, load_curated(path, catalogue, taxonomy))
    index = TagIndex.from_table(table)
    assert index.status("tt0000001", "animal_harm") is TagStatus.yes
    assert index.status("tt0000001", "gore") is TagStatus.no
    assert index.status("tt0000001", "horror_avoider") is TagStatus.unknown  # not listed


def test_curated_absent_does_not_override_a_strong_rule_present(tmp_path, catalogue, taxonomy):
    # Slasher is Horror: the gore rule says present 0.6 >= present_blocks_no 0.5
    path = _write(tmp_path / "c.jsonl",
                  _film("tt0000002", title="Slasher", year=2002, absent=["gore"]))
    ev = [rule_evidence(catalogue, taxonomy), load_curated(path, catalogue, taxonomy)]
    tag = TagIndex.from_table(build_item_tags(catalogue, taxonomy, ev)).tag("tt0000002", "gore")
    assert tag.status is TagStatus.unknown
    assert set(tag.sources) == {"rule:genre", CURATED_SOURCE}
    # with the guard disabled the curated absence decides
    loose = FusionPolicy(present_blocks_no=1.0)
    index = TagIndex.from_table(build_item_tags(catalogue, taxonomy, ev, loose))
    assert index.status("tt0000002", "gore") is TagStatus.no


def test_films_outside_the_catalogue_are_counted_not_fatal(tmp_path, catalogue, taxonomy):
    path = _write(tmp_path / "c.jsonl", _film(absent=["gore"]),
                  _film("tt9999999", title="Elsewhere", absent=["gore", "animal_harm"]))
    batch = load_curated(path, catalogue, taxonomy)
    assert batch.rows_read == 2
    assert batch.unmatched == {"tt9999999": 2}
    assert batch.frame["item_id"].to_list() == ["tt0000001"]


# --- bad input: one line naming file, line and field --------------------------------------

@pytest.mark.parametrize(("row", "message", "field"), [
    ("{not json", "not valid JSON", None),
    ("[1, 2]", "must be a JSON object", None),
    (_film(present=["spiders"]), "unknown trait id 'spiders'", "present"),
    (_film(present=["gore"], absent=["gore"]), "both present and absent", "absent"),
    (_film(absent=["gore", "gore"]), "listed twice", "absent"),
    ({"title": "No Id", "year": 2001}, "Field required", "imdb_id"),
    (_film(imdb_id="0468569"), "String should match pattern", "imdb_id"),
    (_film(rating="R"), "Extra inputs are not permitted", "rating"),
    (_film(present="gore"), "valid list", "present"),
])
def test_malformed_lines_raise_one_line_errors(tmp_path, taxonomy, row, message, field):
    path = _write(tmp_path / "bad.jsonl", _film("tt0000005", title="Plain", year=2005), row)
    with pytest.raises(InputError) as err:
        load_curated(path, None, taxonomy)
    text = str(err.value)
    assert "\n" not in text and str(path) in text and "line 2" in text and message in text
    assert err.value.field == field


def test_a_film_listed_twice_and_a_missing_file_are_errors(tmp_path, taxonomy):
    path = _write(tmp_path / "dup.jsonl", _film(), "", _film(absent=["gore"]))
    with pytest.raises(InputError, match=r"line 3: field 'imdb_id': film already listed on line 1"):
        load_curated(path, None, taxonomy)
    with pytest.raises(InputError, match="file not found"):
        load_curated(tmp_path / "missing.jsonl", None, taxonomy)


# --- CLI -----------------------------------------------------------------------------------

@pytest.fixture
def real_films(tmp_path: Path) -> Path:
    """Three films of the shipped file, with their catalogue metadata."""
    items = [
        Item(item_id="tt0468569", title="The Dark Knight", year=2008, imdb_id="tt0468569",
             genres=["Action", "Crime", "Drama"], mpaa_rating="PG-13"),
        Item(item_id="tt0114709", title="Toy Story", year=1995, imdb_id="tt0114709",
             genres=["Animation", "Adventure", "Comedy"], mpaa_rating="G"),
        Item(item_id="tt0125439", title="Notting Hill", year=1999, imdb_id="tt0125439",
             genres=["Comedy", "Drama", "Romance"], mpaa_rating="PG-13"),
    ]
    return Catalogue(items).save(tmp_path / "catalogue.parquet")


def _build(args: list[str]) -> dict:
    result = runner.invoke(app, ["tags", "build", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_cli_no_curated_differs_from_the_default(tmp_path, real_films):
    default = _build(["-c", str(real_films), "-o", str(tmp_path / "a.parquet")])
    plain = _build(["-c", str(real_films), "-o", str(tmp_path / "b.parquet"), "--no-curated"])
    assert [i["source"] for i in default["inputs"]] == ["rule", CURATED_SOURCE]
    assert [i["source"] for i in plain["inputs"]] == ["rule"]
    assert default["inputs"][1]["unmatched_films"] > 0  # the rest of the shipped file
    assert default["traits"]["spiders_snakes"]["no"] == 2  # Toy Story: not listed (spider toy)
    assert plain["traits"]["spiders_snakes"]["no"] == 0
    assert default["traits"]["gore"]["yes"] == 1 and plain["traits"]["gore"]["yes"] == 0
    index = TagIndex.load(tmp_path / "a.parquet")
    assert index.status("tt0125439", "happy_ending") is TagStatus.no


def test_cli_subprocess_no_curated(tmp_path, real_films):
    out = tmp_path / "tags.parquet"
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("datagen")), "tags", "build", "--json", "--no-curated",
         "-c", str(real_films), "-o", str(out)],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["traits"]["mental_health"]["no"] == 0 and out.is_file()
