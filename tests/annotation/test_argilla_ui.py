"""A pushed record in the annotator UI (headless Chromium): ground truth and dialogue together.

Logs in through the UI's own sign-in page (``/sign-in?auth=base64(user:password)``, which
calls the server's token endpoint), opens the dataset's annotation page for a record as long
as real ones (9 turns, 74 dropped candidates), and checks *in the rendered page*: the
ground-truth films and the first user turn are both inside the first screen (no scrolling),
the generator's plan is collapsed (a blind annotator does not see the planned trait), and
once opened it shows the dropped candidates as counts with the ``yes`` films by name. The
screenshots go to ``.artifacts/argilla_record.png`` and ``argilla_record_plan.png`` (test
artifacts, gitignored).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cdp import Chromium, chromium_path
from factories import make_long_sample

from annotation.accounts import add_user
from annotation.push import push_samples
from annotation.server import LocalArgillaStack
from datagen.taxonomy import load_taxonomy

pytestmark = pytest.mark.integration

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"
FIRST_FILM = "Film 7-1 (2001)"
FIRST_TURN = "I still sleep with the hall light on"
PLAN = "Left out of the ground truth:"


def _on_first_screen(text: str) -> str:
    """JS: is an element whose own text contains ``text`` rendered and inside the viewport?"""
    return f"""(() => {{
      const want = {json.dumps(text)};
      const hit = [...document.querySelectorAll('body *')].find(e =>
        [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.includes(want)));
      if (!hit) return false;
      const r = hit.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
    }})()"""


def test_ground_truth_and_dialogue_on_one_screen(argilla_stack: LocalArgillaStack,
                                                 argilla_client, tmp_path: Path) -> None:
    if chromium_path() is None:
        pytest.skip("chromium not installed (scripts/setup_argilla.sh installs it)")
    res = push_samples(argilla_client, [make_long_sample()], dataset="ui", workspace="uitest",
                       taxonomy=load_taxonomy(), min_submitted=1)
    add_user(argilla_client, "viewer", workspace="uitest", password="viewer-pass-1")
    auth = base64.b64encode(b"viewer:viewer-pass-1").decode()
    with Chromium(tmp_path / "profile") as page:
        page.goto(f"{argilla_stack.url}/sign-in?auth={auth}")
        assert page.wait_for("!!localStorage.getItem('auth._token.local') && "
                             "localStorage.getItem('auth._token.local') !== 'false'", 60), \
            "UI sign-in did not store a token"
        page.goto(f"{argilla_stack.url}/dataset/{res.dataset_id}/annotation-mode")
        rendered = page.wait_for(f"document.body && document.body.innerText.includes("
                                 f"{FIRST_TURN!r}) && document.body.innerText.includes("
                                 f"{FIRST_FILM!r})", 90)
        page.wait_for("document.fonts && document.fonts.status === 'loaded'", 10)
        shot = page.screenshot(ARTIFACTS / "argilla_record.png")
        film_visible = page.evaluate(_on_first_screen(FIRST_FILM))
        turn_visible = page.evaluate(_on_first_screen(FIRST_TURN))
        plan_hidden = page.evaluate(
            "(() => { const d = document.querySelector('details'); return !!d && !d.open && "
            f"!document.body.innerText.includes({PLAN!r}); }})()")
        page.evaluate("document.querySelector('details').open = true")
        plan = page.evaluate("document.querySelector('details').innerText")
        page.screenshot(ARTIFACTS / "argilla_record_plan.png")
    assert rendered, "the record did not render in the annotation page"
    assert film_visible and turn_visible, (film_visible, turn_visible)
    assert plan_hidden, "the generator's plan (planned traits) is visible before opening"
    assert "74 candidates" in plan and "tag unknown: 71" in plan
    assert "tagged yes (unsafe): 3 - Irreversible (2002); The Accused (1988); Elle (2016)" in plan
    assert "Untagged Film" not in plan  # unknown ones are counted, not listed
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
