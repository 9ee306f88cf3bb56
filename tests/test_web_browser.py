"""The web UI in a real browser: Debian's headless Chromium driven by Playwright against
``ardvc serve``'s application under uvicorn on loopback, on a lab of real repositories.

One browser for the module. Screenshots go to ``test-artifacts/``. Without Chromium the
tests are skipped; in CI (``CI=true``) that is a failure (``make test`` installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from ardvc.api import Lab
from ardvc.provenance.history import ITEMS
from ardvc.reduction.evolution import evolutions
from ardvc.web import WebSettings, create_app
from ardvc.web.app import LOOPBACK_HOSTS
from components import component_missing
from lab_from_bundles import make_lab

pytestmark = pytest.mark.shared
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("ARDVC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TOKEN = "s3cret-lab-token"
CORNUDAS_02F = "d3f3b3a7-3cf5-4bb3-9c2d-f160f87397a9"


@pytest.fixture(scope="module")
def lab(bundle_bare: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> Lab:
    lab = make_lab(bundle_bare, tmp_path_factory.mktemp("browser") / "lab", token=TOKEN)
    lab.catalog.sync()
    return lab


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(lab: Lab) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1, as ``ardvc serve`` does (same host guard)."""
    app = create_app(lab, WebSettings(token=TOKEN, allowed_hosts=LOOPBACK_HOSTS))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        component_missing("Chromium", f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        component_missing("Playwright", f"playwright is not installed: {exc}")
    profile = Path(tempfile.mkdtemp(prefix="ardvc-chromium-"))
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )  # fmt: skip
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    """A tab that records every request it makes (all must go to this server)."""
    tab = browser.new_page()
    requests: list[str] = []
    tab.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.requests = requests
    yield tab
    foreign = [u for u in requests if not u.startswith(base_url)]
    assert foreign == [], "the UI must not load anything from elsewhere"
    assert errors == [], errors
    tab.close()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


def wait_drawn(page: Any, div_id: str) -> None:
    """Until app.js marks the plot drawn (a selector wait: the page's CSP forbids eval)."""
    page.wait_for_selector(f'#{div_id}[data-drawn="1"]', timeout=20_000)


def test_search_open_an_analysis_and_see_its_evolutions(page: Any, base_url: str, lab: Lab) -> None:
    page.goto(base_url + "/")
    page.fill("input[name=sample]", "CORN-805")
    page.click("#search button[type=submit]")
    page.wait_for_selector("#results")
    expected = lab.find(sample="CORN-805", limit=200)
    assert page.locator("#results tbody tr").count() == len(expected) > 0
    shot(page, "catalogue")
    page.click("a.analysis-link:text-is('69421-02F')")
    page.wait_for_selector("#title")
    assert page.text_content("#title").startswith("69421-02F")
    analysis = lab.analysis(CORNUDAS_02F, repo="Cornudas")
    for ev in (e for e in evolutions(analysis) if e.series == "signal"):
        div = f"evo-{ev.key}"
        wait_drawn(page, div)
        kept = ev.t.size - len(ev.excluded)
        # the data Plotly holds, and the SVG markers it drew for the measured points
        assert page.evaluate(f"document.getElementById('{div}').data[0].x.length") == kept
        drawn = page.locator(f"#{div} .scatterlayer .trace").first.locator(".points path")
        assert drawn.count() == kept
        if ev.outliers:
            names = page.evaluate(f"document.getElementById('{div}').data.map(d => d.name)")
            assert "outliers" in names
    history = page.locator("#history > li")
    assert history.count() == len(lab.history(CORNUDAS_02F, repo="Cornudas", kinds=ITEMS))
    history.nth(0).locator("summary").click()  # value diff loads on demand
    page.wait_for_selector("#history > li >> nth=0 >> .changes-table")
    shot(page, "analysis")


def test_sample_page_draws_spectrum_isochron_ideogram(page: Any, base_url: str) -> None:
    page.goto(base_url + "/samples/Cornudas/69421")
    for name in ("spectrum", "isochron", "ideogram"):
        wait_drawn(page, f"plot-{name}")
    bars = page.locator("#plot-spectrum .barlayer .point")
    assert bars.count() == 10
    assert page.locator("#steps tbody tr").count() == 10
    assert "Plateau" in page.text_content("#groups")
    shot(page, "sample")


def _head(lab: Lab) -> str:
    head = lab.repo("Cornudas").git.head_id()
    assert head is not None
    return head


def test_tag_as_omitted_with_the_token_commits(page: Any, base_url: str, lab: Lab) -> None:
    before = _head(lab)
    page.goto(f"{base_url}/analyses/Cornudas/{CORNUDAS_02F}")
    page.select_option("#tag-form select[name=tag]", "omit")
    page.fill("#tag-form input[name=token]", TOKEN)
    page.click("#tag-form button[type=submit]")
    page.wait_for_selector("#message")
    assert "tagged 69421-02F omit" in page.text_content("#message")
    assert page.text_content("#tag") == "omit"
    head = _head(lab)
    assert head != before
    repo_dir = lab.workspace.repository_dir("Cornudas")
    log = subprocess.run(["git", "-C", str(repo_dir), "log", "-1", "--format=%H%n%P%n%s"],
                         capture_output=True, text=True, check=True).stdout.split("\n")  # fmt: skip
    assert log[:3] == [head, before, "<TAG> omit   69421-02F - 69421-02F"]
    tag_file = "reduction/d3/tags/f3b3a7-3cf5-4bb3-9c2d-f160f87397a9.tags.json"
    shown = subprocess.run(["git", "-C", str(repo_dir), "show", f"{head}:{tag_file}"],
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert json.loads(shown)["name"] == "omit"
    shot(page, "tagged")


def test_tagging_without_the_token_is_refused(page: Any, base_url: str, lab: Lab) -> None:
    before = _head(lab)
    page.goto(f"{base_url}/analyses/Cornudas/{CORNUDAS_02F}")
    page.select_option("#tag-form select[name=tag]", "invalid")
    with page.expect_navigation() as nav:
        page.click("#tag-form button[type=submit]")
    assert nav.value.status == 403
    assert "missing or wrong write token" in page.text_content("#error")
    assert _head(lab) == before
    assert lab.repo("Cornudas").analysis(CORNUDAS_02F).tag != "invalid"
    shot(page, "refused")
