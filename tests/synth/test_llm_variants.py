"""LLM synthesis of explicit and acquisition dialogues (dialogue-v3) over real HTTP.

The fake server (a test double) answers with :mod:`datagen.synth.fake_responder`, which
puts each plain statement the prompt gives into the user turn the prompt names.
"""

from __future__ import annotations

import asyncio

import pytest

from datagen.llm import BackendConfig, make_backend
from datagen.llm.fake_server import FakeLLMServer
from datagen.synth.explicit import explicit_cue_bank
from datagen.synth.generate import LLMGenerator
from datagen.synth.plan import make_plan
from datagen.taxonomy import LeakMatcher

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("variant", ["explicit", "acquisition"])
def test_llm_generator_states_the_traits_plainly(taxonomy, resources, variant):
    bank, leaks = explicit_cue_bank(taxonomy), LeakMatcher(taxonomy)
    entries = [e.model_copy(update={"variant": variant})
               for e in make_plan(6, 9, resources.seeds, taxonomy, {1: 0.5, 2: 0.5})]
    with FakeLLMServer("datagen.synth.fake_responder:respond") as srv:
        backend = make_backend(BackendConfig(kind="openai", model="fake-model",
                                             base_url=srv.openai_base_url, api_key="k"))
        generator = LLMGenerator(backend, prompt_version="dialogue-v3", explicit=bank)

        async def run():
            try:
                return [await generator.generate(e) for e in entries]
            finally:
                await backend.aclose()

        outcomes = asyncio.run(run())
    for entry, out in zip(entries, outcomes, strict=True):
        assert out.draft is not None, out.error
        assert out.generation.prompt_version == "dialogue-v3"
        assert [c.trait_id for c in out.draft.cues] == [c.trait_id for c in entry.cues]
        for cue in out.draft.cues:
            assert cue.strategy == variant
            turn = out.draft.messages[cue.turn_index].content
            assert cue.trait_id in {t for t, _ in leaks.find(turn)}
            if variant == "acquisition":
                assert cue.turn_index == 2
