"""Token, call and cost accounting for a run (what ``stats.json`` and the progress bar show).

One :class:`UsageMeter` can be shared by several backends (generator and judge): figures are
kept per model and summed. Thread-safe, so a progress bar may read it while workers write.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from datagen.llm.config import Prices
from datagen.llm.types import ChatResult

__all__ = ["UsageMeter"]


@dataclass
class _Counts:
    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    failures: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cached_output_tokens: int = 0
    cost_usd: float = 0.0
    priced: bool = True

    def as_dict(self) -> dict[str, int | float | bool]:
        return {
            "calls": self.calls,
            "cache_hits": self.cache_hits,
            "retries": self.retries,
            "failures": self.failures,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "cached_output_tokens": self.cached_output_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "priced": self.priced,
        }


class UsageMeter:
    """Counts network calls, cache hits, retries, failures, tokens and cost per model.

    ``calls`` counts successful results that came over the network; cache hits cost nothing
    and their tokens are counted apart (``cached_*``). Cost uses the prices the backend
    passes (its config or the default table); a model without a price is ``priced: false``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, _Counts] = {}
        self._prices: dict[str, Prices] = {}

    def _counts(self, model: str) -> _Counts:
        return self._models.setdefault(model, _Counts())

    def record_call(self, result: ChatResult, prices: Prices | None) -> None:
        with self._lock:
            c = self._counts(result.model)
            c.calls += 1
            c.retries += max(0, result.attempts - 1)
            c.input_tokens += result.usage.input_tokens
            c.output_tokens += result.usage.output_tokens
            if prices is None:
                c.priced = False
            else:
                self._prices[result.model] = prices
                c.cost_usd += prices.cost(result.usage.input_tokens, result.usage.output_tokens)

    def record_cache_hit(self, result: ChatResult) -> None:
        with self._lock:
            c = self._counts(result.model)
            c.cache_hits += 1
            c.cached_input_tokens += result.usage.input_tokens
            c.cached_output_tokens += result.usage.output_tokens

    def record_failure(self, model: str, attempts: int) -> None:
        with self._lock:
            c = self._counts(model)
            c.failures += 1
            c.retries += max(0, attempts - 1)

    @property
    def cost_usd(self) -> float:
        with self._lock:
            return sum(c.cost_usd for c in self._models.values())

    @property
    def total_tokens(self) -> int:
        with self._lock:
            return sum(c.input_tokens + c.output_tokens for c in self._models.values())

    def snapshot(self) -> dict[str, object]:
        """Totals plus a per-model breakdown, JSON-ready for ``stats.json``."""
        with self._lock:
            total = _Counts()
            for c in self._models.values():
                for name in ("calls", "cache_hits", "retries", "failures", "input_tokens",
                             "output_tokens", "cached_input_tokens", "cached_output_tokens"):
                    setattr(total, name, getattr(total, name) + getattr(c, name))
                total.cost_usd += c.cost_usd
                total.priced = total.priced and c.priced
            return {
                **total.as_dict(),
                "models": {m: c.as_dict() for m, c in sorted(self._models.items())},
                "prices": {m: p.model_dump() for m, p in sorted(self._prices.items())},
            }
