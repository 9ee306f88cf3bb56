"""The web UI and JSON API through FastAPI's test client on a lab of real repositories
(Cornudas + MetaData): pages show what the API computes, the JSON matches the domain
objects, writes need the token (and the CSRF token in forms), every asset is local."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette suggests httpx2 for its test client; httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from ardvc.api import Lab
from ardvc.config import Level
from ardvc.errors import SecretInSharedConfigError
from ardvc.provenance.history import ITEMS
from ardvc.reduction.evolution import evolutions
from ardvc.report.steps import group_rows
from ardvc.web import WebSettings, create_app
from ardvc.web.security import is_loopback
from lab_from_bundles import make_lab

pytestmark = pytest.mark.shared
TOKEN = "correct horse battery staple"
ARDVC = str(Path(sys.executable).with_name("ardvc"))
CORNUDAS_02F = "d3f3b3a7-3cf5-4bb3-9c2d-f160f87397a9"


@pytest.fixture(scope="module")
def lab(bundle_bare: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> Lab:
    lab = make_lab(bundle_bare, tmp_path_factory.mktemp("web") / "lab", token=TOKEN)
    lab.catalog.sync()
    return lab


@pytest.fixture(scope="module")
def client(lab: Lab) -> Iterator[TestClient]:
    app = create_app(lab, WebSettings(token=TOKEN, allowed_hosts=["testserver", "127.0.0.1"]))
    with TestClient(app) as c:
        yield c


def csrf(client: TestClient, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert found
    return found.group(1)


def test_catalogue_search_is_lab_find(client: TestClient, lab: Lab) -> None:
    page = client.get("/", params={"sample": "CORN-8*", "type": "unknown"})
    assert page.status_code == 200
    expected = lab.find(sample="CORN-8*", type=["unknown"], limit=200)
    assert expected
    links = re.findall(
        r'class="analysis-link" href="/analyses/Cornudas/([^"]+)">([^<]+)<', page.text
    )
    assert [(name, rid) for name, rid in links] == [(r.name, r.record_id) for r in expected]
    assert f"{len(expected)} analyses" in page.text
    api = client.get("/api/analyses", params={"sample": "CORN-8*", "type": "unknown"}).json()
    assert [a["record_id"] for a in api] == [r.record_id for r in expected]
    bad = client.get("/", params={"since": "last tuesday"})
    assert "not an ISO date" in bad.text
    wrong = client.get("/", params={"sample": "x", "limit": "many"})
    assert wrong.status_code == 400 and "limit must be a whole number" in wrong.text


def test_analysis_page_and_api_show_the_stored_and_reduced_values(
    client: TestClient, lab: Lab
) -> None:
    page = client.get(f"/analyses/Cornudas/{CORNUDAS_02F}")
    assert page.status_code == 200
    assert "69421-02F" in page.text and "CORN-805" in page.text
    analysis = lab.analysis(CORNUDAS_02F, repo="Cornudas")
    evs = evolutions(analysis)
    for ev in (e for e in evs if e.series == "signal"):  # one plot per isotope, its points
        assert f'id="evo-{ev.key}"' in page.text
        assert f'data-points="{ev.t.size - len(ev.excluded)}"' in page.text
    by_runid = client.get("/analyses/Cornudas/69421-02F")  # a run ID in a uuid repository
    assert by_runid.status_code == 200 and 'id="title">69421-02F' in by_runid.text
    data = client.get("/api/analyses/Cornudas/69421-02F").json()
    reduction = lab.reduce("Cornudas", [CORNUDAS_02F], types=None)
    assert data["result"]["age"] == reduction.results[0].age
    assert data["result"]["f"] == reduction.results[0].f
    assert data["metadata"]["uuid"] == CORNUDAS_02F
    stored = analysis.intercepts
    assert stored is not None
    for row in data["isotopes"]:
        assert row["intercept"]["value"] == stored.populated()[row["isotope"]].value
    assert set(data["corrections"]) == {
        "baseline_corrected_intercepts", "blanks", "icfactors", "ic_corrected_values",
        "interference_corrected_values",
    }  # fmt: skip
    series = client.get("/api/analyses/Cornudas/69421-02F/evolutions").json()
    assert [s["key"] for s in series] == [e.key for e in evs]
    assert series[0]["t"] == evs[0].t.tolist() and series[0]["outliers"] == list(evs[0].outliers)


def test_provenance_lists_commits_with_value_diffs(client: TestClient, lab: Lab) -> None:
    """Every commit that changed any file of the analysis (ardvc log's history, all file
    kinds), its values before and after in the fragment a commit opens to."""
    history = lab.history(CORNUDAS_02F, repo="Cornudas", kinds=ITEMS)
    page = client.get(f"/analyses/Cornudas/{CORNUDAS_02F}").text
    listed = re.findall(r'data-src="/analyses/Cornudas/[^/]+/changes/([0-9a-f]{40})"', page)
    assert listed == [e.commit for e in history] and len(listed) >= 9
    api = client.get(f"/api/analyses/Cornudas/{CORNUDAS_02F}/history").json()
    assert [e["commit"] for e in api] == listed
    assert api[-1]["tag"] == "COLLECTION"
    refit = next(e for e in api if e["commit"].startswith("f22e186e"))  # an intercept refit
    (intercepts,) = refit["files"]
    assert intercepts["item"] == "intercepts" and intercepts["status"] == "modified"
    values = {(c["key"], c["field"]): c for c in intercepts["changes"]}
    fragment = client.get(f"/analyses/Cornudas/{CORNUDAS_02F}/changes/{refit['commit'][:12]}")
    assert fragment.status_code == 200 and "changes-table" in fragment.text
    for (key, field), change in list(values.items())[:5]:
        assert f"{key}.{field}" in fragment.text and str(change["after"]) in fragment.text


def test_sample_page_and_api(client: TestClient, lab: Lab) -> None:
    page = client.get("/samples/Cornudas/69421")
    assert page.status_code == 200
    for fig in ("spectrum", "isochron", "ideogram"):
        assert f'id="plot-{fig}"' in page.text
    report = lab.sample("Cornudas", "69421")
    data = client.get("/api/samples/Cornudas/69421").json()
    assert [s["record_id"] for s in data["steps"]] == [
        r.record_id for r in report.reduction.results
    ]
    assert [g["value"] for g in data["groups"]] == [g.value for g in group_rows(report)]
    assert data["meta_commit"] == report.reduction.meta_commit
    ages = client.get("/api/ages/Cornudas/69421").json()
    assert [a["path"] for a in ages] == ["694/ia/21_00000.ia.json"]
    one = client.get("/api/ages/Cornudas/69421/21_00000").json()
    assert one["content"]["preferred"]["age"] == ages[0]["age"]
    csv = client.get("/api/samples/Cornudas/69421/isoplotr.csv?format=3")
    assert csv.status_code == 200 and csv.text.splitlines()[2].startswith("Ar39Ar40,errAr39Ar40")
    xlsx = client.get("/api/samples/Cornudas/69421/table.xlsx")
    assert xlsx.content[:2] == b"PK" and "attachment" in xlsx.headers["content-disposition"]
    assert client.get("/api/samples/Cornudas/69421/sparrow.json").json()["sample"]["name"] == (
        "CORN-805"
    )


def test_repositories_irradiations_and_openapi(client: TestClient, lab: Lab) -> None:
    repos = client.get("/api/repositories").json()
    assert [r["name"] for r in repos] == ["Cornudas"]
    assert repos[0]["analyses"] == 381 and repos[0]["collection_only"] == 33
    (row,) = [r for r in lab.status().repos if r.name == "Cornudas"]  # ardvc status' row
    assert repos[0]["state"] == str(row.state) and repos[0]["remedy"] == row.remedy
    assert (repos[0]["ahead"], repos[0]["behind"]) == (row.ahead, row.behind)
    assert repos[0]["remotes"] == ["origin"]
    assert "381" in client.get("/repositories").text
    level = client.get("/irradiations/NM-322/B")
    assert level.status_code == 200
    j = lab.meta.position("NM-322", "B", 2).j
    assert j is not None and f"{j:.8g}" in level.text
    assert "NM-322" in client.get("/irradiations").text
    spec = client.get("/api/openapi.json").json()
    for path in ("/api/analyses", "/api/analyses/{repo}/{name}", "/api/samples/{repo}/{identifier}",
                 "/api/ages/{repo}/{identifier}", "/api/analyses/{repo}/{name}/tag"):  # fmt: skip
        assert path in spec["paths"]
    assert client.get("/docs").status_code == 404  # no CDN-hosted Swagger UI


def test_every_asset_is_served_here(client: TestClient) -> None:
    page = client.get(f"/analyses/Cornudas/{CORNUDAS_02F}").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/static/plotly.min.js" in sources
    assert all(s.startswith("/") or s.startswith("#") for s in sources), sources
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"


def test_writes_need_token_and_csrf(client: TestClient, lab: Lab) -> None:
    repo = lab.repo("Cornudas")
    head = repo.git.head_id()
    url = f"/analyses/Cornudas/{CORNUDAS_02F}"
    token = csrf(client, url)
    for form, reason in (
        ({"tag": "omit", "csrf_token": token}, "missing or wrong write token"),
        ({"tag": "omit", "csrf_token": token, "token": "guess"}, "missing or wrong write token"),
        ({"tag": "omit", "csrf_token": "0" * 64, "token": TOKEN}, "CSRF token does not match"),
        ({"tag": "omit", "token": TOKEN}, "missing its session or CSRF token"),
    ):
        refused = client.post(f"{url}/tag", data=form, follow_redirects=False)
        assert refused.status_code == 403 and reason in refused.text
        assert repo.git.head_id() == head  # nothing committed
    api = client.post(f"/api/analyses/Cornudas/{CORNUDAS_02F}/tag", json={"tag": "omit"})
    assert api.status_code == 403 and repo.git.head_id() == head
    done = client.post(f"{url}/tag", data={"tag": "omit", "csrf_token": token, "token": TOKEN},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert repo.git.head_id() != head
    assert lab.repo("Cornudas").analysis(CORNUDAS_02F).tag == "omit"
    back = client.post(f"/api/analyses/Cornudas/{CORNUDAS_02F}/tag", json={"tag": "ok"},
                       headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert back.status_code == 200 and back.json()["commit"]
    assert lab.repo("Cornudas").analysis(CORNUDAS_02F).tag == "ok"


def test_save_interpreted_age_through_the_api(client: TestClient, lab: Lab) -> None:
    before = [a["path"] for a in client.get("/api/ages/Cornudas/69421").json()]
    refused = client.post("/api/samples/Cornudas/69421/ia", json={"preferred": "plateau"})
    assert refused.status_code == 403
    saved = client.post("/api/samples/Cornudas/69421/ia", json={"preferred": "plateau"},
                        headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["path"] == "reduction/694/ia/21_00001.ia.json" and body["commit"]
    after = [a["path"] for a in client.get("/api/ages/Cornudas/69421").json()]
    assert after == [*before, body["path"]]
    groups = lab.sample("Cornudas", "69421").require_groups()
    assert groups.plateau is not None and body["age"] == groups.plateau.value


def test_read_only_server_and_host_guard(lab: Lab) -> None:
    app = create_app(lab, WebSettings(token=None, allowed_hosts=["127.0.0.1"]))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        page = c.get(f"/analyses/Cornudas/{CORNUDAS_02F}")
        assert "read-only" in page.text
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
        assert token
        form = {"tag": "omit", "csrf_token": token.group(1), "token": TOKEN}
        refused = c.post(f"/analyses/Cornudas/{CORNUDAS_02F}/tag", data=form)
        assert refused.status_code == 403 and "read-only" in refused.text
    with TestClient(app, base_url="http://evil.example") as c:
        assert c.get("/").status_code == 400  # DNS-rebinding guard: foreign Host header


def test_the_token_lives_in_config_local_only(lab: Lab) -> None:
    with pytest.raises(SecretInSharedConfigError):
        lab.config.set("web.token", "x", Level.LAB)
    assert lab.config.setting("web.token").level is Level.LOCAL
    assert lab.config.setting("web.token").shown() == "***"
    assert TOKEN not in (lab.workspace.config_file).read_text()


def test_serve_binds_to_loopback_unless_allowed(lab: Lab) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3")
    assert not is_loopback("lab-server.example")
    done = subprocess.run([ARDVC, "--root", str(lab.root), "serve", "--host", "0.0.0.0"],
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 2 and "refusing to serve on 0.0.0.0" in done.stderr
