"""Split sizes that make an evaluation meaningless: empty, or too small to be stratified.

Why: ``--verified-only`` keeps only the human-accepted samples, often a few dozen early in
annotation. Dealt in 0.9/0.05/0.05, two accepted samples give empty validation and test files,
which every later stage reads without complaint. A held-out split is *too small to be
stratified* when it has fewer samples than there are trait labels (each trait, plus
``control``) among the kept samples: it cannot hold one sample of each. :func:`size_problems`
names each such split; :func:`split_samples` refuses a verified-only split with problems
unless ``force`` is set, and reports them (``size_problems``) in every run.
"""

from __future__ import annotations

from collections.abc import Mapping

from datagen.errors import ConfigError

__all__ = ["SplitTooSmallError", "check_verified_sizes", "size_problems"]


class SplitTooSmallError(ConfigError):
    """A ``--verified-only`` split would be empty or too small to be stratified."""


def size_problems(counts: Mapping[str, int], ratios: Mapping[str, float],
                  labels: int) -> list[str]:
    """One phrase per split asked for (ratio > 0) that is empty or holds < ``labels`` samples."""
    out = []
    for name, ratio in ratios.items():
        n = counts.get(name, 0)
        if ratio <= 0:
            continue
        if n == 0:
            out.append(f"{name} would be empty")
        elif n < labels:
            out.append(f"{name} would hold {n} sample{'s' if n != 1 else ''} for {labels} "
                       "trait labels (too few to be stratified)")
    return out


def check_verified_sizes(problems: list[str], kept: int, *, force: bool) -> None:
    """Raise :class:`SplitTooSmallError` for ``problems`` unless ``force``."""
    if problems and not force:
        raise SplitTooSmallError(
            f"--verified-only: {'; '.join(problems)} ({kept} accepted samples kept); annotate "
            "more, change --ratios, or pass --force to write them anyway")
