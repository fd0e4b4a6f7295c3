"""Figures that describe a catalogue (for `datagen catalog stats` and run reports)."""

from __future__ import annotations

from collections import Counter

from datagen.catalogue.store import Catalogue

__all__ = ["catalogue_stats"]


def catalogue_stats(catalogue: Catalogue, *, top: int = 10) -> dict[str, object]:
    """Counts: items, IMDb coverage, year range, per source, top genres and MPAA ratings."""
    years = [item.year for item in catalogue.items if item.year is not None]
    sources: Counter[str] = Counter(s for item in catalogue.items for s in item.sources)
    genres: Counter[str] = Counter(g for item in catalogue.items for g in item.genres)
    ratings: Counter[str] = Counter(
        item.mpaa_rating for item in catalogue.items if item.mpaa_rating)
    return {
        "name": catalogue.name,
        "items": len(catalogue),
        "with_imdb_id": sum(1 for item in catalogue.items if item.imdb_id),
        "with_year": len(years),
        "year_min": min(years) if years else None,
        "year_max": max(years) if years else None,
        "with_mpaa_rating": sum(ratings.values()),
        "sources": dict(sources.most_common()),
        "top_genres": dict(genres.most_common(top)),
        "mpaa_ratings": dict(ratings.most_common()),
        "fingerprint": catalogue.fingerprint,
    }
