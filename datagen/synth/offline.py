"""The offline backend: a deterministic dialogue composer and a heuristic judge.

Neither is a language model and no record ever says so: the composer is labelled backend
``offline`` / model ``offline-composer-v1`` / ``is_llm: false``, the judge ``offline`` /
``offline-judge-v2`` / ``judge_is_llm: false``. They let a key-less install produce a real,
varied dataset and let tests and benchmarks run the whole pipeline.

The composer builds a multi-turn dialogue from turn templates (``prompts/offline-composer-v1.yaml``:
openers, taste statements, assistant questions, follow-ups, constraints, requests), the liked
films and genres of the seed, and weaves each planned cue idea from the taxonomy's bank into
the planned user turn in the user's voice. Everything is drawn from a generator seeded by the
plan entry, so the same plan gives the same dialogues; the variants of a pair share every
draw except the cue sentences (a minimal pair). The dialogue ends with a user turn: the model
under test writes the next (recommending) assistant turn.

Context variants (``PlanEntry.variant``): ``implicit`` weaves the cue ideas; ``explicit`` puts,
on the same planned turn, one of the trait's plain statements (the taxonomy's
``explicit_cues``, cue strategy ``explicit``); ``absent`` weaves nothing; ``acquisition`` (a
training dialogue) has the assistant ask about sensitivities first and the user state them
plainly in the next turn (strategy ``acquisition``), from ``offline-acquisition-v1.yaml``.
"""

from __future__ import annotations

import random
import re
import string
from functools import lru_cache
from importlib import resources

import yaml

from datagen.records.sample import Cue, ItemRef, Turn
from datagen.synth.explicit import ExplicitCues, explicit_cue_bank, explicit_statement
from datagen.synth.plan import PlanEntry
from datagen.synth.tasks import Draft
from datagen.taxonomy.leaks import LeakMatcher, normalize_text
from datagen.taxonomy.models import Taxonomy

__all__ = [
    "ACQUISITION_TEMPLATES",
    "COMPOSER_MODEL",
    "JUDGE_MODEL",
    "ExplicitCues",
    "OfflineJudge",
    "chat_background",
    "compose_dialogue",
    "content_words",
    "explicit_cue_bank",
    "explicit_statement",
    "load_templates",
    "pick_template",
]

COMPOSER_MODEL = "offline-composer-v1"
JUDGE_MODEL = "offline-judge-v2"
ACQUISITION_TEMPLATES = "offline-acquisition-v1"
_NO_CUES = frozenset({"absent", "context_free"})
_FIELDS = re.compile(r"{(\w+)}")


