"""An annotator's queue on the local stack: a submitted record leaves her Pending view.

The first test is what an annotator sees (the UI's own calls). It passes because the
server runs through ``annotation.argilla_launch``, which replaces argilla-server's two
root-level queries on nested response fields with nested ones. The second asks the search
engine itself the root-level question argilla-server 2.8 asks: noida-db 0.2.3 ignores
``include_in_root``, so it is a strict xfail - the day noida-db answers it, the test fails
and the compat patch can go (docs/annotation.md, "Known limits of the local stack").
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from annotator import Annotator
from factories import make_samples

from annotation.accounts import add_user
from annotation.push import push_samples
from annotation.server import LocalArgillaStack
from datagen.taxonomy import load_taxonomy

pytestmark = pytest.mark.integration

WS = "queue"
ANSWER = {"cue_implicit": "yes", "traits": ["none"], "gt_safe": "yes", "naturalness": 4}


def test_submitted_record_leaves_that_annotators_pending_view(
        argilla_stack: LocalArgillaStack, argilla_client) -> None:
    res = push_samples(argilla_client, make_samples(4), dataset="queue", workspace=WS,
                       taxonomy=load_taxonomy(), min_submitted=2)
    for name in ("qa", "qb"):
        add_user(argilla_client, name, workspace=WS, password=f"{name}-queue-pw")
    qa = Annotator(argilla_stack.url, "qa", "qa-queue-pw")
    qb = Annotator(argilla_stack.url, "qb", "qb-queue-pw")
    ids = qa.record_ids(res.dataset_id)
    assert qa.record_ids(res.dataset_id, "pending") == ids and len(ids) == 4

    qa.submit(ids["s00001"], **ANSWER)
    pending = qa.record_ids(res.dataset_id, "pending")
    assert "s00001" not in pending and len(pending) == 3
    assert set(qa.record_ids(res.dataset_id, "submitted")) == {"s00001"}
    m = qa.metrics(res.dataset_id)
    assert (m["total"], m["submitted"], m["pending"]) == (4, 1, 3)
    # the other annotator's queue is hers alone
    assert qb.record_ids(res.dataset_id, "pending") == ids
    assert qb.metrics(res.dataset_id)["submitted"] == 0


@pytest.mark.xfail(strict=True, reason=(
    "noida-db 0.2.3 ignores include_in_root on nested mappings: root-level queries on "
    "responses.* find nothing (argilla-server's pending filter and per-user progress rely on "
    "it; annotation.argilla_launch rewrites both as nested queries)"))
def test_search_engine_honours_include_in_root(argilla_stack: LocalArgillaStack) -> None:
    index = f"probe-{uuid.uuid4().hex[:8]}"
    base = f"{argilla_stack.search_url}/{index}"
    mapping = {"mappings": {"dynamic": "strict", "properties": {
        "responses": {"type": "nested", "include_in_root": True,
                      "properties": {"user_id": {"type": "keyword"}}}}}}
    httpx.put(base, json=mapping, timeout=10).raise_for_status()
    try:
        httpx.put(f"{base}/_doc/r1", params={"refresh": "true"}, timeout=10,
                  json={"responses": [{"user_id": "u1"}]}).raise_for_status()
        nested = httpx.post(f"{base}/_search", timeout=10, json={"query": {"nested": {
            "path": "responses", "query": {"term": {"responses.user_id": "u1"}}}}}).json()
        assert nested["hits"]["total"]["value"] == 1  # the engine has the document
        root = httpx.post(f"{base}/_search", timeout=10,
                          json={"query": {"term": {"responses.user_id": "u1"}}}).json()
        assert root["hits"]["total"]["value"] == 1
    finally:
        httpx.delete(base, timeout=10)
