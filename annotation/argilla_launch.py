"""Entry point of every argilla-server process of the local stack (run by the server venv).

``LocalArgillaStack`` starts ``<server venv>/bin/python -I annotation/argilla_launch.py ARGS``
instead of ``python -m argilla_server ARGS`` for two reasons:

* **No secrets on command lines.** argilla-server's own CLI takes the owner's API key and
  password only as options (``database users create_default --api-key K --password P``), which
  any user can read in ``ps`` or ``/proc/*/cmdline``. Here the CLI runs with click's
  ``auto_envvar_prefix`` (:data:`ENV_PREFIX`), so every option can come from the environment
  instead, e.g. ``SAFEREC_ARGILLA_CLI_DATABASE_USERS_CREATE_DEFAULT_API_KEY``; a process's
  environment is readable only by its owner (and root).
* **The search-engine emulation.** noida-db 0.2.3 ignores ``include_in_root`` on nested
  mappings, so root-level queries and aggregations on ``responses.*`` see nothing. argilla-server
  relies on it in exactly two places: the *pending* response filter (an annotator's "Pending"
  queue listed records she had already submitted) and the per-user progress (her "Submitted"
  counter read 0). :func:`apply_noida_compat` replaces those two with the equivalent
  ``nested`` query and ``nested`` aggregation, which noida-db answers correctly and which mean
  the same on a real Elasticsearch. Set ``SAFEREC_NOIDA_COMPAT=0`` to run the server unpatched.

This file runs under the *server's* interpreter (argilla-server and its pins), never in the
project's venv: it imports nothing from the project. ``-I`` keeps this folder off ``sys.path``
so the package's own module names cannot shadow the server's imports.
"""

from __future__ import annotations

import os
from typing import Any

ENV_PREFIX = "SAFEREC_ARGILLA_CLI"
COMPAT_ENV = "SAFEREC_NOIDA_COMPAT"
PENDING = "pending"


def _nested(query: dict[str, Any]) -> dict[str, Any]:
    return {"nested": {"path": "responses", "query": query, "score_mode": "avg"}}


def _user_term(user: Any) -> dict[str, Any]:
    return {"term": {"responses.user_id": str(user.id)}}


def apply_noida_compat() -> None:
    """Patch the two root-level nested-field uses of argilla-server 2.8 (see module doc)."""
    import dataclasses

    from argilla_server.search_engine import commons

    engine = commons.BaseElasticAndOpenSearchEngine
    status_filter = engine._response_status_filter_to_es_filter

    def response_status_filter(self: Any, filter: Any) -> dict[str, Any]:
        if PENDING not in filter.values:
            return status_filter(self, filter)
        # "pending" = no response of this user (or none at all without a user scope)
        who = _user_term(filter.scope.user) if filter.scope.user else {"match_all": {}}
        no_response = {"bool": {"must_not": [_nested(who)]}}
        rest = [v for v in filter.values if v != PENDING]
        if not rest:
            return no_response
        others = status_filter(self, dataclasses.replace(filter, values=rest))
        return {"bool": {"should": [no_response, others], "minimum_should_match": 1}}

    async def get_dataset_user_progress(self: Any, dataset: Any, user: Any) -> dict[str, Any]:
        if dataset.is_draft:
            return {}
        aggs = {"responses": {
            "nested": {"path": "responses"},
            "aggs": {"mine": {"filter": _user_term(user), "aggs": {
                "status": {"terms": {"field": "responses.status", "size": 10}}}}},
        }}
        index = commons.es_index_name_for_dataset(dataset)
        response = await self._index_search_request(index, query={"match_all": {}},
                                                     aggregations=aggs, size=0)
        mine = response["aggregations"]["responses"]["mine"]
        counts = {b["key"]: b["doc_count"] for b in mine["status"]["buckets"]}
        return {"total": mine["doc_count"], **counts}

    engine._response_status_filter_to_es_filter = response_status_filter
    engine.get_dataset_user_progress = get_dataset_user_progress


def main() -> None:
    if os.environ.get(COMPAT_ENV, "1") != "0":
        apply_noida_compat()
    from argilla_server.cli import app

    app(prog_name="argilla_server", auto_envvar_prefix=ENV_PREFIX)


if __name__ == "__main__":
    main()
