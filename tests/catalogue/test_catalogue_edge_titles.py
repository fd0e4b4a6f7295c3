"""Issue 11 edge cases, end to end through the one parser and the one resolver.

* reasoning answers: only ``<solution>`` is read ("Saw (2004) is filtered out" must not
  become the first recommendation);
* titles that begin with a parenthesised number ("(500) Days of Summer");
* Wikipedia disambiguators stripped at ingest ("Faust (2011 film)" -> "Faust", 2011).
"""

from __future__ import annotations

import pytest

from datagen.catalogue import Catalogue, Item, TitleResolver
from datagen.catalogue.parse import answer_text, extract_titles
from datagen.catalogue.sources.table import load_table
from datagen.catalogue.titles import ingest_title, strip_disambiguator

REASONING_ANSWER = (
    "<reasoning>\nThe user hints that scenes of torture upset them. Saw (2004) is filtered "
    "out because it dwells on torture; Hostel (2005) too.\n</reasoning>\n<solution>\n"
    "1. Toy Story (1995)\n2. Up (2009)\n3. (500) Days of Summer (2009)\n</solution>"
)


def test_solution_block_is_the_only_part_read(resolver: TitleResolver) -> None:
    assert extract_titles(REASONING_ANSWER) == [
        "Toy Story (1995)", "Up (2009)", "(500) Days of Summer (2009)"]
    resolved = [m.title for m in resolver.resolve_text(REASONING_ANSWER)]
    assert resolved == ["Toy Story", "Up", "(500) Days of Summer"]


@pytest.mark.parametrize(("text", "expected"), [
    # unclosed solution (generation cut off): read to the end
    ("<reasoning>skip Saw (2004)</reasoning>\n<solution>\nHeat (1995)\nUp (2009)",
     ["Heat (1995)", "Up (2009)"]),
    # reasoning but no solution tags: the reasoning is dropped, the list is read
    ("<reasoning>Saw (2004) is out.</reasoning>\n1. Heat (1995)\n2. Up (2009)",
     ["Heat (1995)", "Up (2009)"]),
    ("<think>maybe Saw (2004)? no.</think>\nHeat (1995)", ["Heat (1995)"]),
    # an unfinished reasoning block recommends nothing yet
    ("<reasoning>I would avoid Saw (2004) and", []),
    ("<SOLUTION>Heat (1995)</SOLUTION>", ["Heat (1995)"]),
])
def test_reasoning_shapes(text: str, expected: list[str]) -> None:
    assert extract_titles(text) == expected


def test_answer_text_leaves_plain_answers_alone() -> None:
    assert answer_text("1. Heat (1995)\n2. Up (2009)") == "1. Heat (1995)\n2. Up (2009)"
    assert answer_text("a < b, Heat (1995)") == "a < b, Heat (1995)"


@pytest.mark.parametrize(("text", "expected"), [
    ("(500) Days of Summer (2009)", ["(500) Days of Summer (2009)"]),
    ("(500) Days of Summer (2009)\nHeat (1995)", ["(500) Days of Summer (2009)", "Heat (1995)"]),
    ("1. (500) Days of Summer (2009)\n2. Heat (1995)",
     ["(500) Days of Summer (2009)", "Heat (1995)"]),
    ("1. Heat (1995)\n(500) Days of Summer (2009)\n2. Up (2009)",
     ["Heat (1995)", "(500) Days of Summer (2009)", "Up (2009)"]),
    ("I loved (500) Days of Summer (2009), it was sweet.", ["(500) Days of Summer (2009)"]),
    ("Try (500) Days of Summer (2009), Heat (1995) and Up (2009)",
     ["(500) Days of Summer (2009)", "Heat (1995)", "Up (2009)"]),
    ("- (500) Days of Summer (2009) - a bittersweet romance",
     ["(500) Days of Summer (2009)"]),
    # small "(N)" numbers in a list of that length are still list markers
    ("(1) Heat (1995)\n(2) Up (2009)", ["Heat (1995)", "Up (2009)"]),
])
def test_title_beginning_with_a_parenthesised_number(text: str, expected: list[str]) -> None:
    assert extract_titles(text) == expected


def test_500_days_resolves_to_the_film(resolver: TitleResolver) -> None:
    for text in ("(500) Days of Summer (2009)", "1. (500) Days of Summer (2009)\n2. Up (2009)"):
        first = resolver.resolve_text(text)[0]
        assert (first.imdb_id, first.year) == ("tt1022603", 2009)


def test_dedupe_false_keeps_repeats() -> None:
    text = "1. Heat (1995)\n2. Up (2009)\n3. heat (1995)"
    assert extract_titles(text) == ["Heat (1995)", "Up (2009)"]
    assert extract_titles(text, dedupe=False) == ["Heat (1995)", "Up (2009)", "heat (1995)"]


