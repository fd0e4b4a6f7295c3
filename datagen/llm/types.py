"""The small protocol every LLM backend implements, and its typed result."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ChatBackend", "ChatRequest", "ChatResult", "Message", "ResponseSchema", "Usage"]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    role: str = Field(pattern="^(system|user|assistant)$")
    content: str


class ResponseSchema(BaseModel):
    """A JSON Schema the answer must match, for servers that constrain decoding to it.

    Built from a task's pydantic model and its plan entry (``name`` is what OpenAI's
    ``json_schema`` and Anthropic's forced tool call are labelled with). Backends decide how
    to send it; the task's parser validates the answer whatever the server did.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    schema_: dict[str, Any] = Field(alias="schema")
    strict: bool = True


class ChatRequest(BaseModel):
    """Everything that determines a completion; its canonical JSON is the cache key."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    messages: tuple[Message, ...]
    temperature: float = 0.7
    max_tokens: int = 1024
    seed: int | None = None
    #: ask for a JSON object (OpenAI ``response_format``; Anthropic: prompt + prefill)
    json_mode: bool = False
    #: the answer's JSON Schema (implies JSON); ``None`` = free text or plain JSON mode
    response_schema: ResponseSchema | None = None


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input_tokens: int = 0
    output_tokens: int = 0


class ChatResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    usage: Usage = Field(default_factory=Usage)
    finish_reason: str | None = None
    raw: str = ""  # raw response body (JSON) for provenance; never contains the API key
    backend: str  # "openai" | "anthropic" | "offline"
    model: str
    cached: bool = False
    #: HTTP attempts the backend made for this result (1 = no retry; cache hits keep the original)
    attempts: int = 1


@runtime_checkable
class ChatBackend(Protocol):
    """An async chat backend. ``name``/``model`` label every record it produces."""

    name: str
    model: str
    is_llm: bool  # False for the offline composer: records say so

    async def chat(self, request: ChatRequest) -> ChatResult: ...

    async def aclose(self) -> None: ...
