"""Workspaces and annotator accounts, created idempotently with the SDK as an owner.

Annotators log into the UI with a username and password; running ``users add`` again for an
existing user only makes sure it belongs to the workspace (its password is left alone).
"""

from __future__ import annotations

import secrets
import warnings
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from datagen.errors import ConfigError

if TYPE_CHECKING:
    import argilla as rg

__all__ = ["ROLES", "UserResult", "add_user", "ensure_workspace", "find_workspace"]

ROLES = ("annotator", "admin", "owner")
#: argilla-server rejects shorter passwords
MIN_PASSWORD = 8


class UserResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str
    role: str
    workspace: str
    created: bool
    password: str | None = None  # only when this call created the user


def find_workspace(client: rg.Argilla, name: str) -> rg.Workspace | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return client.workspaces(name)


def ensure_workspace(client: rg.Argilla, name: str) -> rg.Workspace:
    """The workspace called ``name``, created if missing."""
    import argilla as rg

    ws = find_workspace(client, name)
    if ws is None:
        ws = rg.Workspace(name=name, client=client).create()
    return ws


def add_user(client: rg.Argilla, username: str, *, role: str = "annotator",
             workspace: str, password: str | None = None) -> UserResult:
    """Create ``username`` (if missing) with ``role`` and add it to ``workspace``."""
    import argilla as rg

    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise ConfigError(f"password for {username!r} must have at least {MIN_PASSWORD} characters")
    ws = ensure_workspace(client, workspace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        user = client.users(username)
    created = user is None
    if user is None:
        password = password or secrets.token_urlsafe(12)
        user = rg.User(username=username, password=password, role=role, client=client).create()
    elif str(user.role.value if hasattr(user.role, "value") else user.role) != role:
        raise ConfigError(f"user {username!r} exists with role {user.role!s}, not {role!r}")
    member_names = {u.username for u in ws.users}
    if username not in member_names:
        ws.add_user(user)
    return UserResult(username=username, role=role, workspace=workspace, created=created,
                      password=password if created else None)