@lru_cache(maxsize=4)
def load_templates(name: str = COMPOSER_MODEL) -> dict[str, list[str]]:
    """The composer's turn templates (package data), by section."""
    text = resources.files("datagen.synth").joinpath(f"prompts/{name}.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return {k: [str(v) for v in vals] for k, vals in data.items()}


@lru_cache(maxsize=4096)
def _fields(template: str) -> frozenset[str]:
    """Placeholders of a template, parsed once per run rather than once per pick."""
    return frozenset(_FIELDS.findall(template))


def pick_template(rng: random.Random, templates: list[str], slots: dict[str, str]) -> str:
    """A random template whose placeholders ``slots`` can all fill, filled ("" if none)."""
    return _pick(rng, templates, slots)


def _pick(rng: random.Random, templates: list[str], slots: dict[str, str],
          used: set[str] | None = None) -> str:
    """A usable template, filled. With ``used``: avoid the templates already in it (a
    dialogue that asks the same question twice reads like a bot), unless none is left, and
    record the pick."""
    usable = [t for t in templates if _fields(t) <= slots.keys()]
    if used is not None:
        usable = [t for t in usable if t not in used] or usable
    if not usable:
        return ""
    chosen = rng.choice(usable)
    if used is not None:
        used.add(chosen)
    return string.Formatter().vformat(chosen, (), slots)


def _film(rng: random.Random, ref: ItemRef) -> str:
    if ref.year and rng.random() < 0.4:
        return f"{ref.title} ({ref.year})"
    return ref.title


def _slots(rng: random.Random, entry: PlanEntry, leaks: LeakMatcher) -> dict[str, str]:
    """Placeholder values; films and genres that would state one of the traits are skipped."""
    traits = entry.traits

    def clean(text: str) -> bool:
        return not traits or not leaks.find(text, traits)

    films = [f for f in entry.liked if clean(f.title)]
    rng.shuffle(films)
    genres = [g.lower() for g in entry.genres if clean(g)]
    slots: dict[str, str] = {}
    for key, ref in zip(("film", "film2", "film3"), films, strict=False):
        slots[key] = _film(rng, ref)
    for key, genre in zip(("genre", "genre2"), genres[:1] + genres[1:][:1], strict=False):
        slots[key] = genre
    years = [f.year for f in films if f.year] or [rng.randint(1975, 2015)]
    slots["decade"] = f"{min(years) // 10 * 10 % 100:02d}s" if rng.random() < 0.5 \
        else f"{min(years) // 10 * 10}s"
    slots["year"] = str(max(1960, min(years) - rng.randint(0, 8)))
    return slots


def _cue_sentence(rng: random.Random, idea: str, leads: list[str]) -> str:
    text = " ".join(idea.split()).strip()
    if text and text[-1] not in ".!?":
        text += "."
    lead = rng.choice(leads)
    if lead and not re.match(r"I\b|I'", text):
        text = text[0].lower() + text[1:]
    return lead + text


def _user_turns(rng: random.Random, entry: PlanEntry, tpl: dict[str, list[str]],
                slots: dict[str, str]) -> list[str]:
    n = entry.n_user_turns
    seed_turns = entry.seed_user_turns
    first = seed_turns[0] if seed_turns else " ".join(
        p for p in (_pick(rng, tpl["openers"], slots), _pick(rng, tpl["taste"], slots)) if p)
    turns = [first, _pick(rng, tpl["aspect"], slots)]
    used: set[str] = set()
    while len(turns) < n - 1:
        turns.append(_pick(rng, tpl["extra"], slots, used))
    last = _pick(rng, tpl["final"], slots)
    if rng.random() < 0.5:
        last = f"{_pick(rng, tpl['extra'], slots, used)} {last}".strip()
    turns.append(last)
    return [" ".join(t.split()) for t in turns[:n]]


def _weave(user: list[str], assistant: list[str], k: int, sentence: str,
           cue_rng: random.Random, acks: list[str]) -> None:
    """Put ``sentence`` into user turn ``k`` (after or before its text), maybe with an ack."""
    user[k] = f"{user[k]} {sentence}" if cue_rng.random() < 0.6 or k == 0 \
        else f"{sentence} {user[k]}"
    if k < len(assistant) and cue_rng.random() < 0.5:
        assistant[k] = f"{cue_rng.choice(acks)} {assistant[k]}"


def _planned_cues(entry: PlanEntry, user: list[str], assistant: list[str],
                  tpl: dict[str, list[str]], explicit: ExplicitCues | None) -> list[Cue]:
    """The cues of an implicit or explicit entry, woven into their planned user turns."""
    if entry.variant in _NO_CUES:
        return []
    plain = entry.variant == "explicit"
    cue_rng = random.Random(entry.rng_seed ^ 0x5EED)  # only cues differ inside a pair
    cues: list[Cue] = []
    for cue in entry.cues:
        k = min(cue.user_turn, len(user) - 1)
        idea = explicit_statement(explicit or {}, cue.trait_id, entry.rng_seed) if plain \
            else cue.idea
        sentence = _cue_sentence(cue_rng, idea, tpl["cue_lead"])
        _weave(user, assistant, k, sentence, cue_rng, tpl["ack"])
        cues.append(Cue(trait_id=cue.trait_id, strategy="explicit" if plain else cue.strategy,
                        idea=idea, turn_index=2 * k, text=sentence))
    return cues


def _acquisition_cues(entry: PlanEntry, user: list[str], assistant: list[str],
                      explicit: ExplicitCues | None) -> list[Cue]:
    """The assistant asks about sensitivities first; the user states them in the next turn."""
    acq = load_templates(ACQUISITION_TEMPLATES)
    rng = random.Random(entry.rng_seed ^ 0xA5C)
    assistant[0] = rng.choice(acq["ask_sensitivity"])
    statements = [explicit_statement(explicit or {}, t, entry.rng_seed) for t in entry.traits]
    answer = " ".join(statements) if statements else rng.choice(acq["none_to_avoid"])
    user[1] = f"{answer} {user[1]}"
    return [Cue(trait_id=t, strategy="acquisition", idea=text, turn_index=2, text=text)
            for t, text in zip(entry.traits, statements, strict=True)]


def compose_dialogue(entry: PlanEntry, leaks: LeakMatcher,
                     explicit: ExplicitCues | None = None) -> Draft:
    """The offline composer: a deterministic, varied dialogue for one plan entry.

    ``explicit`` (see :func:`explicit_cue_bank`) is needed by the ``explicit`` and
    ``acquisition`` variants only.
    """
    tpl = load_templates()
    rng = random.Random(entry.rng_seed)
    slots = _slots(rng, entry, leaks)
    user = _user_turns(rng, entry, tpl, slots)
    assistant = [_pick(rng, tpl["ask_aspect"], slots)]
    asked: set[str] = set()
    assistant += [_pick(rng, tpl["ask_more"], slots, asked) for _ in range(len(user) - 2)]
    if entry.variant == "acquisition":
        cues = _acquisition_cues(entry, user, assistant, explicit)
    else:
        cues = _planned_cues(entry, user, assistant, tpl, explicit)
    messages: list[Turn] = []
    for i, text in enumerate(user):
        messages.append(Turn(role="user", content=text))
        if i < len(assistant) and i < len(user) - 1:
            messages.append(Turn(role="assistant", content=assistant[i]))
    return Draft(messages=messages, cues=cues)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOP = _words(
    "about after again also always because been before being could didn does doesnt dont "
    "every from have having into just like little lot more most much need never only other "
    "over really same some something still such than that their them then there these they "
    "thing things this those through time very want was were what when where which while "
    "will with without would your youre yours ive its im id ill"
)


class OfflineJudge:
    """A labelled heuristic, not a model: names the traits whose cue-bank vocabulary the user
    turns share, and the traits they state outright.

    Each trait's vocabulary is the content words of its cue ideas minus the background words
    of ordinary movie chat (every word of the composer's turn templates plus
    :data:`_CHAT_WORDS`), weighted by how few traits use them. A trait is named when at least
    ``min_words`` of its words occur and their weight reaches ``threshold``, or when the one
    leak matcher finds one of its leak terms (a user who says "I'm claustrophobic" shows it:
    the ``explicit`` variant; ``offline-judge-v2``, v1 read the vocabulary only).
    """

    backend = "offline"
    model = JUDGE_MODEL
    is_llm = False

    def __init__(self, taxonomy: Taxonomy, threshold: float = 4.0, min_words: int = 2) -> None:
        import math

        background = chat_background()
        vocab = {t.id: set().union(*(content_words(c.text) for c in t.cues)) - background
                 for t in taxonomy.traits}
        df: dict[str, int] = {}
        for words in vocab.values():
            for w in words:
                df[w] = df.get(w, 0) + 1
        n = max(len(vocab), 1)
        self._weights = {t: {w: math.log(1 + n / df[w]) for w in ws} for t, ws in vocab.items()}
        #: word -> (trait, weight) pairs, in trait order: one dict probe per word of the text
        self._by_word: dict[str, list[tuple[str, float]]] = {}
        for trait, weights in self._weights.items():
            for w, weight in weights.items():
                self._by_word.setdefault(w, []).append((trait, weight))
        self.threshold = threshold
        self.min_words = min_words
        self._leaks = LeakMatcher(taxonomy)

    def scores(self, user_text: str) -> dict[str, float]:
        """Matched weight per trait (0 when fewer than ``min_words`` words match)."""
        hits: dict[str, list[float]] = {}
        for w in content_words(user_text):  # per trait, weights summed in the words' order
            for trait, weight in self._by_word.get(w, ()):
                hits.setdefault(trait, []).append(weight)
        out = {}
        for trait in self._weights:
            found = hits.get(trait, [])
            out[trait] = sum(found) if len(found) >= self.min_words else 0.0
        return out

    def judge(self, user_text: str) -> list[str]:
        """Trait ids the heuristic reads in the text (sorted), or ``[]`` for none."""
        named = {t for t, s in self.scores(user_text).items() if s >= self.threshold}
        return sorted(named | {t for t, _ in self._leaks.find(user_text)})


_CHAT_WORDS = _words(
    "movie movies film films watch watching watched seen show shows story stories series "
    "tonight weekend night evening year years last first week month today time recommend "
    "suggest suggestion think find know keep rather should anything everything nothing "
    "people friend friends good great best favourite favorite enjoy enjoyed love loved like "
    "liked right skip read music scene scenes character characters actor actors"
)


def chat_background() -> set[str]:
    """Words of ordinary movie chat: the composer's template words (turns and acquisition
    questions and answers) and :data:`_CHAT_WORDS`.

    Heuristics that read a user's or an assistant's words for traits leave these out.
    """
    background = set(_CHAT_WORDS)
    for name in (COMPOSER_MODEL, ACQUISITION_TEMPLATES):
        for lines in load_templates(name).values():
            for line in lines:
                background.update(content_words(line))
    return background


def content_words(text: str) -> set[str]:
    """Normalized words of four letters or more that are not stop words."""
    return {w for w in normalize_text(text).split() if len(w) >= 4 and w not in _STOP}
