"""Dialogue synthesis: plan -> ground truth -> generation -> verification -> run directory.

Entry point: :func:`datagen.synth.runner.synthesize` with a
:class:`datagen.synth.config.SynthConfig` (what ``datagen synthesize`` calls). Stages are
modules: ``seeds``, ``plan``, ``ground_truth``, ``tasks`` + ``prompts`` (LLM build/parse),
``offline`` (the labelled composer and judge), ``generate``, ``verify``, ``pipeline``,
``rundir``, ``stats``. See docs/synthesis.md. Importing this package loads nothing heavy.
"""

__all__: list[str] = []
