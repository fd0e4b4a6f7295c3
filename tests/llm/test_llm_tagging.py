"""LLM item tagging: parsing and repair, item selection, and end to end against the fake
server (in-process, through the CLI runner, and as a `datagen tags llm` subprocess)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from tag_responder import catalogue as _catalogue
from typer.testing import CliRunner

from datagen.cli.tags_llm import tags_llm
from datagen.errors import InputError
from datagen.llm import BackendConfig, CachedBackend, ResponseCache, make_backend
from datagen.llm.fake_server import FakeLLMServer
from datagen.tags.evidence import load_evidence_file
from datagen.tags.llm_answer import AnswerError, answer_schema, parse_answer
from datagen.tags.llm_tagging import (
    LlmTaggingOptions,
    build_messages,
    build_request,
    new_task,
    select_items,
    tag_items,
)
from datagen.taxonomy import load_taxonomy

TAX = load_taxonomy()
HERE = Path(__file__).parent


@pytest.fixture
def responder_module(monkeypatch):
    """tests/llm/tag_responder.py, importable in-process and by a subprocess server."""
    monkeypatch.syspath_prepend(str(HERE))
    import importlib

    return importlib.import_module("tag_responder"), HERE


def _full(**overrides: object) -> dict[str, object]:
    answer: dict[str, object] = {t: {"verdict": "absent", "reason": "no"} for t in TAX.trait_ids}
    answer.update(overrides)
    return answer


def test_parse_answer_accepts_fenced_json():
    text = "```json\n" + json.dumps(_full(gore={"verdict": "present", "reason": "x"})) + "\n```"
    answer, repairs = parse_answer(text, TAX)
    assert answer.of("present") == ["gore"] and repairs == []
    assert answer.traits["gore"].reason == "x"


def test_parse_answer_repairs_synonyms_strings_missing_and_extra_keys():
    data = _full(gore={"verdict": "Yes", "reason": "  lots\n of  blood "},
                 animal_harm="present", why="x")
    del data["claustrophobia"]
    answer, repairs = parse_answer(json.dumps(data), TAX)
    assert answer.traits["gore"].verdict == "present"
    assert answer.traits["gore"].reason == "lots of blood"
    assert answer.traits["animal_harm"].verdict == "present"
    assert answer.traits["claustrophobia"].verdict == "unsure"
    joined = " | ".join(repairs)
    assert "ignored keys ['why']" in joined and "gore: read verdict 'Yes'" in joined
    assert "no usable verdict for ['claustrophobia']" in joined


@pytest.mark.parametrize("text, message", [
    ("no JSON here", "no JSON object"),
    ('{"gore": [1,}', "not valid"),
    ("[1, 2]", "no JSON object"),
    ('{"gore": {"verdict": "present", "reason": ""}}', "no usable verdict"),
])
def test_parse_answer_rejects(text, message):
    with pytest.raises(AnswerError, match=message):
        parse_answer(text, TAX)


def _objects(schema: dict) -> list[dict]:
    found = [schema] if schema.get("type") == "object" else []
    for sub in schema.get("properties", {}).values():
        found += _objects(sub)
    return found


def test_answer_schema_is_strict_mode_compatible():
    schema = answer_schema(TAX)
    assert list(schema["properties"]) == TAX.trait_ids
    for obj in _objects(schema):
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])
    verdict = schema["properties"]["gore"]["properties"]["verdict"]
    assert verdict["enum"] == ["present", "absent", "unsure"]
    assert "$ref" not in json.dumps(schema)


def test_build_messages_lists_every_trait_with_topics():
    item = _catalogue().items[0]
    system, user = build_messages(item, TAX)
    assert system.role == "system" and user.role == "user"
    assert "Film: Alien (1979)" in user.content and "Directed by: Ridley Scott" in user.content
    for trait in TAX.traits:
        assert f"- {trait.id} (" in system.content
    assert "a dog dies" in system.content and "Alien" not in system.content
    request = build_request(new_task(item, TAX), TAX, LlmTaggingOptions())
    assert request.response_schema is not None and request.json_mode
    assert request.response_schema.schema_ == answer_schema(TAX)
    plain = build_request(new_task(item, TAX), TAX, LlmTaggingOptions(use_schema=False))
    assert plain.response_schema is None


def test_select_items_by_title_and_by_popularity():
    cat = _catalogue()
    assert [i.item_id for i in select_items(cat, ["Up (2009)", "alien", "Up"])] == [
        "tt1049413", "tt0078748"]
    assert [i.title for i in select_items(cat, limit=2)] == ["Alien", "Up"]
    with pytest.raises(InputError, match="'Jaws' is not in the catalogue"):
        select_items(cat, ["Jaws"])


@pytest.mark.integration
def test_tag_items_end_to_end_and_cached_rerun(responder_module, tmp_path):
    module, _ = responder_module
    items = _catalogue().items

    async def run(srv):
        # plain JSON mode (no probe, no constrained decoding): prose answers reach the
        # parser and its retry path
        config = BackendConfig(kind="openai", model="fake-model", base_url=srv.openai_base_url,
                               backoff_initial=0.01, structured_output="json_object")
        with ResponseCache(tmp_path / "cache.sqlite") as cache:
            chat = CachedBackend(make_backend(config), cache)
            try:
                return await tag_items(chat, items, TAX, LlmTaggingOptions(confidence=0.6))
            finally:
                await chat.aclose()

    with FakeLLMServer(module.reply, latency=0.01) as srv:
        outcomes = asyncio.run(run(srv))
        calls = srv.stats()["requests"]
        rerun = asyncio.run(run(srv))
        assert srv.stats()["requests"] == calls  # the rerun made zero calls
    by_id = {o.item_id: o for o in outcomes}
    assert calls == 1 + 1 + 2 + 3  # Broken Film retried once, Hopeless failed 3 times
    alien = by_id["tt0078748"]
    assert {e.trait_id for e in alien.evidence if e.polarity == "present"} == {
        "gore", "extreme_violence"}
    assert alien.unsure == ["spiders_snakes"] and len(alien.evidence) == len(TAX.traits) - 1
    assert all(e.source == "llm:fake-model" and e.confidence == 0.6 and e.topic_id is None
               for e in alien.evidence)
    broken = by_id["tt0000001"]
    assert broken.status == "ok" and broken.calls == 2
    assert {e.polarity for e in broken.evidence} == {"absent"}
    hopeless = by_id["tt0000002"]
    assert hopeless.status == "failed" and "no JSON object" in hopeless.reason
    assert hopeless.raw.startswith("I think") and hopeless.evidence == []
    assert [o.status for o in rerun] == [o.status for o in outcomes]
    assert all(o.calls == 0 for o in rerun)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("llm")(tags_llm)

    @app.command("noop")
    def _noop() -> None:  # a second command keeps "llm" a named subcommand
        pass

    return app


@pytest.mark.integration
def test_cli_runner_writes_evidence_file(responder_module, tmp_path):
    module, _ = responder_module
    cat_path = _catalogue().save(tmp_path / "cat.parquet")
    out = tmp_path / "ev.parquet"
    with FakeLLMServer(module.reply) as srv:
        args = ["llm", "--model", "fake-model", "--base-url", srv.openai_base_url,
                "--catalogue", str(cat_path), "--titles", "Alien (1979)", "--titles", "Up",
                "--out", str(out), "--cache", str(tmp_path / "c.sqlite"), "--json"]
        result = CliRunner().invoke(_app(), args, env={"OPENAI_API_KEY": "sk-cli-SECRET"})
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["films"] == 2 and summary["failed"] == 0 and summary["calls"] == 2
    assert "sk-cli-SECRET" not in result.output
    df = load_evidence_file(out)
    assert df.height == 2 * (len(TAX.traits) - 1) and set(df["source"]) == {"llm:fake-model"}
    up = df.filter((df["item_id"] == "tt1049413") & (df["polarity"] == "present"))
    assert up["trait_id"].to_list() == ["pregnancy_loss"]
    assert up["detail"].to_list() == ["Up (2009) shows it [tags-llm-v2]"]


@pytest.mark.integration
def test_cli_unknown_title_is_a_one_line_error(tmp_path):
    cat_path = _catalogue().save(tmp_path / "cat.parquet")
    args = ["llm", "--model", "m", "--base-url", "http://127.0.0.1:9/v1", "--catalogue",
            str(cat_path), "--titles", "Jaws", "--out", str(tmp_path / "ev.parquet"),
            "--cache", str(tmp_path / "c.sqlite")]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 2
    assert "'Jaws' is not in the catalogue" in result.output
    assert not (tmp_path / "ev.parquet").exists()


@pytest.mark.integration
def test_datagen_tags_llm_subprocess(responder_module, tmp_path):
    from datagen.cli.tags import app as tags_app

    if not any(c.name == "llm" for c in tags_app.registered_commands):
        pytest.skip("`datagen tags llm` is not registered in datagen/cli/tags.py yet")
    _, folder = responder_module
    cat_path = _catalogue().save(tmp_path / "cat.parquet")
    out = tmp_path / "ev.jsonl"
    env = {**os.environ, "PYTHONPATH": str(folder), "ANTHROPIC_API_KEY": "sk-ant-SECRET"}
    with FakeLLMServer("tag_responder:reply") as srv:
        cmd = [str(Path(sys.executable).with_name("datagen")), "tags", "llm", "--backend",
               "anthropic", "--model", "fake-claude", "--base-url", srv.anthropic_base_url,
               "--catalogue", str(cat_path), "--limit", "3", "--out", str(out),
               "--cache", str(tmp_path / "c.sqlite")]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120,
                              cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "LLM tagging" in proc.stdout and "sk-ant-SECRET" not in proc.stdout + proc.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["source"] for r in rows} == {"llm:fake-claude"}
    assert {r["item_id"] for r in rows} == {"tt0078748", "tt1049413", "tt0000001"}


@pytest.mark.integration
def test_cli_bad_key_stops_with_one_line_and_no_output(tmp_path):
    cat_path = _catalogue().save(tmp_path / "cat.parquet")
    out = tmp_path / "ev.parquet"
    with FakeLLMServer(api_key="sk-right") as srv:
        args = ["llm", "--model", "m", "--base-url", srv.openai_base_url, "--catalogue",
                str(cat_path), "--out", str(out), "--cache", str(tmp_path / "c.sqlite")]
        result = CliRunner().invoke(_app(), args, env={"OPENAI_API_KEY": "sk-wrong-SECRET"})
        assert srv.stats()["requests"] <= 4  # stopped at the first 401 of each worker
    assert result.exit_code == 2
    assert "the API key was not accepted (HTTP 401)" in result.output
    assert "sk-wrong-SECRET" not in result.output
    assert not out.exists()
