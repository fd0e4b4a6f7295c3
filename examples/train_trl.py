"""Train a model on SafeRec exports with TRL: Safe-SFT, then GRPO in GDPO mode, then DPO.

Input is the folder ``datagen export hf --out DIR`` writes (``data/<config>/<split>-*.parquet``)
and any local model directory (``save_pretrained`` layout with a tokenizer and a chat
template). Nothing is downloaded.

1. **Safe-SFT** on ``sft_prompt_completion`` (loss on the answer only, TRL's default for
   prompt/completion data; use ``--sft-config sft`` for the ``messages`` shape, whose
   assistant-only loss needs a chat template with ``{% generation %}`` markers);
2. **GRPO in GDPO mode** on ``gdpo`` with the five reward functions of
   :mod:`exports.rewards` (relevance, safety, count, format, grounding), each normalized
   within its group before the weighted sum (``multi_objective_aggregation=
   "normalize_then_sum"``, which is what :func:`exports.advantages.gdpo_advantages`
   computes); the reward functions read the dataset's ``ground_truth``, ``unsafe_items``,
   ``unknown_items`` and ``traits`` columns;
3. **DPO** on ``dpo`` (chosen = safe ground truth, rejected = unsafe / popular / invented).

Each stage starts from the previous stage's model and saves to ``OUT/<stage>``.

    pip install -e ".[train]"
    datagen export hf --out out/saferec-hf
    python examples/train_trl.py --data out/saferec-hf --model ~/models/my-small-instruct \\
        --out runs/trl --max-steps 100

The stage functions are importable (the CI integration test runs each for 2 steps on a tiny
random model built from our own exports).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

STAGES = ("sft", "grpo", "dpo")
#: weights of relevance, safety, count, format, grounding in the GDPO sum
DEFAULT_REWARD_WEIGHTS = (1.0, 1.0, 0.5, 0.25, 0.5)


def load_config(data_dir: str | Path, config: str, split: str = "train") -> Any:
    """One config / split of an ``export hf`` folder as a ``datasets.Dataset``."""
    import datasets

    files = sorted(str(p) for p in (Path(data_dir) / "data" / config).glob(f"{split}-*.parquet"))
    if not files:
        raise SystemExit(f"no {config}/{split} shards under {data_dir}/data: run "
                         "`datagen export hf --out DIR` first")
    return datasets.load_dataset("parquet", data_files=files, split="train")


def _bf16() -> bool:
    """bf16 only where a GPU supports it (TRL's configs default to bf16, which a CPU refuses)."""
    import torch

    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())


def _common(out_dir: Path, max_steps: int, batch_size: int, learning_rate: float) -> dict:
    return {"output_dir": str(out_dir), "max_steps": max_steps,
            "per_device_train_batch_size": batch_size, "learning_rate": learning_rate,
            "logging_steps": 1, "save_strategy": "no", "report_to": "none", "seed": 0,
            "bf16": _bf16()}


def _save(trainer: Any, out_dir: Path) -> Path:
    trainer.save_model(str(out_dir))
    trainer.processing_class.save_pretrained(str(out_dir))
    return out_dir


def sft_stage(model_dir: str | Path, train: Any, out_dir: str | Path, *, max_steps: int = 100,
              batch_size: int = 4, learning_rate: float = 2e-5, max_length: int = 1024,
              **overrides: Any) -> Any:
    """Safe-SFT; returns the trainer (``trainer.state.log_history`` holds the losses)."""
    from trl import SFTConfig, SFTTrainer

    out = Path(out_dir)
    args = SFTConfig(**_common(out, max_steps, batch_size, learning_rate),
                     max_length=max_length, **overrides)
    trainer = SFTTrainer(model=str(model_dir), args=args, train_dataset=train)
    trainer.train()
    _save(trainer, out)
    return trainer


