"""Write an evaluation as ``metrics.json``, a markdown comparison and a PNG plot.

The JSON is the full :class:`~datagen.evaluate.models.EvaluationReport`; the markdown holds
the side-by-side table of the headline metrics, a per-trait table of NDCG and SVR and, for
splits with context variants, each model's metrics per variant with the paired differences
between variants; the
plot puts each model at (SVR@K, NDCG@K) with its bootstrap intervals, so the safety /
relevance trade-off is visible at a glance (lower-right is unsafe, upper-left is the goal).
"""

from __future__ import annotations

from pathlib import Path

from datagen.evaluate.acquisition_metrics import ACQUISITION_METRICS
from datagen.evaluate.metrics import metric_names
from datagen.evaluate.models import EvaluationReport, MetricValue, ModelReport
from datagen.parquet_io import atomic_write_bytes

__all__ = [
    "compat_metrics",
    "format_value",
    "headline_metrics",
    "plot_tradeoff",
    "to_markdown",
    "variant_columns",
    "variant_metrics",
    "write_report",
]


def headline_metrics(report: EvaluationReport) -> list[str]:
    """Metric keys shown in tables: every metric at every K, then the match rates."""
    return [*metric_names(report.ks), *_acquisition_keys(report)]


def _acquisition_keys(report: EvaluationReport) -> list[str]:
    return [k for k in ACQUISITION_METRICS if any(k in m.overall.metrics for m in report.models)]


def variant_metrics(report: EvaluationReport) -> list[str]:
    """The metrics of per-variant tables: each one at the focus K, then acquisition's."""
    k = _focus_k(report)
    return [f"{m}@{k}" for m in ("recall", "ndcg", "hit", "svr", "sdcg", "unknown")] + \
        _acquisition_keys(report)


def variant_columns(model: ModelReport) -> list[tuple[str, dict[str, MetricValue]]]:
    """``(header, metrics)`` of a model's per-variant table: each variant, then each paired
    difference (``explicit - implicit (n pairs)``)."""
    cols = [(f"{v} ({g.n_samples})", g.metrics) for v, g in model.by_variant.items()]
    cols += [(f"{d.minuend} - {d.subtrahend} ({d.n_pairs} pairs)", d.metrics)
             for d in model.variant_differences]
    return cols


def _variant_tables(report: EvaluationReport) -> list[str]:
    out: list[str] = []
    for m in report.models:
        if not m.by_variant:
            continue
        cols = variant_columns(m)
        rows = [[key] + [format_value(metrics.get(key)) for _, metrics in cols]
                for key in variant_metrics(report)]
        out += ["", f"### {m.name}", ""]
        out += _table(["metric", *[h for h, _ in cols]], rows)
    if out:
        out = ["", "## Per context variant", "",
               "Each metric per variant; a difference is the mean over pairs (same user, "
               "traits and ground truth) of variant A minus variant B, with an interval from "
               "resampled pairs.", *out]
    return out


