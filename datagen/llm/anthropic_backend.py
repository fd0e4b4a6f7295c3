"""Anthropic Messages API through the official ``anthropic`` SDK.

The Messages API takes the system prompt apart from the turns, so system messages are joined
into ``system``. A request with a JSON Schema becomes a forced tool call (structured mode
``tool``): one tool whose ``input_schema`` is the schema, ``tool_choice`` naming it; the
tool's input, dumped as JSON, is the result text (the task's parser still validates it).
Without a schema there is no JSON mode: json mode adds a one-line instruction to the system
prompt and prefills the assistant turn with ``{``, which is put back in front of the text.
The SDK takes neither a seed nor a temperature (current models fix sampling server-side):
both still belong to the cache key.
"""

from __future__ import annotations

import json
from typing import Any

from datagen.llm.failures import MalformedResponseError
from datagen.llm.retrying import RetryingBackend
from datagen.llm.structured import StructuredMode
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

    async def _probe(self) -> StructuredMode:
        """Every Messages API model takes forced tool calls: nothing to probe."""
        self.probe_report[StructuredMode.tool.value] = "ok (forced tool call)"
        return StructuredMode.tool

    def _uses_tool(self, request: ChatRequest, mode: StructuredMode | None) -> bool:
        chosen = mode or self.structured_mode or StructuredMode.tool
        return request.response_schema is not None and chosen is StructuredMode.tool

    def request_params(self, request: ChatRequest,
                       mode: StructuredMode | None = None) -> dict[str, Any]:
        """The body of ``messages.create`` for ``request`` (the one place a ChatRequest
        becomes an Anthropic request: live calls and batch files both use it)."""
        system = [m.content for m in request.messages if m.role == "system"]
        turns = [{"role": m.role, "content": m.content}
                 for m in request.messages if m.role != "system"]
        schema = request.response_schema
        tool = self._uses_tool(request, mode)
        if request.json_mode and not tool:
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
        if tool and schema is not None:
            params["tools"] = [{"name": schema.name, "input_schema": schema.schema_,
                                "description": "Record the answer in this exact structure."}]
            params["tool_choice"] = {"type": "tool", "name": schema.name}
        return params

    async def _call_once(self, client: Any, request: ChatRequest,
                         mode: StructuredMode | None = None) -> ChatResult:
        message = await client.messages.create(**self.request_params(request, mode))
        blocks = getattr(message, "content", None)
        if not isinstance(blocks, list):
            raise MalformedResponseError("response has no content list")
        tool_inputs = [b.input for b in blocks if getattr(b, "type", "") == "tool_use"]
        if self._uses_tool(request, mode) and tool_inputs:
            text = json.dumps(tool_inputs[0], ensure_ascii=False)
        else:
            text = "".join(getattr(b, "text", "") for b in blocks
                           if getattr(b, "type", "") == "text")
            if request.json_mode and self.config.json_prefill and not self._uses_tool(
                    request, mode):
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
