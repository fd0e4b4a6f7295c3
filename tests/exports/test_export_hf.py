"""HF folder: every config loads with datasets, card YAML parses, push to a fake Hub."""

from __future__ import annotations

import pytest
import yaml

from datagen.errors import BackendError, InputError
from datagen.records.sample import samples_to_table
from datagen.splits import split_samples
from datagen.taxonomy import load_taxonomy
from exports.build import FORMATS, export_formats
from exports.hf_repo import write_dataset_folder
from exports.hf_upload import push_folder
from exports.preference import PreferenceSources


@pytest.fixture(scope="module")
def released(tmp_path_factory, request):
    from sample_factory import make_corpus

    cat = request.getfixturevalue("mini_catalogue")
    res = request.getfixturevalue("resolver")
    splits = split_samples(samples_to_table(make_corpus(120))).tables
    tax = load_taxonomy()
    result = export_formats(splits, FORMATS, taxonomy=tax,
                            sources=PreferenceSources.from_catalogue(cat, res))
    out = tmp_path_factory.mktemp("hf") / "saferec"
    write_dataset_folder(out, result, splits, taxonomy=tax)
    return out, result, splits


def _front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_every_config_loads_with_datasets(released, tmp_path):
    import datasets

    out, result, _ = released
    for config in FORMATS:
        ds = datasets.load_dataset(str(out), name=config, cache_dir=str(tmp_path / "cache"))
        assert set(ds) == {"train", "validation", "test"}
        for split, table in result.tables[config].items():
            assert ds[split].num_rows == table.num_rows
    dpo = datasets.load_dataset(str(out), name="dpo", split="train",
                                cache_dir=str(tmp_path / "cache"))
    assert set(dpo["rejection_type"]) == {"unsafe", "popularity", "hallucination"}
    sft = datasets.load_dataset(str(out), name="sft", split="train",
                                cache_dir=str(tmp_path / "cache"))
    assert sft[0]["messages"][0]["role"] == "system"
    assert sft[0]["messages"][-1]["role"] == "assistant"


def test_card_yaml_and_provenance(released):
    out, _, splits = released
    text = (out / "README.md").read_text()
    meta = _front_matter(text)
    assert meta["license"] == "cc-by-4.0" and meta["language"] == ["en"]
    assert meta["size_categories"] == ["n<1K"] and meta["task_categories"]
    assert [c["config_name"] for c in meta["configs"]] == list(FORMATS)
    sft = meta["configs"][0]
    assert sft["default"] is True
    assert {f["split"] for f in sft["data_files"]} == {"train", "validation", "test"}
    for c in meta["configs"]:
        for f in c["data_files"]:
            assert list(out.glob(f["path"])), f["path"]
    assert "Content warning" in text
    assert "offline template composer" in text  # the factory's samples are not LLM-made
    assert load_taxonomy().content_hash in text
    n_animal = sum(t.column("traits").to_pylist().count(["animal_harm"]) for t in
                   splits.values())
    assert n_animal > 0 and "animal_harm" in text


@pytest.mark.integration
@pytest.mark.parametrize("lfs", [False, True], ids=["regular", "lfs"])
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # huggingface_hub LFS PUT via httpx
def test_push_to_fake_hub(released, monkeypatch, capsys, lfs):
    import huggingface_hub.constants
    from fake_hub import FakeHub

    out, _, _ = released
    token = "hf_test_secret_token_123"
    if lfs:
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)
    with FakeHub(token=token, lfs=lfs) as hub:
        monkeypatch.setenv("HF_TOKEN", token)
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        url = push_folder(out, "saferec-org/saferec", private=True)
        assert "/commit/" in url
        repo = hub.repos["saferec-org/saferec"]
        assert repo["private"] and repo["type"] == "dataset"
        local = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
                 if p.is_file()}
        assert repo["files"] == local
        assert lfs == any(path.startswith("/lfs-upload/") for _, path in hub.requests)
        # second push: repo exists (409 -> exist_ok) and a second commit lands
        push_folder(out, "saferec-org/saferec")
        assert len(repo["commits"]) == 2
        monkeypatch.setenv("HF_TOKEN", "wrong-token")
        with pytest.raises(BackendError, match="HTTP 401") as err:
            push_folder(out, "saferec-org/saferec")
        assert "wrong-token" not in str(err.value)
    assert token not in capsys.readouterr().out


def test_push_refuses_bad_input(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with pytest.raises(InputError, match="README"):
        push_folder(tmp_path, "a/b")
    (tmp_path / "README.md").write_text("---\nlicense: mit\n---\n")
    with pytest.raises(InputError, match="ORG/NAME"):
        push_folder(tmp_path, "noslash")
    with pytest.raises(InputError, match="HF_TOKEN"):
        push_folder(tmp_path, "a/b")


def test_streamed_release_equals_in_memory(released, tmp_path):
    import pyarrow.parquet as pq

    from exports.build import iter_exports
    from exports.hf_repo import shard_path

    out, result, splits = released
    tax = load_taxonomy()
    counts = write_dataset_folder(tmp_path, iter_exports(splits, ["sft", "gdpo"], taxonomy=tax,
                                                         chunk_rows=7), splits, taxonomy=tax)
    for config in ("sft", "gdpo"):
        for split, table in result.tables[config].items():
            assert counts[config][split] == table.num_rows
            assert pq.read_table(shard_path(tmp_path, config, split)).equals(
                pq.read_table(shard_path(out, config, split)))
