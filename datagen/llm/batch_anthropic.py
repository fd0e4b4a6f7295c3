"""Anthropic Message Batches: many Messages API requests in one call, results as JSONL.

``messages.batches.create(requests=[{"custom_id", "params"}])`` starts a batch (the params are
the live backend's ``request_params``), ``messages.batches.retrieve`` polls its
``processing_status`` (``in_progress`` / ``canceling`` run, ``ended`` has ended) and
``messages.batches.results`` streams one line per request: ``succeeded`` (a message),
``errored``, ``canceled`` or ``expired``. Batches carry no metadata, so a batch created in the
instant between the provider's answer and the store's write cannot be found again (see
:mod:`datagen.llm.batch_store`); everything else resumes.

A prefilled assistant turn (JSON mode) is put back in front of the text, and a forced tool
call's input is the answer's JSON, exactly as the live backend reads them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from datagen.llm.batch import BatchItem, BatchStatus, BodyOf, SdkCalls
from datagen.llm.config import BackendConfig
from datagen.llm.types import ChatResult, Usage

__all__ = ["AnthropicBatchProvider", "chat_result_from_message"]

#: the Message Batches limit per batch (also 256 MB per batch)
MAX_REQUESTS = 100_000


def _prefill(body: Mapping[str, Any]) -> str:
    messages = body.get("messages") or []
    if messages and messages[-1].get("role") == "assistant":
        content = messages[-1].get("content")
        return content if isinstance(content, str) else ""
    return ""


def chat_result_from_message(message: Mapping[str, Any], body: Mapping[str, Any],
                             model: str) -> ChatResult:
    """A ChatResult from a batch result's message (``body``: the request it answers)."""
    blocks = message.get("content")
    if not isinstance(blocks, list):
        raise ValueError("message has no content list")
    tools = [b.get("input") for b in blocks if b.get("type") == "tool_use"]
    if tools:
        text = json.dumps(tools[0], ensure_ascii=False)
    else:
        text = _prefill(body) + "".join(
            str(b.get("text", "")) for b in blocks if b.get("type") == "text")
    usage = message.get("usage") or {}
    return ChatResult(
        text=text,
        usage=Usage(input_tokens=int(usage.get("input_tokens") or 0),
                    output_tokens=int(usage.get("output_tokens") or 0)),
        finish_reason=message.get("stop_reason"),
        raw=json.dumps(message, ensure_ascii=False), backend="anthropic", model=model)


class AnthropicBatchProvider(SdkCalls):
    """Message Batches through the official ``anthropic`` SDK."""

    name = "anthropic"

    def __init__(self, config: BackendConfig) -> None:
        import anthropic

        from datagen.llm.anthropic_backend import AnthropicBackend

        self._setup(config, AnthropicBackend(config), anthropic.Anthropic, MAX_REQUESTS)

    def submit(self, token: str, lines: Iterable[tuple[str, dict[str, Any]]]) -> str:
        requests = [{"custom_id": cid, "params": body} for cid, body in lines]
        batch = self._call(self._client.messages.batches.create, requests=requests)
        return str(batch.id)

    def find(self, token: str) -> str | None:
        return None  # no metadata on message batches: nothing to match the token with

    def status(self, batch_id: str) -> BatchStatus:
        batch = self._call(self._client.messages.batches.retrieve, batch_id)
        counts = batch.request_counts.model_dump()
        state = "ended" if batch.processing_status == "ended" else "running"
        return BatchStatus(state, counts, batch.processing_status)

    def results(self, batch_id: str, body_of: BodyOf) -> Iterator[BatchItem]:
        for line in self._call(self._client.messages.batches.results, batch_id):
            data = line.model_dump(mode="json")
            yield _item(data, body_of, self.model)



def _item(data: Mapping[str, Any], body_of: BodyOf, model: str) -> BatchItem:
    custom_id = str(data.get("custom_id"))
    result = data.get("result") or {}
    kind = result.get("type")
    if kind == "succeeded":
        try:
            message = result.get("message") or {}
            return BatchItem(custom_id, chat_result_from_message(
                message, body_of(custom_id), model))
        except ValueError as exc:
            return BatchItem(custom_id, error=f"malformed: {exc}")
    if kind == "errored":
        err = (result.get("error") or {}).get("error") or {}
        return BatchItem(custom_id, error=f"{err.get('type', 'error')}: {err.get('message', '')}")
    return BatchItem(custom_id, error=str(kind or "no result"))  # "expired" / "canceled"
