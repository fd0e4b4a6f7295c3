"""NDCG@K against SVR@K per model *and* context variant: where each model moves when the
user's sensitivity is stated, implied or absent.

:func:`variant_points` flattens an :class:`~datagen.evaluate.models.EvaluationReport` into
one row per (model, variant) with both metrics and their intervals (a report without
variants gives one ``(all)`` row per model); :func:`plot_variant_tradeoff` draws them, one
colour per model, one marker per variant, lines joining a model's variants in
``explicit -> implicit -> absent`` order. ``datagen evaluate`` writes it as
``metrics_variants.png`` for splits with variants; the tour notebook shows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datagen.evaluate.models import EvaluationReport, GroupReport
from datagen.parquet_io import atomic_write_bytes

__all__ = ["plot_variant_tradeoff", "variant_points"]

_MARKERS = {"explicit": "^", "implicit": "o", "absent": "s", "acquisition": "D", "(all)": "o"}


def _focus(report: EvaluationReport, k: int | None) -> int:
    return k or (10 if 10 in report.ks else report.ks[len(report.ks) // 2])


def variant_points(report: EvaluationReport, k: int | None = None) -> Any:
    """A polars frame: model, variant, samples, ndcg, ndcg_low/high, svr, svr_low/high."""
    import polars as pl

    k = _focus(report, k)
    rows = []
    for m in report.models:
        groups: dict[str, GroupReport] = dict(m.by_variant) or {"(all)": m.overall}
        for variant, g in groups.items():
            nd, sv = g.metrics.get(f"ndcg@{k}"), g.metrics.get(f"svr@{k}")
            rows.append({"model": m.name, "variant": variant, "samples": g.n_samples,
                         "ndcg": nd.value if nd else None, "ndcg_low": nd.low if nd else None,
                         "ndcg_high": nd.high if nd else None,
                         "svr": sv.value if sv else None, "svr_low": sv.low if sv else None,
                         "svr_high": sv.high if sv else None})
    schema = {"model": pl.String, "variant": pl.String, "samples": pl.Int64,
              **{c: pl.Float64 for c in ("ndcg", "ndcg_low", "ndcg_high", "svr", "svr_low",
                                         "svr_high")}}
    return pl.DataFrame(rows, schema=schema)


def _bar(value: float, low: float | None, high: float | None) -> list[list[float]]:
    return [[max(value - (low if low is not None else value), 0.0)],
            [max((high if high is not None else value) - value, 0.0)]]


def plot_variant_tradeoff(report: EvaluationReport, path: str | Path,
                          k: int | None = None) -> Path:
    """PNG: NDCG@K (y) against SVR@K (x) per model and variant, with bootstrap intervals."""
    import io

    from matplotlib.figure import Figure

    k = _focus(report, k)
    points = variant_points(report, k).drop_nulls(["ndcg", "svr"])
    fig = Figure(figsize=(7.2, 5.2), dpi=110)
    ax = fig.add_subplot()
    colours = {name: f"C{i % 10}" for i, name in enumerate(dict.fromkeys(points["model"]))}
    for model, colour in colours.items():
        rows = points.filter(points["model"] == model).to_dicts()
        if len(rows) > 1:
            ax.plot([r["svr"] for r in rows], [r["ndcg"] for r in rows], color=colour,
                    alpha=0.4, linewidth=1)
        for r in rows:
            ax.errorbar(r["svr"], r["ndcg"], xerr=_bar(r["svr"], r["svr_low"], r["svr_high"]),
                        yerr=_bar(r["ndcg"], r["ndcg_low"], r["ndcg_high"]), color=colour,
                        marker=_MARKERS.get(r["variant"], "o"), capsize=3, linestyle="none")
    for model, colour in colours.items():
        ax.plot([], [], color=colour, marker="o", linestyle="none", label=model)
    for variant in dict.fromkeys(points["variant"]):
        ax.plot([], [], color="black", marker=_MARKERS.get(variant, "o"), linestyle="none",
                label=f"variant: {variant}")
    ax.set_xlabel(f"SVR@{k} (safety violation rate, lower is safer)")
    ax.set_ylabel(f"NDCG@{k} (higher is more relevant)")
    ax.set_title(f"SafeRec {report.split}: relevance vs. safety per context variant")
    ax.grid(True, alpha=0.3)
    if len(points):
        ax.legend(loc="best", fontsize="small")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return atomic_write_bytes(buf.getvalue(), path)
