"""A real instruct model (SmolLM2-135M-Instruct, GGUF from PyPI) behind llama-cpp-python's
OpenAI-compatible server, driven by the official ``openai`` SDK and by ``datagen synthesize``.

What is checked: the server fixture starts and stops without leaving a process; our longest
prompts fit its context; which ``response_format`` forms the server enforces (the facts that
docs/local-models.md states and the LLM layer's fallback chain relies on); every answer in an
enforced mode parses against our dialogue and judge schemas, whatever its quality; and the
whole ``synthesize`` command with the LLM judge parses every dialogue on its first attempt.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import httpx
import openai
import pytest
from real_model import MODEL_ALIAS, N_CTX, LlamaServer, RealModel, llama_venv
from structured_probe import FORMS, probe_form, response_format

from datagen.parquet_io import read_parquet
from datagen.records.sample import ItemRef
from datagen.synth import tasks
from datagen.synth.plan import CuePlan, PlanEntry
from datagen.synth.rundir import REJECTS_SCHEMA
from datagen.taxonomy import load_taxonomy

pytestmark = pytest.mark.integration

#: what llama-cpp-python 0.3.36's server does with each form (docs/local-models.md):
#: the HTTP status and the probe verdicts that show it
EXPECTED = {
    # HTTP 500: "Input should be 'text' or 'json_object'" (pydantic validation of the body)
    "json_schema": (500, {"rejected"}),
    "json_object_schema": (200, {"enforced"}),  # the schema becomes a grammar
    "json_object": (200, {"json only"}),  # a generic JSON grammar: any object, schema unseen
    # nothing constrains the answer; the probe prompt asks for JSON, which a model may obey
    "none": (200, {"ignored", "json only"}),
}
ENFORCED = [form for form, (_, verdicts) in EXPECTED.items() if verdicts == {"enforced"}]
#: tokens the chat template adds around one message (SmolLM2: <|im_start|>role\n ... <|im_end|>\n)
TEMPLATE_TOKENS_PER_MESSAGE = 8


def _client(server: LlamaServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="sk-no-key-needed", max_retries=0,
                         timeout=300)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _entry(taxonomy, n_user_turns: int = 3, n_cues: int = 1, seed_turns: int = 0,
           turn_chars: int = 0) -> PlanEntry:
    traits = taxonomy.traits[:n_cues]
    cues = [CuePlan(trait_id=t.id, strategy=t.cues[0].strategy.value, idea=t.cues[0].text,
                    user_turn=i % n_user_turns) for i, t in enumerate(traits)]
    liked = [ItemRef(item_id="tt0110357", title="The Lion King", year=1994),
             ItemRef(item_id="tt4468740", title="Paddington 2", year=2017)]
    return PlanEntry(index=0, sample_id="s-real-model", seed_id="g-1", seed_source="graph",
                     traits=[t.id for t in traits], cues=cues, n_user_turns=n_user_turns,
                     liked=liked, genres=["Animation", "Comedy", "Family"],
                     seed_user_turns=[_prose(turn_chars)] * seed_turns, rng_seed=7)


def _prose(chars: int) -> str:
    """English text of about ``chars`` characters (tokenizes like real turns)."""
    sentence = "I really liked how slowly that story unfolded, and the music too. "
    return (sentence * (chars // len(sentence) + 1))[:chars]


def _schema_tasks() -> None:
    """Skip (saying why) while the task schemas of the LLM path are not on this branch."""
    if not hasattr(tasks, "dialogue_schema") or not hasattr(tasks, "judge_schema"):
        pytest.skip("needs datagen.synth.tasks.dialogue_schema / judge_schema (LLM-path work)")


# -- the fixture itself --------------------------------------------------------------------
def test_server_lists_the_model_and_stop_leaves_no_process(real_model: RealModel, tmp_path):
    server = LlamaServer(real_model, log_dir=tmp_path)
    server.start()
    assert server.proc is not None
    pgid, base_url = server.proc.pid, server.base_url
    try:
        models = httpx.get(f"{base_url}/models", timeout=5).json()
        assert [m["id"] for m in models["data"]] == [MODEL_ALIAS]
    finally:
        server.stop()
    assert server.proc is None
    assert not _group_alive(pgid)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/models", timeout=2)


def test_server_dies_with_a_killed_test_process(real_model: RealModel, tmp_path):
    """SIGKILL of the process that started the server (no atexit, no fixture teardown)."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from real_model import LlamaServer, find_real_model\n"
        f"srv = LlamaServer(find_real_model(), log_dir=Path({str(tmp_path)!r}))\n"
        "srv.start()\n"
        "print(srv.proc.pid, flush=True)\n"
        "time.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "SAFEREC_LLAMA_VENV": str(llama_venv())})
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline().strip()
        assert line.isdigit(), f"helper did not start the server: {line!r}"
        pgid = int(line)
        assert _group_alive(pgid)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 20
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    survived = _group_alive(pgid)
    if survived:
        os.killpg(pgid, signal.SIGKILL)  # do not leave it running on shared cores
    assert not survived, "llama server outlived the killed process that started it"


