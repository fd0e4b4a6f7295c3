"""Push (film, trait) tags to the tag-verification dataset: idempotent, batched, resumable.

The same guarantees as :mod:`annotation.push` for samples: the record id is
``<item_id>:<trait_id>`` (Argilla upserts on it), a hidden content hash makes a re-push send
only new or changed records, a push that dies part-way resumes by running it again, and a
dataset made with another taxonomy version or another design is refused before any record is
sent. Annotators' responses survive re-pushes.
"""

from __future__ import annotations

import contextlib
import functools
import io
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from annotation.accounts import ensure_workspace
from annotation.client import map_errors
from annotation.errors import PushInterruptedError
from annotation.push import (
    DEFAULT_BATCH_SIZE,
    PushResult,
    _check_existing,
    _transient,
    existing_hashes,
    find_dataset,
)
from annotation.records import payload_hash
from annotation.tag_records import tag_payload, to_tag_record
from annotation.tag_select import TagCandidate
from annotation.tag_settings import build_tag_settings
from datagen.catalogue.models import Item
from datagen.taxonomy.models import Taxonomy

if TYPE_CHECKING:
    import argilla as rg

__all__ = ["ensure_tag_dataset", "push_tags"]


def ensure_tag_dataset(client: rg.Argilla, name: str, workspace: str, taxonomy: Taxonomy,
                       *, min_submitted: int) -> rg.Dataset:
    """The tag dataset, created with our settings if missing, checked if present."""
    import argilla as rg

    ws = ensure_workspace(client, workspace)
    wanted = build_tag_settings(taxonomy, client, min_submitted=min_submitted)
    ds = find_dataset(client, name, ws)
    if ds is not None and ds._model.status != "ready":
        ds.delete()  # a draft left by a creation that died before publishing
        ds = None
    if ds is None:
        return rg.Dataset(name=name, workspace=ws, settings=wanted, client=client).create()
    _check_existing(ds, wanted, taxonomy)
    if ds.settings.distribution.min_submitted != min_submitted:
        ds.settings.distribution = rg.OverlapTaskDistribution(min_submitted=min_submitted)
        ds.update()
    return ds


def _log(ds: rg.Dataset, payloads: list[dict[str, Any]]) -> None:
    from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

    records = [to_tag_record(p) for p in payloads]

    @retry(stop=stop_after_attempt(3), wait=wait_exponential(multiplier=1, max=4),
           retry=retry_if_exception(_transient), reraise=True)
    def send() -> None:
        with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds.records.log(records, batch_size=len(records))

    send()


def push_tags(
    client: rg.Argilla,
    candidates: Sequence[TagCandidate],
    items: Mapping[str, Item],
    *,
    dataset: str,
    workspace: str,
    taxonomy: Taxonomy,
    min_submitted: int = 2,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int, int], None] | None = None,
) -> PushResult:
    """Create or update ``dataset`` with one record per candidate (``items``: the catalogue
    films by id, for the film field)."""
    url = str(client.api_url).rstrip("/")
    batch_size = max(1, min(batch_size, 500))
    ds = map_errors(url, lambda: ensure_tag_dataset(client, dataset, workspace, taxonomy,
                                                    min_submitted=min_submitted))
    have = map_errors(url, lambda: existing_hashes(ds))
    payloads = [tag_payload(c, items.get(c.item_id), taxonomy) for c in candidates]
    todo = [p for p in payloads if have.get(p["id"]) != payload_hash(p)]
    done = 0
    if on_progress:
        on_progress(0, len(todo))
    for start in range(0, len(todo), batch_size):
        batch = todo[start:start + batch_size]
        try:
            map_errors(url, functools.partial(_log, ds, batch))
        except Exception as exc:
            raise PushInterruptedError(
                f"push to {dataset!r} stopped after {done} of {len(todo)} records ({exc}); "
                "re-run the same command to resume") from exc
        done += len(batch)
        if on_progress:
            on_progress(done, len(todo))
    created = sum(1 for p in todo if p["id"] not in have)
    return PushResult(
        dataset=dataset, workspace=workspace, dataset_id=str(ds.id),
        url=f"{url}/dataset/{ds.id}/annotation-mode", total=len(payloads), created=created,
        updated=len(todo) - created, unchanged=len(payloads) - len(todo),
        min_submitted=min_submitted, taxonomy_version=taxonomy.version_tag)
