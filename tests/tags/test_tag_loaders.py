"""Evidence loaders on small files written here, including their one-line error messages."""

from __future__ import annotations

import json

import pytest

from datagen.catalogue import Catalogue
from datagen.catalogue.models import Item
from datagen.errors import InputError
from datagen.tags import (
    Evidence,
    category_key,
    evidence_rows,
    load_ddd_votes,
    load_evidence_file,
    load_parents_guide,
    rule_evidence,
    user_tag_evidence,
    write_evidence_file,
)


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def _one_line(exc: pytest.ExceptionInfo[InputError]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


# --- DoesTheDogDie -------------------------------------------------------------------------

def test_ddd_csv_loads_maps_ids_and_counts_misses(tmp_path, catalogue):
    path = _write(tmp_path / "ddd.csv", "imdb_id,topic_id,yes_votes,no_votes\n"
                  "tt0000001,153,9,1\n2,153,1,9\ntt0000001,186,0,0\ntt7777777,153,3,0\n"
                  "tt7777777,186,3,0\n")
    batch = load_ddd_votes(path, catalogue)
    assert batch.rows_read == 5
    assert batch.skipped == {"no_votes": 1}
    assert batch.unmatched == {"tt7777777": 2}
    rows = evidence_rows(batch)
    assert [(r.item_id, r.topic_id, r.yes_votes, r.no_votes) for r in rows] == [
        ("tt0000001", 153, 9, 1), ("tt0000002", 153, 1, 9)]
    assert rows[0].polarity == "present" and rows[0].confidence == pytest.approx(0.9)
    assert rows[1].polarity == "absent" and rows[0].source == "ddd"


def test_ddd_csv_with_bom_and_crlf(tmp_path):
    path = tmp_path / "ddd.csv"
    path.write_bytes("\ufeffimdb_id,topic_id,yes_votes,no_votes\r\ntt1,153,3,1\r\n".encode())
    (row,) = evidence_rows(load_ddd_votes(path))
    assert (row.item_id, row.topic_id, row.yes_votes, row.no_votes) == ("tt0000001", 153, 3, 1)


def test_ddd_jsonl_loads(tmp_path):
    lines = [{"imdb_id": "tt0000001", "topic_id": 153, "yes_votes": 4, "no_votes": 0}, {}]
    path = _write(tmp_path / "ddd.jsonl", json.dumps(lines[0]) + "\n\n")
    rows = evidence_rows(load_ddd_votes(path))
    assert rows[0].item_id == "tt0000001" and rows[0].yes_votes == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("imdb_id,topic_id,yes_votes\ntt1,153,1\n", "ddd.csv: field 'no_votes': required column"),
        ("imdb_id,topic_id,yes_votes,no_votes\ntt1,153,1,0\ntt2,153,many,0\n",
         "ddd.csv: line 3: field 'yes_votes': 'many' is not an integer"),
        ("imdb_id,topic_id,yes_votes,no_votes\ntt1,153,-1,0\n",
         "ddd.csv: line 2: field 'yes_votes'"),
        ("imdb_id,topic_id,yes_votes,no_votes\nmovie9,153,1,0\n",
         "ddd.csv: line 2: field 'imdb_id': 'movie9' is not an IMDb id"),
        ("imdb_id,topic_id,yes_votes,no_votes\ntt1,153,1,0\ntt1,,1,0\n",
         "ddd.csv: line 3: field 'topic_id': value is empty"),
        ("imdb_id,topic_id,yes_votes,no_votes\ntt1,153,1,0\ntt1,154,1,0\ntt1,153,2,2\n",
         "ddd.csv: line 4: field 'topic_id': duplicate row for tt0000001 topic 153"),
        ("imdb_id,topic_id,yes_votes,no_votes\ntt1,153,1,0\ntt1,153,1,0,7\n",
         "ddd.csv: line 3: malformed CSV"),
    ],
)
def test_ddd_errors_name_file_line_and_field(tmp_path, text, expected):
    path = _write(tmp_path / "ddd.csv", text)
    with pytest.raises(InputError) as exc:
        load_ddd_votes(path)
    assert expected in _one_line(exc)


