"""Server time of the web UI's analysis page on a generated lab of 100,000 analyses in 20
repositories (``labgen``; SQLite index): N random analyses, each page once, timed inside
the server (the ``Server-Timing`` header the app sets) and at the client (FastAPI's test
client, in process). Target: p95 ≤ 100 ms.

The page holds the analysis' metadata, stored values, isotope evolutions refitted from the
raw blobs, its reduction (corrections, age) and its provenance (every commit that touched
its files). Baselines measured in the same run over the same analyses:

* ``cold``: the same page work (``web.views.analysis_view`` + figures) with a fresh
  ``Lab`` per request and libgit2's default object cache, as a CGI-style server would;
* ``show_json``: the ``ardvc show --json`` code path in process (``Lab.open``, find the
  analysis without naming its repository, ``data.view.as_dict``), which reads far less.

With ``--shared DIR`` (default ``../shared/data`` when present) the page is also timed on
real history: every analysis of the Cornudas repository (1,555 commits on master).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pygit2

from ardvc.api import Lab
from ardvc.data import Analysis
from ardvc.data.view import as_dict
from ardvc.index.query import AnalysisRecord
from ardvc.provenance import Revision
from ardvc.provenance.history import ITEMS
from ardvc.web import WebSettings, create_app
from ardvc.web import figures as web_figures
from ardvc.web.app import TREE_CACHE_LIMIT
from ardvc.web.views import analysis_view
from common import summary_ms, write_result
from labgen import generate_lab

with warnings.catch_warnings():  # starlette suggests httpx2 for its test client; httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
TARGET_P95_MS = 100.0
LIBGIT2_TREE_DEFAULT = 4096


def server_ms(response: Any) -> float:
    """``app;dur=12.34`` → 12.34."""
    header = response.headers["server-timing"]
    return float(header.split("dur=", 1)[1])


def time_pages(client: TestClient, records: list[AnalysisRecord]) -> dict[str, Any]:
    server, wall = [], []
    for record in records:
        start = time.perf_counter()
        response = client.get(f"/analyses/{record.repo}/{record.name}")
        wall.append(time.perf_counter() - start)
        assert response.status_code == 200, (record, response.text[:300])
        server.append(server_ms(response) / 1000)
    return {"server": summary_ms(server), "client": summary_ms(wall)}


def full_history(lab: Lab) -> Callable[[Analysis], list[Revision]]:
    """The analysis page's provenance: every file kind, with value differences."""

    def history(analysis: Analysis) -> list[Revision]:
        return lab.history(analysis.name, repo=analysis.repo, rev=analysis.commit, kinds=ITEMS)

    return history


def time_cold(root: Path, records: list[AnalysisRecord]) -> dict[str, float]:
    """The page's work with nothing kept between requests: a fresh ``Lab`` (fresh git
    objects) and libgit2's default tree cache, which holds no tree over 4 KiB."""
    pygit2.settings.cache_object_limit(pygit2.enums.ObjectType.TREE, LIBGIT2_TREE_DEFAULT)
    samples = []
    try:
        for record in records:
            start = time.perf_counter()
            lab = Lab.open(root)
            view = analysis_view(lab, record.repo, record.name, history=full_history(lab))
            _ = [web_figures.evolution(ev) for ev in view.evolutions]
            samples.append(time.perf_counter() - start)
    finally:
        pygit2.settings.cache_object_limit(pygit2.enums.ObjectType.TREE, TREE_CACHE_LIMIT)
    return summary_ms(samples)


def time_show_json(root: Path, records: list[AnalysisRecord]) -> dict[str, float]:
    samples = []
    for record in records:
        start = time.perf_counter()
        lab = Lab.open(root)
        as_dict(lab.analysis(record.record_id if record.uuid is None else record.uuid))
        samples.append(time.perf_counter() - start)
    return summary_ms(samples)


