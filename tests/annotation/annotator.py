"""An annotator using the same REST calls as the Argilla UI, with their own token.

An annotator cannot list records with the SDK (403); the UI's own calls work:
``POST /api/v1/me/datasets/{id}/records/search`` (with the UI's response-status filter for
the Pending / Submitted views), ``POST /api/v1/records/{id}/responses`` and
``GET /api/v1/me/datasets/{id}/metrics`` (the counters above the queue).
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["Annotator"]


class Annotator:
    def __init__(self, url: str, username: str, password: str) -> None:
        self.base = f"{url}/api/v1"
        r = httpx.post(f"{self.base}/token", data={"username": username, "password": password})
        r.raise_for_status()
        self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

    def record_ids(self, dataset_id: str, status: str | None = None) -> dict[str, str]:
        """external id -> record id of the records in this annotator's view.

        ``status`` is the UI's queue filter: ``pending`` (no response of mine yet),
        ``submitted``, ``draft`` or ``discarded``; None lists every record.
        """
        body: dict[str, Any] = {}
        if status is not None:
            body["filters"] = {"and": [{"type": "terms", "values": [status],
                                        "scope": {"entity": "response", "property": "status"}}]}
        r = httpx.post(f"{self.base}/me/datasets/{dataset_id}/records/search",
                       params={"limit": 1000}, json=body, headers=self.headers, timeout=30)
        r.raise_for_status()
        return {it["record"]["external_id"]: it["record"]["id"] for it in r.json()["items"]}

    def metrics(self, dataset_id: str) -> dict[str, int]:
        r = httpx.get(f"{self.base}/me/datasets/{dataset_id}/metrics", headers=self.headers,
                      timeout=30)
        r.raise_for_status()
        return dict(r.json()["responses"])

    def submit(self, record_id: str, **values: object) -> None:
        body = {"values": {q: {"value": v} for q, v in values.items()}, "status": "submitted"}
        r = httpx.post(f"{self.base}/records/{record_id}/responses", json=body,
                       headers=self.headers, timeout=30)
        assert r.status_code == 201, r.text
