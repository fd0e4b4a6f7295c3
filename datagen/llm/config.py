"""Backend configuration: which server, which model, how hard to push it, what it costs.

The API key is a :class:`~pydantic.SecretStr` and is read lazily — only when a backend is
built — from, in order: the ``api_key`` field, an explicitly given ``api_key_file``, or the
environment variable of the backend kind (``OPENAI_API_KEY`` / ``ANTHROPIC_API_KEY``). It is
never serialized: :meth:`BackendConfig.redacted` is what manifests and logs store.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from datagen.errors import ConfigError

__all__ = [
    "DEFAULT_PRICES",
    "KEY_ENV_VARS",
    "BackendConfig",
    "Prices",
    "default_prices",
    "load_backend_config",
]

#: Environment variable read for each backend kind when no key is given explicitly.
KEY_ENV_VARS: dict[str, str] = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}

#: Placeholder key sent to self-hosted OpenAI-compatible servers (vLLM, Ollama, llama.cpp)
#: that ignore keys, when ``base_url`` is set and no key is configured.
LOCAL_SERVER_KEY = "EMPTY"


class Prices(BaseModel):
    """USD per one million tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    input_per_mtok: float = Field(ge=0.0)
    output_per_mtok: float = Field(ge=0.0)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6


#: List prices (USD / 1M tokens) of a few known models, as published by the vendors in
#: 2025. Prices change: pass ``prices`` in the config for real accounting.
DEFAULT_PRICES: dict[str, Prices] = {
    "gpt-4o": Prices(input_per_mtok=2.50, output_per_mtok=10.00),
    "gpt-4o-mini": Prices(input_per_mtok=0.15, output_per_mtok=0.60),
    "gpt-4.1": Prices(input_per_mtok=2.00, output_per_mtok=8.00),
    "gpt-4.1-mini": Prices(input_per_mtok=0.40, output_per_mtok=1.60),
    "gpt-4.1-nano": Prices(input_per_mtok=0.10, output_per_mtok=0.40),
    "claude-3-5-haiku-latest": Prices(input_per_mtok=0.80, output_per_mtok=4.00),
    "claude-3-haiku-20240307": Prices(input_per_mtok=0.25, output_per_mtok=1.25),
    "claude-sonnet-4-0": Prices(input_per_mtok=3.00, output_per_mtok=15.00),
    "claude-opus-4-0": Prices(input_per_mtok=15.00, output_per_mtok=75.00),
}


def default_prices(model: str) -> Prices | None:
    """The table's price of ``model`` (exact name, then longest known prefix), or None."""
    if model in DEFAULT_PRICES:
        return DEFAULT_PRICES[model]
    prefixes = [name for name in DEFAULT_PRICES if model.startswith(name)]
    return DEFAULT_PRICES[max(prefixes, key=len)] if prefixes else None


