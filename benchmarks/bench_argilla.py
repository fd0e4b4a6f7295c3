"""Benchmark: push 5,000 samples to a real argilla-server and pull them back (target < 3 min).

Starts a :class:`annotation.server.LocalArgillaStack` (needs ``scripts/setup_argilla.sh``)
unless ``ARGILLA_API_URL`` / ``ARGILLA_API_KEY`` point at a server. Builds synthetic samples
(4-turn dialogues, 6 ground-truth films, 1-2 traits or none), then times: the first push, a
no-op re-push (every record unchanged), and a pull that lists every record with its
responses and decides verdicts. Prints wall times, records per second and peak memory of this
process (ru_maxrss; the server runs in other processes).

The ceiling, measured in the same run against the same stack: a "bare SDK" pass logs the same
records (built beforehand with annotation.records, so no payload building, hashing, diffing or
progress bar is timed) with a plain ``dataset.records.log(records, batch_size=...)`` into a
second dataset with the same settings (annotation.settings.build_settings). ``--minimal`` adds
a pass with a dialogue-only dataset and record, to show the server's fixed per-record cost.
Our push time divided by the bare time is the overhead ratio; load averages are printed too.
With a local stack, its start-up and stop times are printed; and the human-inferability report
(``annotation.inferability``, 1,000 bootstrap resamples per row) is timed over the same
samples with three simulated blind answers each, next to its floor (the same pass with the
bootstrap switched off).

    python benchmarks/bench_argilla.py [--samples 5000] [--batch-size 250] [--minimal]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import resource
import time
from typing import Any

from annotation import inferability, intervals
from annotation.accounts import ensure_workspace
from annotation.client import connect
from annotation.pull import pull_verdicts
from annotation.push import push_samples
from annotation.records import record_payload, to_record
from annotation.server import LocalArgillaStack
from annotation.settings import FIELD_DIALOGUE, Q_CORRECTION, build_settings
from datagen.records.sample import (
    Cue,
    DroppedCandidate,
    Generation,
    HumanVerdict,
    ItemRef,
    Sample,
    TraitVote,
    Turn,
    Verification,
)
from datagen.taxonomy import load_taxonomy

TRAITS = ["animal_harm", "spiders_snakes", "gore", "needle_phobia", "claustrophobia",
          "self_harm_suicide", "horror_avoider", "young_children"]


def make_samples(n: int, version: str, seed: int = 7) -> list[Sample]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        traits = [] if i % 5 == 0 else rng.sample(TRAITS, rng.choice([1, 1, 2]))
        user = (f"Long week at the clinic again, and the night shifts blur together (#{i}). "
                "I want something gentle with a warm ending, nothing that makes me tense.")
        out.append(Sample(
            sample_id=f"bench-{i:06d}", taxonomy_version=version, seed_source="graph_profile",
            seed_id=f"seed-{i}", traits=traits,
            cues=[Cue(trait_id=t, strategy="life_event", idea="work", turn_index=0, text=user)
                  for t in traits],
            messages=[Turn(role="user", content=user),
                      Turn(role="assistant", content="Happy to help. What did you like lately?"),
                      Turn(role="user", content="Paddington 2, Chef and The Intouchables."),
                      Turn(role="assistant", content="Great picks - here are a few ideas.")],
            liked_items=[ItemRef(item_id="tt4468740", title="Paddington 2", year=2017)],
            ground_truth=[ItemRef(item_id=f"tt{2000000 + i * 7 + k}", title=f"Film {k}",
                                  year=1990 + k) for k in range(6)],
            dropped_candidates=[DroppedCandidate(item_id="tt0099052", title="Arachnophobia",
                                                 year=1990, trait_id="spiders_snakes",
                                                 status="yes", reason="unsafe:spiders_snakes")],
            generation=Generation(backend="offline", model="composer", is_llm=False,
                                  prompt_version="p1"),
            verification=Verification(passed=True, leak_passed=True, judge_agreement=0.5)))
    return out


def _load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def _bare_log(client: Any, name: str, settings: Any, records: list[Any],
              batch_size: int) -> float:
    """Create ``name`` with ``settings`` and time one plain ``records.log`` of ``records``."""
    import argilla as rg

    ws = ensure_workspace(client, "bench")
    ds = rg.Dataset(name=name, workspace=ws, settings=settings, client=client).create()
    with contextlib.redirect_stderr(io.StringIO()):  # the SDK's tqdm bar, not timed text
        t0 = time.perf_counter()
        ds.records.log(records, batch_size=batch_size)
        return time.perf_counter() - t0


def bare_pass(client: Any, samples: list[Sample], tax: Any, batch_size: int) -> float:
    """The same records, same settings, plain SDK: the ceiling for our push."""
    records = [to_record(record_payload(s)) for s in samples]
    return _bare_log(client, "bench-bare", build_settings(tax, client), records, batch_size)


def minimal_pass(client: Any, samples: list[Sample], batch_size: int) -> float:
    """Dialogue field only (plus the one question Argilla requires): the server's floor."""
    import argilla as rg

    settings = rg.Settings(
        fields=[rg.ChatField(FIELD_DIALOGUE, _client=client)],
        questions=[rg.TextQuestion(Q_CORRECTION, client=client)])
    records = [rg.Record(id=s.sample_id, fields={FIELD_DIALOGUE: [
        {"role": t.role, "content": t.content} for t in s.messages]}) for s in samples]
    return _bare_log(client, "bench-minimal", settings, records, batch_size)