def test_ddd_jsonl_bad_line_is_named(tmp_path):
    path = _write(tmp_path / "ddd.jsonl", '{"imdb_id": "tt1"}\n{not json\n')
    with pytest.raises(InputError) as exc:
        load_ddd_votes(path)
    assert "ddd.jsonl: line 2: not valid JSON" in _one_line(exc)


def test_missing_file_and_wrong_suffix(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_ddd_votes(tmp_path / "absent.csv")
    with pytest.raises(InputError, match=r"expected a \.csv, \.tsv or \.jsonl"):
        load_ddd_votes(_write(tmp_path / "ddd.xlsx", "x"))


# --- Parents Guide -------------------------------------------------------------------------

def test_category_names_and_keys():
    assert category_key("Violence & Gore") == "violence_gore"
    assert category_key("Alcohol, Drugs & Smoking") == "alcohol_drugs_smoking"
    assert category_key("Frightening & Intense Scenes") == "frightening_intense"
    assert category_key("sex_nudity") == "sex_nudity"
    assert category_key("Cooking") is None


def test_parents_guide_severity_words_digits_and_votes(tmp_path, catalogue):
    path = _write(tmp_path / "pg.csv",
                  "imdb_id,category,severity,none_votes,mild_votes,moderate_votes,severe_votes\n"
                  "tt0000001,Violence & Gore,Severe,,,,\n"
                  "tt0000001,profanity,1,,,,\n"
                  "tt0000002,sex_nudity,,1,5,2,0\n"
                  "tt0000002,Violence & Gore,,0,4,4,1\n"
                  "tt0000002,Profanity,,0,0,0,0\n"
                  "tt8888888,Profanity,mild,,,,\n")
    batch = load_parents_guide(path, catalogue)
    assert batch.skipped == {"no_votes": 1}
    assert batch.unmatched == {"tt8888888": 1}
    got = {(r.item_id, r.pg_category): r for r in evidence_rows(batch)}
    assert got[("tt0000001", "violence_gore")].severity == 3
    assert got[("tt0000001", "profanity")].severity == 1
    assert got[("tt0000002", "sex_nudity")].severity == 1  # majority: mild
    tie = got[("tt0000002", "violence_gore")]
    assert tie.severity == 2  # mild and moderate tie at 4 -> the higher severity
    assert tie.confidence == pytest.approx(2 / 3) and tie.polarity == "present"
    assert "votes none/mild/moderate/severe 0/4/4/1" in tie.detail


def test_parents_guide_none_severity_is_absent(tmp_path):
    path = _write(tmp_path / "pg.jsonl",
                  json.dumps({"imdb_id": "tt1", "category": "Profanity", "severity": "none"}))
    (row,) = evidence_rows(load_parents_guide(path))
    assert row.severity == 0 and row.polarity == "absent" and row.confidence == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("imdb_id,category,severity\ntt1,Cooking,mild\n",
         "pg.csv: line 2: field 'category': unknown category 'Cooking'"),
        ("imdb_id,category,severity\ntt1,Profanity,extreme\n",
         "pg.csv: line 2: field 'severity': 'extreme' is not one of none/mild/moderate/severe"),
        ("imdb_id,category,severity,mild_votes\ntt1,Profanity,,3\n",
         "pg.csv: line 2: field 'severity': give a severity or all four *_votes columns"),
        ("imdb_id,severity\ntt1,mild\n", "pg.csv: field 'category': required column"),
        ("imdb_id,category,severity\ntt1,Profanity,mild\ntt1,profanity,severe\n",
         "pg.csv: line 3: field 'category': duplicate row"),
    ],
)
def test_parents_guide_errors(tmp_path, text, expected):
    path = _write(tmp_path / "pg.csv", text)
    with pytest.raises(InputError) as exc:
        load_parents_guide(path)
    assert expected in _one_line(exc)


# --- rules and user tags -------------------------------------------------------------------

