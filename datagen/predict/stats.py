"""``stats.json`` of a predict run, counted from the merged records (a resumed run reports
the whole run): answers, call errors, answers without a single title (parse failures, as
``datagen evaluate`` will count them), tokens, and for acquisition runs the question figures.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from datagen.catalogue.parse import extract_titles
from datagen.evaluate.predictions import PredictionRecord
from datagen.predict.cases import Case

__all__ = ["compute_stats"]


def _acquisition(records: Sequence[PredictionRecord],
                 traits: dict[str, list[str]]) -> dict[str, Any] | None:
    traces = [(r.sample_id, r.meta.acquisition) for r in records
              if r.meta is not None and r.meta.acquisition is not None]
    if not traces:
        return None
    n = len(traces)
    with_traits = [(sid, t) for sid, t in traces if traits.get(sid)]
    return {
        "dialogues": n,
        "asked_share": round(sum(t.asked for _, t in traces) / n, 4),
        "questions_per_dialogue": round(sum(t.questions for _, t in traces) / n, 4),
        "revealed_share": round(sum(bool(t.revealed) for _, t in with_traits)
                                / len(with_traits), 4) if with_traits else None,
        "forced": sum(t.forced for _, t in traces),
        "volunteered": sum(len(t.volunteered) for _, t in traces),
        "user_fallbacks": sum(t.fallbacks for _, t in traces),
        "user": sorted({t.user for _, t in traces}),
    }


def _text_counts(records: Sequence[PredictionRecord]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for r in records:
        if r.meta is not None and r.meta.error is not None:
            counts["errors"] += 1
        elif r.titles is not None:
            counts["with_titles" if r.titles else "empty"] += 1
        elif not (r.text or "").strip():
            counts["empty"] += 1
        elif extract_titles(r.text or ""):
            counts["with_titles"] += 1
        else:
            counts["parse_failures"] += 1
    return counts


_KIND = re.compile(r"HTTP (\d{3})|(timed out|could not connect|malformed response)")


def _error_kind(message: str) -> str:
    """``http_429``, ``timed_out``, ``could_not_connect``, ``malformed_response`` or ``other``
    (prefixed ``user_`` when the simulated user's call failed)."""
    found = _KIND.search(message)
    kind = ("other" if found is None else
            f"http_{found.group(1)}" if found.group(1) else found.group(2).replace(" ", "_"))
    return f"user_{kind}" if message.startswith("simulated user") else kind


def compute_stats(records: Sequence[PredictionRecord], cases: Sequence[Case], *,
                  labels: dict[str, Any], duration_s: float, prices: tuple[float, float],
                  usage: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stats document; ``prices`` = USD per 1M input / output tokens (0 = unpriced)."""
    counts = _text_counts(records)
    metas = [r.meta for r in records if r.meta is not None]
    tokens_in = sum(m.usage.input_tokens for m in metas if m.usage)
    tokens_out = sum(m.usage.output_tokens for m in metas if m.usage)
    errors = Counter(_error_kind(m.error) for m in metas if m.error)
    variants = {c.sample_id: c.variant for c in cases}
    stats: dict[str, Any] = {
        "cases": len(cases),
        "answers": len(records),
        "with_titles": counts["with_titles"],
        "parse_failures": counts["parse_failures"],
        "empty": counts["empty"],
        "errors": counts["errors"],
        **{f"error_{kind}": n for kind, n in sorted(errors.items())},
        "variants": dict(Counter(variants.get(r.sample_id, "") for r in records)),
        "tokens": {"input": tokens_in, "output": tokens_out},
        "cost_usd": round((tokens_in * prices[0] + tokens_out * prices[1]) / 1e6, 6),
        "cached_answers": sum(bool(m.cached) for m in metas),
        "retries": sum(max(0, (m.attempts or 0) - 1) for m in metas if m.mode == "single"),
        "duration_s": round(duration_s, 3),
        **labels,
    }
    acquisition = _acquisition(records, {c.sample_id: c.traits for c in cases})
    if acquisition is not None:
        stats["acquisition"] = acquisition
    if usage is not None:
        stats["usage_this_session"] = usage
    return stats
