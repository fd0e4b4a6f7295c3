"""Training exports (Safe-SFT, GDPO, preference pairs), reward functions, Hugging Face release.

Per-example functions live in :mod:`exports.sft`, :mod:`exports.gdpo` and
:mod:`exports.preference`; :func:`export_formats` applies them to split tables;
:func:`write_dataset_folder` writes a Hub-ready folder and :func:`push_folder` uploads it.
Reward functions (:mod:`exports.rewards`) and advantages (:mod:`exports.advantages`) need
neither torch nor a network.
"""

from exports.advantages import gdpo_advantages, grpo_advantages
from exports.build import (
    FORMATS,
    ExportChunk,
    ExportResult,
    export_formats,
    iter_exports,
    parse_formats,
)
from exports.common import ExportConfig
from exports.hf_repo import write_dataset_folder
from exports.hf_upload import push_folder
from exports.preference import PreferenceSources
from exports.rewards import (
    CompletionParser,
    count_reward,
    format_reward,
    grounding_reward,
    make_reward_functions,
    relevance_reward,
    safety_reward,
)

__all__ = [
    "FORMATS",
    "CompletionParser",
    "ExportChunk",
    "ExportConfig",
    "ExportResult",
    "PreferenceSources",
    "count_reward",
    "export_formats",
    "format_reward",
    "gdpo_advantages",
    "grounding_reward",
    "grpo_advantages",
    "iter_exports",
    "make_reward_functions",
    "parse_formats",
    "push_folder",
    "relevance_reward",
    "safety_reward",
    "write_dataset_folder",
]
