"""Build the recommender a :class:`~datagen.predict.config.PredictConfig` names.

LLM recommenders and LLM simulated users are built exactly as synthesis builds its
backends: ``make_backend(BackendConfig(...))`` wrapped in ``CachedBackend`` over the shared
SQLite response cache, all metered by one :class:`~datagen.llm.UsageMeter`. Baselines load
the catalogue, graph and tags the run used (:mod:`datagen.evaluate.resources`).
"""

from __future__ import annotations

from typing import Any

from datagen.errors import ConfigError
from datagen.predict.cases import Case
from datagen.predict.config import Mode, PredictConfig, RecommenderKind, UserKind
from datagen.predict.prompts import load_recommender_prompt
from datagen.predict.recommenders import BaselineRecommender, LLMRecommender, Recommender

__all__ = ["build_recommender", "chat_backend"]


def chat_backend(config: PredictConfig, kind: RecommenderKind, model: str, meter: Any) -> Any:
    """An OpenAI or Anthropic backend with retries and limits, behind the response cache."""
    from datagen.llm.factory import run_backend

    # answers are free text: no schema is ever sent, so the preflight need not probe the
    # server's structured-output modes
    return run_backend(kind="anthropic" if kind is RecommenderKind.anthropic else "openai",
                       model=model, base_url=config.base_url, concurrency=config.concurrency,
                       timeout=config.timeout, max_retries=config.max_retries,
                       structured_output="prompt", price_in=config.price_input_per_mtok,
                       price_out=config.price_output_per_mtok, meter=meter,
                       run_dir=config.run_dir, no_cache=config.no_cache,
                       cache_path=config.cache_path)


def _baseline(config: PredictConfig) -> Recommender:
    from datagen.evaluate import baselines as bl
    from datagen.evaluate.resources import load_catalogue, load_graph_for, load_tag_index

    catalogue = load_catalogue(config.catalogue_path, config.run_dir)
    if config.model == "popularity":
        return BaselineRecommender(config.model, bl.popularity_ranker(catalogue, config.n),
                                   catalogue)
    graph, _ = load_graph_for(config.graph_path, catalogue, config.run_dir)
    if config.model == "graph":
        return BaselineRecommender(config.model, bl.graph_ranker(graph, config.n), catalogue)
    tags, _ = load_tag_index(config.tags_path, catalogue, config.run_dir)
    ranker = bl.graph_safe_ranker(graph, tags, config.n, unknown_policy=config.unknown_policy)
    if config.model != "graph_stated":
        return BaselineRecommender(config.model, ranker, catalogue)
    from datagen.evaluate.resources import load_run_matcher
    from datagen.records.sample import user_text

    matcher = load_run_matcher(config.run_dir, config.taxonomy_path)

    def stated(case: Case) -> list[str]:
        return bl.stated_traits(user_text(case.messages), matcher)

    return BaselineRecommender(config.model, ranker, catalogue, traits=stated)


def _user(config: PredictConfig, taxonomy: Any, meter: Any) -> Any:
    from datagen.predict.simulated_user import LLMUser, OfflineUser

    if config.user is UserKind.offline:
        return OfflineUser(taxonomy)
    kind = config.user_backend or config.backend
    if kind is RecommenderKind.baseline:
        raise ConfigError("an LLM simulated user needs --user-backend openai or anthropic")
    return LLMUser(chat_backend(config, kind, config.user_model or config.model, meter),
                   taxonomy)


def build_recommender(config: PredictConfig, meter: Any) -> tuple[Recommender, Any]:
    """``(recommender, simulated user or None)``; backends share ``meter``."""
    if config.backend is RecommenderKind.baseline:
        return _baseline(config), None
    prompt = load_recommender_prompt(config.prompt_name)
    backend = chat_backend(config, config.backend, config.model, meter)
    if config.mode is Mode.single:
        if prompt.asks_questions:
            raise ConfigError(f"prompt {prompt.version} invites questions ($budget): use "
                              "--mode acquisition, or a single-answer prompt")
        return LLMRecommender(backend, prompt, n=config.n, temperature=config.temperature,
                              max_tokens=config.max_tokens), None
    from datagen.evaluate.resources import load_run_taxonomy
    from datagen.predict.acquisition import AcquisitionRecommender

    user = _user(config, load_run_taxonomy(config.run_dir, config.taxonomy_path), meter)
    return AcquisitionRecommender(backend, prompt, user, budget=config.budget, n=config.n,
                                  temperature=config.temperature,
                                  max_tokens=config.max_tokens), user
