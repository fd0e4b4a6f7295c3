"""Catalogue sources: one loader per input format, each returning a :class:`Catalogue`.

Every loader raises a one-line :class:`~datagen.errors.InputError` naming the file, the line
and the column for a missing file or column or a malformed row. Input formats are documented
in ``docs/catalogue.md``. :func:`merge_catalogues` joins the results by IMDb id.
"""

from datagen.catalogue.merge import merge_catalogues
from datagen.catalogue.sources.bokeh import bokeh_movies_path, load_bokeh
from datagen.catalogue.sources.imdb import IMDB_TITLE_TYPES, load_imdb_basics
from datagen.catalogue.sources.movielens import load_movielens, load_movielens_tags
from datagen.catalogue.sources.redial import load_redial_movies
from datagen.catalogue.sources.table import TABLE_FIELDS, load_table

__all__ = [
    "IMDB_TITLE_TYPES",
    "TABLE_FIELDS",
    "bokeh_movies_path",
    "load_bokeh",
    "load_imdb_basics",
    "load_movielens",
    "load_movielens_tags",
    "load_redial_movies",
    "load_table",
    "merge_catalogues",
]
