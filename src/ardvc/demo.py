"""``ardvc demo [DIR]``: the main job end to end on the embedded default, no data needed.

A new lab records a simulated day on a multi-collector spectrometer through the
persister (blanks, air, FC-2 flux monitors and an eight-step heating of a groundmass of
known age), then reduces it the way a lab does, each step a real ``ardvc`` command that
commits what it computed: refit the evolutions, blanks from bracketing blank runs, the
CDD IC factor from air, J across the tray from the monitors, the ages, and the
interpreted age. It ends with the age table (plateau, weighted mean, isochron, against
the simulated truth) and the age spectrum and inverse isochron as PNG files in DIR.

Every command is printed before it runs, so the demo doubles as a tutorial; rerunning
it replaces only a lab the demo made (a marker file says so).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click
import orjson
from rich.console import Console
from rich.table import Table

from ardvc import __version__
from ardvc.api import Lab
from ardvc.errors import ArdvcError, UsageError
from ardvc.formats.jsonio import atomic_write_bytes
from ardvc.persist.sim_meta import holder_name
from ardvc.persist.simulator import Simulator
from ardvc.reduce.plateau import Plateau
from ardvc.reduce.stats import ErrorKind
from ardvc.reduction.groups import GroupValues, group_values
from ardvc.reduction.run import Reduction
from ardvc.report.isochron import inverse_isochron
from ardvc.report.plots import save
from ardvc.report.spectrum import age_spectrum

MARKER = Path(".ardvc") / "demo.json"
REPO = "SimLab"
SETTINGS = {"reduce.atmosphere": "lee2006", "reduce.conventions": "ardvc"}
"""The simulated world's air is Lee et al. (2006), 40/36 = 298.56; ardvc's conventions
keep the correlations between isotopes (covariance=full)."""


class DemoError(ArdvcError):
    """A step of the demo failed (its command printed why)."""


@dataclass(frozen=True)
class DemoResult:
    """What the demo made: the lab, the sample's group values and the figures."""

    root: Path
    identifier: str
    sample: str
    true_age: float
    powers: dict[str, float | None]
    """Extraction power of each step, from its extraction file."""
    reduction: Reduction
    groups: GroupValues
    figures: tuple[Path, ...]


def prepare(root: Path) -> None:
    """Make ``root`` an empty folder, replacing only an earlier demo lab."""
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).is_file():
            raise UsageError(
                f"{root} exists and is not empty; the demo only replaces a lab it made itself",
                hint="name a new folder: ardvc demo DIR",
            )
        shutil.rmtree(root)


def _command(console: Console, args: Sequence[str]) -> None:
    """Run one ``ardvc`` command in this process, as a user would type it."""
    from ardvc.cli.main import main  # the CLI is the layer above this module's callers

    shown = " ".join(f"'{a}'" if any(c in a for c in " ()") else a for a in args)
    console.rule(f"[bold]ardvc {shown}", align="left")
    try:
        main.main(args=list(args), prog_name="ardvc", standalone_mode=False)
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise DemoError(f"`ardvc {shown}` failed (exit {exc.code}); see above") from None
    except click.ClickException as exc:
        raise DemoError(f"`ardvc {shown}`: {exc.format_message()}") from None


def _pm(value: float, error: float) -> str:
    return f"{value:.4f} ± {error:.4f}"


def _z(value: float, error: float, truth: float) -> str:
    return f"{(value - truth) / error:+.2f}" if error > 0 else "—"


