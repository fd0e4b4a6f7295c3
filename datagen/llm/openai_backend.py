"""OpenAI chat completions through the official ``openai`` SDK.

With ``base_url`` the same backend reaches any OpenAI-compatible server: vLLM
(``http://host:8000/v1``), Ollama (``http://host:11434/v1``), llama.cpp server, LM Studio.

A request's JSON Schema goes out in the backend's structured mode (see
:mod:`datagen.llm.structured`): with ``structured_output="auto"`` the first request that
carries a schema (or the preflight, earlier) probes the chain ``json_schema`` ->
``json_object_schema`` -> ``json_object`` -> ``prompt`` once and keeps the first mode whose
answer to the probe actually conforms. JSON mode without a schema sends
``{"type": "json_object"}`` except in ``prompt`` mode. A server that later answers 400
naming ``response_format`` moves the backend one step down the chain for its lifetime.
"""

from __future__ import annotations

import json
from typing import Any

from datagen.llm.failures import MalformedResponseError, classify
from datagen.llm.ratelimit import estimate_tokens
from datagen.llm.retrying import RetryingBackend
from datagen.llm.structured import (
    OPENAI_CHAIN,
    PROBE_REQUEST,
    StructuredMode,
    probe_verdict,
    without_keywords,
)
from datagen.llm.types import ChatRequest, ChatResult, Usage

__all__ = ["OpenAIBackend", "response_format"]

#: probe attempts per mode when the server is briefly overloaded (429 / 5xx / timeout)
_PROBE_TRIES = 3


def response_format(request: ChatRequest, mode: StructuredMode, *,
                    vendor: bool = False) -> dict[str, Any] | None:
    """The ``response_format`` of ``request`` in ``mode`` (None: send none).

    ``vendor``: the request goes to OpenAI's own API, whose strict mode refuses the string
    length keywords that local grammar builders honour (they keep a small model from
    answering an empty string or running one string up to the token budget): they are left
    out there.
    """
    schema = request.response_schema
    if mode is StructuredMode.prompt or (schema is None and not request.json_mode):
        return None
    if schema is None or mode is StructuredMode.json_object:
        return {"type": "json_object"}
    if mode is StructuredMode.json_object_schema:
        return {"type": "json_object", "schema": schema.schema_}
    body = without_keywords(schema.schema_, _VENDOR_UNSUPPORTED) if vendor else schema.schema_
    return {"type": "json_schema",
            "json_schema": {"name": schema.name, "schema": body, "strict": schema.strict}}


#: JSON Schema keywords OpenAI's strict mode does not accept
_VENDOR_UNSUPPORTED = frozenset({"minLength", "maxLength"})


