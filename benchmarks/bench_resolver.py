"""Benchmark the title resolver: 10,000 perturbed titles against the embedded catalogue.

Queries are drawn deterministically (seeded) from the catalogue and perturbed the way people
and models write titles: case, moved articles, punctuation, years off by one, typos, no year,
and films that are not in the catalogue at all. Prints load / build / resolve wall times (and
the resolve CPU time: the machine is shared), match kinds and accuracy per perturbation, and
peak RSS.

With ../shared/data present it also resolves every MovieLens title as MovieLens writes it and
compares with the IMDb id MovieLens links it to.

Run: python benchmarks/bench_resolver.py [--n 10000] [--seed 7] [--movielens DIR]
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from datagen.catalogue import Catalogue, Item, TitleResolver, load_default_catalogue
from datagen.catalogue.titles import title_key

_SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ABSENT = [  # real films released after the catalogue's last year (2014)
    "A Quiet Place (2018)", "Parasite (2019)", "Get Out (2017)", "Blade Runner 2049",
    "Spider-Man: Homecoming (2017)", "Toy Story 4 (2019)", "Black Panther (2018)",
    "Dune (2021)", "Everything Everywhere All at Once (2022)", "Oppenheimer (2023)",
    "The Shape of Water (2017)", "Joker (2019)", "Knives Out (2019)", "Barbie (2023)",
    "Hereditary (2018)", "Midsommar (2019)", "Coco (2017)", "Arrival (2016)",
]
KINDS = ("exact", "case", "article", "punctuation", "year_off_by_one", "no_year", "typo",
         "absent")


def _typo(title: str, rng: random.Random) -> str:
    words = title.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long_words:
        return title
    index = rng.choice(long_words)
    word = words[index]
    pos = rng.randrange(1, len(word) - 2)
    words[index] = word[:pos] + word[pos + 1] + word[pos] + word[pos + 2:]
    return " ".join(words)


def _article(item: Item) -> str:
    for article in ("The ", "A ", "An "):
        if item.title.startswith(article):
            return f"{item.title[len(article):]}, {article.strip()} ({item.year})"
    return f"The {item.title} ({item.year})"


def _perturb(kind: str, item: Item, rng: random.Random) -> str:
    if kind == "exact":
        return item.display
    if kind == "case":
        return rng.choice([str.lower, str.upper])(item.display)
    if kind == "article":
        return _article(item)
    if kind == "punctuation":
        stripped = item.title.replace("'", "").replace("-", " ").replace(":", "")
        return rng.choice([f"**{stripped}** ({item.year}).", f'"{stripped}"', f"{stripped}!"])
    if kind == "year_off_by_one":
        return f"{item.title} ({(item.year or 2000) + rng.choice((-1, 1))})"
    if kind == "no_year":
        return item.title
    if kind == "typo":
        return f"{_typo(item.title, rng)} ({item.year})"
    if rng.random() < 0.3:
        return rng.choice(ABSENT)
    first = rng.choice(["Midnight", "Crimson", "Silent", "Velvet", "Hollow", "Paper"])
    second = rng.choice(["Algorithm", "Meridian", "Lanterns", "Cartographer", "Orchards"])
    return f"{first} {second} ({rng.randrange(1940, 2026)})"  # invented, inside the years


def _correct(kind: str, item: Item, match_id: str | None, catalogue_keys: dict) -> bool:
    if kind == "absent":
        return match_id is None
    if match_id == item.item_id:
        return True
    # same normalized title and year (duplicates in the data) counts as right
    return match_id is not None and catalogue_keys.get(match_id) == catalogue_keys[item.item_id]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--movielens", type=Path, default=_SHARED / "ml-latest-small",
                        help="MovieLens folder for the real-title check (skipped if absent)")
    args = parser.parse_args(argv)

    start, cpu_start = time.perf_counter(), time.process_time()
    catalogue = load_default_catalogue()
    load_s, load_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    start, cpu_start = time.perf_counter(), time.process_time()
    resolver = TitleResolver(catalogue)
    build_s, build_cpu = time.perf_counter() - start, time.process_time() - cpu_start

    rng = random.Random(args.seed)
    queries: list[tuple[str, Item, str]] = []
    for i in range(args.n):
        kind = KINDS[i % len(KINDS)]
        item = rng.choice(catalogue.items)
        queries.append((kind, item, _perturb(kind, item, rng)))
    start, cpu_start = time.perf_counter(), time.process_time()
    matches = resolver.resolve_many(q for _, _, q in queries)
    resolve_s = time.perf_counter() - start
    resolve_cpu = time.process_time() - cpu_start

    keys = {item.item_id: (title_key(item.title), item.year) for item in catalogue.items}
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    right: Counter[str] = Counter()
    for (kind, item, _), match in zip(queries, matches, strict=True):
        by_kind[kind][match.match] += 1
        right[kind] += _correct(kind, item, match.item_id, keys)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"catalogue items      {len(catalogue):>8,}")
    print(f"load                 {load_s:8.2f} s (CPU {load_cpu:.2f} s)")
    print(f"resolver build       {build_s:8.2f} s (CPU {build_cpu:.2f} s)")
    print(f"resolve {len(queries):,} titles {resolve_s:7.2f} s "
          f"({len(queries) / resolve_s:,.0f}/s; {len({q for _, _, q in queries}):,} distinct; "
          f"CPU {resolve_cpu:.2f} s)")
    print(f"peak RSS             {peak_mib:8.0f} MiB")
    print(f"{'perturbation':<16}{'n':>6}{'correct':>9}  match kinds")
    for kind in KINDS:
        total = sum(by_kind[kind].values())
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(by_kind[kind].items()))
        print(f"{kind:<16}{total:>6}{right[kind] / max(total, 1):>9.1%}  {kinds}")
    overall = Counter(m.match for m in matches)
    print("all", dict(sorted(overall.items())))
    if args.movielens.is_dir():
        _movielens_check(args.movielens, catalogue, resolver)
    return 0


def _movielens_check(folder: Path, catalogue: Catalogue, resolver: TitleResolver) -> None:
    """Real titles: MovieLens' own spelling of each film vs the IMDb id it links to."""
    with (folder / "links.csv").open() as handle:
        links = {row["movieId"]: f"tt{int(row['imdbId']):07d}" for row in csv.DictReader(handle)}
    with (folder / "movies.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    start = time.perf_counter()
    matches = resolver.resolve_many(row["title"] for row in rows)
    seconds = time.perf_counter() - start
    counts: Counter[str] = Counter()
    for row, match in zip(rows, matches, strict=True):
        imdb = links[row["movieId"]]
        if catalogue.by_imdb(imdb) is None:
            counts["absent: matched something" if match.imdb_id else "absent: no match"] += 1
        else:
            counts["present: right id" if match.imdb_id == imdb else
                   "present: no match" if match.imdb_id is None else "present: other id"] += 1
    present = sum(v for k, v in counts.items() if k.startswith("present"))
    print(f"MovieLens titles     {len(rows):,} in {seconds:.2f} s; right id for "
          f"{counts['present: right id'] / present:.1%} of the {present:,} films in the "
          f"catalogue; {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    sys.exit(main())