def bench_generated(root: Path, requests: int, seed: int) -> dict[str, Any]:
    lab = Lab.open(root)
    records = lab.find(limit=None)
    rng = random.Random(seed)
    chosen = rng.sample(records, requests)
    warm = rng.sample(records, 5)
    client = TestClient(create_app(lab, WebSettings()))
    time_pages(client, warm)  # imports, templates, the MetaRepo's first reads
    pages = time_pages(client, chosen)
    subset = chosen[: max(10, requests // 5)]
    cold = time_cold(root, subset)
    show = time_show_json(root, subset)
    samples = [r for r in rng.sample(records, 20) if r.analysis_type == "unknown"][:10]
    sample_pages, steps = [], []
    for r in samples:
        response = client.get(f"/samples/{r.repo}/{r.identifier}")
        assert response.status_code == 200
        sample_pages.append(server_ms(response) / 1000)
        steps.append(response.text.count('<tr class="tag-'))
    types: dict[str, int] = {}
    for r in chosen:
        types[r.analysis_type] = types.get(r.analysis_type, 0) + 1
    return {
        "analyses_in_index": len(records), "requests": requests, "types": types,
        "analysis_page": pages, "cold_per_request": cold, "show_json_path": show,
        "sample_page_server": summary_ms(sample_pages),
        "sample_page_steps": steps,
    }  # fmt: skip


def bench_cornudas(shared: Path, work: Path) -> dict[str, Any]:
    root = work / "cornudas-lab"
    for name, target in (("MetaData", root / "MetaData"),
                         ("Cornudas", root / "repositories" / "Cornudas")):  # fmt: skip
        subprocess.run(["git", "clone", "--quiet", str(shared / f"{name}.bundle"), str(target)],
                       check=True)  # fmt: skip
    Lab.adopt_pychron(root)
    lab = Lab.open(root, overrides={"lab.timezone": "America/Denver"})
    lab.catalog.sync()
    records = lab.find(repo=["Cornudas"], limit=None)
    client = TestClient(create_app(lab, WebSettings()))
    time_pages(client, records[:3])
    pages = time_pages(client, records)
    return {"analyses": len(records), "analysis_page": pages,
            "cold_per_request": time_cold(root, records[::8])}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--analyses", type=int, default=100_000)
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--lab", type=Path, help="Keep the generated lab here (default: temp).")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ardvc-bench-web-"))
    root = args.lab or work / "lab"
    try:
        if not (root / ".ardvc").exists():
            start = time.perf_counter()
            generate_lab(root, analyses=args.analyses, repos=args.repos, seed=1)
            Lab.adopt_pychron(root)
            Lab.open(root).catalog.rebuild()
            print(f"generated and indexed {args.analyses:,} analyses in "
                  f"{time.perf_counter() - start:.0f} s")  # fmt: skip
        result = bench_generated(root, args.requests, args.seed)
        page = result["analysis_page"]["server"]
        cold, show = result["cold_per_request"], result["show_json_path"]
        print(f"analysis page on {result['analyses_in_index']:,} analyses, {args.requests} "
              f"random pages: server p50 {page['median_ms']:.1f} ms, p95 {page['p95_ms']:.1f} ms "
              f"(client p95 {result['analysis_page']['client']['p95_ms']:.1f} ms; target "
              f"≤ {TARGET_P95_MS:.0f} ms)")  # fmt: skip
        print(f"baseline cold per request: p50 {cold['median_ms']:.1f} ms, p95 "
              f"{cold['p95_ms']:.1f} ms ({cold['p95_ms'] / page['p95_ms']:.1f}× the page p95); "
              f"show --json path: p50 {show['median_ms']:.1f} ms, p95 {show['p95_ms']:.1f} ms "
              f"({show['p95_ms'] / page['p95_ms']:.2f}×)")  # fmt: skip
        steps = result["sample_page_steps"]
        print(f"sample page ({min(steps)}–{max(steps)} analyses per labgen identifier): p95 "
              f"{result['sample_page_server']['p95_ms']:.1f} ms")  # fmt: skip
        if (args.shared / "Cornudas.bundle").exists():
            corn = bench_cornudas(args.shared, work)
            result["cornudas"] = corn
            s, c = corn["analysis_page"]["server"], corn["cold_per_request"]
            print(f"Cornudas ({corn['analyses']} analyses, 1,555 commits): server p50 "
                  f"{s['median_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms; cold per request p95 "
                  f"{c['p95_ms']:.1f} ms ({c['p95_ms'] / s['p95_ms']:.1f}×)")  # fmt: skip
        result["target_p95_ms"] = TARGET_P95_MS
        print(f"written {write_result('bench_web', result)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