def format_value(mv: MetricValue | None, *, ci: bool = True, ci_digits: int = 3) -> str:
    """``0.412 [0.398, 0.431]``; ``n/a`` when the metric is undefined for the group."""
    if mv is None or mv.value is None:
        return "n/a"
    if not ci or mv.low is None or mv.high is None:
        return f"{mv.value:.3f}"
    return f"{mv.value:.3f} [{mv.low:.{ci_digits}f}, {mv.high:.{ci_digits}f}]"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def _focus_k(report: EvaluationReport) -> int:
    return 10 if 10 in report.ks else report.ks[len(report.ks) // 2]


def to_markdown(report: EvaluationReport) -> str:
    """The comparison as markdown: headline table, coverage counts, per-trait NDCG/SVR."""
    models = report.models
    out = [
        f"# SafeRec evaluation: split `{report.split}`",
        "",
        f"{report.n_samples} samples, taxonomy `{report.taxonomy_version}`; "
        f"{int(report.confidence * 100)}% bootstrap intervals from {report.resamples} "
        f"resamples (seed {report.seed}).",
        "",
        "## Metrics",
        "",
    ]
    rows = [[key] + [format_value(m.overall.metrics.get(key)) for m in models]
            for key in headline_metrics(report)]
    out += _table(["metric", *[m.name for m in models]], rows)
    out += ["", "## Coverage", ""]
    count_keys = ["with_prediction", "missing", "errors", "empty", "parse_failures",
                  "titles_parsed", "titles_resolved"]
    rows = [[k] + [str(getattr(m.counts, k)) for m in models] for k in count_keys]
    out += _table(["count", *[m.name for m in models]], rows)
    k = _focus_k(report)
    out += ["", f"## Per trait (NDCG@{k} / SVR@{k})", ""]
    traits = sorted({t for m in models for t in m.by_trait})
    rows = []
    for t in traits:
        row = [t, str(models[0].by_trait[t].n_samples) if t in models[0].by_trait else "0"]
        for m in models:
            g = m.by_trait.get(t)
            nd = format_value(g.metrics.get(f"ndcg@{k}"), ci=False) if g else "n/a"
            sv = format_value(g.metrics.get(f"svr@{k}"), ci=False) if g else "n/a"
            row.append(f"{nd} / {sv}")
        rows.append(row)
    if any(m.control for m in models):
        row = ["(control)", str(next(m.control.n_samples for m in models if m.control))]
        for m in models:
            nd = format_value(m.control.metrics.get(f"ndcg@{k}"), ci=False) if m.control else "n/a"
            row.append(f"{nd} / n/a")
        rows.append(row)
    out += _table(["trait", "samples", *[m.name for m in models]], rows)
    out += _compat_markdown(report)
    out += _variant_tables(report)
    return "\n".join(out) + "\n"


def compat_metrics(report: EvaluationReport) -> list[str]:
    """Keys of the ``--compat`` block (empty without one), in table order."""
    if report.compat is None:
        return []
    from datagen.evaluate.compat import compat_metric_names

    return compat_metric_names(report.compat, report.ks)


def _compat_markdown(report: EvaluationReport) -> list[str]:
    keys = compat_metrics(report)
    if not keys:
        return []
    label = next((m.compat.label for m in report.models if m.compat), "")
    out = ["", f"## `{report.compat}` compatibility metrics (not SafeRec's)", "", f"> {label}.",
           "> See docs/evaluation.md for the differences.", ""]
    rows = [[key] + [format_value(m.compat.overall.metrics.get(key)) if m.compat else "n/a"
                     for m in report.models] for key in keys]
    return out + _table(["metric", *[m.name for m in report.models]], rows)


def _err(mv: MetricValue) -> list[list[float]]:
    """Error-bar lengths below/above the value (a percentile interval may sit beside a
    skewed mean with very few samples, so lengths are clipped at 0)."""
    value = mv.value or 0.0
    low = value if mv.low is None else mv.low
    high = value if mv.high is None else mv.high
    return [[max(value - low, 0.0)], [max(high - value, 0.0)]]


def plot_tradeoff(report: EvaluationReport, path: str | Path, k: int | None = None) -> Path:
    """PNG scatter of NDCG@K against SVR@K per model, with bootstrap error bars."""
    import io

    from matplotlib.figure import Figure  # the OO API: no pyplot, no global backend change

    k = k or _focus_k(report)
    fig = Figure(figsize=(6.4, 4.8), dpi=110)
    ax = fig.add_subplot()
    for m in report.models:
        nd, sv = m.overall.metrics[f"ndcg@{k}"], m.overall.metrics[f"svr@{k}"]
        if nd.value is None or sv.value is None:
            continue
        ax.errorbar(sv.value, nd.value, xerr=_err(sv), yerr=_err(nd), fmt="o", capsize=4,
                    label=m.name)
        ax.annotate(m.name, (sv.value, nd.value), textcoords="offset points", xytext=(6, 6))
    ax.set_xlabel(f"SVR@{k} (safety violation rate, lower is safer)")
    ax.set_ylabel(f"NDCG@{k} (higher is more relevant)")
    ax.set_title(f"SafeRec {report.split}: relevance vs. safety ({report.n_samples} samples)")
    ax.grid(True, alpha=0.3)
    if report.models:
        ax.legend(loc="best", fontsize="small")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return atomic_write_bytes(buf.getvalue(), path)


def write_report(report: EvaluationReport, out_dir: str | Path) -> dict[str, Path]:
    """Write ``metrics.json``, ``metrics.md`` and ``metrics.png`` into ``out_dir`` (and
    ``metrics_variants.png`` when the split has context variants)."""
    out = Path(out_dir)
    paths = {
        "json": atomic_write_bytes(report.model_dump_json(indent=2).encode(), out / "metrics.json"),
        "markdown": atomic_write_bytes(to_markdown(report).encode(), out / "metrics.md"),
        "plot": plot_tradeoff(report, out / "metrics.png"),
    }
    if any(m.by_variant for m in report.models):
        from datagen.evaluate.variant_plot import plot_variant_tradeoff

        paths["variant plot"] = plot_variant_tradeoff(report, out / "metrics_variants.png")
    return paths
