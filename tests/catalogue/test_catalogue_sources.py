"""Loaders on small fixtures written here, on ../shared/data, and their one-line errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datagen.catalogue import Catalogue
from datagen.catalogue.sources import (
    load_imdb_basics,
    load_movielens,
    load_movielens_tags,
    load_redial_movies,
    load_table,
)
from datagen.errors import InputError


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _movielens(folder: Path, *, movies: str | None = None, links: str | None = None) -> Path:
    _write(folder / "movies.csv", movies or (
        "movieId,title,genres\n"
        "1,\"Dark Knight, The (2008)\",Action|Crime|Drama\n"
        "2,Seven (a.k.a. Se7en) (1995),Mystery|Thriller\n"
        "3,Babylon 5,(no genres listed)\n"))
    _write(folder / "links.csv",
           links or "movieId,imdbId,tmdbId\n1,0468569,155\n2,114369,807\n3,,\n")
    _write(folder / "ratings.csv",
           "userId,movieId,rating,timestamp\n1,1,4.0,1\n2,1,5.0,2\n3,2,3,3\n")
    _write(folder / "tags.csv", "userId,movieId,tag,timestamp\n1,1,Dark,1\n2,1,dark ,2\n"
                                "1,2,serial killer,3\n1,99,orphan,4\n")
    return folder


def test_movielens_fixture(tmp_path: Path) -> None:
    catalogue = load_movielens(_movielens(tmp_path / "ml"))
    dark = catalogue.get("tt0468569")
    assert dark is not None and dark.title == "The Dark Knight" and dark.year == 2008
    assert dark.genres == ["Action", "Crime", "Drama"] and dark.popularity == 2
    assert dark.external_ids == {"movielens": "1", "tmdb": "155"}
    seven = catalogue.get("tt0114369")
    assert seven is not None and seven.title == "Seven" and seven.aliases == ["Se7en"]
    babylon = catalogue.get("ml:3")
    assert babylon is not None and babylon.year is None and babylon.genres == []


def test_movielens_tags(tmp_path: Path) -> None:
    folder = _movielens(tmp_path / "ml")
    tags = load_movielens_tags(folder, load_movielens(folder))
    assert tags == [("tt0114369", "serial killer", 1), ("tt0468569", "dark", 2)]


@pytest.mark.parametrize(("movies", "links", "where"), [
    ("movieId,name,genres\n1,X (1999),A\n", None, "field 'title'"),
    ("movieId,title,genres\nabc,X (1999),A\n", None, "line 2: field 'movieId'"),
    ("movieId,title,genres\n1,X (1999),A\n2,Y (2000,A\n3,Z (2000),B,extra\n", None, "line 4"),
    ("movieId,title,genres\n1,X (19x9),A\n", None, "line 2: field 'title': bad year"),
    ("movieId,title,genres\n1,X (1234),A\n", None, "line 2: field 'title': bad year"),
    (None, "movieId,imdbId,tmdbId\n1,tt04x,1\n", "links.csv: line 2: field 'imdbId'"),
])
def test_movielens_errors_name_file_line_and_column(tmp_path: Path, movies: str | None,
                                                    links: str | None, where: str) -> None:
    folder = _movielens(tmp_path / "ml", movies=movies, links=links)
    with pytest.raises(InputError) as info:
        load_movielens(folder)
    message = str(info.value)
    assert where in message and "\n" not in message and str(folder) in message


def test_movielens_missing_folder_and_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_movielens(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"movies\.csv: file not found"):
        load_movielens(tmp_path / "empty")


def test_redial_fixture_and_errors(tmp_path: Path) -> None:
    path = _write(tmp_path / "movies.csv", "movieId,movieName,nbMentions\n"
                  "75796,Headhunter  (2009),1\n76171,The Mummy ,10\n")
    catalogue = load_redial_movies(path)
    assert [(i.item_id, i.title, i.year, i.popularity) for i in catalogue] == [
        ("redial:75796", "Headhunter", 2009, 1.0), ("redial:76171", "The Mummy", None, 10.0)]
    assert catalogue.by_external("redial", "76171") is catalogue.get("redial:76171")
    _write(path, "movieId,movieName,nbMentions\n1,A (2001),x\n")
    with pytest.raises(InputError, match="line 2: field 'nbMentions'"):
        load_redial_movies(path)
    _write(path, "movieId,title\n1,A\n")
    with pytest.raises(InputError, match="field 'movieName'"):
        load_redial_movies(path)


IMDB_TSV = (
    "tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear"
    "\truntimeMinutes\tgenres\n"
    "tt0211915\tmovie\tAmélie\tLe fabuleux destin d'Amélie Poulain\t0\t2001\t\\N\t122"
    "\tComedy,Romance\n"
    "tt0000001\tshort\tCarmencita\tCarmencita\t0\t1894\t\\N\t1\tDocumentary,Short\n"
    "tt0100000\ttvMovie\tSome TV Film\tSome TV Film\t0\t\\N\t\\N\t90\t\\N\n"
)


def test_imdb_basics_plain_and_gzip(tmp_path: Path) -> None:
    plain = _write(tmp_path / "title.basics.tsv", IMDB_TSV)
    packed = tmp_path / "title.basics.tsv.gz"
    packed.write_bytes(gzip.compress(IMDB_TSV.encode()))
    for path in (plain, packed):
        catalogue = load_imdb_basics(path)
        assert [i.item_id for i in catalogue] == ["tt0211915", "tt0100000"]
        amelie = catalogue.get("tt0211915")
        assert amelie is not None and amelie.year == 2001
        assert amelie.aliases == ["Le fabuleux destin d'Amélie Poulain"]
        assert amelie.genres == ["Comedy", "Romance"]
        assert catalogue.get("tt0100000").year is None  # type: ignore[union-attr]


def test_imdb_basics_errors(tmp_path: Path) -> None:
    bad_year = IMDB_TSV.replace("\t2001\t", "\t20x1\t")
    with pytest.raises(InputError, match="line 2: field 'startYear'"):
        load_imdb_basics(_write(tmp_path / "a.tsv", bad_year))
    with pytest.raises(InputError, match="field 'titleType'"):
        load_imdb_basics(_write(tmp_path / "b.tsv", "tconst\tprimaryTitle\ntt1\tX\n"))


def test_table_csv_and_parquet_with_mapping(tmp_path: Path) -> None:
    mapping = {"title": "name", "year": "yr", "imdb_id": "imdb", "genres": "tags"}
    csv = _write(tmp_path / "films.csv", "name,yr,imdb,tags\nHeat,1995,tt0113277,Crime|Drama\n"
                 "Unknown Film,,,\n")
    catalogue = load_table(csv, mapping)
    assert [i.item_id for i in catalogue] == ["tt0113277", "films:3"]
    assert catalogue.get("tt0113277").genres == ["Crime", "Drama"]  # type: ignore[union-attr]
    parquet = tmp_path / "films.parquet"
    pq.write_table(pa.table({"name": ["Heat"], "yr": [1995], "imdb": ["113277"],
                             "tags": [["Crime"]]}), parquet)
    item = load_table(parquet, mapping).items[0]
    assert (item.item_id, item.year, item.genres) == ("tt0113277", 1995, ["Crime"])


def test_table_errors(tmp_path: Path) -> None:
    csv = _write(tmp_path / "films.csv", "name,yr\nHeat,1995\nRonin,nineteen\n")
    with pytest.raises(InputError, match="line 3: field 'yr'"):
        load_table(csv, {"title": "name", "year": "yr"})
    with pytest.raises(InputError, match="field 'year_col'"):
        load_table(csv, {"title": "name", "year": "year_col"})
    with pytest.raises(InputError, match="unknown mapping keys"):
        load_table(csv, {"title": "name", "rating": "yr"})
    with pytest.raises(InputError, match="file not found"):
        load_table(tmp_path / "nope.csv", {"title": "name"})


def test_shared_movielens_and_redial(shared_data: Path, bokeh_catalogue: Catalogue) -> None:
    movielens = load_movielens(shared_data / "ml-latest-small")
    assert len(movielens) > 9000
    toy = movielens.get("tt0114709")
    assert toy is not None and toy.title == "Toy Story" and toy.year == 1995
    tags = load_movielens_tags(shared_data / "ml-latest-small", bokeh_catalogue)
    assert len(tags) > 2000 and all(bokeh_catalogue.get(item_id) for item_id, _, _ in tags)
    redial = load_redial_movies(shared_data / "redial" / "movies_with_mentions.csv")
    assert len(redial) > 6000
