"""Reward functions against hand-computed values (one resolver, misspellings, unknowns)."""

from __future__ import annotations

import math

import pytest

from exports.rewards import (
    CompletionParser,
    count_reward,
    format_reward,
    grounding_reward,
    make_reward_functions,
    relevance_reward,
    safety_reward,
)

GT = [{"item_id": "tt1049413", "title": "Up", "year": 2009},
      {"item_id": "tt1109624", "title": "Paddington", "year": 2014},
      {"item_id": "tt0114709", "title": "Toy Story", "year": 1995}]
UNSAFE = [{"item_id": "tt0050798", "title": "Old Yeller", "year": 1957, "trait_id": "animal_harm"}]
UNKNOWN = [{"item_id": "tt0822832", "title": "Marley & Me", "year": 2008,
            "trait_id": "animal_harm"}]

# rank 1 unsafe, rank 2 misspelled ground truth, rank 3 unknown, rank 4 misspelled truth
ANSWER = ("Here you go:\n1. Old Yeller (1957)\n2. **Paddingtn (2014)** - gentle\n"
          "3. Marley and Me (2008)\n4. Toy Stroy (1995)")


def g(r: int) -> float:
    return 1 / math.log2(r + 1)


@pytest.fixture
def parser(resolver):
    return CompletionParser(resolver)


def test_parser_resolves_misspelled_titles_in_order(parser):
    assert parser.item_ids(ANSWER) == ["tt0050798", "tt1109624", "tt0822832", "tt0114709"]
    conv = [{"role": "assistant", "content": ANSWER}]
    assert parser.item_ids(conv) == parser.item_ids(ANSWER)


def test_relevance_ndcg_and_hit(parser):
    ndcg = relevance_reward([ANSWER], [GT], k=10, parser=parser)[0]
    assert ndcg == pytest.approx((g(2) + g(4)) / (g(1) + g(2) + g(3)))
    assert relevance_reward([ANSWER], [GT], k=1, metric="hit", parser=parser) == [0.0]
    assert relevance_reward([ANSWER], [GT], k=2, metric="hit", parser=parser) == [1.0]
    assert relevance_reward(["Heat (1995)"], [GT], parser=parser) == [0.0]


def test_safety_penalty_with_unknown_policies(parser):
    norm = g(1) + g(2) + g(3) + g(4)
    ignore = safety_reward([ANSWER], [UNSAFE], [UNKNOWN], unknown_policy="ignore",
                           parser=parser)[0]
    assert ignore == pytest.approx(-g(1) / norm)
    pen = safety_reward([ANSWER], [UNSAFE], [UNKNOWN], unknown_policy="penalize",
                        unknown_weight=0.5, parser=parser)[0]
    assert pen == pytest.approx(-(g(1) + 0.5 * g(3)) / norm)
    # the default follows the dataset: unknown is not safe, at half the weight of a violation
    default = safety_reward([ANSWER], [UNSAFE], [UNKNOWN], parser=parser)[0]
    assert default == pen
    fns = make_reward_functions(parser)
    got = fns["safety"]([ANSWER], unsafe_items=[UNSAFE], unknown_items=[UNKNOWN])[0]
    assert got == pen
    strict = safety_reward([ANSWER], [UNSAFE], [UNKNOWN], unknown_policy="penalize",
                           unknown_weight=1.0, parser=parser)[0]
    assert strict == pytest.approx(-(g(1) + g(3)) / norm)
    assert safety_reward(["Up (2009)\nPaddington (2014)"], [UNSAFE], parser=parser) == [0.0]
    assert safety_reward([""], [UNSAFE], parser=parser) == [0.0]
    with pytest.raises(ValueError, match="unknown_policy"):
        safety_reward([ANSWER], [UNSAFE], unknown_policy="treat_as_safe", parser=parser)


def test_safety_uses_tag_index_for_items_outside_the_row(parser):
    class Index:  # the TagIndex.status protocol
        def status(self, item_id, trait_id):
            return "yes" if item_id == "tt0468569" and trait_id == "gore" else "no"

    got = safety_reward(["The Dark Knight (2008)\nUp (2009)"], [[]], parser=parser,
                        tag_index=Index(), traits=[["gore"]])[0]
    assert got == pytest.approx(-g(1) / (g(1) + g(2)))


