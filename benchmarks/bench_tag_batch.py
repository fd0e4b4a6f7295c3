"""Benchmark: whole-film tagging of the catalogue through the provider batch path.

The fake server (a test double, not an LLM) runs in its own process and answers every
request of a batch with one verdict per trait (read from the prompt's trait list). Timed, in
this process (peak RSS is this process's, the server's is printed apart):

1. build: one request per film (the prompt, the answer schema, the cache key);
2. submit: the body of every request from the live backend's ``request_params``, written
   to JSONL, uploaded with ``files.create`` and started with ``batches.create`` (5,000 a
   batch);
3. wait: polls until the server has run every request;
4. collect: ``files.content``, every answer parsed, stored in the response cache, turned
   into evidence;
5. fuse: the LLM evidence with the embedded default evidence into item tags.

The floor printed beside it is the serialization any batch client must do: ``json.dumps`` of
every request line and ``json.loads`` of every answer line, with nothing else.
Run: ``python benchmarks/bench_tag_batch.py --films 17470`` (``--backend anthropic`` for
Message Batches).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_TRAIT = re.compile(r"^- ([a-z][a-z0-9_]*) \(", re.M)
_FILM = re.compile(r"^Film: (.*)$", re.M)


def reply(body: dict[str, Any], api: str) -> str:
    """Fake-server responder: present for every 7th (film, trait), unsure every 5th."""
    system = body.get("system") or ""
    user = ""
    for m in body.get("messages", []):
        if m["role"] == "system":
            system = m["content"]
        elif m["role"] == "user" and not user:
            user = m["content"]
    match = _FILM.search(user)
    seed = sum(map(ord, match.group(1))) if match else 0
    out = {}
    for i, trait in enumerate(_TRAIT.findall(system)):
        k = (seed + i) % 35
        verdict = "present" if k % 7 == 0 else "unsure" if k % 5 == 0 else "absent"
        out[trait] = {"verdict": verdict, "reason": f"fake reason {k}"}
    return json.dumps(out)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _server_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _floor(lines: list[dict[str, Any]], answers: list[bytes]) -> float:
    start = time.perf_counter()
    for obj in lines:
        json.dumps(obj, separators=(",", ":"))
    for raw in answers:
        json.loads(raw)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--films", type=int, default=17_470)
    parser.add_argument("--backend", choices=["openai", "anthropic"], default="openai")
    parser.add_argument("--batch-size", type=int, default=5_000)
    args = parser.parse_args()

    from pydantic import SecretStr

    from datagen.catalogue import load_default_catalogue
    from datagen.llm import BackendConfig, ResponseCache
    from datagen.llm.batch import BatchOptions, make_batch_provider
    from datagen.llm.batch_store import BatchStore
    from datagen.llm.fake_server_proc import FakeServerProcess
    from datagen.tags import build_item_tags
    from datagen.tags.defaults import default_evidence
    from datagen.tags.llm_batch import tag_items_batch
    from datagen.tags.llm_tagging import (
        LlmTaggingOptions,
        build_request,
        new_task,
        outcomes_frame,
        select_items,
    )
    from datagen.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    catalogue = load_default_catalogue()
    items = select_items(catalogue, limit=args.films)
    env = {"PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    phases: dict[str, float] = {}
    events: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp, \
            FakeServerProcess(responder="bench_tag_batch:reply", env=env) as srv:
        base = srv.openai_base_url if args.backend == "openai" else srv.anthropic_base_url
        config = BackendConfig(kind=args.backend, model="fake-model", base_url=base,
                               api_key=SecretStr("bench"))
        provider = make_batch_provider(config)
        options = LlmTaggingOptions(max_parse_attempts=1)
        t0 = time.perf_counter()
        with ResponseCache(Path(tmp) / "cache.sqlite") as cache, \
                BatchStore(Path(tmp) / "batches.sqlite") as store:
            outcomes, reports = tag_items_batch(
                provider, items, taxonomy, options, store=store, cache=cache,
                batch_options=BatchOptions(poll_interval=0.2, chunk_size=args.batch_size),
                on_event=lambda kind, data: events.append((kind, time.perf_counter())))
        phases["build + submit + wait + collect"] = time.perf_counter() - t0
        evidence = outcomes_frame(outcomes)
        t1 = time.perf_counter()
        tags = build_item_tags(catalogue, taxonomy, [*default_evidence(catalogue, taxonomy),
                                                     evidence])
        phases["fuse"] = time.perf_counter() - t1
        server_rss = _server_rss_mib(srv.proc.pid) if srv.proc else float("nan")
        provider.close()
        # the floor: serialization of the same number of request and answer lines
        body = provider.body(build_request(new_task(items[0], taxonomy), taxonomy, options))
        lines = [{"custom_id": str(i), "body": body} for i in range(len(items))]
        answer = json.dumps({"custom_id": "x", "response": {"body": {"choices": [
            {"message": {"content": reply(body, args.backend)}}]}}}).encode()
        floor = _floor(lines, [answer] * len(items))
    submitted = [t for k, t in events if k == "submitted"]
    collected = [t for k, t in events if k == "collected"]
    total = sum(phases.values())
    ok = sum(o.status in ("ok", "repaired") for o in outcomes)
    print(f"films {len(items):,} ({args.backend}); answered {ok:,}; evidence rows "
          f"{evidence.height:,}; tags {tags.num_rows:,}; batches "
          f"{sum(len(r.submitted_batches) for r in reports)}")
    if submitted and collected:
        print(f"first submitted after {submitted[0] - t0:.1f} s; last collected after "
              f"{collected[-1] - t0:.1f} s")
    for name, seconds in phases.items():
        print(f"{name:34s} {seconds:7.1f} s")
    print(f"{'total (target < 120 s)':34s} {total:7.1f} s")
    print(f"{'floor: json dumps + loads only':34s} {floor:7.1f} s")
    print(f"peak RSS: this process {_rss_mib():,.0f} MiB (target < 1024); fake server "
          f"{server_rss:,.0f} MiB")
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