class BackendConfig(BaseModel):
    """Everything needed to build a chat backend (see :func:`datagen.llm.make_backend`)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["openai", "anthropic"]
    model: str = Field(min_length=1)
    #: OpenAI-compatible servers: ``http://host:port/v1``; Anthropic: ``http://host:port``
    base_url: str | None = None
    api_key: SecretStr | None = None
    #: a file holding the key: either the bare key, or YAML/JSON with an ``api_key`` field
    api_key_file: Path | None = None
    timeout: float = Field(default=60.0, gt=0)
    #: retries after the first attempt (429, 5xx, timeouts, connection and malformed bodies)
    max_retries: int = Field(default=6, ge=0)
    backoff_initial: float = Field(default=1.0, ge=0)
    backoff_max: float = Field(default=60.0, ge=0)
    #: longest Retry-After we obey; a longer one is capped to this
    retry_after_max: float = Field(default=120.0, ge=0)
    concurrency: int = Field(default=16, ge=1)
    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)
    #: None = the default price table; unknown models then cost 0 and are reported unpriced
    prices: Prices | None = None
    extra_headers: dict[str, str] = Field(default_factory=dict)
    #: send OpenAI ``response_format={"type": "json_object"}`` in json mode; turn off for
    #: servers that reject it (the prompt must then ask for JSON itself)
    json_response_format: bool = True
    #: the SDK's HTTP transport: "aiohttp" (about half the CPU per call of "httpx", which
    #: matters at hundreds of calls per second) or the SDK default "httpx"
    http_client: Literal["aiohttp", "httpx"] = "aiohttp"
    #: Anthropic json mode prefills the reply with "{"; turn off for models that reject prefills
    json_prefill: bool = True
    #: OpenAI reasoning models want ``max_completion_tokens`` instead of ``max_tokens``
    max_tokens_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    #: how a request's JSON Schema is sent (:mod:`datagen.llm.structured`); "auto" probes an
    #: OpenAI-compatible server once for the strongest mode it enforces, and uses a forced
    #: tool call with Anthropic
    structured_output: Literal["auto", "json_schema", "json_object_schema", "json_object",
                               "prompt", "tool"] = "auto"
    #: AIMD: halve the in-flight limit on timeouts / 429 / 5xx, grow it back to
    #: ``concurrency`` on successes (off: always ``concurrency``)
    adaptive_concurrency: bool = True
    #: abort the run after this many requests in a row failed after retries (0 = never)
    max_consecutive_failures: int = Field(default=10, ge=0)
    #: seconds the preflight waits for the server (reachability, key, model) before failing
    preflight_timeout: float = Field(default=10.0, gt=0)

    @property
    def max_attempts(self) -> int:
        return self.max_retries + 1

    @model_validator(mode="after")
    def _check_structured(self) -> BackendConfig:
        tool = self.structured_output == "tool"
        if tool != (self.kind == "anthropic") and self.structured_output not in ("auto", "prompt"):
            raise ValueError(f"structured_output {self.structured_output!r} does not apply to "
                             f"the {self.kind} backend")
        return self

    @property
    def url(self) -> str:
        """The server the backend talks to (the vendor's API when no base_url is set)."""
        if self.base_url:
            return self.base_url
        return "https://api.openai.com/v1" if self.kind == "openai" else "https://api.anthropic.com"

    def effective_prices(self) -> Prices | None:
        return self.prices if self.prices is not None else default_prices(self.model)

    def resolve_api_key(self) -> SecretStr:
        """Find the key now (never at import time); raise ConfigError naming where we looked."""
        if self.api_key is not None and self.api_key.get_secret_value():
            return self.api_key
        if self.api_key_file is not None:
            return SecretStr(_read_key_file(self.api_key_file, self.kind))
        env_name = KEY_ENV_VARS[self.kind]
        value = os.environ.get(env_name, "").strip()
        if value:
            return SecretStr(value)
        if self.base_url is not None:
            return SecretStr(LOCAL_SERVER_KEY)
        raise ConfigError(
            f"no API key for the {self.kind} backend: set {env_name}, pass an api_key_file, "
            "or give --base-url for a local server that needs none"
        )

    def redacted(self) -> dict[str, Any]:
        """A JSON-ready dump for manifests and logs: the key is never included."""
        data = self.model_dump(mode="json", exclude={"api_key"})
        data["api_key"] = "***" if self.api_key is not None else None
        data["api_key_env"] = KEY_ENV_VARS[self.kind]
        return data

    def __repr__(self) -> str:  # pydantic's repr already masks SecretStr; be explicit anyway
        return f"BackendConfig({self.redacted()!r})"


def _read_key_file(path: Path, kind: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the API key file ({exc.strerror})") from None
    key = _key_from_mapping(text, kind) if text[:1] in "{" or ":" in text else text
    if not key or any(ch.isspace() for ch in key):
        raise ConfigError(f"{path}: no API key found (expected the bare key or 'api_key: ...')")
    return key


def _key_from_mapping(text: str, kind: str) -> str:
    import yaml

    try:
        data = json.loads(text) if text.startswith("{") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError):
        return ""
    if not isinstance(data, dict):
        return ""
    for name in ("api_key", KEY_ENV_VARS[kind], KEY_ENV_VARS[kind].lower()):
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def load_backend_config(path: str | Path, **overrides: Any) -> BackendConfig:
    """Read a BackendConfig from YAML or JSON; ``overrides`` (e.g. CLI options) win.

    Errors name the file and the field. A key may sit in the file (``api_key``), but a
    separate ``api_key_file`` or the environment keeps it out of shared configs.
    """
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the backend config ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML/JSON ({' '.join(str(exc).split())})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the backend config must be a mapping")
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return BackendConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "config"
        raise ConfigError(f"{path}: field '{where}': {first['msg']}") from None
