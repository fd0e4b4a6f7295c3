"""Coarse taste groups of films, shared by the user sampler and the validity statistics.

A film falls in exactly one group: the first of :data:`GENRE_GROUPS` whose genres it has
(Animation / Family first, since that is the lean the tags create; then the genres that carry
most triggers). The sampler balances first favourites over these groups; the statistics
measure whether the groups tell trait users from controls.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["GENRE_GROUPS", "OTHER_GROUP", "genre_group"]

#: (name, genres), first match wins
GENRE_GROUPS: tuple[tuple[str, frozenset[str]], ...] = (
    ("animation_family", frozenset({"Animation", "Family"})),
    ("horror", frozenset({"Horror"})),
    ("thriller_crime", frozenset({"Thriller", "Crime", "Mystery", "Film-Noir"})),
    ("action_adventure", frozenset({"Action", "Adventure", "War", "Western"})),
    ("scifi_fantasy", frozenset({"Sci-Fi", "Fantasy"})),
    ("documentary", frozenset({"Documentary"})),
    ("comedy", frozenset({"Comedy"})),
    ("romance_musical", frozenset({"Romance", "Musical", "Music"})),
    ("drama", frozenset({"Drama", "Biography", "History", "Sport"})),
)
#: the group of a film with none of those genres
OTHER_GROUP = len(GENRE_GROUPS)


def genre_group(genres: Sequence[str]) -> int:
    """Index of the first :data:`GENRE_GROUPS` entry the genres fall in (else OTHER_GROUP)."""
    have = set(genres)
    for i, (_, members) in enumerate(GENRE_GROUPS):
        if have & members:
            return i
    return OTHER_GROUP