def age_table(result: DemoResult) -> tuple[Table, Table]:
    """The steps, and the sample's ages against the truth (errors 2σ)."""
    red, g, truth = result.reduction, result.groups, result.true_age
    members = set(g.plateau.members) if g.plateau is not None else set()
    total = sum(red.results[i].k39 for i in g.steps)
    steps = Table(title=f"{result.sample} ({result.identifier}) step heating, errors 2σ")
    for column in ("step", "power (W)", "%39Ar_K", "%40Ar*", "K/Ca", "age (Ma)", "plateau"):
        steps.add_column(column, justify="right" if column != "step" else "left")
    for i in g.steps:
        r = red.results[i]
        steps.add_row(
            r.record_id, f"{power:g}" if (power := result.powers.get(r.record_id)) else "—",
            f"{100 * r.k39 / total:.1f}", f"{r.radiogenic_yield:.1f}",
            f"{r.kca:.3f}", _pm(r.age, 2 * r.age_err), "■" if i in members else "",
        )  # fmt: skip
    ages = Table(title=f"ages of {result.sample}; simulated true age {truth:g} Ma")
    for column in ("", "age (Ma) ± 2σ", "± 2σ with J", "MSWD", "steps", "z vs truth"):
        ages.add_column(column)

    def row(name: str, value: float, error: float, error_j: float, mswd: str, n: str) -> None:
        """1σ errors in; the z uses the error with J (the truth is free of J's error)."""
        z = _z(value, error_j, truth)
        ages.add_row(name, _pm(value, 2 * error), f"{2 * error_j:.4f}", mswd, n, z)

    p: Plateau | None = g.plateau
    if p is not None:
        n = f"{len(p.members)} ({p.gas_fraction:.0f} % 39Ar)"
        err, err_j = p.error(ErrorKind.MSEM), p.error(ErrorKind.MSEM, g.j_rel_error)
        row("plateau", p.value, err, err_j, f"{p.mswd:.2f}", n)
    else:
        ages.add_row("plateau", "none found", "", "", "", "")
    w = g.weighted
    err, err_j = w.error_as(ErrorKind.MSEM), w.error_as(ErrorKind.MSEM, g.j_rel_error)
    row("weighted mean", w.value, err, err_j, f"{w.mswd:.2f}", str(len(w.members)))
    if g.isochron is not None and g.isochron_fit is not None:
        iso, fit = g.isochron, g.isochron_fit
        n = f"{len(iso.members)}; 40/36 {fit.trapped_4036:.1f} ± {2 * fit.trapped_4036_err:.1f}"
        row("inverse isochron", iso.value, iso.error, iso.error_with_j, f"{fit.mswd:.2f}", n)
    whole = g.integrated
    row("integrated", whole.value, whole.error, whole.error_with_j, "", str(len(whole.members)))
    return steps, ages


def run_demo(root: Path, *, seed: int = 0, console: Console | None = None) -> DemoResult:
    """Build and reduce the demo lab at ``root`` (see the module docstring)."""
    console = console or Console()
    root = root.resolve()
    prepare(root)
    os.environ.setdefault("ARDVC_USER_NAME", "ardvc demo")
    os.environ.setdefault("ARDVC_USER_EMAIL", "demo@ardvc.invalid")
    sim = Simulator(seed=seed)
    irr = sim.irradiation
    unknown = irr.unknowns[0]
    at = ["--root", str(root)]

    _command(console, ["init", str(root)])
    atomic_write_bytes(root / MARKER, orjson.dumps({"ardvc": __version__, "seed": seed}))
    for key, value in SETTINGS.items():
        _command(console, [*at, "config", key, value])
    _command(console, [*at, "simulate", "--repo", REPO, "--seed", str(seed), "--j", "preliminary"])
    _command(console, [*at, "fit", "--repo", REPO, "--all-types", "--save"])
    _command(console, [*at, "blanks", "--repo", REPO, "--kind", "Bracketing Interpolate",
                       "--save"])  # fmt: skip
    _command(console, [*at, "icfactors", "--repo", REPO, "--kind", "Weighted Mean",
                       "--ratio", "H2/L2(CDD)", "--atmosphere", "lee2006", "--save"])  # fmt: skip
    _command(console, [*at, "flux", irr.name, irr.level, "--repo", REPO,
                       "--holder", holder_name(irr), "--save"])  # fmt: skip
    _command(console, [*at, "reduce", "--repo", REPO, "--identifier", unknown.identifier])
    _command(console, [*at, "ia", "save", "--repo", REPO, "--identifier", unknown.identifier])

    lab = Lab.open(root)
    reduction = lab.reduce(REPO, identifiers=[unknown.identifier])
    groups = group_values(reduction)
    title = f"{unknown.sample.sample} {unknown.sample.material} ({unknown.identifier})"
    figures = (
        save(age_spectrum(reduction, groups, title=title), root / "age-spectrum.png", dpi=150),
        save(inverse_isochron(reduction, groups, title=title), root / "isochron.png", dpi=150),
    )
    powers = {}
    for r in reduction.results:
        extraction = lab.analysis(r.record_id, repo=REPO).extraction
        powers[r.record_id] = extraction.extract_value if extraction is not None else None
    result = DemoResult(
        root, unknown.identifier, unknown.sample.sample, unknown.sample.age, powers, reduction,
        groups, figures,
    )  # fmt: skip
    console.rule("[bold]result", align="left")
    for table in age_table(result):
        console.print(table)
    for path in figures:
        console.print(f"wrote {path}", highlight=False)
    console.print(
        f"the lab is at {root}: try  ardvc --root {root} find --repo {REPO}  or  "
        f"git -C {root / 'repositories' / REPO} log --oneline | head",
        highlight=False,
    )
    return result
