"""Acquisition runs against the fake server: scripted questions, simulated users, budgets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from predict_helpers import paired_samples, write_split

from datagen.evaluate.predictions import load_predictions
from datagen.llm.fake_server import FakeLLMServer
from datagen.llm.fake_server_proc import FakeServerProcess
from datagen.predict import PredictConfig, predict
from datagen.predict.fake_responder import QUESTIONS
from datagen.predict.fake_responder import acquisition as scripted
from datagen.taxonomy import LeakMatcher, load_taxonomy

pytestmark = pytest.mark.integration


def _run(run: Path, url: str, **extra: Any):
    config = PredictConfig.model_validate(dict(run_dir=run, model="fake-model", base_url=url,
                                               mode="acquisition", n=5, concurrency=4,
                                               no_cache=True, **extra))
    result = predict(config)
    return result, load_predictions(result.predictions).records


def test_scripted_questions_within_the_budget(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_split(run, paired_samples(4, variants=("absent",), controls=2))
    with FakeServerProcess(responder="datagen.predict.fake_responder:acquisition") as srv:
        result, records = _run(run, srv.openai_base_url, budget=2)
    leaks = LeakMatcher(load_taxonomy())
    for sid, rec in records.items():
        trace = rec.meta.acquisition
        assert trace is not None and trace.questions == 2 and trace.forced
        assert [t.content for t in trace.exchange if t.role == "assistant"] == list(QUESTIONS[:2])
        assert trace.user == "offline-user-v1" and not trace.user_is_llm
        assert trace.volunteered == []
        for turn in trace.exchange:
            if turn.role == "user":
                stated = {t for t, _ in leaks.find(turn.content)}
                assert stated <= set(turn.revealed) | set() and set(turn.revealed) == stated
        assert rec.text is not None and not rec.text.startswith("RECOMMENDATIONS")
        assert rec.text.startswith("1. ")
        traits = rec.meta.acquisition.revealed
        assert (traits != []) == sid.startswith("s-")  # the generic question brings them out
    acq = result.stats["acquisition"]
    assert acq["asked_share"] == 1.0 and acq["questions_per_dialogue"] == 2.0
    assert acq["revealed_share"] == 1.0 and acq["volunteered"] == 0


def test_budget_zero_and_a_model_that_only_asks(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_split(run, paired_samples(3, variants=("implicit",)))
    with FakeServerProcess(responder="datagen.predict.fake_responder:asker") as srv:
        result, records = _run(run, srv.openai_base_url, budget=2)
        assert all(r.meta.acquisition.questions == 2 for r in records.values())
        assert result.stats["parse_failures"] == 3  # its last reply is a question, no titles
        zero, _ = _run(run, srv.openai_base_url, budget=0, overwrite=True)
        assert zero.stats["acquisition"]["questions_per_dialogue"] == 0.0


def _chatty_user(body: dict[str, Any], api: str) -> str:
    """The recommender's part is scripted; as the user, this 'model' overshares."""
    system = str((body.get("messages") or [{}])[0].get("content", ""))
    if system.startswith("You play a person"):
        return "I'm terrified of spiders, I'm in recovery and I scare easily. Heat was great."
    return scripted(body, api)


def test_an_oversharing_llm_user_is_replaced(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_split(run, paired_samples(4, variants=("absent",)))
    with FakeLLMServer(_chatty_user) as srv:
        result, records = _run(run, srv.openai_base_url, budget=3, user="llm")
    acq = result.stats["acquisition"]
    assert acq["user"] == ["openai:fake-model"] and acq["volunteered"] == 0
    assert acq["user_fallbacks"] > 0
    for rec in records.values():
        trace = rec.meta.acquisition
        assert trace.user_is_llm and trace.volunteered == []
        taste = trace.exchange[3]  # the answer to the taste question
        assert taste.asked == [] and taste.revealed == []
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["labels"]["user"] == "openai:fake-model"