@pytest.mark.parametrize(("title", "expected"), [
    ("Faust (2011 film)", ("Faust", 2011)),
    ("Godspell (film)", ("Godspell", None)),
    ("Quai d'Orsay (film)", ("Quai d'Orsay", None)),
    ("Upside Down (2012 film)", ("Upside Down", 2012)),
    ("Crash (2004 American film)", ("Crash", 2004)),
    ("Duel (TV film)", ("Duel", None)),
    ("(500) Days of Summer", None),
    ("Seven (a.k.a. Se7en)", None),
    ("Film", None),
    ("The Film (1999)", None),
])
def test_strip_disambiguator(title: str, expected: tuple[str, int | None] | None) -> None:
    assert strip_disambiguator(title) == expected


def test_ingest_title_keeps_the_year_column_and_the_old_form() -> None:
    assert ingest_title("Faust (2011 film)", 2011) == ("Faust", 2011, ["Faust (2011 film)"])
    assert ingest_title("Godspell (film)", None) == ("Godspell", None, ["Godspell (film)"])
    assert ingest_title("Heat", 1995) == ("Heat", 1995, [])


@pytest.mark.parametrize(("query", "imdb_id"), [
    ("Faust (2011)", "tt1437357"),
    ("Faust (1994)", "tt0109781"),
    ("Faust (2011 film)", "tt1437357"),
    ("Godspell (1973)", "tt0070121"),
    ("Godspell (film)", "tt0070121"),
    ("Upside Down (2012)", "tt1374992"),
    ("Post Mortem (2010)", "tt1714886"),
    ("Country Life (1994)", "tt0109491"),
    ("Quai d'Orsay (2013)", "tt2609222"),
])
def test_disambiguated_catalogue_titles_resolve(resolver: TitleResolver, query: str,
                                                imdb_id: str) -> None:
    match = resolver.resolve(query)
    assert match.imdb_id == imdb_id, (query, match)


def test_embedded_catalogue_has_no_disambiguator_left(bokeh_catalogue: Catalogue) -> None:
    left = [item.title for item in bokeh_catalogue if strip_disambiguator(item.title)]
    assert left == []
    faust = bokeh_catalogue.by_imdb("tt1437357")
    assert faust is not None
    assert (faust.title, faust.year, faust.aliases) == ("Faust", 2011, ["Faust (2011 film)"])


def test_table_source_strips_disambiguators(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "films.csv"
    path.write_text("name,yr\nGodspell (film),1973\nFaust (2011 film),\nHeat,1995\n")
    cat = load_table(path, {"title": "name", "year": "yr"})
    rows = [(i.title, i.year, i.aliases) for i in cat]
    assert rows == [("Godspell", 1973, ["Godspell (film)"]),
                    ("Faust", 2011, ["Faust (2011 film)"]), ("Heat", 1995, [])]
    resolver = TitleResolver(cat)
    assert resolver.resolve("Godspell (1973)").title == "Godspell"
    assert resolver.resolve("Faust (2011 film)").year == 2011


def test_item_display_after_ingest() -> None:
    item = Item(item_id="tt0070121", title="Godspell", year=1973)
    assert item.display == "Godspell (1973)"


def test_catalog_parse_cli_reads_only_the_solution(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from typer.testing import CliRunner

    from datagen.cli.main import app

    answer = tmp_path / "answer.txt"
    answer.write_text(REASONING_ANSWER, encoding="utf-8")
    res = CliRunner().invoke(app, ["catalog", "parse", str(answer), "--json"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.output.splitlines() if line.startswith("{")]
    assert [r["imdb_id"] for r in rows] == ["tt0114709", "tt1049413", "tt1022603"]


@pytest.mark.parametrize(("text", "expected"), [
    # bare answer lines that start like prose ("My", "You") but are whole titles
    ("You might enjoy:\nMy Name is Nobody (1973)\nYou Might as Well Live (2009)",
     ["My Name is Nobody (1973)", "You Might as Well Live (2009)"]),
    ("This is Spinal Tap (1984) is a classic.", ["This is Spinal Tap (1984)"]),
    ("My favourite is Heat (1995).", ["Heat (1995)"]),
])
def test_lower_case_title_words_is_and_as(text: str, expected: list[str]) -> None:
    assert extract_titles(text) == expected


def test_punctuation_twins_prefer_the_exact_spelling(resolver: TitleResolver) -> None:
    # "X/Y" and "X+Y" (both 2014) share every normalized key: the exact text decides
    assert resolver.resolve("X/Y (2014)").title == "X/Y"
    assert resolver.resolve("X+Y (2014)").title == "X+Y"
    assert resolver.resolve("My Name is Nobody (1973)").imdb_id == "tt0070215"
