"""Benchmark: push 5,000 (film, trait) tag records to a real argilla-server, pull them back.

Starts a :class:`annotation.server.LocalArgillaStack` (needs ``scripts/setup_argilla.sh``)
unless ``ARGILLA_API_URL`` / ``ARGILLA_API_KEY`` point at a server. The records are the
5,000 tags most worth verifying among the embedded default tags of the bokeh catalogue
(:func:`annotation.tag_select.select_tags`). Timed: selection, the first push, a no-op
re-push, two annotators answering ``--answers`` records each through the UI's REST calls
(printed, not part of the target), and the pull (every record with its responses, verdicts,
agreement, the human:argilla evidence file). Target: push + pull < 3 minutes.

The ceiling, in the same run against the same stack: the same records (built beforehand)
logged with a bare ``dataset.records.log`` into a second dataset with the same settings.

    python benchmarks/bench_tag_argilla.py [--records 5000] [--answers 200]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import tempfile
import time
from pathlib import Path

import httpx


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _answer(url: str, user: str, password: str, dataset_id: str, n: int) -> int:
    """Submit ``n`` verdicts as an annotator would (token, records search, responses)."""
    base = f"{url}/api/v1"
    token = httpx.post(f"{base}/token", data={"username": user, "password": password},
                       timeout=30).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    items = httpx.post(f"{base}/me/datasets/{dataset_id}/records/search",
                       params={"limit": n}, json={}, headers=headers, timeout=60).json()["items"]
    for k, it in enumerate(items[:n]):
        verdict = "absent" if k % 3 else "present"
        body = {"values": {"verdict": {"value": verdict}}, "status": "submitted"}
        r = httpx.post(f"{base}/records/{it['record']['id']}/responses", json=body,
                       headers=headers, timeout=30)
        r.raise_for_status()
    return min(n, len(items))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=5_000)
    parser.add_argument("--answers", type=int, default=200)
    args = parser.parse_args()

    from annotation.accounts import add_user, ensure_workspace
    from annotation.client import connect
    from annotation.server import LocalArgillaStack
    from annotation.tag_pull import pull_tags
    from annotation.tag_push import push_tags
    from annotation.tag_records import tag_payload, to_tag_record
    from annotation.tag_select import SelectOptions, select_tags
    from annotation.tag_settings import build_tag_settings
    from datagen.catalogue import load_default_catalogue
    from datagen.tags.defaults import default_tag_index
    from datagen.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    catalogue = load_default_catalogue()
    index, _ = default_tag_index(catalogue, taxonomy)
    items = {i.item_id: i for i in catalogue.items}
    t = time.perf_counter()
    chosen = select_tags(index.table, popularity={i: x.popularity for i, x in items.items()},
                         options=SelectOptions(limit=args.records))
    select_s = time.perf_counter() - t
    own = not os.environ.get("ARGILLA_API_URL")
    stack = LocalArgillaStack() if own else None
    if stack is not None:
        stack.start()
    try:
        url = stack.url if stack else os.environ["ARGILLA_API_URL"]
        client = connect(url, stack.api_key if stack else None)
        t = time.perf_counter()
        res = push_tags(client, chosen, items, dataset="bench-tags", workspace="bench",
                        taxonomy=taxonomy)
        push_s = time.perf_counter() - t
        t = time.perf_counter()
        again = push_tags(client, chosen, items, dataset="bench-tags", workspace="bench",
                          taxonomy=taxonomy)
        repush_s = time.perf_counter() - t
        t = time.perf_counter()
        answered = 0
        for name in ("bench1", "bench2"):
            add_user(client, name, workspace="bench", password=f"{name}-password")
            answered += _answer(url, name, f"{name}-password", res.dataset_id, args.answers)
        answer_s = time.perf_counter() - t
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            pulled, report = pull_tags(client, dataset="bench-tags", workspace="bench",
                                       out_path=Path(tmp) / "human.parquet",
                                       report_path=Path(tmp) / "report.json")
            pull_s = time.perf_counter() - t
        import argilla as rg

        records = [to_tag_record(tag_payload(c, items.get(c.item_id), taxonomy)) for c in chosen]
        ws = ensure_workspace(client, "bench")
        bare = rg.Dataset(name="bench-tags-bare", workspace=ws, client=client,
                          settings=build_tag_settings(taxonomy, client)).create()
        t = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):
            for start in range(0, len(records), 250):
                bare.records.log(records[start:start + 250], batch_size=250)
        bare_s = time.perf_counter() - t
    finally:
        if stack is not None:
            stack.stop()
    print(f"records {res.total:,} (created {res.created:,}); re-push unchanged "
          f"{again.unchanged:,}; pulled {pulled.records:,} records, verdicts "
          f"{report['verdicts']}, evidence rows {report['evidence_rows']}")
    print(f"{'select (impact and doubt)':30s} {select_s:7.1f} s")
    print(f"{'push':30s} {push_s:7.1f} s  ({res.total / push_s:,.0f} records/s)")
    print(f"{'re-push (no-op)':30s} {repush_s:7.1f} s")
    print(f"{'answers (not in target)':30s} {answer_s:7.1f} s  ({answered} responses)")
    print(f"{'pull':30s} {pull_s:7.1f} s")
    print(f"{'push + pull (target < 180 s)':30s} {push_s + pull_s:7.1f} s")
    print(f"{'ceiling: bare records.log':30s} {bare_s:7.1f} s  (push / bare = "
          f"{push_s / bare_s:.2f})")
    print(f"peak RSS of this process {_rss_mib():,.0f} MiB; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
