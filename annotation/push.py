"""Push samples to an Argilla dataset: idempotent, batched, resumable.

Why it is safe to re-run: the record id is the sample id and Argilla upserts on it, so a
re-push never duplicates; each record carries a hidden hash of its content, so a re-push sends
only new or changed samples. A push that dies part-way (server restart, network) therefore
resumes by running the same command again, and ends with exactly the input's record set.

Refusals happen before any record is sent: samples made with another taxonomy than the one
given, a dataset whose guidelines name another taxonomy version (``name@version``; a changed
content hash under the same version only refreshes the guidelines), or a dataset whose fields,
questions or metadata differ from what this version of the toolkit builds.
"""

from __future__ import annotations

import contextlib
import functools
import io
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from annotation.accounts import ensure_workspace
from annotation.client import map_errors
from annotation.errors import (
    DatasetSettingsMismatchError,
    PushInterruptedError,
    TaxonomyVersionMismatchError,
)
from annotation.records import payload_hash, record_payload, to_record
from annotation.settings import (
    META_HIDDEN,
    build_settings,
    settings_signature,
    taxonomy_tag_of,
    traits_suggested_of,
)
from datagen.errors import InputError
from datagen.records.sample import Sample
from datagen.taxonomy.models import Taxonomy

if TYPE_CHECKING:
    import argilla as rg

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "PushResult",
    "check_sample_taxonomy",
    "ensure_dataset",
    "existing_hashes",
    "find_dataset",
    "push_samples",
]

#: records per bulk upsert (the server accepts at most 500)
DEFAULT_BATCH_SIZE = 250
#: records per page when listing what is already on the server
LIST_PAGE = 1000

ProgressFn = Callable[[int, int], None]


class PushResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: str
    workspace: str
    dataset_id: str
    url: str
    total: int
    created: int
    updated: int
    unchanged: int
    min_submitted: int
    taxonomy_version: str
    traits_suggested: bool = False


def accepted_versions(taxonomy: Taxonomy) -> set[str]:
    """The spellings of the taxonomy version a sample may carry."""
    return {taxonomy.version_tag, f"{taxonomy.name}@{taxonomy.version}", taxonomy.version}


def check_sample_taxonomy(samples: Sequence[Sample], taxonomy: Taxonomy, source: str) -> None:
    """Every sample must have been made with ``taxonomy`` (and unique sample ids)."""
    ok = accepted_versions(taxonomy)
    seen: set[str] = set()
    for s in samples:
        if s.taxonomy_version not in ok:
            raise TaxonomyVersionMismatchError(
                f"{source}: record {s.sample_id}: taxonomy_version {s.taxonomy_version!r} does "
                f"not match the taxonomy given ({taxonomy.version_tag}); pass --taxonomy with "
                "the file the samples were made with")
        if s.sample_id in seen:
            raise InputError("duplicate sample id", file=source, record=s.sample_id,
                             field="sample_id")
        seen.add(s.sample_id)


def find_dataset(client: rg.Argilla, name: str, workspace: rg.Workspace) -> rg.Dataset | None:
    for ds in workspace.datasets:
        if ds.name == name:
            return ds.get()
    return None


def _mode(suggested: bool) -> str:
    """How the traits question is asked, in words."""
    return "with the generator's traits suggested" if suggested else "blind (no suggestion)"


def _check_existing(ds: rg.Dataset, wanted: rg.Settings, taxonomy: Taxonomy) -> None:
    stored = taxonomy_tag_of(ds.settings.guidelines)
    if stored is None or stored.split("+")[0] != f"{taxonomy.name}@{taxonomy.version}":
        raise TaxonomyVersionMismatchError(
            f"dataset {ds.name!r} was created with taxonomy {stored or 'unknown'}, not "
            f"{taxonomy.version_tag}; push to a new dataset name")
    have, want = settings_signature(ds.settings), settings_signature(wanted)
    diff = [part for part in ("fields", "questions", "metadata") if have[part] != want[part]]
    if diff:
        raise DatasetSettingsMismatchError(
            f"dataset {ds.name!r} exists with other {' and '.join(diff)} than this toolkit "
            "builds; push to a new dataset name or delete it in Argilla")
    have_mode = traits_suggested_of(ds.settings.guidelines)
    if have_mode != traits_suggested_of(wanted.guidelines):
        flag = "with" if have_mode else "without"
        raise DatasetSettingsMismatchError(
            f"dataset {ds.name!r} asks for traits {_mode(have_mode)}, not "
            f"{_mode(not have_mode)}; push {flag} --suggest-traits, or to a new dataset name "
            "(blind and suggested answers must not be pooled)")


