"""Versioned prompt templates (package data in ``datagen/synth/prompts/``).

A template file ``<name>.txt`` holds a ``=== system ===`` and a ``=== user ===`` section with
``$variables`` (:class:`string.Template`, so JSON braces need no escaping). The file name is
the version recorded on every sample (``generation.prompt_version``): changing a prompt means
adding ``dialogue-v2.txt``, never editing v1 in place. ``<name>.blocks.yaml`` holds optional
snippets the task inserts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from string import Template

import yaml

from datagen.errors import ConfigError
from datagen.llm.types import Message

__all__ = ["PromptTemplate", "load_blocks", "load_prompt", "parse_prompt"]

_SECTIONS = ("=== system ===", "=== user ===")


@dataclass(frozen=True)
class PromptTemplate:
    version: str
    system: Template
    user: Template

    def render(self, **values: str) -> tuple[Message, ...]:
        """System + user messages with every ``$variable`` filled (KeyError if one is missing)."""
        return (
            Message(role="system", content=self.system.substitute(values).strip()),
            Message(role="user", content=self.user.substitute(values).strip()),
        )


def _read(name: str, package: str = "datagen.synth") -> str:
    path = resources.files(package).joinpath(f"prompts/{name}")
    if not path.is_file():
        folder = package.replace(".", "/")
        raise ConfigError(f"unknown prompt template {name!r} (no {folder}/prompts/{name})")
    return path.read_text(encoding="utf-8")


def parse_prompt(text: str, version: str) -> PromptTemplate:
    """A template from the text of a prompt file (``version`` names it in records)."""
    if not all(marker in text for marker in _SECTIONS):
        raise ConfigError(f"prompt {version}: needs '=== system ===' and '=== user ===' sections")
    system = text.split(_SECTIONS[0], 1)[1].split(_SECTIONS[1], 1)[0]
    user = text.split(_SECTIONS[1], 1)[1]
    return PromptTemplate(version=version, system=Template(system), user=Template(user))


@lru_cache(maxsize=16)
def load_prompt(version: str, package: str = "datagen.synth") -> PromptTemplate:
    """The template ``prompts/<version>.txt`` of ``package`` (package data)."""
    return parse_prompt(_read(f"{version}.txt", package), version)


@lru_cache(maxsize=16)
def load_blocks(version: str, package: str = "datagen.synth") -> dict[str, Template]:
    """Snippets ``prompts/<version>.blocks.yaml`` of ``package`` as templates, by name."""
    data = yaml.safe_load(_read(f"{version}.blocks.yaml", package))
    return {str(k): Template(str(v)) for k, v in data.items()}
