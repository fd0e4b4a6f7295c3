"""BackendConfig: lazy key lookup, key files, redaction, prices."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from datagen.errors import ConfigError
from datagen.llm import BackendConfig, Prices, make_backend
from datagen.llm.config import default_prices
from datagen.llm.failures import parse_retry_after

SECRET = "sk-test-SECRET-0123456789abcdef"


def test_key_is_read_from_env_only_when_resolved(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    config = BackendConfig(kind="openai", model="gpt-4o-mini")  # no key yet: fine
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        config.resolve_api_key()
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    assert config.resolve_api_key().get_secret_value() == SECRET


def test_anthropic_reads_its_own_env(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "wrong")
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    config = BackendConfig(kind="anthropic", model="claude-3-5-haiku-latest")
    assert config.resolve_api_key().get_secret_value() == SECRET


@pytest.mark.parametrize(
    "content", [SECRET + "\n", f"api_key: {SECRET}\n", json.dumps({"OPENAI_API_KEY": SECRET})]
)
def test_key_file_forms(tmp_path, monkeypatch, content):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    path = tmp_path / "key.txt"
    path.write_text(content)
    config = BackendConfig(kind="openai", model="m", api_key_file=path)
    assert config.resolve_api_key().get_secret_value() == SECRET


def test_bad_key_file_names_the_file(tmp_path):
    path = tmp_path / "key.yaml"
    path.write_text("other: value\n")
    with pytest.raises(ConfigError, match=r"key\.yaml"):
        BackendConfig(kind="openai", model="m", api_key_file=path).resolve_api_key()
    with pytest.raises(ConfigError, match="cannot read"):
        BackendConfig(kind="openai", model="m", api_key_file=tmp_path / "nope").resolve_api_key()


def test_local_server_needs_no_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    config = BackendConfig(kind="openai", model="m", base_url="http://127.0.0.1:9/v1")
    assert config.resolve_api_key().get_secret_value() == "EMPTY"


def test_missing_key_fails_at_make_backend(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        make_backend(BackendConfig(kind="anthropic", model="m"))


def test_key_never_serialized():
    config = BackendConfig(kind="openai", model="m", api_key=SECRET)
    texts = [
        json.dumps(config.redacted()),
        repr(config),
        str(config),
        config.model_dump_json(),
        str(config.model_dump()),
    ]
    for text in texts:
        assert SECRET not in text
    assert config.redacted()["api_key"] == "***"


def test_extra_fields_are_rejected():
    with pytest.raises(ValidationError):
        BackendConfig(kind="openai", model="m", temperature=0.3)
    with pytest.raises(ValidationError):
        BackendConfig(kind="gemini", model="m")


def test_prices_default_table_and_override():
    assert default_prices("gpt-4o-mini") == Prices(input_per_mtok=0.15, output_per_mtok=0.60)
    assert default_prices("gpt-4o-mini-2024-07-18") == default_prices("gpt-4o-mini")
    assert default_prices("my-local-llama") is None
    own = Prices(input_per_mtok=1.0, output_per_mtok=2.0)
    assert BackendConfig(kind="openai", model="gpt-4o", prices=own).effective_prices() == own
    assert own.cost(1_000_000, 500_000) == pytest.approx(2.0)


def test_parse_retry_after_seconds_and_http_date():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = 1_700_000_000.0  # 2023-11-14T22:13:20Z
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:30 GMT", now=now) == pytest.approx(10.0)
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:00 GMT", now=now) == 0.0


def test_load_backend_config_from_yaml(tmp_path):
    from datagen.llm import load_backend_config

    path = tmp_path / "llm.yaml"
    path.write_text("kind: anthropic\nmodel: claude-3-5-haiku-latest\nconcurrency: 8\n"
                    "prices: {input_per_mtok: 1.0, output_per_mtok: 5.0}\n")
    config = load_backend_config(path, concurrency=32, base_url=None)
    assert config.kind == "anthropic" and config.concurrency == 32
    assert config.effective_prices() == Prices(input_per_mtok=1.0, output_per_mtok=5.0)
    path.write_text("kind: openai\nmodel: m\nconcurency: 8\n")
    with pytest.raises(ConfigError, match=r"llm\.yaml: field 'concurency': Extra inputs"):
        load_backend_config(path)
    path.write_text("kind: openai\nmodel: m\ntimeout: -1\n")
    with pytest.raises(ConfigError, match="field 'timeout'"):
        load_backend_config(path)