def _with_votes(samples: list[Sample], seed: int = 11) -> list[Sample]:
    """Three simulated blind answers per sample: the planned trait named 80% of the time."""
    rng = random.Random(seed)
    out = []
    for s in samples:
        counts: dict[str, int] = {}
        for _ in range(3):
            named = [t for t in s.traits if rng.random() < 0.8] or ["none"]
            for t in named:
                counts[t] = counts.get(t, 0) + 1
        votes = [TraitVote(trait=t, votes=c) for t, c in sorted(counts.items())]
        out.append(s.model_copy(update={"human": HumanVerdict(
            verdict="accepted", votes=3, trait_votes=votes, traits_suggested=False)}))
    return out


def time_inferability(samples: list[Sample]) -> tuple[float, float]:
    """Seconds for the full report, and for the same report without bootstrap (its floor)."""
    voted = _with_votes(samples)
    t0 = time.perf_counter()
    inferability.inferability_report(voted, traits_suggested=False)
    full = time.perf_counter() - t0
    keep = inferability.bootstrap_alpha
    inferability.bootstrap_alpha = lambda yes, m, **kw: None  # type: ignore[assignment]
    try:
        t0 = time.perf_counter()
        inferability.inferability_report(voted, traits_suggested=False)
        floor = time.perf_counter() - t0
    finally:
        inferability.bootstrap_alpha = keep
    return full, floor


def run(url: str, key: str, n: int, batch_size: int, minimal: bool, bare_first: bool) -> None:
    tax = load_taxonomy()
    client = connect(url, key)
    samples = make_samples(n, f"{tax.name}@{tax.version}")
    print(f"before: {_load()}")
    t_bare = bare_pass(client, samples, tax, batch_size) if bare_first else 0.0
    t0 = time.perf_counter()
    first = push_samples(client, samples, dataset="bench", workspace="bench", taxonomy=tax,
                         batch_size=batch_size)
    t_push = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = push_samples(client, samples, dataset="bench", workspace="bench", taxonomy=tax,
                         batch_size=batch_size)
    t_repush = time.perf_counter() - t0
    t0 = time.perf_counter()
    pulled = pull_verdicts(client, dataset="bench", workspace="bench")
    t_pull = time.perf_counter() - t0
    assert first.created == n and again.unchanged == n and pulled.records == n
    if not bare_first:
        t_bare = bare_pass(client, samples, tax, batch_size)
    t_min = minimal_pass(client, samples, batch_size) if minimal else None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"push    {n} records: {t_push:7.1f} s ({n / t_push:6.0f} records/s, "
          f"batch {batch_size})")
    print(f"re-push {n} records: {t_repush:7.1f} s (all unchanged, nothing sent)")
    print(f"pull    {n} records: {t_pull:7.1f} s ({n / t_pull:6.0f} records/s)")
    print(f"push + pull: {t_push + t_pull:.1f} s (target < 180 s); peak RSS {peak:.0f} MiB")
    print(f"bare SDK log {n} records (same settings, same records, run "
          f"{'before' if bare_first else 'after'} ours): {t_bare:7.1f} s "
          f"({n / t_bare:6.0f} records/s)")
    print(f"ratio bare/ours: {t_bare / t_push:.2f} (1.00 = our push is at the SDK ceiling)")
    if t_min is not None:
        print(f"minimal log {n} records (dialogue field only): {t_min:7.1f} s "
              f"({n / t_min:6.0f} records/s)")
    t_inf, t_floor = time_inferability(samples)
    print(f"inferability report over {n} samples x 3 answers: {t_inf:.2f} s "
          f"({intervals.RESAMPLES} bootstrap resamples per row); without bootstrap {t_floor:.2f} s")
    print(f"after: {_load()} ({os.cpu_count()} cores)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", "--n", type=int, default=5000)
    ap.add_argument("--batch-size", type=int, default=250)
    ap.add_argument("--minimal", action="store_true",
                    help="also time a dialogue-only dataset (the server's per-record floor)")
    ap.add_argument("--bare-first", action="store_true",
                    help="run the bare SDK pass before ours (to see the order effect)")
    args = ap.parse_args()
    url, key = os.environ.get("ARGILLA_API_URL"), os.environ.get("ARGILLA_API_KEY")
    with contextlib.ExitStack() as stack:
        if not (url and key):
            t0 = time.perf_counter()
            local = LocalArgillaStack().start()
            url, key = local.url, local.api_key
            print(f"local stack ready in {time.perf_counter() - t0:.1f} s at {url}")
            stack.callback(_timed_stop, local)
        run(url, key, args.samples, args.batch_size, args.minimal,
            args.bare_first)


def _timed_stop(local: LocalArgillaStack) -> None:
    t0 = time.perf_counter()
    local.stop()
    print(f"local stack stopped in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