def test_count_format_grounding(parser):
    assert count_reward([ANSWER], target=4, parser=parser) == [1.0]
    assert count_reward([ANSWER], target=8, parser=parser) == [0.5]
    assert count_reward(["no films"], target=4, parser=parser) == [0.0]
    # lead sentence allowed; 4 title lines out of 4 remaining lines
    assert format_reward(["Here you go:\nUp (2009)\nHeat (1995)"]) == [1.0]
    assert format_reward(["Up (2009)\nsome prose\nHeat (1995)"]) == [pytest.approx(2 / 3)]
    assert format_reward(["I like films."]) == [0.0]
    fake = "Up (2009)\nUp Forever (2009)"
    assert grounding_reward([fake], parser=parser) == [0.5]


def test_trl_style_kwargs(parser):
    fns = make_reward_functions(parser, k=10, unknown_policy="penalize", unknown_weight=1.0,
                                target_count=4)
    kwargs = {"ground_truth": [GT, GT], "unsafe_items": [UNSAFE, UNSAFE],
              "unknown_items": [UNKNOWN, UNKNOWN], "traits": [["animal_harm"]] * 2,
              "seen_items": [[], []], "sample_id": ["a", "b"], "prompts": ["p", "p"],
              "trainer_state": None}
    comps = [[{"role": "assistant", "content": ANSWER}], "Up (2009)\nPaddington (2014)"]
    out = {name: fn(completions=comps, **kwargs) for name, fn in fns.items()}
    assert fns["safety"].__name__ == "safety_reward"
    assert out["safety"][1] == 0.0 and out["safety"][0] < 0
    assert out["relevance"][1] == pytest.approx((g(1) + g(2)) / (g(1) + g(2) + g(3)))
    assert out["count"] == [1.0, 0.5]
    assert all(len(v) == 2 for v in out.values())


def test_rewards_on_exported_rows(parser):
    """GDPO rows feed the rewards as TRL would; the SFT answer is a perfect safe answer."""
    from sample_factory import make_corpus

    from datagen.records.sample import samples_to_table
    from datagen.taxonomy import load_taxonomy
    from exports.build import export_formats

    table = samples_to_table(make_corpus(12))
    out = export_formats({"train": table}, ["sft_prompt_completion", "gdpo"],
                         taxonomy=load_taxonomy())
    gdpo = out.tables["gdpo"]["train"].to_pylist()
    sft = out.tables["sft_prompt_completion"]["train"].to_pylist()
    columns = {k: [r[k] for r in gdpo] for k in gdpo[0] if k != "prompt"}
    fns = make_reward_functions(parser, target_count=3, unknown_policy="penalize",
                                unknown_weight=1.0)
    good = [r["completion"] for r in sft]
    assert fns["relevance"](completions=good, **columns) == [1.0] * len(good)
    assert fns["safety"](completions=good, **columns) == [0.0] * len(good)
    assert fns["format"](completions=good, **columns) == [1.0] * len(good)
    bad = [[{"role": "assistant", "content": "Old Yeller (1957)\nMarley & Me (2008)"}]] * len(good)
    flagged = [bool(r["unsafe_items"]) for r in gdpo]
    scores = fns["safety"](completions=bad, **columns)
    assert all((s == -1.0) if f else s == 0.0 for s, f in zip(scores, flagged, strict=True))


def test_safety_is_positive_zero_not_negative_zero(parser):
    for answer in ("Up (2009)\nPaddington (2014)", "", "Invented Film (2031)"):
        value = safety_reward([answer], [UNSAFE], [UNKNOWN], parser=parser)[0]
        assert value == 0.0 and math.copysign(1.0, value) == 1.0, (answer, value)


REASONING = ("<reasoning>The user hints at animal deaths, so Old Yeller (1957) is set aside "
             "(a dog dies).</reasoning>\n<solution>\nUp (2009)\nPaddington (2014)\n</solution>")


def test_rewards_read_only_the_solution_of_a_reasoning_answer(parser):
    assert parser.item_ids(REASONING) == ["tt1049413", "tt1109624"]
    assert safety_reward([REASONING], [UNSAFE], [UNKNOWN], parser=parser) == [0.0]
    assert relevance_reward([REASONING], [GT], metric="hit", k=1, parser=parser) == [1.0]
    assert format_reward([REASONING]) == [1.0]
