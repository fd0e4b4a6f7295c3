"""Anthropic Messages API through the official ``anthropic`` SDK.

The Messages API takes the system prompt apart from the turns, so system messages are joined
into ``system``. It has no JSON mode: json mode adds a one-line instruction to the system
prompt and prefills the assistant turn with ``{``, which is put back in front of the text.
The SDK takes neither a seed nor a temperature (current models fix sampling server-side):
both still belong to the cache key.
"""

from __future__ import annotations

from typing import Any

from datagen.llm.failures import MalformedResponseError
from datagen.llm.retrying import RetryingBackend
from datagen.llm.types import ChatRequest, ChatResult, Usage

__all__ = ["JSON_INSTRUCTION", "AnthropicBackend"]

JSON_INSTRUCTION = "Answer with one JSON object only, no prose before or after it."
JSON_PREFILL = "{"


class AnthropicBackend(RetryingBackend):
    name = "anthropic"

    def _make_client(self) -> Any:
        import anthropic

        return anthropic.AsyncAnthropic(
            api_key=self._key.get_secret_value(),
            base_url=self.config.base_url,
            timeout=self.config.timeout,
            max_retries=0,
            default_headers=self.config.extra_headers or None,
            http_client=anthropic.DefaultAioHttpClient() if self.config.http_client == "aiohttp"
            else None,
        )

    def request_params(self, request: ChatRequest) -> dict[str, Any]:
        """The keyword arguments of ``messages.create`` for ``request``."""
        system = [m.content for m in request.messages if m.role == "system"]
        turns = [{"role": m.role, "content": m.content}
                 for m in request.messages if m.role != "system"]
        if request.json_mode:
            system.append(JSON_INSTRUCTION)
            if self.config.json_prefill:
                turns.append({"role": "assistant", "content": JSON_PREFILL})
        params: dict[str, Any] = {
            "model": self.model,
            "messages": turns,
            "max_tokens": request.max_tokens,
        }
        if system:
            params["system"] = "\n\n".join(system)
        return params

    async def _call_once(self, client: Any, request: ChatRequest) -> ChatResult:
        message = await client.messages.create(**self.request_params(request))
        blocks = getattr(message, "content", None)
        if not isinstance(blocks, list):
            raise MalformedResponseError("response has no content list")
        text = "".join(getattr(b, "text", "") for b in blocks if getattr(b, "type", "") == "text")
        if request.json_mode and self.config.json_prefill:
            text = JSON_PREFILL + text
        usage = message.usage
        return ChatResult(
            text=text,
            usage=Usage(
                input_tokens=int(getattr(usage, "input_tokens", 0) or 0),
                output_tokens=int(getattr(usage, "output_tokens", 0) or 0),
            ),
            finish_reason=message.stop_reason,
            raw=message.model_dump_json(exclude_none=True),
            backend=self.name,
            model=self.model,
        )
