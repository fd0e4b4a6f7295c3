"""A pushed record renders in the annotator UI with its dialogue visible (headless Chromium).

Logs in through the UI's own sign-in page (``/sign-in?auth=base64(user:password)``, which
calls the server's token endpoint), opens the dataset's annotation page, waits until the
dialogue text is in the rendered page, and saves a screenshot to
``.artifacts/argilla_record.png`` (a test artifact, gitignored).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cdp import Chromium, chromium_path
from factories import make_sample

from annotation.accounts import add_user
from annotation.push import push_samples
from annotation.server import LocalArgillaStack
from datagen.taxonomy import load_taxonomy

pytestmark = pytest.mark.integration

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"
MARK = "the ferry crossing where the lights kept flickering"


def test_record_renders_in_annotator_ui(argilla_stack: LocalArgillaStack, argilla_client,
                                        tmp_path: Path) -> None:
    if chromium_path() is None:
        pytest.skip("chromium not installed (scripts/setup_argilla.sh installs it)")
    sample = make_sample(1, traits=("photosensitivity",),
                         text=f"Still thinking about {MARK}. Anything calm for tonight?")
    res = push_samples(argilla_client, [sample], dataset="ui", workspace="uitest",
                       taxonomy=load_taxonomy(), min_submitted=1)
    add_user(argilla_client, "viewer", workspace="uitest", password="viewer-pass-1")
    auth = base64.b64encode(b"viewer:viewer-pass-1").decode()
    with Chromium(tmp_path / "profile") as page:
        page.goto(f"{argilla_stack.url}/sign-in?auth={auth}")
        assert page.wait_for("!!localStorage.getItem('auth._token.local') && "
                             "localStorage.getItem('auth._token.local') !== 'false'", 60), \
            "UI sign-in did not store a token"
        page.goto(f"{argilla_stack.url}/dataset/{res.dataset_id}/annotation-mode")
        shown = page.wait_for(f"document.body && document.body.innerText.includes({MARK!r})", 90)
        page.wait_for("document.body.innerText.includes('Paddington 2 was lovely')", 10)
        png = page.screenshot(ARTIFACTS / "argilla_record.png")
    assert shown, "the dialogue did not render in the annotation page"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
