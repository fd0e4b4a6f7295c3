"""OpenAI chat completions through the official ``openai`` SDK.

With ``base_url`` the same backend reaches any OpenAI-compatible server: vLLM
(``http://host:8000/v1``), Ollama (``http://host:11434/v1``), llama.cpp server, LM Studio.
JSON mode sends ``response_format={"type": "json_object"}`` unless the config turns it off;
a server that answers 400 naming ``response_format`` gets the request again without it, and
no more of them for the backend's lifetime.
"""

from __future__ import annotations

from typing import Any

from datagen.llm.failures import MalformedResponseError
from datagen.llm.retrying import RetryingBackend
from datagen.llm.types import ChatRequest, ChatResult, Usage

__all__ = ["OpenAIBackend"]


class OpenAIBackend(RetryingBackend):
    name = "openai"
    #: turned off for the backend's lifetime when the server answers 400 to response_format
    _json_format_supported = True

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

    def request_params(self, request: ChatRequest) -> dict[str, Any]:
        """The keyword arguments of ``chat.completions.create`` for ``request``."""
        params: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": request.temperature,
            self.config.max_tokens_param: request.max_tokens,
        }
        if request.seed is not None:
            params["seed"] = request.seed
        if request.json_mode and self.config.json_response_format and self._json_format_supported:
            params["response_format"] = {"type": "json_object"}
        return params

    async def _call_once(self, client: Any, request: ChatRequest) -> ChatResult:
        import openai

        params = self.request_params(request)
        try:
            completion = await _create(client, params)
        except openai.BadRequestError as exc:
            if "response_format" not in params or "response_format" not in str(exc):
                raise
            # the server rejects JSON mode: stop sending it (the prompt asks for JSON anyway)
            self._json_format_supported = False
            params.pop("response_format")
            completion = await _create(client, params)
        choices = getattr(completion, "choices", None)
        if not choices or choices[0].message is None:
            raise MalformedResponseError("response has no choices[0].message")
        text = choices[0].message.content
        if not isinstance(text, str):
            raise MalformedResponseError("choices[0].message.content is not a string")
        usage = completion.usage
        return ChatResult(
            text=text,
            usage=Usage(
                input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            ),
            finish_reason=choices[0].finish_reason,
            raw=completion.model_dump_json(exclude_none=True),
            backend=self.name,
            model=self.model,
        )


async def _create(client: Any, params: dict[str, Any]) -> Any:
    """``chat.completions.create(**params)`` without the SDK's per-call parameter transform.

    ``create`` walks every message through each member of the message-type union (typing
    introspection, ~1 ms of CPU a call with a few messages: a third of the client-side cost
    at 64 in flight). Our params are plain JSON (string contents, no aliased or formatted
    fields), which that transform returns unchanged, so the body is posted as is through the
    client's documented ``post`` (same endpoint, auth, timeout, retries off, response model).
    """
    from openai.types.chat import ChatCompletion

    return await client.post("/chat/completions", body=params, cast_to=ChatCompletion,
                             options=_REQUEST_OPTIONS)


#: what ``create`` passes: bearer auth on (SDKs that predate per-request security ignore it)
_REQUEST_OPTIONS: dict[str, Any] = {"security": {"bearer_auth": True}}
