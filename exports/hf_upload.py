"""Upload a dataset folder to the Hugging Face Hub (or any endpoint speaking its API).

The token comes from ``HF_TOKEN`` (or the argument) and the endpoint from ``HF_ENDPOINT``
(or the argument); the token is never printed or put in an error message.
"""

from __future__ import annotations

import os
from pathlib import Path

from datagen.errors import BackendError, InputError

__all__ = ["push_folder"]


def push_folder(
    folder: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    token: str | None = None,
    endpoint: str | None = None,
    commit_message: str = "Upload SafeRec dataset",
) -> str:
    """create_repo(exist_ok=True) + upload_folder as a dataset repo; returns the commit URL."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    folder = Path(folder)
    if not (folder / "README.md").is_file():
        raise InputError("not a dataset folder (no README.md); run `datagen export hf --out`",
                         file=folder)
    if repo_id.count("/") != 1:
        raise InputError(f"repo id must look like ORG/NAME, got {repo_id!r}", field="--push")
    token = token or os.environ.get("HF_TOKEN")
    if not token:
        raise InputError("no Hub token: set HF_TOKEN", field="HF_TOKEN")
    api = HfApi(endpoint=endpoint or os.environ.get("HF_ENDPOINT") or None, token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        info = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset",
                                 commit_message=commit_message)
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise BackendError(f"Hub upload to {repo_id} failed (HTTP {status})") from None
    return str(getattr(info, "commit_url", info))
