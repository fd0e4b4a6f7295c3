"""Build a chat backend from its config (the SDKs are imported only here, lazily)."""

from __future__ import annotations

from datagen.llm.config import BackendConfig
from datagen.llm.types import ChatBackend
from datagen.llm.usage import UsageMeter

__all__ = ["make_backend"]


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
