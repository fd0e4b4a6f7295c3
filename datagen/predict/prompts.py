"""Versioned recommender prompts: the shipped ones by name, or a user's own file.

A prompt file is the format of :mod:`datagen.synth.prompts` (``=== system ===`` and
``=== user ===`` sections with ``$variables``). The system section holds the instructions
(``$n`` films to recommend, ``$budget`` questions in acquisition mode); the dialogue's turns
are sent as they are, and the user section renders the dialogue's last user turn
(``$last_user_turn``, required), so a prompt can add a line to it or leave it alone.

Shipped (``datagen/predict/prompts/``): ``plain-v1``, ``safety-aware-v1`` and
``acquisition-v1`` (questions before recommending); ``plain``, ``safety-aware`` and
``acquisition`` name their latest version. Changing a shipped prompt means adding ``-v2``.
A path to a file of one's own works too: its version is ``<file stem>+<sha256 of the text,
12 hex>``, so two different texts can never be reported under one name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from datagen.errors import ConfigError
from datagen.synth.prompts import PromptTemplate, load_blocks, load_prompt, parse_prompt

__all__ = ["ALIASES", "PACKAGE", "RecommenderPrompt", "load_recommender_prompt"]

PACKAGE = "datagen.predict"
#: short names -> the shipped version they stand for
ALIASES = {"plain": "plain-v1", "safety-aware": "safety-aware-v1",
           "acquisition": "acquisition-v1"}
SHIPPED = ("plain-v1", "safety-aware-v1", "acquisition-v1")
_VARIABLES = frozenset({"n", "budget", "last_user_turn"})
#: what the acquisition loop appends once the budget is spent, if the prompt has no block
_DEFAULT_BLOCKS = {"no_questions_left": "(No more questions: reply with RECOMMENDATIONS now.)"}


@dataclass(frozen=True)
class RecommenderPrompt:
    version: str
    template: PromptTemplate
    blocks: dict[str, Template] = field(default_factory=dict)

    @property
    def asks_questions(self) -> bool:
        """A prompt that mentions ``$budget`` invites questions (acquisition mode)."""
        return "budget" in self.template.system.get_identifiers()

    def block(self, name: str) -> str:
        tpl = self.blocks.get(name)
        return tpl.template if tpl is not None else _DEFAULT_BLOCKS[name]


def _check(template: PromptTemplate, where: str) -> None:
    used = set(template.system.get_identifiers()) | set(template.user.get_identifiers())
    unknown = sorted(used - _VARIABLES)
    if unknown:
        raise ConfigError(f"prompt {where}: unknown variable ${unknown[0]} (use $n, $budget, "
                          "$last_user_turn)")
    if "last_user_turn" not in template.user.get_identifiers():
        raise ConfigError(f"prompt {where}: the user section must contain $last_user_turn")
    for part in (template.system, template.user):
        if not part.is_valid():
            raise ConfigError(f"prompt {where}: a '$' that is not a variable (write $$)")


def load_recommender_prompt(name: str) -> RecommenderPrompt:
    """A shipped prompt by name or version, or a prompt file by path (ConfigError if bad)."""
    version = ALIASES.get(name, name)
    if version in SHIPPED:
        template = load_prompt(version, PACKAGE)
        try:
            blocks = load_blocks(version, PACKAGE)
        except ConfigError:
            blocks = {}
        _check(template, version)
        return RecommenderPrompt(version=version, template=template, blocks=blocks)
    path = Path(name)
    if not path.is_file():
        raise ConfigError(f"unknown recommender prompt {name!r}: use one of "
                          f"{', '.join([*ALIASES, *SHIPPED])} or the path of a prompt file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the prompt file ({exc})") from None
    version = f"{path.stem}+{hashlib.sha256(text.encode()).hexdigest()[:12]}"
    template = parse_prompt(text, version)
    _check(template, str(path))
    return RecommenderPrompt(version=version, template=template)
