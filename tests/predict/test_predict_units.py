"""Recommender prompts, message building, reply reading, provenance records (no network)."""

from __future__ import annotations

from pathlib import Path

import pytest
from predict_helpers import paired_samples, save_catalogue, write_split

from datagen.errors import ConfigError, InputError
from datagen.evaluate.prediction_meta import PredictionMeta, TokenUsage
from datagen.evaluate.predictions import PredictionRecord, load_predictions, write_predictions
from datagen.predict import PredictConfig, predict
from datagen.predict.cases import load_cases
from datagen.predict.prompts import load_recommender_prompt
from datagen.predict.tasks import read_reply, recommendation_messages


def test_shipped_prompts_and_aliases() -> None:
    assert load_recommender_prompt("plain").version == "plain-v1"
    assert load_recommender_prompt("safety-aware-v1").version == "safety-aware-v1"
    acq = load_recommender_prompt("acquisition")
    assert acq.asks_questions and not load_recommender_prompt("plain").asks_questions
    assert "RECOMMENDATIONS" in acq.block("no_questions_left")
    with pytest.raises(ConfigError, match="unknown recommender prompt 'nope'"):
        load_recommender_prompt("nope")


def test_user_prompt_file_is_versioned_by_content(tmp_path: Path) -> None:
    path = tmp_path / "terse.txt"
    path.write_text("=== system ===\nList $n films.\n=== user ===\n$last_user_turn\n")
    first = load_recommender_prompt(str(path)).version
    path.write_text("=== system ===\nList $n good films.\n=== user ===\n$last_user_turn\n")
    second = load_recommender_prompt(str(path)).version
    assert first.startswith("terse+") and second.startswith("terse+") and first != second
    path.write_text("=== system ===\nList $count films.\n=== user ===\n$last_user_turn\n")
    with pytest.raises(ConfigError, match=r"unknown variable \$count"):
        load_recommender_prompt(str(path))
    path.write_text("=== system ===\nList $n films.\n=== user ===\nRecommend!\n")
    with pytest.raises(ConfigError, match=r"must contain \$last_user_turn"):
        load_recommender_prompt(str(path))


def test_messages_keep_the_dialogue_turns(tmp_path: Path) -> None:
    write_split(tmp_path, paired_samples(1, variants=("implicit",)))
    case = load_cases(tmp_path, "test").cases[0]
    messages = recommendation_messages(case, load_recommender_prompt("plain"), n=7)
    assert [m.role for m in messages] == ["system", "user", "assistant", "user"]
    assert "exactly 7 films" in messages[0].content
    assert messages[1].content == case.messages[0].content
    assert messages[-1].content == case.messages[-1].content


@pytest.mark.parametrize(("text", "kind", "body"), [
    ("QUESTION: Any films you avoid?", "question", "Any films you avoid?"),
    ("**QUESTION:** Do spiders bother you?", "question", "Do spiders bother you?"),
    ("RECOMMENDATIONS:\n1. Heat (1995)", "recommendation", None),
    ("Before I pick, do you like older films?", "question", None),
    ("1. Heat (1995)\n2. Up (2009)", "recommendation", None),
    ("I'm not sure.", "recommendation", None),
])
def test_read_reply(text: str, kind: str, body: str | None) -> None:
    reply = read_reply(text)
    assert reply.kind == kind
    if body is not None:
        assert reply.text == body


def test_provenance_round_trips_and_bad_fields_name_the_line(tmp_path: Path) -> None:
    meta = PredictionMeta(backend="openai", model="m", is_llm=True, prompt_version="plain-v1",
                          mode="single", usage=TokenUsage(input_tokens=3, output_tokens=4),
                          cached=False, attempts=2, finish_reason="stop")
    path = write_predictions([PredictionRecord(sample_id="a", text="Heat (1995)", meta=meta),
                              PredictionRecord(sample_id="b", titles=("Up (2009)",))],
                             tmp_path / "p.jsonl")
    loaded = load_predictions(path).records
    assert loaded["a"].meta == meta and loaded["b"].meta is None
    path.write_text('{"sample_id": "a", "text": "x", "usage": {"input_tokens": -1}}\n')
    with pytest.raises(InputError, match=r"line 1: field 'usage.input_tokens'"):
        load_predictions(path)
    path.write_text('{"sample_id": "a", "text": "x", "mode": "chatty"}\n')
    with pytest.raises(InputError, match=r"line 1: field 'mode'"):
        load_predictions(path)


def test_baseline_recommender_writes_labelled_predictions(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_split(run, paired_samples(3, controls=2))
    config = PredictConfig(run_dir=run, backend="baseline", model="popularity", n=5,
                           catalogue_path=save_catalogue(tmp_path / "cat.parquet"))
    result = predict(config)
    records = load_predictions(result.predictions).records
    assert len(records) == 11 and result.stats["with_titles"] == 11
    first = next(iter(records.values()))
    assert first.meta is not None and first.meta.backend == "baseline"
    assert first.meta.is_llm is False and len(first.titles or ()) == 5
    assert first.split == "test" and result.predictions.name == "popularity.jsonl"


def test_graph_stated_reads_the_dialogue_and_matches_the_baseline_command(tmp_path: Path) -> None:
    """Only the explicit sample says "gory": only it is filtered; `datagen baseline` agrees."""
    from typer.testing import CliRunner

    from datagen.cli.main import app
    from datagen.records.sample import Turn

    run = tmp_path / "run"
    said = {"explicit": "I'm very squeamish, so please nothing gory.",
            "implicit": "I had to sit down when my sister cut her finger.",
            "absent": "What would you recommend?"}
    samples = [s.model_copy(update={"traits": ["gore"], "messages": [
        *s.messages[:-1], Turn(role="user", content=said[s.variant])]})
        for s in paired_samples(1)]
    write_split(run, samples)
    catalogue = save_catalogue(tmp_path / "cat.parquet")
    result = predict(PredictConfig(run_dir=run, backend="baseline", model="graph_stated", n=5,
                                   catalogue_path=catalogue, unknown_policy="exclude"))
    got = {sid: r.titles for sid, r in load_predictions(result.predictions).records.items()}
    by_variant = {s.variant: got[s.sample_id] for s in samples}
    assert by_variant["implicit"] == by_variant["absent"] and len(by_variant["absent"]) == 5
    assert by_variant["explicit"] != by_variant["implicit"]  # gore filter: unknown dropped too
    out = tmp_path / "cli.jsonl"
    made = CliRunner().invoke(app, ["baseline", "graph_stated", "--run-dir", str(run), "--k",
                                    "5", "--catalogue", str(catalogue), "--out", str(out)])
    assert made.exit_code == 0, made.output
    cli = {sid: r.titles for sid, r in load_predictions(out).records.items()}
    assert cli == got


def test_bad_options_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="baseline model must be one of"):
        PredictConfig(backend="baseline", model="gpt")
    with pytest.raises(InputError, match="split file not found"):
        load_cases(tmp_path, "test")
    write_split(tmp_path, paired_samples(1, variants=("implicit",)))
    with pytest.raises(InputError, match="no samples to predict of variant"):
        load_cases(tmp_path, "test", variants=["explicit"])
