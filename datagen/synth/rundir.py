"""The run directory: manifest, append-only shards with done-markers, merged outputs, stats.

Layout of ``runs/<name>/``::

    manifest.json            resolved config (no secrets), taxonomy/catalogue/tags identity,
                             package version, plan seed and plan hash, backend labels
    shards/NNNNN.samples.parquet, NNNNN.rejects.parquet, NNNNN.done.json
    samples.parquet          every sample (SAMPLE_SCHEMA), plan order
    rejects.parquet          REJECTS_SCHEMA: what did not become a sample, and why
    stats.json               counts per reason / trait / strategy, tokens, cost, timing

A shard is written as its two Parquet files first and its done-marker last (each atomically),
so a shard without a marker never counts: ``--resume`` deletes such leftovers and skips only
the sample ids listed in markers. The merged files are rebuilt from all shards at the end.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from datagen.errors import ConfigError, InputError
from datagen.parquet_io import atomic_write_bytes, read_parquet, write_parquet
from datagen.records.sample import SAMPLE_SCHEMA, Sample, samples_to_table

__all__ = ["REJECTS_SCHEMA", "RejectRecord", "RunDir"]

REJECTS_SCHEMA = pa.schema([
    ("sample_id", pa.string()),
    ("pair_id", pa.string()),
    ("seed_id", pa.string()),
    ("variant", pa.string()),
    ("traits", pa.list_(pa.string())),
    ("stage", pa.string()),  # "ground_truth" | "generate" | "verify"
    ("reason", pa.string()),
    ("error", pa.string()),
    ("raw_output", pa.string()),
    ("backend", pa.string()),
    ("model", pa.string()),
    ("input_tokens", pa.int64()),
    ("output_tokens", pa.int64()),
    ("attempts", pa.int32()),  # users drawn for the entry
    ("attempt_reasons", pa.list_(pa.string())),  # why each rejected draw was rejected
])

RejectRecord = dict[str, Any]


class RunDir:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.shards = self.path / "shards"

    # -- opening ------------------------------------------------------------------------
    def prepare(self, manifest: dict[str, Any], *, resume: bool, overwrite: bool,
                prefix_digest: Callable[[int], str] | None = None) -> set[str]:
        """Create, overwrite or resume the run; returns the sample ids already done.

        A resume may grow ``n`` (plans are prefix-stable): ``prefix_digest(users)`` gives the
        new plan's digest over its first ``users`` users, which must equal the run's plan.
        """
        existing = self.path.exists() and any(self.path.iterdir())
        if resume:
            if not (self.path / "manifest.json").is_file():
                raise ConfigError(f"{self.path}: nothing to resume (no manifest.json)")
            if self._check_same(manifest, prefix_digest):
                self.write_json("manifest.json", manifest)  # extended: the new n from now on
            self._drop_unfinished()
            return self.done_ids()
        if existing and not overwrite:
            raise ConfigError(f"{self.path} is not empty: pass --resume to continue that run "
                              "or --overwrite to replace it")
        if existing:
            if not (self.path / "manifest.json").is_file():
                raise ConfigError(f"{self.path}: refusing to overwrite a folder that is not "
                                  "a run directory (no manifest.json)")
            shutil.rmtree(self.path)
        self.shards.mkdir(parents=True, exist_ok=True)
        self.write_json("manifest.json", manifest)
        return set()

    def _check_same(self, manifest: dict[str, Any],
                    prefix_digest: Callable[[int], str] | None) -> bool:
        """Refuse a resume whose options or plan differ; True when it extends the run (a
        larger ``n`` whose plan starts with the run's plan)."""
        old = self.read_json("manifest.json")
        a, b = dict(old.get("config", {})), dict(manifest.get("config", {}))
        old_n, new_n = a.pop("n", None), b.pop("n", None)
        diffs = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        if isinstance(old_n, int) and isinstance(new_n, int) and new_n < old_n:
            diffs.append(f"n ({new_n} < {old_n}: a resume may only grow a run)")
        grows = not diffs and old_n != new_n
        if not diffs:
            old_plan, new_plan = old.get("plan", {}), manifest.get("plan", {})
            same = old_plan == new_plan
            if grows and prefix_digest is not None and isinstance(old_n, int):
                same = old_plan.get("seed") == new_plan.get("seed") and \
                    old_plan.get("sha256") == prefix_digest(old_n)
            if not same:
                diffs = ["plan (taxonomy, catalogue, tags or seeds changed)"]
        if diffs:
            raise ConfigError(f"{self.path}: --resume with different settings "
                              f"({', '.join(diffs)}); use the original options or --overwrite")
        return grows

    def _drop_unfinished(self) -> None:
        self.shards.mkdir(parents=True, exist_ok=True)
        done = {p.name.split(".")[0] for p in self.shards.glob("*.done.json")}
        for p in self.shards.iterdir():
            if p.name.split(".")[0] not in done or p.name.startswith("."):
                p.unlink()

    # -- shards -------------------------------------------------------------------------
    def done_ids(self) -> set[str]:
        ids: set[str] = set()
        for marker in sorted(self.shards.glob("*.done.json")):
            ids.update(json.loads(marker.read_text(encoding="utf-8"))["sample_ids"])
        return ids

    def _next_shard(self) -> str:
        numbers = [int(p.name.split(".")[0]) for p in self.shards.glob("*.done.json")]
        return f"{max(numbers, default=-1) + 1:05d}"

    def write_shard(self, samples: Sequence[Sample], rejects: Sequence[RejectRecord]) -> str:
        """Append one shard: samples, rejects, then the done-marker (last, atomic)."""
        name = self._next_shard()
        write_parquet(samples_to_table(list(samples)), self.shards / f"{name}.samples.parquet",
                      SAMPLE_SCHEMA)
        write_parquet(pa.Table.from_pylist(list(rejects), schema=REJECTS_SCHEMA),
                      self.shards / f"{name}.rejects.parquet", REJECTS_SCHEMA)
        ids = [s.sample_id for s in samples] + [r["sample_id"] for r in rejects]
        self.write_json(f"shards/{name}.done.json",
                        {"shard": name, "samples": len(samples), "rejects": len(rejects),
                         "sample_ids": ids})
        return name

    def read_shards(self) -> tuple[pa.Table, pa.Table]:
        """All finished shards concatenated: (samples, rejects)."""
        names = sorted(p.name.split(".")[0] for p in self.shards.glob("*.done.json"))
        samples = [read_parquet(self.shards / f"{n}.samples.parquet", SAMPLE_SCHEMA)
                   for n in names]
        rejects = [read_parquet(self.shards / f"{n}.rejects.parquet", REJECTS_SCHEMA)
                   for n in names]
        return (pa.concat_tables(samples) if samples else SAMPLE_SCHEMA.empty_table(),
                pa.concat_tables(rejects) if rejects else REJECTS_SCHEMA.empty_table())

    def merge(self, order: dict[str, int]) -> tuple[pa.Table, pa.Table]:
        """Write samples.parquet and rejects.parquet from the shards, in plan order."""
        samples, rejects = self.read_shards()
        samples = self._write_sorted(samples, "samples.parquet", SAMPLE_SCHEMA, order)
        rejects = self._write_sorted(rejects, "rejects.parquet", REJECTS_SCHEMA, order)
        return samples, rejects

    def _write_sorted(self, table: pa.Table, name: str, schema: pa.Schema,
                      order: dict[str, int]) -> pa.Table:
        """Write ``table`` in plan order; shards usually finish in plan order already, and
        then no reordered copy of the whole table is made (it is the largest allocation)."""
        ids: list[str] = table.column("sample_id").to_pylist()
        idx = sorted(range(len(ids)), key=lambda i: order.get(ids[i], 1 << 60))
        if any(i != k for k, i in enumerate(idx)):
            table = table.take(pa.array(idx, type=pa.int64()))
        write_parquet(table, self.path / name, schema)
        return table

    # -- JSON -----------------------------------------------------------------------------
    def write_json(self, name: str, data: dict[str, Any]) -> None:
        text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str)
        atomic_write_bytes((text + "\n").encode("utf-8"), self.path / name)

    def read_json(self, name: str) -> dict[str, Any]:
        path = self.path / name
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError("file not found", file=path) from None
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg})", file=path) from None