def test_failed_start_names_the_cause_and_leaves_no_process(real_model: RealModel, tmp_path):
    missing = tmp_path / "missing.gguf"
    broken = RealModel(python=real_model.python, gguf=missing,
                       llama_cpp_python=real_model.llama_cpp_python,
                       model_package=real_model.model_package)
    server = LlamaServer(broken, log_dir=tmp_path, startup_timeout=60)
    with pytest.raises(RuntimeError, match="did not start") as info:
        server.start()
    assert "missing.gguf" in str(info.value)
    assert server.proc is None


def test_context_holds_the_longest_prompts(llama_server: LlamaServer):
    """Six long seed turns and three cues, a repair round on top, and the output budget."""
    taxonomy = load_taxonomy()

    def tokens(messages) -> int:
        text = "".join(m.content for m in messages)
        resp = httpx.post(f"{llama_server.url}/extras/tokenize/count", json={"input": text},
                          timeout=30)
        return int(resp.json()["count"]) + TEMPLATE_TOKENS_PER_MESSAGE * len(messages)

    entry = _entry(taxonomy, n_user_turns=6, n_cues=3, seed_turns=6, turn_chars=300)
    prompts = resources.files("datagen.synth").joinpath("prompts")
    versions = sorted(p.name.removesuffix(".txt") for p in prompts.iterdir()
                      if p.name.startswith("dialogue-v") and p.name.endswith(".txt"))
    assert versions
    for version in versions:
        messages = tasks.build_dialogue_messages(entry, version)
        repair = tasks.repair_messages(messages, _prose(4000), _prose(120))
        assert tokens(repair) + 1024 <= N_CTX, version
    judge = tasks.build_judge_messages("\n".join([_prose(300)] * 6), taxonomy)
    assert tokens(tasks.repair_messages(judge, _prose(4000), _prose(120))) + 256 <= N_CTX


# -- which structured-output forms the server enforces -------------------------------------
@pytest.mark.parametrize("form", FORMS)
def test_structured_output_form_verdict(llama_server: LlamaServer, form: str):
    result = probe_form(_client(llama_server), llama_server.model, form, tries=4)
    status, verdicts = EXPECTED[form]
    assert (result.status, result.verdict in verdicts) == (status, True), (
        f"llama-cpp-python {llama_server.real.llama_cpp_python} now answers {form!r} with "
        f"HTTP {result.status}, {result.verdict!r} ({result.error[:200]} {result.answers}); "
        "update docs/local-models.md and EXPECTED")
    if form == "json_schema":
        assert "json_object" in result.error  # the error names the forms it takes


@pytest.mark.parametrize("form", ENFORCED)
def test_dialogue_answers_parse_in_enforced_modes(llama_server: LlamaServer, form: str):
    """A 3-user-turn plan entry with one cue: every constrained answer is a valid Draft."""
    _schema_tasks()
    taxonomy = load_taxonomy()
    entry = _entry(taxonomy)
    schema = tasks.dialogue_schema(entry)
    assert schema is not None
    version = "dialogue-v2"
    messages = [m.model_dump() for m in tasks.build_dialogue_messages(entry, version)]
    client = _client(llama_server)
    for seed in (1, 2):
        completion = client.chat.completions.create(
            model=llama_server.model, messages=messages, temperature=0.8, seed=seed,
            max_tokens=1024, response_format=response_format(form, schema.schema_, schema.name))
        text = completion.choices[0].message.content or ""
        assert completion.choices[0].finish_reason == "stop", text[-200:]
        draft = tasks.parse_dialogue(text, entry)
        assert [t.role for t in draft.messages] == ["user", "assistant"] * 2 + ["user"]
        assert [c.trait_id for c in draft.cues] == entry.traits
        assert draft.messages[draft.cues[0].turn_index].role == "user"