def ensure_dataset(client: rg.Argilla, name: str, workspace: str, taxonomy: Taxonomy,
                   *, min_submitted: int, suggest_traits: bool = False) -> rg.Dataset:
    """The dataset, created with our settings if missing, checked if present."""
    import argilla as rg

    ws = ensure_workspace(client, workspace)
    wanted = build_settings(taxonomy, client, min_submitted=min_submitted,
                            suggest_traits=suggest_traits)
    ds = find_dataset(client, name, ws)
    if ds is not None and ds._model.status != "ready":
        ds.delete()  # a draft left by a creation that died before publishing: no records
        ds = None
    if ds is None:
        return rg.Dataset(name=name, workspace=ws, settings=wanted, client=client).create()
    _check_existing(ds, wanted, taxonomy)
    changed = False
    if ds.settings.distribution.min_submitted != min_submitted:
        ds.settings.distribution = rg.OverlapTaskDistribution(min_submitted=min_submitted)
        changed = True
    # same taxonomy version, edited descriptions: refresh the guidelines
    if (ds.settings.guidelines or "").strip() != (wanted.guidelines or "").strip():
        ds.settings.guidelines = wanted.guidelines
        changed = True
    if changed:
        ds.update()
    return ds


def existing_hashes(ds: rg.Dataset) -> dict[str, str]:
    """Record id -> stored content hash for every record already in the dataset."""
    out: dict[str, str] = {}
    for rec in ds.records(batch_size=LIST_PAGE, with_suggestions=False, with_responses=False):
        out[str(rec.id)] = str(rec.metadata.get(META_HIDDEN, ""))
    return out


def _transient(exc: BaseException) -> bool:
    """Worth retrying: the connection failed or the server answered 5xx."""
    import httpx
    from argilla._exceptions import ArgillaAPIError

    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, ArgillaAPIError) and exc.status_code >= 500


def _log_batch(ds: rg.Dataset, payloads: list[dict[str, Any]]) -> None:
    """One bulk upsert (the SDK's own progress bar is silenced; ours is the caller's)."""
    from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

    records = [to_record(p) for p in payloads]

    @retry(stop=stop_after_attempt(3), wait=wait_exponential(multiplier=1, max=4),
           retry=retry_if_exception(_transient), reraise=True)
    def send() -> None:
        with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds.records.log(records, batch_size=len(records))

    send()


def push_samples(
    client: rg.Argilla,
    samples: Sequence[Sample],
    *,
    dataset: str,
    workspace: str,
    taxonomy: Taxonomy,
    min_submitted: int = 2,
    batch_size: int = DEFAULT_BATCH_SIZE,
    source: str = "<samples>",
    on_progress: ProgressFn | None = None,
    suggest_traits: bool = False,
) -> PushResult:
    """Create or update ``dataset`` so it holds exactly one record per sample.

    Annotators answer the traits question blind unless ``suggest_traits`` (a dataset keeps
    the mode it was created with: a push in the other mode is refused). ``on_progress(done,
    todo)`` is called after each batch (the CLI drives a progress bar with it). Raises
    :class:`PushInterruptedError` if the server fails part-way.
    """
    url = str(client.api_url).rstrip("/")
    check_sample_taxonomy(samples, taxonomy, source)
    batch_size = max(1, min(batch_size, 500))
    ds = map_errors(url, lambda: ensure_dataset(client, dataset, workspace, taxonomy,
                                                min_submitted=min_submitted,
                                                suggest_traits=suggest_traits))
    have = map_errors(url, lambda: existing_hashes(ds))
    todo: list[dict[str, Any]] = []
    for s in samples:
        payload = record_payload(s, suggest_traits=suggest_traits)
        if have.get(s.sample_id) != payload_hash(payload):
            todo.append(payload)
    done = 0
    if on_progress:
        on_progress(0, len(todo))
    for start in range(0, len(todo), batch_size):
        batch = todo[start:start + batch_size]
        try:
            map_errors(url, functools.partial(_log_batch, ds, batch))
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
        url=f"{url}/dataset/{ds.id}/annotation-mode", total=len(samples), created=created,
        updated=len(todo) - created, unchanged=len(samples) - len(todo),
        min_submitted=min_submitted, taxonomy_version=taxonomy.version_tag,
        traits_suggested=suggest_traits)
