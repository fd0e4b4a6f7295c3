"""The folder of one predict run: the synthesis run directory's resume rules, JSONL shards.

Layout of ``<run-dir>/predictions/<name>.run/``::

    manifest.json             resolved config (no secrets), the split's case ids hash, labels
    shards/NNNNN.predictions.jsonl, NNNNN.done.json
    stats.json                answers, errors, parse failures, tokens, acquisition figures

and the merged ``<run-dir>/predictions/<name>.jsonl`` beside it, which ``datagen evaluate``
reads. As in :class:`datagen.synth.rundir.RunDir` (whose manifest check, leftover cleanup and
done-markers are reused), a shard counts only once its marker is written, last and
atomically: a run killed at any point resumes without duplicating or dropping a case. With
``--retry-errors`` the cases whose call failed run again; the newest shard's record wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from datagen.evaluate.predictions import PredictionRecord, load_predictions
from datagen.parquet_io import atomic_write_bytes
from datagen.synth.rundir import RunDir

__all__ = ["PredictRunDir"]


class PredictRunDir(RunDir):
    def write_records(self, records: Sequence[PredictionRecord]) -> str:
        """Append one shard: the records, then the done-marker (last, atomic)."""
        import json

        name = self._next_shard()
        lines = "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in records)
        atomic_write_bytes(lines.encode("utf-8"), self.shards / f"{name}.predictions.jsonl")
        self.write_json(f"shards/{name}.done.json",
                        {"shard": name, "predictions": len(records),
                         "sample_ids": [r.sample_id for r in records]})
        return name

    def read_records(self) -> dict[str, PredictionRecord]:
        """Every finished shard's records by sample id; a later shard's record wins."""
        out: dict[str, PredictionRecord] = {}
        for marker in sorted(self.shards.glob("*.done.json")):
            shard = self.shards / marker.name.replace(".done.json", ".predictions.jsonl")
            if shard.stat().st_size:
                out.update(load_predictions(shard).records)
        return out
