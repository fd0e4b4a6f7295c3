"""The one title resolver against the real embedded catalogue (hard cases + match details)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from catalogue_hard_cases import HARD_CASES

from datagen.catalogue import Catalogue, Item, TitleResolver


def test_there_are_at_least_40_hard_cases() -> None:
    assert len(HARD_CASES) >= 40


@pytest.mark.parametrize(("query", "expected"), HARD_CASES)
def test_hard_case(resolver: TitleResolver, query: str, expected: str | None) -> None:
    match = resolver.resolve(query)
    assert match.imdb_id == expected, match
    assert match.matched == (expected is not None)
    if expected is None:
        assert match.match == "none" and match.reason


def test_exact_match_kind(resolver: TitleResolver) -> None:
    match = resolver.resolve("The Dark Knight (2008)")
    assert (match.match, match.score, match.year_distance) == ("exact", 100.0, 0)
    assert match.title == "The Dark Knight" and match.year == 2008


def test_normalized_match_kind(resolver: TitleResolver) -> None:
    match = resolver.resolve("Dark Knight, The (2008)")
    assert match.match == "normalized" and match.item_id == "tt0468569"


def test_fuzzy_match_has_score_below_100(resolver: TitleResolver) -> None:
    match = resolver.resolve("The Shawshank Redemtion")
    assert match.match == "fuzzy" and 90 <= match.score < 100


def test_year_off_by_one_reports_distance(resolver: TitleResolver) -> None:
    match = resolver.resolve("Psycho (1999)")
    assert match.imdb_id == "tt0155975" and match.year_distance == 1


def test_large_year_gap_is_a_mismatch_with_reason(resolver: TitleResolver) -> None:
    match = resolver.resolve("King Kong (1933)")
    assert match.match == "none"
    assert match.reason is not None and match.reason.startswith("year mismatch")
    assert "1976" in match.reason and "2005" in match.reason


def test_no_year_and_remakes_pick_most_popular_and_say_ambiguous(
        resolver: TitleResolver, bokeh_catalogue: Catalogue) -> None:
    match = resolver.resolve("Carrie")
    carries = [i for i in bokeh_catalogue.items if i.title == "Carrie"]
    assert len(carries) == 3
    assert match.item_id == max(carries, key=lambda i: i.popularity).item_id
    assert match.reason == "ambiguous: 3 candidates"


def test_year_argument_overrides_written_year(resolver: TitleResolver) -> None:
    assert resolver.resolve("Psycho (1998)", year=1960).imdb_id == "tt0054215"
    assert resolver.resolve("The Thing", year=1982).imdb_id == "tt0084787"


def test_quiet_place_never_snaps_to_the_1968_film(resolver: TitleResolver) -> None:
    for query in ("A Quiet Place (2018)", "A Quiet Place", "Quiet Place", "a quiet place 2018"):
        assert resolver.resolve(query).imdb_id != "tt0065119", query


def test_main_title_shared_by_several_films_needs_a_year(resolver: TitleResolver) -> None:
    match = resolver.resolve("Star Wars")
    assert match.match == "none" and match.reason is not None
    assert match.reason.startswith("ambiguous:") and "give a year" in match.reason
    assert resolver.resolve("Star Wars", year=1980).imdb_id == "tt0080684"


def test_empty_and_junk_queries(resolver: TitleResolver) -> None:
    assert resolver.resolve("").match == "none"
    assert resolver.resolve("   ").reason == "empty title"
    assert resolver.resolve("xqzvw plomk").reason == "not in catalogue"


def test_resolve_many_keeps_order_and_caches(resolver: TitleResolver) -> None:
    queries = ["Heat (1995)", "Jaws", "Heat (1995)", "No Such Film Anywhere"]
    matches = resolver.resolve_many(queries)
    assert [m.query for m in matches] == queries
    assert matches[0] is matches[2]
    assert [m.imdb_id for m in matches] == ["tt0113277", "tt0073195", "tt0113277", None]


def test_resolve_many_with_years(resolver: TitleResolver) -> None:
    matches = resolver.resolve_many(["Psycho", "Psycho", "Heat"], years=[1960, 1998, None])
    assert [m.imdb_id for m in matches] == ["tt0054215", "tt0155975", "tt0113277"]


def _tiny(*items: Item) -> TitleResolver:
    return TitleResolver(Catalogue(items))


def test_aliases_are_resolved() -> None:
    resolver = _tiny(Item(item_id="x1", title="Seven", year=1995, aliases=["Se7en"]))
    assert resolver.resolve("Se7en (1995)").item_id == "x1"


def test_items_without_year_match_any_year() -> None:
    resolver = _tiny(Item(item_id="x1", title="The Mummy"))
    match = resolver.resolve("The Mummy (1999)")
    assert match.item_id == "x1" and match.year_distance is None


def test_same_title_same_year_is_ambiguous_and_deterministic() -> None:
    a = Item(item_id="a", title="Twin", year=2000, popularity=5)
    b = Item(item_id="b", title="Twin", year=2000, popularity=9)
    for items in ((a, b), (b, a)):
        match = _tiny(*items).resolve("Twin (2000)")
        assert match.item_id == "b" and match.reason == "ambiguous: 2 candidates"


def test_fuzzy_guard_rejects_extensions_and_other_sequel_numbers() -> None:
    resolver = _tiny(
        Item(item_id="q", title="A Quiet Place in the Country", year=1968),
        Item(item_id="t3", title="Toy Story 3", year=2010),
    )
    assert resolver.resolve("A Quiet Place in the Cuontry").item_id == "q"  # a typo is fine
    assert resolver.resolve("A Quiet Place in the Countr").item_id is None  # truncation is not
    assert resolver.resolve("A Quiet Place").item_id is None
    assert resolver.resolve("Toy Story 4 (2010)").item_id is None


def test_custom_cutoff_is_respected() -> None:
    items = (Item(item_id="s", title="The Shawshank Redemption", year=1994),)
    assert _tiny(*items).resolve("Shawshank Redemtion").item_id == "s"
    strict = TitleResolver(Catalogue(items), fuzzy_cutoff=99.0)
    assert strict.resolve("Shawshank Redemtion").item_id is None


def test_movielens_titles_resolve_to_their_linked_imdb_ids(
        shared_data: Path, bokeh_catalogue: Catalogue, resolver: TitleResolver) -> None:
    """Real-world check: MovieLens writes titles its own way ("Dark Knight, The (2008)",
    "Infernal Affairs (Mou gaan dou) (2002)") and links each film to IMDb."""
    folder = shared_data / "ml-latest-small"
    links = {row["movieId"]: f"tt{int(row['imdbId']):07d}"
             for row in csv.DictReader((folder / "links.csv").open())}
    found = wrong = present = absent = absent_matched = 0
    for row in csv.DictReader((folder / "movies.csv").open()):
        imdb = links[row["movieId"]]
        match = resolver.resolve(row["title"])
        if bokeh_catalogue.by_imdb(imdb) is not None:
            present += 1
            found += match.imdb_id == imdb
            wrong += match.imdb_id not in (None, imdb)
        else:
            absent += 1
            absent_matched += match.imdb_id is not None
    assert present > 7000 and found / present > 0.96 and wrong <= 5
    assert absent_matched / absent < 0.02
