"""Model-free stages ahead of the model calls, on the other core: the runner's prefetcher.

Ground truth (candidate ranking over the graph, tag checks) costs a few milliseconds of CPU
per entry and needs no model. Computed in the event loop, it starves the pipe: while it
runs, no response is read and no request is sent. :class:`Prefetcher` runs
:func:`~datagen.synth.pipeline.prepare_entry` in one forked worker process, which inherits
the run's inputs (graph, tags, catalogue) copy-on-write instead of pickling them, and streams
the results back in chunks a bounded distance ahead of the calls, with each entry's prompt
and answer schema (the generator's ``request_parts``); the event loop only feeds requests.
Where ``fork`` is not available, or for runs too small to repay a process, the entries are
prepared in the loop, yielding after each one.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import deque
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from datagen.synth.pipeline import Outcome, Prepared, StageContext, prepare_entry
from datagen.synth.plan import PlanEntry

__all__ = ["Prefetcher"]

#: entries per round trip to the worker (small: the first calls wait for the first chunk)
CHUNK = 32
#: chunks in the worker's queue at once (bounds how far preparation runs ahead)
AHEAD = 3
#: below this many entries a worker process costs more than it saves
MIN_ENTRIES = 128

#: the worker's context: set in the parent just before the fork, inherited by the child
_CONTEXT: StageContext | None = None


def _prepare_chunk(entries: Sequence[PlanEntry]) -> list[tuple[Prepared | Outcome, Any]]:
    """Each entry prepared, with its request parts when it goes on to a model (the
    generator's ``request_parts``: prompt and schema, built here rather than in the loop)."""
    assert _CONTEXT is not None, "the prefetch worker was not forked from a runner"
    parts_of = getattr(_CONTEXT.generator, "request_parts", None)
    out: list[tuple[Prepared | Outcome, Any]] = []
    for entry in entries:
        prepared = prepare_entry(_CONTEXT, entry)
        # the prepared entry: the user drawn for it (its liked films) is what the prompt names
        parts = parts_of(prepared.entry) if parts_of is not None and \
            isinstance(prepared, Prepared) else None
        out.append((prepared, parts))
    return out


class Prefetcher:
    """``async for item in Prefetcher(ctx, entries):`` -> Prepared or a reject Outcome, in
    plan order."""

    def __init__(self, ctx: StageContext, entries: Sequence[PlanEntry], *,
                 use_process: bool | None = None) -> None:
        self.ctx, self.entries = ctx, list(entries)
        fork = "fork" in multiprocessing.get_all_start_methods()
        self.use_process = (fork and len(self.entries) >= MIN_ENTRIES) if use_process is None \
            else use_process and fork
        self._pool: Executor | None = None

    def __aiter__(self) -> AsyncIterator[Prepared | Outcome]:
        return self._process() if self.use_process else self._in_loop()

    async def _in_loop(self) -> AsyncIterator[Prepared | Outcome]:
        for entry in self.entries:
            yield prepare_entry(self.ctx, entry)
            await asyncio.sleep(0)  # let responses in between two entries

    async def _process(self) -> AsyncIterator[Prepared | Outcome]:
        global _CONTEXT
        loop = asyncio.get_running_loop()
        _CONTEXT = self.ctx
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
        self._pool = pool
        chunks = deque(self.entries[i:i + CHUNK] for i in range(0, len(self.entries), CHUNK))
        waiting: deque[asyncio.Future[list[Any]]] = deque()
        try:
            while chunks or waiting:
                while chunks and len(waiting) < AHEAD:
                    waiting.append(loop.run_in_executor(pool, _prepare_chunk, chunks.popleft()))
                prime = getattr(self.ctx.generator, "prime", None)
                for item, parts in await waiting.popleft():
                    if parts is not None and prime is not None:
                        prime(item.entry.sample_id, parts)
                    yield item
        finally:
            _CONTEXT = None
            for future in waiting:
                future.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
