"""ardvc's cache against dvc 3.x, side by side in the same run.

Two data sets, each written identically (same seed) into a dvc project and into an ardvc
lab's data repository, and flushed to disk before anything is timed (a folder a lab adds
was usually written a while ago; ardvc's add makes what it stores durable, dvc's does
not, so freshly written data would also charge ardvc for writing the generator's bytes —
that case is measured separately, ``unflushed``):

* ``--small N`` small files (mnist-like: 10 class folders of ~1 KB PNG-sized blobs);
* ``--large-n K`` files of ``--large-gb X`` GB each.

For each: ``add`` and a no-op ``status`` (twice), timed in-process for both tools (dvc's
``Repo.add``/``Repo.status`` in its own venv, ardvc's ``lab.cache().add``/``.status``),
and from the shell with interpreter start-up, as a user runs them: ``dvc add`` /
``ardvc add`` on a fresh copy of the small files, ``dvc status`` / ``ardvc cache
status``. For the large files the hashing throughput of ardvc's status with an empty state
DB is compared with raw BLAKE3 (``blake3.update_mmap`` on all cores) on the same warm
files.

dvc is installed with pip into ``benchmarks/.dvc-venv`` on first use (``--dvc-venv`` to
point elsewhere). Targets: small-file add ≥ 10× faster than dvc, no-op status ≤ 1 s (also
from the shell), hashing ≥ 80 % of raw BLAKE3.

    python benchmarks/bench_cache.py              # the issue's sizes (make bench), ~6 min
    python benchmarks/bench_cache.py --small 5000 --large-gb 0.05    # quick look
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from blake3 import blake3

from ardvc import Lab
from ardvc.cache.tree import lab_rel
from common import write_result

HERE = Path(__file__).resolve().parent
DVC_VERSION = "3.67.1"
DVC_DRIVER = r"""
import json, sys, time
from dvc.repo import Repo
root, target = sys.argv[1], sys.argv[2]
repo = Repo(root)
t = time.perf_counter(); repo.add(target); add_s = time.perf_counter() - t
t = time.perf_counter(); first = repo.status(); status_s = time.perf_counter() - t
t = time.perf_counter(); repo.status(); status2_s = time.perf_counter() - t
print(json.dumps({"add_s": add_s, "status_s": status_s, "status2_s": status2_s,
                  "clean": not first}))
"""


def dvc_python(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not (venv / "bin" / "dvc").exists():
        print(f"installing dvc {DVC_VERSION} into {venv} (once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", f"dvc=={DVC_VERSION}"],
                       check=True)  # fmt: skip
    return python


def small_files(folder: Path, n: int, seed: int) -> int:
    """mnist-like: class folders 0–9 of PNG-sized blobs (~0.3–1.2 KB)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(300, 1200, n)
    blob = rng.bytes(int(sizes.sum()))
    total, offset = 0, 0
    for i, size in enumerate(sizes):
        sub = folder / str(i % 10)
        if i < 10:
            sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{i:06d}.png").write_bytes(blob[offset : offset + int(size)])
        offset += int(size)
        total += int(size)
    return total


