"""Token, call and cost accounting for a run (what ``stats.json`` and the progress bar show).

One :class:`UsageMeter` can be shared by several backends (generator and judge): figures are
kept per model and summed. Thread-safe, so a progress bar may read it while workers write.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

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
    timeouts: int = 0
    throttled: int = 0
    server_errors: int = 0

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
            "timeouts": self.timeouts,
            "throttled": self.throttled,
            "server_errors": self.server_errors,
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
        #: id(owner) -> (backend, model, its adaptive limiter); see :meth:`register_limiter`
        self._limiters: dict[int, tuple[str, str, Any]] = {}

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

    def record_event(self, model: str, kind: str) -> None:
        """Count one failed attempt by kind: ``timeouts``, ``throttled`` (429) or
        ``server_errors`` (5xx); the retries themselves are counted when the call ends."""
        with self._lock:
            c = self._counts(model)
            setattr(c, kind, getattr(c, kind) + 1)

    def register_limiter(self, owner: object, backend: str, model: str, limiter: Any) -> None:
        """Report ``limiter`` (its ``limit`` of ``ceiling``) in snapshots, one per ``owner``
        (a backend that rebuilt its limiter for a new event loop replaces the old one)."""
        with self._lock:
            self._limiters[id(owner)] = (backend, model, limiter)

    def concurrency(self) -> list[dict[str, Any]]:
        """Current in-flight limit of every registered backend (what the progress shows)."""
        with self._lock:
            limiters = list(self._limiters.values())
        return [{"backend": b, "model": m, "limit": lim.limit, "ceiling": lim.ceiling,
                 "lowest": lim.lowest, "decreases": lim.decreases} for b, m, lim in limiters]

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
                             "output_tokens", "cached_input_tokens", "cached_output_tokens",
                             "timeouts", "throttled", "server_errors"):
                    setattr(total, name, getattr(total, name) + getattr(c, name))
                total.cost_usd += c.cost_usd
                total.priced = total.priced and c.priced
            data: dict[str, object] = {
                **total.as_dict(),
                "models": {m: c.as_dict() for m, c in sorted(self._models.items())},
                "prices": {m: p.model_dump() for m, p in sorted(self._prices.items())},
            }
        data["concurrency"] = self.concurrency()
        return data