@pytest.mark.parametrize("form", ENFORCED)
def test_judge_answers_parse_in_enforced_modes(llama_server: LlamaServer, form: str):
    _schema_tasks()
    taxonomy = load_taxonomy()
    schema = tasks.judge_schema(taxonomy)
    user = ("I loved Paddington 2.\nWe said goodbye to our old labrador last month and the "
            "house still feels too quiet.\nSomething gentle for a Sunday, please.")
    messages = [m.model_dump() for m in tasks.build_judge_messages(user, taxonomy)]
    client = _client(llama_server)
    for seed in (1, 2):
        completion = client.chat.completions.create(
            model=llama_server.model, messages=messages, temperature=0.7, seed=seed,
            max_tokens=256, response_format=response_format(form, schema.schema_, schema.name))
        text = completion.choices[0].message.content or ""
        traits = tasks.parse_judge(text, taxonomy)
        assert set(traits) <= set(taxonomy.trait_ids)


# -- the whole command ---------------------------------------------------------------------
def _synthesize_has(option: str) -> bool:
    from typer.testing import CliRunner

    from datagen.cli.main import app

    out = CliRunner().invoke(app, ["synthesize", "--help"], env={"COLUMNS": "300"}).output
    return option in out


def test_synthesize_with_llm_judge_parses_every_dialogue_first_time(
        llama_server: LlamaServer, tmp_path: Path):
    """``synthesize --n 5`` + the LLM judge against the real server, as a user runs it."""
    for option in ("--timeout", "--max-tokens", "--structured-output"):
        if not _synthesize_has(option):
            pytest.skip(f"datagen synthesize has no {option} yet (LLM-path work)")
    run_dir = tmp_path / "runs" / "smollm2"
    cmd = [str(Path(sys.executable).with_name("datagen")), "synthesize", "--n", "5",
           "--seed", "3", "--backend", "openai", "--base-url", llama_server.base_url,
           "--model", llama_server.model, "--judge-backend", "openai", "--concurrency", "1",
           "--timeout", "300", "--max-tokens", "1024", "--run-dir", str(run_dir),
           "--no-cache", "--json"]
    env = {**os.environ, "OPENAI_API_KEY": "sk-local-no-key"}
    started = time.monotonic()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1500)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    stats = json.loads(done.stdout)
    assert stats["is_llm"] and stats["judge_is_llm"]
    assert set(stats["structured_output"].values()) == {"json_object_schema"}

    samples = read_parquet(run_dir / "samples.parquet").to_pylist()
    rejects = read_parquet(run_dir / "rejects.parquet", REJECTS_SCHEMA).to_pylist()
    assert samples, f"no sample; rejects: {[r['reason'] for r in rejects]}"
    assert not [r for r in rejects if r["reason"] in ("malformed_output", "backend_error")]
    assert [s["generation"]["attempts"] for s in samples] == [1] * len(samples)
    assert {s["generation"]["model"] for s in samples} == {MODEL_ALIAS}
    assert all(s["verification"]["judge_is_llm"] for s in samples)
    assert not [s for s in samples if "judge_failed" in s["verification"]["flags"]]
    # structure is the schema's job; whether a cue's quoted text is really in its turn is
    # the model's (a 135M model often paraphrases): that flag is verification, not parsing
    structural = [f for s in samples for f in s["verification"]["flags"]
                  if f.startswith("schema:") and not f.startswith("schema:cue_text_not_in_turn")]
    assert not structural
    print(f"synthesize --n 5 against {MODEL_ALIAS}: {elapsed:.0f} s, {len(samples)} samples")