def test_rule_evidence_matches_genres_and_ratings_case_insensitively(catalogue, taxonomy):
    rows = {(r.item_id, r.trait_id, r.source): r for r in evidence_rows(
        rule_evidence(catalogue, taxonomy))}
    assert rows[("tt0000002", "gore", "rule:genre")].polarity == "present"
    assert rows[("tt0000004", "gore", "rule:genre")].confidence == 0.3  # "documentary"
    mpaa = rows[("tt0000003", "horror_avoider", "rule:mpaa")]
    assert mpaa.polarity == "absent" and mpaa.detail == "MPAA rating G"
    assert not any(item == "tt0000005" for item, _, _ in rows)


def test_user_tags_match_keywords_on_word_boundaries(taxonomy):
    tags = [("tt0000001", "very scary", 3), ("tt0000002", "scaryish", 1),
            ("tt0000003", "Scary!", 2)]
    rows = evidence_rows(user_tag_evidence(tags, taxonomy))
    assert [(r.item_id, r.trait_id, r.source) for r in rows] == [
        ("tt0000001", "horror_avoider", "user_tag"), ("tt0000003", "horror_avoider", "user_tag")]
    assert rows[0].detail == 'user tag "very scary" x3 matches "scary"'
    assert rows[0].confidence == 0.7


def test_keyword_matcher_agrees_with_the_taxonomy_leak_check(shared_data):
    from datagen.tags.rules import KeywordMatcher
    from datagen.taxonomy import load_taxonomy
    from datagen.taxonomy.leaks import find_leaks

    keywords = [r.value for t in load_taxonomy().traits for r in t.weak_rules
                if r.kind == "tag_keyword"]
    matcher = KeywordMatcher(keywords)
    tags = (shared_data / "ml-latest-small" / "tags.csv").read_text().splitlines()[1:]
    texts = sorted({line.split(",", 2)[2].rsplit(",", 1)[0] for line in tags})
    texts += ["dog-fighting", "Dog Fights!", "spiders", "a spider's web", ""]
    assert sum(1 for t in texts if matcher.find(t)) > 20
    for text in texts:
        assert matcher.find(text) == find_leaks(text, keywords), text


# --- evidence files ------------------------------------------------------------------------

_ROWS = [
    Evidence(item_id="tt0000001", source="llm:gpt-test", trait_id="gore", polarity="present",
             confidence=0.85, detail="a long knife scene"),
    Evidence(item_id="tt0000002", source="ddd", topic_id=153, polarity="absent",
             confidence=0.9, yes_votes=1, no_votes=9),
    Evidence(item_id="tt0000003", source="parents_guide", pg_category="profanity",
             severity=2, polarity="present", confidence=2 / 3, detail="Profanity: moderate"),
]


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_evidence_file_round_trip(tmp_path, suffix):
    path = write_evidence_file(_ROWS, tmp_path / f"evidence{suffix}")
    assert evidence_rows(load_evidence_file(path)) == _ROWS
    again = write_evidence_file(load_evidence_file(path), tmp_path / f"again{suffix}")
    assert evidence_rows(load_evidence_file(again)) == _ROWS


def test_evidence_jsonl_errors_name_line_and_field(tmp_path):
    good = _ROWS[0].model_dump_json()
    bad = json.dumps({**_ROWS[0].model_dump(), "confidence": 2.0})
    path = _write(tmp_path / "ev.jsonl", f"{good}\n{bad}\n")
    with pytest.raises(InputError) as exc:
        load_evidence_file(path)
    assert "ev.jsonl: line 2: field 'confidence'" in _one_line(exc)
    none = json.dumps({"item_id": "tt1", "source": "x", "polarity": "present",
                       "confidence": 0.5})
    with pytest.raises(InputError, match="line 1: field 'trait_id': one of topic_id"):
        load_evidence_file(_write(tmp_path / "ev2.jsonl", none + "\n"))


