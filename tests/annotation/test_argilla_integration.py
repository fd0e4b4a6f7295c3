"""The whole loop against a real argilla-server (started once per session on random ports).

push (CLI) -> annotator accounts (CLI subprocess) -> two annotators answer through the REST
API as themselves -> pull (CLI) -> verdicts in the Parquet and agreement in the report;
re-push idempotence; a server restart in the middle of a push, then a resumed push.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from annotator import Annotator
from factories import make_sample, make_samples
from typer.testing import CliRunner

from annotation.accounts import find_workspace
from annotation.agreement import krippendorff_alpha
from annotation.errors import (
    DatasetSettingsMismatchError,
    PushInterruptedError,
    TaxonomyVersionMismatchError,
)
from annotation.pull import pull_verdicts
from annotation.push import find_dataset, push_samples
from annotation.samples_io import load_samples
from annotation.server import LocalArgillaStack
from datagen.cli.main import app
from datagen.parquet_io import write_parquet
from datagen.records.sample import SAMPLE_SCHEMA, Sample, samples_to_table
from datagen.taxonomy import load_taxonomy

pytestmark = pytest.mark.integration

WS = "itest"


def _write(samples: list[Sample], path: Path) -> Path:
    return write_parquet(samples_to_table(samples), path, SAMPLE_SCHEMA)


def _cli(stack: LocalArgillaStack, *args: str) -> str:
    res = CliRunner().invoke(app, ["annotate", *args, "--api-url", stack.url,
                                   "--api-key", stack.api_key])
    assert res.exit_code == 0, (res.output, res.exception)
    return res.output


def _cli_error(stack: LocalArgillaStack, *args: str) -> BaseException | None:
    """The error a CLI call raised (the console script prints it as one line, exit 2)."""
    res = CliRunner().invoke(app, ["annotate", *args, "--api-url", stack.url,
                                   "--api-key", stack.api_key])
    return res.exception


def _datagen(stack: LocalArgillaStack, *args: str,
             key: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real console script (as a user would), credentials from the environment."""
    env = {**os.environ, "ARGILLA_API_URL": stack.url, "ARGILLA_API_KEY": key or stack.api_key,
           "COLUMNS": "200"}
    exe = Path(sys.executable).with_name("datagen")
    return subprocess.run([str(exe), "annotate", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def _answers(i: int, who: str) -> dict[str, object]:
    """Planned answers: records 0-9 by both annotators, 10-11 by ann1 only.

    cue_implicit: ann2 says "no" on records 3 and 7 (8 of 10 pairs agree).
    naturalness: ann1 4 everywhere; ann2 4, except 2 on record 5 and 5 on record 6.
    gt_safe: yes, except both say "no" on record 8 and tick film #2.
    """
    cue = "no" if who == "ann2" and i in (3, 7) else "yes"
    nat = 4 if who == "ann1" else {5: 2, 6: 5}.get(i, 4)
    ans: dict[str, object] = {"cue_implicit": cue, "traits": ["gore"], "gt_safe": "yes",
                              "naturalness": nat}
    if i == 8:
        ans.update(gt_safe="no", offending_films=["film2"], correction=f"{who}: #2 is gory")
    return ans


@pytest.fixture(scope="module")
def annotated(argilla_stack: LocalArgillaStack, tmp_path_factory: pytest.TempPathFactory):
    """12 samples pushed (13 in the Parquet), two annotators, their answers."""
    tmp = tmp_path_factory.mktemp("annotated")
    samples = make_samples(13)
    pushed = _write(samples[:12], tmp / "pushed.parquet")
    full = _write(samples, tmp / "samples.parquet")
    out = _cli(argilla_stack, "push", "--input", str(pushed), "--dataset", "flow",
               "--workspace", WS, "--min-submitted", "2", "--json")
    result = json.loads(out.strip().splitlines()[-1])
    for name in ("ann1", "ann2"):
        proc = _datagen(argilla_stack, "users", "add", name, "--role", "annotator",
                        "--workspace", WS, "--password", f"{name}-secret-pw")
        assert proc.returncode == 0, proc.stderr
        assert "created" in proc.stdout
    for name in ("ann1", "ann2"):
        ann = Annotator(argilla_stack.url, name, f"{name}-secret-pw")
        ids = ann.record_ids(result["dataset_id"])
        assert len(ids) == 12
        for i in range(12 if name == "ann1" else 10):
            ann.submit(ids[f"s{i:05d}"], **_answers(i, name))
    return {"result": result, "full": full, "tmp": tmp, "samples": samples}


def test_push_result(annotated) -> None:
    res = annotated["result"]
    assert (res["total"], res["created"], res["updated"], res["unchanged"]) == (12, 12, 0, 0)
    assert res["taxonomy_version"] == load_taxonomy().version_tag


def test_pull_writes_verdicts_and_agreement(argilla_stack: LocalArgillaStack, annotated) -> None:
    tmp = annotated["tmp"]
    out, report = tmp / "verified.parquet", tmp / "report.json"
    _cli(argilla_stack, "pull", "--input", str(annotated["full"]), "--dataset", "flow",
         "--workspace", WS, "--out", str(out), "--report", str(report))
    by_id = {s.sample_id: s.human for s in load_samples(out)}
    verdicts = {k: (h.verdict if h else None) for k, h in by_id.items()}
    # ties on cue_implicit (3, 7) and both gt_safe=no (8) reject; 10, 11 lack a 2nd response
    assert [k for k, v in verdicts.items() if v == "rejected"] == ["s00003", "s00007", "s00008"]
    assert verdicts["s00010"] == verdicts["s00011"] == "pending"
    assert verdicts["s00012"] is None  # in the Parquet, never pushed
    assert sum(v == "accepted" for v in verdicts.values()) == 7
    h8 = by_id["s00008"]
    assert h8 is not None and h8.votes == 2 and h8.traits == ["gore"]
    assert "offending: Film 8-2 (2002)" in h8.notes and "#2 is gory" in h8.notes
    assert by_id["s00010"] is not None and by_id["s00010"].votes == 1

    rep = json.loads(report.read_text())
    assert rep["verdicts"] == {"accepted": 7, "rejected": 3, "pending": 2}
    assert rep["annotators"] == {"ann1": 12, "ann2": 10}
    cue = rep["agreement"]["cue_implicit"]
    # hand count: 20 pairable values (18 yes, 2 no), 2 split units -> o_yn = o_ny = 2
    assert cue["units"] == 10 and cue["percent"] == pytest.approx(0.8)
    assert cue["alpha"] == pytest.approx(1 - 19 * 4 / (2 * 18 * 2))
    nat_units = [[4, {5: 2, 6: 5}.get(i, 4)] for i in range(10)]
    assert rep["agreement"]["naturalness"]["alpha"] == pytest.approx(
        krippendorff_alpha(nat_units, "ordinal"))
    assert rep["agreement"]["gt_safe"]["alpha"] == pytest.approx(1.0)
    assert rep["trait_agreement"]["gore"]["percent"] == 1.0
    md = report.with_suffix(".md").read_text()
    assert md.startswith("# Annotation report: flow")
    assert "blind: annotators answered from the dialogue alone" in md


def test_pull_reports_human_inferability_next_to_the_judge(argilla_stack: LocalArgillaStack,
                                                           annotated) -> None:
    """Everyone ticked `gore` only (blind: nothing pre-selected); the judge named nothing.

    gore is planned on records 0, 2, 6, 8, 10 (with needle_phobia), spiders_snakes on 1, 3,
    5, 7, 11, and 4 and 9 are controls; records 10 and 11 have one answer, the rest two.
    """
    tmp = annotated["tmp"]
    out, report = tmp / "inferability.parquet", tmp / "inferability.json"
    _cli(argilla_stack, "pull", "--input", str(annotated["full"]), "--dataset", "flow",
         "--workspace", WS, "--out", str(out), "--report", str(report))
    rep = json.loads(report.read_text())
    assert rep["traits_question"] == "blind"
    inf = rep["inferability"]
    assert inf["traits_suggested"] is False and inf["records"] == 12
    gore, needle = inf["per_trait"]["gore"], inf["per_trait"]["needle_phobia"]
    assert (gore["human"]["share"], gore["human"]["n"], gore["human"]["answers"]) == (1.0, 5, 9)
    assert gore["judge"]["share"] == 0.0 and gore["judge_vs_majority"]["share"] == 0.0
    assert 0.5 < gore["human"]["low"] < 1.0 == gore["human"]["high"]
    assert needle["human"]["share"] == 0.0 == inf["per_trait"]["spiders_snakes"]["human"]["share"]
    assert inf["controls"]["human"]["share"] == 1.0 and inf["controls"]["human"]["n"] == 2
    assert gore["false_positive_human"]["share"] == 1.0
    assert inf["overall"]["human"]["share"] == pytest.approx(9 / 27)
    assert list(inf["per_strategy"]) == ["life_event"]
    h8 = {s.sample_id: s.human for s in load_samples(out)}["s00008"]
    assert h8 is not None and h8.traits_suggested is False
    assert [(v.trait, v.votes) for v in h8.trait_votes] == [("gore", 2)]
    assert h8.inferability == 0.5  # gore 2 of 2, needle_phobia 0 of 2


def test_suggest_traits_is_fixed_per_dataset(argilla_client, annotated) -> None:
    tax, samples = load_taxonomy(), annotated["samples"][:3]
    with pytest.raises(DatasetSettingsMismatchError, match=r"asks for traits blind"):
        push_samples(argilla_client, samples, dataset="flow", workspace=WS, taxonomy=tax,
                     suggest_traits=True)
    res = push_samples(argilla_client, samples, dataset="suggested", workspace=WS,
                       taxonomy=tax, suggest_traits=True)
    assert res.traits_suggested
    ds = find_dataset(argilla_client, "suggested", find_workspace(argilla_client, WS))
    rec = {r.id: r for r in ds.records(with_suggestions=True)}["s00000"]
    assert rec.suggestions["traits"].value == ["gore", "needle_phobia"]
    assert pull_verdicts(argilla_client, dataset="suggested", workspace=WS).traits_suggested
    with pytest.raises(DatasetSettingsMismatchError, match=r"push with --suggest-traits"):
        push_samples(argilla_client, samples, dataset="suggested", workspace=WS, taxonomy=tax)
    blind = find_dataset(argilla_client, "flow", find_workspace(argilla_client, WS))
    assert not any(r.suggestions for r in blind.records(with_suggestions=True))


def test_repush_is_idempotent_and_updates_content(argilla_client, annotated) -> None:
    tax = load_taxonomy()
    samples = annotated["samples"][:12]
    again = push_samples(argilla_client, samples, dataset="flow", workspace=WS, taxonomy=tax)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 12)
    changed = [s.model_copy(deep=True) for s in samples]
    changed[4].messages[2].content = "Paddington 2 and Amelie, both twice. (edited)"
    res = push_samples(argilla_client, changed, dataset="flow", workspace=WS, taxonomy=tax)
    assert (res.created, res.updated, res.unchanged) == (0, 1, 11)
    ds = find_dataset(argilla_client, "flow", find_workspace(argilla_client, WS))
    records = {r.id: r for r in ds.records(with_responses=True)}
    assert len(records) == 12
    assert records["s00004"].fields["dialogue"][2].content.endswith("(edited)")
    assert len(records["s00004"].responses) > 0  # annotators' work survives the update


def test_restart_mid_push_then_resume(argilla_stack: LocalArgillaStack, argilla_client) -> None:
    tax = load_taxonomy()
    samples = [make_sample(i) for i in range(200)]
    seen: list[int] = []

    def stop_after_two_batches(done: int, todo: int) -> None:
        seen.append(done)
        if done == 100:
            argilla_stack.stop_server()

    with pytest.raises(PushInterruptedError, match="stopped after 100 of 200 records"):
        push_samples(argilla_client, samples, dataset="restart", workspace=WS, taxonomy=tax,
                     batch_size=50, on_progress=stop_after_two_batches)
    argilla_stack.start_server()
    argilla_stack.wait_ready()
    res = push_samples(argilla_client, samples, dataset="restart", workspace=WS, taxonomy=tax,
                       batch_size=50)
    assert (res.created, res.unchanged) == (100, 100)
    assert seen == [0, 50, 100]
    ds = find_dataset(argilla_client, "restart", find_workspace(argilla_client, WS))
    ids = [r.id for r in ds.records(with_responses=False, with_suggestions=False)]
    assert sorted(ids) == sorted(s.sample_id for s in samples)


def test_clear_errors(argilla_stack: LocalArgillaStack, argilla_client, tmp_path: Path) -> None:
    import argilla as rg

    path = _write(make_samples(3), tmp_path / "s.parquet")
    push = ("push", "--input", str(path), "--workspace", WS)

    wrong = _datagen(argilla_stack, *push, "--dataset", "flow", key="not-the-key-123")
    assert wrong.returncode == 2
    assert "rejected the API key (401)" in wrong.stderr and len(wrong.stderr.splitlines()) == 1

    env = {"ARGILLA_API_URL": "http://127.0.0.1:9", "ARGILLA_API_KEY": "x" * 12}
    down = subprocess.run([str(Path(sys.executable).with_name("datagen")), "annotate", *push,
                           "--dataset", "flow"], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)
    assert down.returncode == 2 and "cannot reach Argilla at http://127.0.0.1:9" in down.stderr

    ws = find_workspace(argilla_client, WS)
    rg.Dataset(name="other", workspace=ws, client=argilla_client, settings=rg.Settings(
        fields=[rg.TextField("text", client=argilla_client)],
        questions=[rg.LabelQuestion("ok", labels=["a", "b"], client=argilla_client)],
        guidelines=f"<!-- saferec-taxonomy: {load_taxonomy().version_tag} -->")).create()
    other = _cli_error(argilla_stack, *push, "--dataset", "other")
    assert isinstance(other, DatasetSettingsMismatchError)
    assert "exists with other fields and questions and metadata" in str(other)

    newer = load_taxonomy().model_copy(update={"version": "9.0.0"})
    current = re.escape(f"created with taxonomy {load_taxonomy().version_tag}")
    with pytest.raises(TaxonomyVersionMismatchError, match=current):
        push_samples(argilla_client, make_samples(3, version="saferec@9.0.0"), dataset="flow",
                     workspace=WS, taxonomy=newer)
    stale = _write(make_samples(2, version="saferec@0.1.0"), tmp_path / "old.parquet")
    bad = _cli_error(argilla_stack, "push", "--input", str(stale), "--dataset", "flow2",
                     "--workspace", WS)
    assert isinstance(bad, TaxonomyVersionMismatchError)
    assert "record s00000: taxonomy_version 'saferec@0.1.0'" in str(bad)