def reward_functions(catalogue: str | Path | None = None, **options: Any) -> list[Callable]:
    """The project's five rewards, in :data:`DEFAULT_REWARD_WEIGHTS` order, on one parser.

    ``catalogue``: the Parquet catalogue the dataset was built with (default: the embedded
    films); ``options`` go to :func:`exports.rewards.make_reward_functions` (k,
    unknown_policy, unknown_weight, target_count, tag_index...).
    """
    from exports.rewards import CompletionParser, make_reward_functions

    parser = None
    if catalogue is not None:
        from datagen.catalogue import Catalogue, TitleResolver

        parser = CompletionParser(TitleResolver(Catalogue.load(catalogue)))
    fns = make_reward_functions(parser, **options)
    return [fns[name] for name in ("relevance", "safety", "count", "format", "grounding")]


def grpo_stage(model_dir: str | Path, train: Any, out_dir: str | Path, *,
               reward_funcs: Sequence[Callable], reward_weights: Sequence[float],
               max_steps: int = 100, batch_size: int = 4, num_generations: int = 4,
               learning_rate: float = 1e-6, max_completion_length: int = 256,
               aggregation: str = "normalize_then_sum", **overrides: Any) -> Any:
    """GRPO with several rewards; GDPO mode by default (each reward normalized per group)."""
    from trl import GRPOConfig, GRPOTrainer

    out = Path(out_dir)
    args = GRPOConfig(**_common(out, max_steps, batch_size, learning_rate),
                      num_generations=num_generations,
                      max_completion_length=max_completion_length,
                      reward_weights=list(reward_weights),
                      multi_objective_aggregation=aggregation, **overrides)
    trainer = GRPOTrainer(model=str(model_dir), reward_funcs=list(reward_funcs), args=args,
                          train_dataset=train)
    trainer.train()
    _save(trainer, out)
    return trainer


def dpo_stage(model_dir: str | Path, train: Any, out_dir: str | Path, *, max_steps: int = 100,
              batch_size: int = 4, learning_rate: float = 5e-7, beta: float = 0.1,
              max_length: int = 1024, **overrides: Any) -> Any:
    """DPO on the preference pairs."""
    from trl import DPOConfig, DPOTrainer

    out = Path(out_dir)
    args = DPOConfig(**_common(out, max_steps, batch_size, learning_rate), beta=beta,
                     max_length=max_length, **overrides)
    trainer = DPOTrainer(model=str(model_dir), args=args, train_dataset=train)
    trainer.train()
    _save(trainer, out)
    return trainer


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="folder written by `datagen export hf`")
    p.add_argument("--model", required=True, help="local model directory to start from")
    p.add_argument("--out", required=True, help="output folder (one subfolder per stage)")
    p.add_argument("--stages", default=",".join(STAGES), help="comma-separated, in order")
    p.add_argument("--max-steps", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--num-generations", type=int, default=4)
    p.add_argument("--max-completion-length", type=int, default=256)
    p.add_argument("--sft-config", default="sft_prompt_completion",
                   choices=("sft_prompt_completion", "sft"))
    p.add_argument("--catalogue", default=None,
                   help="catalogue Parquet the rewards resolve titles with")
    p.add_argument("--unknown-policy", default="penalize", choices=("penalize", "ignore"))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    bad = [s for s in stages if s not in STAGES]
    if bad:
        raise SystemExit(f"unknown stage(s) {bad}; choose from {', '.join(STAGES)}")
    model, out = Path(args.model), Path(args.out)
    common = {"max_steps": args.max_steps, "batch_size": args.batch_size}
    for stage in stages:
        if stage == "sft":
            sft_stage(model, load_config(args.data, args.sft_config), out / "sft", **common)
        elif stage == "grpo":
            grpo_stage(model, load_config(args.data, "gdpo"), out / "grpo",
                       reward_funcs=reward_functions(args.catalogue,
                                                     unknown_policy=args.unknown_policy),
                       reward_weights=DEFAULT_REWARD_WEIGHTS,
                       num_generations=args.num_generations,
                       max_completion_length=args.max_completion_length, **common)
        else:
            dpo_stage(model, load_config(args.data, "dpo"), out / "dpo", **common)
        model = out / stage
        print(f"{stage}: saved {model}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