def test_evidence_parquet_is_checked(tmp_path):
    import polars as pl

    from datagen.tags import evidence_frame

    frame = evidence_frame(_ROWS).with_columns(
        pl.when(pl.col("item_id") == "tt0000002").then(pl.lit("maybe"))
        .otherwise(pl.col("polarity")).alias("polarity"))
    path = tmp_path / "ev.parquet"
    from datagen.parquet_io import write_parquet
    from datagen.tags import EVIDENCE_SCHEMA

    write_parquet(frame.to_arrow(), path, EVIDENCE_SCHEMA)
    with pytest.raises(InputError) as exc:
        load_evidence_file(path)
    assert "ev.parquet: record row 2: field 'polarity'" in _one_line(exc)
    with pytest.raises(InputError, match=r"\.parquet or \.jsonl"):
        write_evidence_file(_ROWS, tmp_path / "ev.csv")


def test_loaders_without_catalogue_use_imdb_ids_as_item_ids(tmp_path):
    cat = Catalogue([Item(item_id="ml:1", title="No Imdb", year=2000)])
    path = _write(tmp_path / "ddd.csv", "imdb_id,topic_id,yes_votes,no_votes\ntt1,153,1,0\n")
    assert load_ddd_votes(path, cat).unmatched == {"tt0000001": 1}
    assert evidence_rows(load_ddd_votes(path))[0].item_id == "tt0000001"


def test_supports_only_round_trips_and_is_written_only_when_true(tmp_path):
    rows = [*_ROWS, Evidence(item_id="tt0000004", source="rule:mpaa", trait_id="gore",
                             polarity="absent", confidence=0.5, supports_only=True,
                             detail="MPAA rating PG")]
    for suffix in (".parquet", ".jsonl"):
        path = write_evidence_file(rows, tmp_path / f"ev{suffix}")
        assert evidence_rows(load_evidence_file(path)) == rows
    lines = (tmp_path / "ev.jsonl").read_text().splitlines()
    assert ["supports_only" in line for line in lines] == [False, False, False, True]


def test_evidence_files_written_before_supports_only_still_load(tmp_path):
    import pyarrow as pa

    from datagen.parquet_io import write_parquet
    from datagen.tags import EVIDENCE_SCHEMA, evidence_frame

    old = pa.schema([f for f in EVIDENCE_SCHEMA if f.name != "supports_only"])
    path = write_parquet(evidence_frame(_ROWS).drop("supports_only").to_arrow(),
                         tmp_path / "old.parquet", old)
    assert evidence_rows(load_evidence_file(path)) == _ROWS
    text = "".join(json.dumps(r.model_dump(exclude={"supports_only"})) + "\n" for r in _ROWS)
    assert evidence_rows(load_evidence_file(_write(tmp_path / "old.jsonl", text))) == _ROWS


def test_user_tag_rules_with_unless_need_the_catalogue():
    from datagen.errors import ConfigError
    from datagen.taxonomy.models import CueIdea, RuleConditions, Taxonomy, Trait, WeakRule

    rule = WeakRule(kind="tag_keyword", value="cartoon", polarity="absent", weight=0.8,
                    decides_no=True, unless=RuleConditions(mpaa=["R"]),
                    why="cartoons are for children unless rated R")
    cues = [CueIdea(strategy="life_event", text=f"a cue idea number {i}") for i in range(8)]
    trait = Trait(id="gore", name="gore", family="violence", description="blood",
                  leak_terms=["gore"], cues=cues, weak_rules=[rule])
    tax = Taxonomy(name="t", version="0.1.0", topics=[], traits=[trait])
    tags = [("tt1", "cartoon", 2), ("tt2", "a cartoon", 1)]
    with pytest.raises(ConfigError, match="pass the catalogue"):
        user_tag_evidence(tags, tax)
    cat = Catalogue([Item(item_id="tt1", title="A", year=2000, mpaa_rating="R"),
                     Item(item_id="tt2", title="B", year=2001, mpaa_rating="G")])
    batch = user_tag_evidence(tags, tax, cat)
    assert batch.frame["item_id"].to_list() == ["tt2"]
    assert batch.skipped == {"rule_contradicted": 1}
