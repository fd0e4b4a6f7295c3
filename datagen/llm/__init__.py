"""The LLM layer: one async chat protocol, SDK backends, a response cache, usage accounting.

``make_backend(BackendConfig(kind="openai", model=...))`` gives a backend with retries,
adaptive concurrency (:mod:`~datagen.llm.adaptive`), rate limits, a consecutive-failure
guard (:mod:`~datagen.llm.guard`) and structured outputs (:mod:`~datagen.llm.structured`);
``CachedBackend(backend, ResponseCache(path))`` makes reruns free; ``await
datagen.llm.preflight.preflight(*backends)`` checks servers before any work;
``UsageMeter.snapshot()`` feeds ``stats.json`` and the progress display.
:mod:`datagen.llm.fake_server` is a test double of the OpenAI and Anthropic HTTP APIs (not
an LLM).
"""

from __future__ import annotations

from datagen.llm.cache import CachedBackend, ResponseCache, cache_key
from datagen.llm.config import DEFAULT_PRICES, BackendConfig, Prices, load_backend_config
from datagen.llm.factory import make_backend
from datagen.llm.structured import StructuredMode, strict_object
from datagen.llm.types import ChatBackend, ChatRequest, ChatResult, Message, ResponseSchema, Usage
from datagen.llm.usage import UsageMeter

__all__ = [
    "DEFAULT_PRICES",
    "BackendConfig",
    "CachedBackend",
    "ChatBackend",
    "ChatRequest",
    "ChatResult",
    "Message",
    "Prices",
    "ResponseCache",
    "ResponseSchema",
    "StructuredMode",
    "Usage",
    "UsageMeter",
    "cache_key",
    "load_backend_config",
    "make_backend",
    "strict_object",
]