class OpenAIBackend(RetryingBackend):
    name = "openai"

    def _make_client(self) -> Any:
        import openai

        return openai.AsyncOpenAI(
            api_key=self._key.get_secret_value(),
            base_url=self.config.base_url,
            timeout=self.config.timeout,
            max_retries=0,
            default_headers=self.config.extra_headers or None,
            http_client=openai.DefaultAioHttpClient() if self.config.http_client == "aiohttp"
            else None,
        )

    def _current_mode(self) -> StructuredMode:
        """The mode in force; before a probe, the vendor API's ``json_schema`` or, for other
        servers, plain ``json_object`` (the batch path uses the vendor API)."""
        if self.structured_mode is not None:
            return self.structured_mode
        return StructuredMode.json_schema if not self.config.base_url \
            else StructuredMode.json_object

    def request_params(self, request: ChatRequest,
                       mode: StructuredMode | None = None) -> dict[str, Any]:
        """The body of ``chat.completions.create`` for ``request`` (the one place a
        ChatRequest becomes an OpenAI request: live calls and batch files both use it)."""
        params: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": request.temperature,
            self.config.max_tokens_param: request.max_tokens,
        }
        if request.seed is not None:
            params["seed"] = request.seed
        fmt = response_format(request, mode or self._current_mode(),
                              vendor=not self.config.base_url)
        if fmt is not None:
            params["response_format"] = fmt
        return params

    async def _call_once(self, client: Any, request: ChatRequest,
                         mode: StructuredMode | None = None) -> ChatResult:
        import openai

        params = self.request_params(request, mode)
        try:
            completion = await _create(client, params)
        except openai.BadRequestError as exc:
            if mode is not None or "response_format" not in params \
                    or "response_format" not in str(exc):
                raise
            # the server rejects this form after all: one step down, for the backend's life
            self._step_down(f"rejected during the run: {classify(exc).detail[:120]}")
            params = self.request_params(request)
            completion = await _create(client, params)
        return self._result(completion)

    def _step_down(self, why: str) -> None:
        current = self._current_mode()
        chain = list(OPENAI_CHAIN)
        index = chain.index(current) if current in chain else len(chain) - 2
        self.probe_report[current.value] = why
        self.structured_mode = chain[min(index + 1, len(chain) - 1)]

    def _result(self, body: str) -> ChatResult:
        """The chat-completion body (JSON text) as a ChatResult; ``raw`` is the body as sent."""
        data = json.loads(body)
        choices = data.get("choices") if isinstance(data, dict) else None
        first = choices[0] if isinstance(choices, list) and choices else None
        message = first.get("message") if isinstance(first, dict) else None
        if not isinstance(message, dict):
            raise MalformedResponseError("response has no choices[0].message")
        text = message.get("content")
        if not isinstance(text, str):
            raise MalformedResponseError("choices[0].message.content is not a string")
        usage = data.get("usage") or {}
        return ChatResult(
            text=text,
            usage=Usage(input_tokens=int(usage.get("prompt_tokens") or 0),
                        output_tokens=int(usage.get("completion_tokens") or 0)),
            finish_reason=first.get("finish_reason"),  # type: ignore[union-attr]
            raw=body, backend=self.name, model=self.model,
        )

    async def _probe(self) -> StructuredMode:
        """Walk the chain once; keep the first mode whose probe answer conforms."""
        for mode in OPENAI_CHAIN:
            if mode is StructuredMode.prompt:
                self.probe_report[mode.value] = "ok (the prompt alone asks for JSON)"
                return mode
            verdict = await self._probe_mode(mode)
            self.probe_report[mode.value] = verdict
            if verdict == "ok":
                return mode
        return StructuredMode.prompt  # pragma: no cover - the chain ends with prompt

    async def _probe_mode(self, mode: StructuredMode) -> str:
        """"ok", or why ``mode`` does not work; unreachable / bad key raise BackendError."""
        import asyncio

        state = self._loop_state()
        estimate = estimate_tokens([m.content for m in PROBE_REQUEST.messages],
                                   PROBE_REQUEST.max_tokens)
        for attempt in range(1, _PROBE_TRIES + 1):
            try:
                result = await self._attempt(state, PROBE_REQUEST, estimate, mode)
            except Exception as exc:
                failure = classify(exc)
                if failure.status in (401, 403, 404):
                    raise self.error(exc, attempt) from None
                if failure.retryable and attempt < _PROBE_TRIES and not failure.rejects_form:
                    await asyncio.sleep(self._delay(exc, attempt))
                    continue
                if failure.kind in ("timeout", "connection"):
                    raise self.error(exc, attempt) from None
                what = f"HTTP {failure.status}" if failure.status else failure.kind
                return f"{what}: {' '.join(failure.detail.split())[:120]}"
            return probe_verdict(mode, result.text)
        return "no answer"  # pragma: no cover - the loop returns or raises


async def _create(client: Any, params: dict[str, Any]) -> str:
    """``chat.completions.create(**params)`` without the SDK's per-call transforms: the
    response body as text.

    ``create`` walks every message through each member of the message-type union (typing
    introspection, ~1 ms of CPU a call with a few messages: a third of the client-side cost
    at 64 in flight), and builds a ``ChatCompletion`` model of the answer field by field
    (about as much again). Our params are plain JSON (string contents, no aliased or
    formatted fields), which that transform returns unchanged, so the body is posted as is
    through the client's documented ``post`` (same endpoint, auth, timeout, retries off,
    status errors); ``cast_to=str`` hands back the body, which :meth:`OpenAIBackend._result`
    reads with ``json`` (and keeps, byte for byte, as the result's ``raw``).
    """
    return str(await client.post("/chat/completions", body=params, cast_to=str,
                                 options=_REQUEST_OPTIONS))


#: what ``create`` passes: bearer auth on (SDKs that predate per-request security ignore it)
_REQUEST_OPTIONS: dict[str, Any] = {"security": {"bearer_auth": True}}
