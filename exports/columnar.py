"""Column-at-a-time builders of the export tables (the fast path of :func:`iter_exports`).

The per-example functions in :mod:`exports.sft`, :mod:`exports.gdpo` and
:mod:`exports.preference` define each record; this module builds the same tables from Arrow
columns with numpy index arithmetic, so 100,000 samples do not go through millions of Python
dicts. Tests assert that both paths give identical tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from exports.common import MESSAGES_TYPE, ExportConfig, answer_lead

__all__ = [
    "answer_leads",
    "answer_texts",
    "filter_items",
    "message_lists",
    "prompt_column",
    "single_messages",
]

_MSG = MESSAGES_TYPE.value_type


def _combined(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def _layout(lists: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lengths, parent row, index inside the row) of every flattened element."""
    lengths = pc.list_value_length(lists).fill_null(0).to_numpy(zero_copy_only=False)
    lengths = lengths.astype(np.int64)
    parent = np.repeat(np.arange(len(lengths)), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    local = np.arange(len(parent)) - starts[parent]
    return lengths, parent, local


def _lists(offsets_counts: np.ndarray, values: pa.Array, type_: pa.DataType) -> pa.Array:
    offsets = np.concatenate([[0], np.cumsum(offsets_counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values, type=type_)


def _message(role: str, contents: pa.Array) -> pa.Array:
    roles = pa.array([role] * len(contents), pa.string())
    return pa.StructArray.from_arrays([roles, contents.cast(pa.string())],
                                      fields=list(_MSG))


def prompt_column(messages: pa.Array | pa.ChunkedArray, system_prompt: str) -> pa.Array:
    """System message + each dialogue up to its last user turn (see ``prompt_messages``)."""
    arr = _combined(messages)
    _, parent, local = _layout(arr)
    flat = pc.list_flatten(arr)
    is_user = pc.equal(pc.struct_field(flat, "role"), "user").to_numpy(zero_copy_only=False)
    last = np.full(len(arr), -1, dtype=np.int64)
    np.maximum.at(last, parent[is_user], local[is_user])
    if (last < 0).any():
        raise ValueError(f"row {int(np.argmax(last < 0))} of the chunk has no user turn")
    keep = local <= last[parent]
    counts = np.bincount(parent[keep], minlength=len(arr)) + 1
    flat = flat.cast(_MSG)
    values = pa.concat_arrays([_message("system", pa.array([system_prompt])), flat])
    gather = np.empty(int(counts.sum()), dtype=np.int64)
    heads = np.concatenate([[0], np.cumsum(counts)[:-1]])
    is_head = np.zeros(len(gather), dtype=bool)
    is_head[heads] = True
    gather[is_head] = 0
    gather[~is_head] = 1 + np.flatnonzero(keep)
    return _lists(counts, values.take(pa.array(gather)), MESSAGES_TYPE)


def message_lists(prompt: pa.Array, role: str, contents: pa.Array) -> pa.Array:
    """Each prompt with one more message appended (the SFT ``messages`` column)."""
    lengths, parent, _ = _layout(prompt)
    n, m = len(prompt), len(parent)
    values = pa.concat_arrays([pc.list_flatten(prompt), _message(role, contents)])
    counts = lengths + 1
    ends = np.cumsum(counts) - 1
    gather = np.empty(int(counts.sum()), dtype=np.int64)
    is_end = np.zeros(len(gather), dtype=bool)
    is_end[ends] = True
    gather[is_end] = m + np.arange(n)
    gather[~is_end] = np.arange(m)
    return _lists(counts, values.take(pa.array(gather)), MESSAGES_TYPE)


def single_messages(role: str, contents: pa.Array | list[str]) -> pa.Array:
    """A one-message list per row (``completion``, ``chosen``, ``rejected``)."""
    arr = contents if isinstance(contents, pa.Array) else pa.array(contents, pa.string())
    return _lists(np.ones(len(arr), dtype=np.int64), _message(role, arr), MESSAGES_TYPE)


def filter_items(
    lists: pa.Array | pa.ChunkedArray, status: str, type_: pa.DataType
) -> pa.Array:
    """Elements of list-of-struct rows whose ``status`` field equals ``status``, narrowed to
    the fields of ``type_`` (a list-of-struct type)."""
    arr = _combined(lists)
    _, parent, _ = _layout(arr)
    flat = pc.list_flatten(arr)
    keep = pc.equal(pc.struct_field(flat, "status"), status).fill_null(False)
    keep_np = keep.to_numpy(zero_copy_only=False)
    fields = list(type_.value_type)
    picked = pa.StructArray.from_arrays(
        [pc.struct_field(flat, f.name).filter(keep).cast(f.type) for f in fields], fields=fields)
    counts = np.bincount(parent[keep_np], minlength=len(arr))
    return _lists(counts, picked, type_)


def answer_leads(
    chunk: pa.Table, config: ExportConfig, phrases: Mapping[str, list[str]] | None
) -> list[str | None]:
    """The acknowledgement line of every row (see ``answer_lead``)."""
    keys: list[dict[str, Any]] = chunk.select(["sample_id", "traits"]).to_pylist()
    return [answer_lead(row, config, phrases) for row in keys]


def answer_texts(
    chunk: pa.Table,
    config: ExportConfig,
    phrases: Mapping[str, list[str]] | None,
    leads: list[str | None] | None = None,
) -> pa.Array:
    """The assistant answer of every row (see ``assistant_text``), as a string array."""
    gt = pl.Series("gt", _combined(chunk.column("ground_truth")))
    el = pl.element().struct
    lines = pl.DataFrame([gt]).select(
        pl.col("gt").list.head(config.list_length).list.eval(
            pl.when(el.field("year").is_not_null() & (el.field("year") != 0))
            .then(pl.format("{} ({})", el.field("title"), el.field("year")))
            .otherwise(el.field("title"))
        ).list.join("\n")
    )["gt"].to_list()
    if leads is None:
        leads = answer_leads(chunk, config, phrases)
    out = []
    for lead, text in zip(leads, lines, strict=True):
        out.append(text if lead is None else f"{lead}\n{text}" if text else lead)
    return pa.array(out, pa.string())
