"""OpenAI Batch API: a JSONL file of chat-completion requests in, a JSONL file of answers out.

``files.create(purpose="batch")`` uploads the requests (one ``{"custom_id", "method",
"url", "body"}`` line each), ``batches.create`` starts the batch with the local token in its
``metadata`` (so a batch created just before a kill is found again by ``batches.list``),
``batches.retrieve`` polls it, and ``files.content`` reads the output file (answers) and the
error file (failed and, for an expired batch, unexecuted requests).

Statuses: ``validating``, ``in_progress``, ``finalizing`` and ``cancelling`` are running;
``completed``, ``expired`` and ``cancelled`` have ended (with whatever output exists);
``failed`` means the input was rejected as a whole.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from datagen.llm.batch import BatchItem, BatchStatus, BodyOf, SdkCalls
from datagen.llm.config import BackendConfig
from datagen.llm.types import ChatResult, Usage

__all__ = ["OpenAIBatchProvider", "chat_result_from_completion"]

ENDPOINT = "/v1/chat/completions"
#: the Batch API's limit per batch (also 200 MB per input file)
MAX_REQUESTS = 50_000
_RUNNING = {"validating", "in_progress", "finalizing", "cancelling"}
_ENDED = {"completed", "expired", "cancelled"}
#: batches listed when looking for one created just before a kill
_FIND_LIMIT = 100


def chat_result_from_completion(body: Mapping[str, Any], model: str) -> ChatResult:
    """A ChatResult from a chat-completion body of a batch output line."""
    choices = body.get("choices") or []
    message = (choices[0] or {}).get("message") if choices else None
    if not isinstance(message, dict) or not isinstance(message.get("content"), str):
        raise ValueError("response has no choices[0].message.content")
    usage = body.get("usage") or {}
    return ChatResult(
        text=message["content"],
        usage=Usage(input_tokens=int(usage.get("prompt_tokens") or 0),
                    output_tokens=int(usage.get("completion_tokens") or 0)),
        finish_reason=choices[0].get("finish_reason"),
        raw=json.dumps(body, ensure_ascii=False), backend="openai", model=model)


class OpenAIBatchProvider(SdkCalls):
    """Batches through the official ``openai`` SDK (sync client; polling is slow anyway)."""

    name = "openai"

    def __init__(self, config: BackendConfig, *, completion_window: str = "24h") -> None:
        import openai

        from datagen.llm.openai_backend import OpenAIBackend

        self.completion_window = completion_window
        self._setup(config, OpenAIBackend(config), openai.OpenAI, MAX_REQUESTS)

    def submit(self, token: str, lines: Iterable[tuple[str, dict[str, Any]]]) -> str:
        fd, path = tempfile.mkstemp(prefix="saferec-batch-", suffix=".jsonl")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                for custom_id, body in lines:
                    fh.write(json.dumps({"custom_id": custom_id, "method": "POST",
                                         "url": ENDPOINT, "body": body},
                                        ensure_ascii=False, separators=(",", ":")) + "\n")
            with open(path, "rb") as fh:
                uploaded = self._call(self._client.files.create, file=(f"{token}.jsonl", fh),
                                      purpose="batch")
        finally:
            os.unlink(path)
        batch = self._call(self._client.batches.create, input_file_id=uploaded.id,
                           endpoint=ENDPOINT, completion_window=self.completion_window,
                           metadata={"saferec_token": token})
        return str(batch.id)

    def find(self, token: str) -> str | None:
        page = self._call(self._client.batches.list, limit=_FIND_LIMIT)
        for batch in page.data:
            if (batch.metadata or {}).get("saferec_token") == token:
                return str(batch.id)
        return None

    def status(self, batch_id: str) -> BatchStatus:
        batch = self._call(self._client.batches.retrieve, batch_id)
        counts = batch.request_counts.model_dump() if batch.request_counts else {}
        if batch.status in _RUNNING:
            return BatchStatus("running", counts, batch.status)
        if batch.status in _ENDED:
            return BatchStatus("ended", counts, batch.status)
        errors = getattr(batch.errors, "data", None) or []
        detail = "; ".join(f"{e.code}: {e.message}" for e in errors[:3]) or batch.status
        return BatchStatus("failed", counts, detail)

    def _lines(self, file_id: str | None) -> Iterator[dict[str, Any]]:
        if not file_id:
            return
        content = self._call(self._client.files.content, file_id)
        for line in content.text.splitlines():
            if line.strip():
                yield json.loads(line)

    def results(self, batch_id: str, body_of: BodyOf) -> Iterator[BatchItem]:
        batch = self._call(self._client.batches.retrieve, batch_id)
        for file_id in (batch.output_file_id, batch.error_file_id):
            for line in self._lines(file_id):
                yield _item(line, self.model)



def _item(line: Mapping[str, Any], model: str) -> BatchItem:
    custom_id = str(line.get("custom_id"))
    response = line.get("response") or {}
    error = line.get("error")
    status = response.get("status_code")
    if error or status != 200:
        detail = error or (response.get("body") or {}).get("error") or {}
        code = detail.get("code") or f"HTTP {status}"
        return BatchItem(custom_id, error=f"{code}: {detail.get('message', '')}".strip())
    try:
        return BatchItem(custom_id, chat_result_from_completion(response.get("body") or {}, model))
    except ValueError as exc:
        return BatchItem(custom_id, error=f"malformed: {exc}")
