"""The SQL index on a generated lab of 100,000 analyses in 20 repositories, on SQLite and on
a real PostgreSQL server (started here on loopback):

* rebuild throughput (analyses/s, extraction in a process pool);
* incremental sync after one new analysis in one repository (ms);
* p95 of 10 typical ``find`` queries at 100k rows, and at 1M rows (the analyses table
  replicated tenfold inside the database).

Targets: ≥ 5,000 analyses/s, ≤ 50 ms, ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text

from ardvc.api import Lab
from ardvc.index.query import Filters, find
from common import write_result
from labgen import add_analysis, generate_lab

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from pg import start_server

REPEAT = 30


PAGE = 200
"""Rows a catalogue page shows: broad queries are paged, as any UI or script would."""


def queries(lab: Lab) -> list[tuple[str, Filters]]:
    """Ten queries a lab runs all day; values picked deterministically from the data."""
    with lab.catalog.engine.connect() as conn:

        def middle(sql: str) -> Any:
            count = conn.execute(text(f"SELECT count(*) FROM ({sql}) AS q")).scalar_one()
            return conn.execute(text(f"{sql} LIMIT 1 OFFSET {count // 2}")).scalar_one()

        sample = middle("SELECT name FROM samples ORDER BY name")
        identifier = middle("SELECT DISTINCT identifier FROM analyses ORDER BY identifier")
        project = middle("SELECT name FROM projects ORDER BY name")
        pi = middle("SELECT name FROM principal_investigators ORDER BY name")
        irr, level = conn.execute(text(
            "SELECT irradiation, irradiation_level FROM analyses WHERE irradiation IS NOT NULL "
            "GROUP BY irradiation, irradiation_level ORDER BY irradiation, irradiation_level "
            "LIMIT 1"
        )).one()  # fmt: skip
        spec = middle("SELECT DISTINCT mass_spectrometer FROM analyses ORDER BY 1")
    month = (datetime(2021, 3, 1, tzinfo=UTC), datetime(2021, 4, 1, tzinfo=UTC))
    return [
        ("by sample", Filters(sample=sample, limit=PAGE)),
        ("by identifier", Filters(identifier=[identifier], limit=PAGE)),
        ("irradiation level", Filters(irradiation=irr, level=level, limit=PAGE)),
        ("project", Filters(project=project, limit=PAGE)),
        ("principal investigator", Filters(pi=pi, limit=PAGE)),
        ("one month on a spectrometer",
         Filters(since=month[0], until=month[1], mass_spec=spec, limit=PAGE)),
        ("blanks in a month", Filters(type=["blank_unknown"], since=month[0], until=month[1])),
        ("omitted in a repository", Filters(repo=["Bench03"], tag=["omit"], limit=PAGE)),
        ("sample wildcard", Filters(sample=str(sample)[:-1] + "*", limit=PAGE)),
        ("unknowns of a repository", Filters(repo=["Bench07"], type=["unknown"], limit=PAGE)),
    ]  # fmt: skip


def p95_ms(samples: list[float]) -> float:
    return float(np.percentile(np.array(samples) * 1000, 95))


def time_queries(lab: Lab, named: list[tuple[str, Filters]]) -> dict[str, Any]:
    per_query = {}
    every: list[float] = []
    for name, filters in named:
        find(lab.catalog.engine, filters)  # warm
        times = []
        for _ in range(REPEAT):
            start = time.perf_counter()
            rows = find(lab.catalog.engine, filters)
            times.append(time.perf_counter() - start)
        every.extend(times)
        per_query[name] = {"p95_ms": p95_ms(times), "rows": len(rows)}
    return {"p95_ms_all": p95_ms(every), "queries": per_query}


def replicate(lab: Lab, factor: int) -> int:
    """Grow the analyses table ``factor``-fold with renamed copies (same selectivity mix)."""
    engine = lab.catalog.engine
    columns = (
        "repository_id", "branch", "uuid", "record_id", "identifier", "aliquot", "increment",
        "step", "analysis_type", "timestamp", "mass_spectrometer", "extract_device", "sample_id",
        "project_id", "pi_id", "irradiation", "irradiation_level", "irradiation_position", "tag",
        "comment", "path", "blob_id", "commit",
    )  # fmt: skip
    listed = ", ".join(f'"{c}"' for c in columns)  # "commit" is an SQL keyword
    with engine.begin() as conn:
        for k in range(1, factor):
            conn.execute(text(
                f"INSERT INTO analyses (name, {listed}) SELECT name || '~{k}', {listed} "
                "FROM analyses WHERE name NOT LIKE '%~%'"
            ))  # fmt: skip
        conn.execute(text("ANALYZE"))
        return int(conn.execute(text("SELECT count(*) FROM analyses")).scalar_one())


def bench_backend(root: Path, url: str, label: str, analyses: int) -> dict[str, Any]:
    lab = Lab.open(root, overrides={"index.url": url})
    lab.catalog.ensure_schema()
    start = time.perf_counter()
    reports = lab.catalog.rebuild()
    rebuild_s = time.perf_counter() - start
    rows = sum(r.analyses for r in reports if r.repo != "MetaData")
    rng = np.random.default_rng(7)
    incremental = []
    repo = root / "repositories" / "Bench00"
    for _ in range(10):
        add_analysis(repo, rng)
        start = time.perf_counter()
        done = lab.catalog.sync(["Bench00"])
        incremental.append(time.perf_counter() - start)
        assert done[0].analyses == 1, done
    start = time.perf_counter()
    lab.catalog.sync()
    noop_all = time.perf_counter() - start
    named = queries(lab)
    at_100k = time_queries(lab, named)
    total = replicate(lab, 10)
    at_1m = time_queries(lab, named)
    result = {
        "rebuild_seconds": rebuild_s,
        "rebuild_analyses": rows,
        "rebuild_analyses_per_second": rows / rebuild_s,
        "incremental_sync_ms": {"median": statistics.median(incremental) * 1000,
                                "p95": p95_ms(incremental), "n": len(incremental)},
        "sync_all_unchanged_ms": noop_all * 1000,
        "find_100k": at_100k,
        "rows_replicated": total,
        "find_1m": at_1m,
    }  # fmt: skip
    print(f"[{label}] rebuild {rows} analyses in {rebuild_s:.1f} s = {rows / rebuild_s:,.0f}/s; "
          f"incremental sync {result['incremental_sync_ms']['median']:.1f} ms (p95 "
          f"{result['incremental_sync_ms']['p95']:.1f}); find p95 {at_100k['p95_ms_all']:.2f} ms "
          f"at {analyses:,}, {at_1m['p95_ms_all']:.2f} ms at {total:,}")  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--analyses", type=int, default=100_000)
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--lab", type=Path, help="Keep the generated lab here (default: temp).")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ardvc-bench-index-"))
    root = args.lab or work / "lab"
    try:
        if not (root / ".ardvc").exists():
            start = time.perf_counter()
            generate_lab(root, analyses=args.analyses, repos=args.repos, seed=1)
            print(f"generated {args.analyses:,} analyses in {args.repos} repositories in "
                  f"{time.perf_counter() - start:.1f} s")  # fmt: skip
            Lab.adopt_pychron(root)
        results: dict[str, Any] = {"analyses": args.analyses, "repos": args.repos}
        for backend in args.backends.split(","):
            if backend == "sqlite":
                url = f"sqlite:///{work / 'index.sqlite3'}"
                results["sqlite"] = bench_backend(root, url, "sqlite", args.analyses)
            else:
                server = start_server()
                try:
                    results["postgresql"] = bench_backend(
                        root, server.url(), "postgresql", args.analyses
                    )
                finally:
                    server.stop()
        results["targets"] = {"rebuild_per_s": 5000, "incremental_ms": 50, "find_p95_ms": 20}
        print(f"written {write_result('bench_index', results)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
