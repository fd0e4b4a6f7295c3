"""The movie catalogue, its sources, and the ONE title resolver of the project.

``load_default_catalogue()`` gives the embedded CC0 bokeh-sampledata films; build a
:class:`TitleResolver` once on a catalogue and resolve every title any stage meets with it;
``extract_titles`` pulls title strings out of model output.
"""

from datagen.catalogue.merge import merge_catalogues
from datagen.catalogue.models import Item, TitleMatch
from datagen.catalogue.parse import extract_titles
from datagen.catalogue.resolver import TitleResolver
from datagen.catalogue.store import CATALOGUE_SCHEMA, Catalogue
from datagen.catalogue.titles import normalize_title, split_title_year, title_key

__all__ = [
    "CATALOGUE_SCHEMA",
    "Catalogue",
    "Item",
    "TitleMatch",
    "TitleResolver",
    "extract_titles",
    "load_default_catalogue",
    "merge_catalogues",
    "normalize_title",
    "split_title_year",
    "title_key",
]


def load_default_catalogue() -> Catalogue:
    """The embedded default: bokeh-sampledata's 17,470 distinct films (CC0), item id = IMDb id.

    Nothing is cached globally: call it once and pass the catalogue along.
    """
    from datagen.catalogue.sources.bokeh import load_bokeh

    return load_bokeh()
