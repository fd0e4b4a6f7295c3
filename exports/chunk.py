"""One slice of one split turned into every export format, column by column.

A :class:`ChunkBuilder` computes what formats share once (the prompt column, the answer
texts, the rows that have ground truth) and builds each format's table with the explicit
schema of :mod:`exports.build`. Records are the same as the per-example functions give.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen.errors import InputError
from datagen.gcpause import gc_paused
from datagen.records.sample import SAMPLE_SCHEMA
from exports.columnar import (
    answer_leads,
    answer_texts,
    filter_items,
    message_lists,
    prompt_column,
    single_messages,
)
from exports.common import ExportConfig, assistant_text, display_lines
from exports.gdpo import GDPO_SCHEMA
from exports.preference import PREFERENCE_SCHEMA, PreferenceSources, preference_items
from exports.safecrs import SafeCRSNames, to_safecrs_table
from exports.sft import SFT_PROMPT_COMPLETION_SCHEMA, SFT_SCHEMA

__all__ = ["ChunkBuilder"]

_PAIR_COLUMNS = ["sample_id", "traits", "liked_items", "ground_truth", "dropped_candidates"]
_REASONING_COLUMNS = [*_PAIR_COLUMNS, "cues"]


class ChunkBuilder:
    """Export tables of one chunk of samples (``SAMPLE_SCHEMA`` rows)."""

    def __init__(self, chunk: pa.Table, config: ExportConfig,
                 phrases: Mapping[str, list[str]] | None,
                 sources: PreferenceSources | None,
                 names: SafeCRSNames | None = None) -> None:
        self.chunk = chunk
        self.config = config
        self.phrases = phrases
        self.sources = sources or PreferenceSources()
        self.names = names

    @cached_property
    def prompt(self) -> pa.Array:
        try:
            return prompt_column(self.chunk.column("messages"), self.config.system_prompt)
        except ValueError as exc:
            row = int(str(exc).split()[1])
            raise InputError("sample has no user turn",
                             record=self.chunk.column("sample_id")[row].as_py(),
                             field="messages") from None

    @cached_property
    def leads(self) -> list[str | None]:
        return answer_leads(self.chunk, self.config, self.phrases)

    @cached_property
    def answers(self) -> pa.Array:
        if self.config.cot:  # reasoning is written per row from its dropped candidates
            with gc_paused():  # many small dicts and strings
                rows = self.chunk.select(_REASONING_COLUMNS).to_pylist()
                return pa.array([assistant_text(r, r["ground_truth"], self.config,
                                                self.phrases) for r in rows], pa.string())
        return answer_texts(self.chunk, self.config, self.phrases, self.leads)

    @cached_property
    def has_truth(self) -> pa.Array:
        return pc.greater(pc.list_value_length(self.chunk.column("ground_truth")).fill_null(0), 0)

    def _keep(self, columns: dict[str, pa.Array], schema: pa.Schema) -> tuple[pa.Table, int]:
        table = pa.table(columns).filter(self.has_truth).select(schema.names).cast(schema)
        return table, self.chunk.num_rows - table.num_rows

    def sft(self) -> tuple[pa.Table, int]:
        return self._keep({
            "sample_id": self.chunk.column("sample_id"),
            "traits": self.chunk.column("traits"),
            "messages": message_lists(self.prompt, "assistant", self.answers),
        }, SFT_SCHEMA)

    def sft_prompt_completion(self) -> tuple[pa.Table, int]:
        return self._keep({
            "sample_id": self.chunk.column("sample_id"),
            "traits": self.chunk.column("traits"),
            "prompt": self.prompt,
            "completion": single_messages("assistant", self.answers),
        }, SFT_PROMPT_COMPLETION_SCHEMA)

    def gdpo(self) -> tuple[pa.Table, int]:
        dropped = self.chunk.column("dropped_candidates")
        flagged = GDPO_SCHEMA.field("unsafe_items").type
        return self._keep({
            "sample_id": self.chunk.column("sample_id"),
            "prompt": self.prompt,
            "ground_truth": self.chunk.column("ground_truth"),
            "traits": self.chunk.column("traits"),
            "unsafe_items": filter_items(dropped, "yes", flagged),
            "unknown_items": filter_items(dropped, "unknown", flagged),
            "seen_items": self.chunk.column("liked_items"),
        }, GDPO_SCHEMA)

    def dpo(self) -> tuple[pa.Table, int]:
        rows = self.chunk.select(_PAIR_COLUMNS).to_pylist()
        index, kinds, chosen, rejected = [], [], [], []
        for i, row in enumerate(rows):
            pairs = preference_items(row, self.config, self.sources)
            if not pairs:
                continue
            lead = self.leads[i]
            head = [lead] if lead is not None else []
            lines = display_lines(row["ground_truth"][: self.config.list_length])
            good = "\n".join(head + lines)
            for kind, negs in pairs:
                index.append(i)
                kinds.append(kind)
                chosen.append(good)
                rejected.append("\n".join(head + display_lines(negs)
                                          + lines[: len(lines) - len(negs)]))
        take = pa.array(np.asarray(index, dtype=np.int64))
        table = pa.table({
            "sample_id": self.chunk.column("sample_id").take(take),
            "rejection_type": pa.array(kinds, pa.string()),
            "prompt": self.prompt.take(take) if index else pa.array([], self.prompt.type),
            "chosen": single_messages("assistant", chosen),
            "rejected": single_messages("assistant", rejected),
        }).cast(PREFERENCE_SCHEMA)
        return table, len(rows) - len(set(index))

    def safecrs(self) -> tuple[pa.Table, int]:
        names = self.names or SafeCRSNames.from_ids(
            t for ts in self.chunk.column("traits").to_pylist() for t in ts or [])
        _ = self.prompt  # an InputError naming a sample without a user turn
        with gc_paused():  # many small dicts and strings
            rows = self.chunk.select([*_REASONING_COLUMNS, "messages"]).to_pylist()
            return to_safecrs_table(rows, self.config, self.phrases, names)

    def samples(self) -> tuple[pa.Table, int]:
        return self.chunk.select(SAMPLE_SCHEMA.names).cast(SAMPLE_SCHEMA), 0

    def build(self, fmt: str) -> tuple[pa.Table, int]:
        """The table of one format and the number of samples that gave no record."""
        return getattr(self, fmt)()
