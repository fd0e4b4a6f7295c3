"""The one item model of the catalogue, and the result type of the one title resolver."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Item", "MatchKind", "TitleMatch"]


class Item(BaseModel):
    """A catalogue item (a film in the movie domain).

    ``item_id`` is stable across runs: the IMDb id when known (``tt0468569``), otherwise a
    source-prefixed id (``ml:123``, ``redial:75796``, ``csv:<hash>``).
    """

    model_config = ConfigDict(extra="forbid")

    item_id: str
    title: str
    year: int | None = None
    imdb_id: str | None = None
    genres: list[str] = Field(default_factory=list)
    mpaa_rating: str | None = None
    directors: list[str] = Field(default_factory=list)
    writers: list[str] = Field(default_factory=list)
    cast: list[str] = Field(default_factory=list)
    #: popularity signal when a source has one (vote / review / rating counts); 0 if unknown
    popularity: float = 0.0
    #: source names this item was seen in, e.g. ["bokeh", "movielens"]
    sources: list[str] = Field(default_factory=list)
    #: ids of the item in other sources, e.g. {"movielens": "1", "redial": "75796"}
    external_ids: dict[str, str] = Field(default_factory=dict)
    #: other titles the item is known under (original-language title, a merged duplicate's
    #: title, MovieLens "a.k.a." titles); the resolver indexes them too
    aliases: list[str] = Field(default_factory=list)

    @property
    def display(self) -> str:
        """``Title (Year)``: the form every export and prompt writes."""
        return f"{self.title} ({self.year})" if self.year else self.title


MatchKind = str  # one of: "exact", "normalized", "fuzzy", "none"


class TitleMatch(BaseModel):
    """What the resolver made of one string."""

    model_config = ConfigDict(extra="forbid")

    query: str
    item_id: str | None = None
    imdb_id: str | None = None
    title: str | None = None
    year: int | None = None
    #: "exact" | "normalized" | "fuzzy" | "none"
    match: str
    score: float = 0.0  # 100 for exact/normalized, rapidfuzz score for fuzzy
    year_distance: int | None = None
    reason: str | None = None  # why there is no match, or why it is ambiguous

    @property
    def matched(self) -> bool:
        return self.match != "none"
