"""CLI behaviour that needs no server: help text, missing credentials, bad input files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotation.errors import ArgillaUnreachableError
from datagen.cli.main import app
from datagen.errors import ConfigError, InputError


@pytest.fixture(autouse=True)
def _no_argilla_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARGILLA_API_URL", raising=False)
    monkeypatch.delenv("ARGILLA_API_KEY", raising=False)


def test_help_teaches_the_three_commands() -> None:
    res = CliRunner().invoke(app, ["annotate", "--help"])
    assert res.exit_code == 0
    for word in ("serve", "push", "pull", "users", "ARGILLA_API_URL"):
        assert word in res.output


def test_push_without_credentials_is_a_config_error(tmp_path: Path) -> None:
    from factories import make_samples

    from datagen.parquet_io import write_parquet
    from datagen.records.sample import SAMPLE_SCHEMA, samples_to_table

    path = write_parquet(samples_to_table(make_samples(2)), tmp_path / "s.parquet", SAMPLE_SCHEMA)
    res = CliRunner().invoke(app, ["annotate", "push", "--input", str(path), "--dataset", "d"])
    assert isinstance(res.exception, ConfigError)
    assert "no Argilla URL" in str(res.exception)


def test_push_missing_input_names_the_file(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["annotate", "push", "--run-dir", str(tmp_path),
                                   "--dataset", "d"])
    assert isinstance(res.exception, InputError)
    assert str(res.exception) == f"{tmp_path / 'samples.parquet'}: file not found"


def test_unreachable_server_is_one_clear_error() -> None:
    from annotation.client import connect
    from annotation.server import free_port

    with pytest.raises(ArgillaUnreachableError, match=r"cannot reach Argilla at http://127"):
        connect(f"http://127.0.0.1:{free_port()}", "some-key-123")


def test_serve_warns_about_secrets_on_the_command_line(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFEREC_ARGILLA_VENV", str(tmp_path / "no-venv"))
    res = CliRunner().invoke(app, ["annotate", "serve", "--api-key", "typed-key-123",
                                   "--password", "typed-password"])
    assert isinstance(res.exception, ConfigError) and "virtualenv not found" in str(res.exception)
    assert "--api-key on the command line is visible" in res.stderr
    assert "--password on the command line is visible" in res.stderr
    assert "stopping" not in res.output  # nothing had started
    monkeypatch.setenv("SAFEREC_ARGILLA_API_KEY", "env-key-123")
    quiet = CliRunner().invoke(app, ["annotate", "serve"])
    assert isinstance(quiet.exception, ConfigError) and "visible" not in quiet.stderr


def test_push_help_explains_blind_traits() -> None:
    res = CliRunner().invoke(app, ["annotate", "push", "--help"], env={"COLUMNS": "200"})
    assert "--suggest-traits" in res.output and "blind" in res.output
