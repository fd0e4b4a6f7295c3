"""Build a chat backend from its config (the SDKs are imported only here, lazily)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datagen.errors import ConfigError
from datagen.llm.config import BackendConfig, Prices
from datagen.llm.types import ChatBackend
from datagen.llm.usage import UsageMeter

__all__ = ["make_backend", "run_backend"]


def make_backend(config: BackendConfig, *, meter: UsageMeter | None = None) -> ChatBackend:
    """An OpenAI or Anthropic backend with retries, limits and usage accounting.

    The API key is resolved now (a missing key raises ConfigError before any work starts).
    Wrap the result in :class:`datagen.llm.cache.CachedBackend` to cache responses.
    """
    if config.kind == "openai":
        from datagen.llm.openai_backend import OpenAIBackend

        return OpenAIBackend(config, meter=meter)
    from datagen.llm.anthropic_backend import AnthropicBackend

    return AnthropicBackend(config, meter=meter)


def run_backend(*, kind: str, model: str, base_url: str | None, concurrency: int,
                timeout: float, max_retries: int, structured_output: str,
                price_in: float, price_out: float, meter: UsageMeter,
                run_dir: Path, no_cache: bool = False, cache_path: Path | None = None) -> Any:
    """The backend a run command (``synthesize``, ``predict``) talks to: its options as a
    :class:`BackendConfig` (a bad option is a one-line ConfigError naming the backend), the
    backend, and in front of it the shared response cache
    (``<run dir>/../llm_cache.sqlite`` unless ``cache_path`` or ``no_cache``)."""
    from datagen.llm.cache import CachedBackend, ResponseCache

    prices = Prices(input_per_mtok=price_in, output_per_mtok=price_out) \
        if price_in or price_out else None
    try:
        config = BackendConfig(kind=kind, model=model, base_url=base_url,  # type: ignore[arg-type]
                               concurrency=concurrency, prices=prices, timeout=timeout,
                               max_retries=max_retries,
                               structured_output=structured_output)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigError(f"{kind} backend: {exc}") from None
    backend = make_backend(config, meter=meter)
    if no_cache:
        return backend
    return CachedBackend(backend, ResponseCache(cache_path or Path(run_dir).parent
                                                / "llm_cache.sqlite"), meter=meter)