def large_files(folder: Path, count: int, gb: float, seed: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    size = int(gb * 1e9)
    rng = np.random.default_rng(seed)
    for i in range(count):
        with open(folder / f"dump{i}.bin", "wb") as out:
            left = size
            while left:
                chunk = min(left, 64 << 20)
                out.write(rng.bytes(chunk))
                left -= chunk
    return size * count


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def written(make: Any, target: Path, flush: bool = True) -> None:
    """The data set at ``target``, on disk (``sync``) unless ``flush`` is off."""
    make(target)
    if flush:
        os.sync()


def bench_dvc(
    python: Path, work: Path, name: str, make: Any, *, cli: bool = False
) -> dict[str, Any]:
    """In-process ``add`` and two ``status`` (and ``dvc status`` from the shell), or with
    ``cli`` ``dvc add`` and ``dvc status`` from the shell."""
    root = work / f"dvc-{name}{'-cli' if cli else ''}"
    root.mkdir()
    dvc = str(python.with_name("dvc"))
    run(["git", "init", "-q"], root)
    run([dvc, "init", "-q"], root)
    run([dvc, "config", "core.analytics", "false"], root)
    written(make, root / name)
    if cli:
        result = {"cli_add_s": run([dvc, "add", "-q", name], root)}
    else:
        out = subprocess.run([str(python), "-c", DVC_DRIVER, str(root), name], cwd=root,
                             check=True, capture_output=True, text=True)  # fmt: skip
        result = json.loads(out.stdout.strip().splitlines()[-1])
    result["cli_status_s"] = run([dvc, "status", "-q"], root)
    shutil.rmtree(root)
    return result


def bench_ardvc(
    work: Path, name: str, make: Any, link: str, *, cli: bool = False, flush: bool = True
) -> dict[str, Any]:
    """Like :func:`bench_dvc`; ``link`` is ``cache.type``, ``flush=False`` adds files
    just written."""
    root = work / f"ardvc-{name}-{link}{'-cli' if cli else ''}{'' if flush else '-unflushed'}"
    Lab.init(root)
    lab = Lab.open(root)
    lab.config.set("cache.type", link)
    repo = lab.create_repository("Bench")
    target = repo.git.path / name
    written(make, target, flush)
    exe = str(Path(sys.executable).with_name("ardvc"))
    if cli:
        result: dict[str, Any] = {
            "cli_add_s": run([exe, "--root", str(root), "add", str(target)], root),
            "cli_status_s": run([exe, "--root", str(root), "cache", "status"], root),
        }
        shutil.rmtree(root)
        return result
    lc = lab.cache()
    start = time.perf_counter()
    (report,) = lc.add([target])
    add_s = time.perf_counter() - start
    start = time.perf_counter()
    rows = lc.status()
    status_s = time.perf_counter() - start
    start = time.perf_counter()
    lc.status()
    status2_s = time.perf_counter() - start
    clean = [r.state for r in rows] == ["ok"]
    result = {"add_s": add_s, "status_s": status_s, "status2_s": status2_s, "clean": clean,
              "link": report.staged[0].link}  # fmt: skip
    result["cli_status_s"] = run([exe, "--root", str(root), "cache", "status"], root)
    if name == "large":
        result.update(_hashing(lc, root, target))
    lc.close()
    shutil.rmtree(root)
    return result


def _hashing(lc: Any, root: Path, target: Path) -> dict[str, float]:
    """Status with an empty state DB (hashing everything) against raw BLAKE3."""
    files = sorted(target.iterdir())
    total = sum(f.stat().st_size for f in files)
    raw, ours = [], []
    for _ in range(3):  # interleaved, best of three each: the page cache is warm for both
        start = time.perf_counter()
        for f in files:
            hasher = blake3(max_threads=blake3.AUTO)
            hasher.update_mmap(str(f))
            hasher.hexdigest()
        raw.append(time.perf_counter() - start)
        lc.cache.state.forget_under(lab_rel(root, target))  # status must hash everything
        start = time.perf_counter()
        cold = lc.status()
        ours.append(time.perf_counter() - start)
        assert [r.state for r in cold] == ["ok"]
    raw_s, cold_s = min(raw), min(ours)
    return {"raw_blake3_gbps": total / raw_s / 1e9, "hashing_gbps": total / cold_s / 1e9,
            "hashing_ratio": raw_s / cold_s}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=70_000, help="number of small files")
    parser.add_argument("--large-n", type=int, default=4, help="number of large files")
    parser.add_argument("--large-gb", type=float, default=1.0, help="GB per large file")
    parser.add_argument("--dvc-venv", type=Path, default=HERE / ".dvc-venv")
    parser.add_argument("--workdir", type=Path, default=None, help="where to write the data")
    args = parser.parse_args()
    python = dvc_python(args.dvc_venv)
    need = 2.2 * (args.small * 4096 + args.large_n * args.large_gb * 1e9) * 2
    work = Path(tempfile.mkdtemp(prefix="ardvc-bench-cache-", dir=args.workdir))
    free = shutil.disk_usage(work).free
    if free < need:
        print(f"not enough disk in {work}: {free / 1e9:.1f} GB free, ~{need / 1e9:.1f} needed")
        return 1
    payload: dict[str, Any] = {"small_files": args.small, "large_files": args.large_n,
                               "large_gb_each": args.large_gb, "dvc": DVC_VERSION}  # fmt: skip
    try:

        def small(p: Path) -> None:
            small_files(p, args.small, 7)

        def large(p: Path) -> None:
            large_files(p, args.large_n, args.large_gb, 11)

        runs: list[tuple[str, Any]] = [
            ("dvc_small", lambda: bench_dvc(python, work, "small", small)),
            ("dvc_small_cli", lambda: bench_dvc(python, work, "small", small, cli=True)),
            ("ardvc_small_hardlink", lambda: bench_ardvc(work, "small", small, "hardlink")),
            ("ardvc_small_hardlink_cli",
             lambda: bench_ardvc(work, "small", small, "hardlink", cli=True)),
            ("ardvc_small_copy", lambda: bench_ardvc(work, "small", small, "copy")),
            ("ardvc_small_unflushed",
             lambda: bench_ardvc(work, "small", small, "hardlink", flush=False)),
            ("dvc_large", lambda: bench_dvc(python, work, "large", large)),
            ("ardvc_large_hardlink",
             lambda: bench_ardvc(work, "large", large, "reflink,hardlink,copy")),
        ]  # fmt: skip
        for key, measure in runs:
            print(f"-- {key}", flush=True)
            payload[key] = measure()
            print(f"   {payload[key]}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    dvc_small, ours = payload["dvc_small"], payload["ardvc_small_hardlink"]
    dvc_large, ours_large = payload["dvc_large"], payload["ardvc_large_hardlink"]
    cli = payload["ardvc_small_hardlink_cli"]
    payload["ratios"] = {
        "small_add_speedup": dvc_small["add_s"] / ours["add_s"],
        "small_add_speedup_cli": payload["dvc_small_cli"]["cli_add_s"] / cli["cli_add_s"],
        "small_add_speedup_copy": dvc_small["add_s"] / payload["ardvc_small_copy"]["add_s"],
        "small_add_speedup_unflushed": dvc_small["add_s"]
        / payload["ardvc_small_unflushed"]["add_s"],
        "small_status_speedup": dvc_small["status_s"] / ours["status_s"],
        "small_status_speedup_cli": dvc_small["cli_status_s"] / ours["cli_status_s"],
        "large_add_speedup": dvc_large["add_s"] / ours_large["add_s"],
        "large_status_speedup": dvc_large["status_s"] / ours_large["status_s"],
        "hashing_vs_raw_blake3": ours_large["hashing_ratio"],
    }
    for key, value in payload["ratios"].items():
        print(f"{key:>28}: {value:.2f}")
    print(f"{'small add':>28}: {ours['add_s']:.2f} s (ardvc) vs {dvc_small['add_s']:.2f} s "
          f"(dvc); from the shell {cli['cli_add_s']:.2f} s vs "
          f"{payload['dvc_small_cli']['cli_add_s']:.2f} s")  # fmt: skip
    print(f"{'small no-op status':>28}: {ours['status_s']:.3f} s (ardvc) vs "
          f"{dvc_small['status_s']:.3f} s (dvc); from the shell {ours['cli_status_s']:.2f} s "
          f"vs {dvc_small['cli_status_s']:.2f} s")  # fmt: skip
    print(f"wrote {write_result('bench_cache', payload)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
