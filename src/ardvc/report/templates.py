"""Plot templates: one TOML file per figure kind in ``.ardvc/plots/`` (sizes, fonts, colours,
the σ multiple of every error, and a few per-kind switches) that the lab edits by hand.

``ardvc init`` writes the defaults; a lab made before templates existed gets each missing
file written on first use. A template is read on every plot, so an edit shows in the next
figure. Unknown keys, wrong types and colours matplotlib does not know are refused with the
file and key named, never ignored.
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.colors import is_color_like

from ardvc.errors import ConfigError, UsageError
from ardvc.formats.jsonio import atomic_write_bytes
from ardvc.report import _style as st

KINDS = ("age_spectrum", "isochron", "ideogram", "evolution")

_COMMON: dict[str, dict[str, Any]] = {
    "figure": {"width": 7.0, "height": 5.2, "dpi": 300},
    "font": {"family": "DejaVu Sans", "size": 9.0, "title_size": 12.0},
    "errors": {"sigma": 2.0},
    "colours": {
        "kept": st.KEPT_FACE, "plateau": st.PLATEAU_FACE, "edge": st.EDGE,
        "omitted": st.OMITTED_FACE, "omitted_edge": st.OMITTED_EDGE, "fit": st.FIT_COLOUR,
        "atmosphere": st.ATMOSPHERE_COLOUR,
    },
}  # fmt: skip
_KIND: dict[str, dict[str, dict[str, Any]]] = {
    "age_spectrum": {"figure": {"height": 6.2}, "options": {"kca_panel": True}},
    "isochron": {"options": {}},
    "ideogram": {
        "figure": {"height": 4.8},
        "options": {"curve_points": 400, "show_weighted_mean": True, "show_omitted": True},
    },
    "evolution": {
        "figure": {"width": 9.0, "height": 6.5},
        "options": {"columns": 3, "marker_size": 3.0, "show_baselines": True},
    },
}
_COMMENTS = {
    "figure": "width and height in inches; dpi for PNG",
    "font": "family as matplotlib knows it; sizes in points",
    "errors": "every error bar, ellipse and stated error is this many standard errors",
    "colours": "any matplotlib colour (#rrggbb, names)",
    "options": "switches of this figure kind",
}


def defaults(kind: str) -> dict[str, dict[str, Any]]:
    """The built-in template of ``kind`` as nested sections."""
    if kind not in KINDS:
        raise UsageError(f"no plot template kind {kind!r}", hint=f"kinds: {', '.join(KINDS)}")
    out = {name: dict(values) for name, values in _COMMON.items()}
    for name, values in _KIND[kind].items():
        out.setdefault(name, {}).update(values)
    return out


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def default_text(kind: str) -> str:
    """The default template as commented TOML, the way ``init`` writes it."""
    lines = [
        f"# ardvc plot template: {kind.replace('_', ' ')}",
        "# Edit freely; ardvc plot reads it on every run. Delete it to get the defaults back.",
    ]
    for section, values in defaults(kind).items():
        lines += ["", f"[{section}]  # {_COMMENTS[section]}"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def template_path(plots_dir: Path, kind: str) -> Path:
    defaults(kind)
    return plots_dir / f"{kind}.toml"


def write_default_templates(plots_dir: Path) -> list[Path]:
    """Write each missing template (never overwrites an edited one); returns those written."""
    written = []
    for kind in KINDS:
        path = template_path(plots_dir, kind)
        if not path.exists():
            atomic_write_bytes(path, default_text(kind).encode("utf-8"))
            written.append(path)
    return written


@dataclass(frozen=True)
class PlotStyle:
    """A template read and checked: everything a figure function needs to draw."""

    kind: str
    width: float
    height: float
    dpi: int
    sigma: float
    font_family: str
    font_size: float
    title_size: float
    colours: st.Colours
    options: dict[str, Any] = field(default_factory=dict)
    source: str = "built-in"

    def option(self, name: str) -> Any:
        return self.options[name]


def _checked(value: Any, default: Any, where: str) -> Any:
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    else:
        ok = isinstance(value, str)
    if not ok:
        raise ConfigError(f"{where} must be {type(default).__name__}, not {value!r}")
    return value


def parse_template(kind: str, data: dict[str, Any], source: str) -> PlotStyle:
    """Merge ``data`` over the defaults of ``kind``, refusing what the defaults lack."""
    merged = defaults(kind)
    for section, values in data.items():
        if section not in merged or not isinstance(values, dict):
            raise ConfigError(
                f"{source}: unknown section [{section}]",
                hint=f"sections: {', '.join(merged)}",
            )
        for key, value in values.items():
            if key not in merged[section]:
                raise ConfigError(
                    f"{source}: unknown key {section}.{key}",
                    hint=f"keys of [{section}]: {', '.join(merged[section]) or 'none'}",
                )
            merged[section][key] = _checked(
                value, merged[section][key], f"{source}: {section}.{key}"
            )
    fig, font, colours = merged["figure"], merged["font"], merged["colours"]
    for key, colour in colours.items():
        if not is_color_like(colour):
            raise ConfigError(f"{source}: colours.{key} = {colour!r} is not a colour")
    for key in ("width", "height"):
        if not (math.isfinite(fig[key]) and 0.5 <= fig[key] <= 60):
            raise ConfigError(f"{source}: figure.{key} must be 0.5–60 inches, not {fig[key]}")
    if not 10 <= fig["dpi"] <= 2400:
        raise ConfigError(f"{source}: figure.dpi must be 10–2400, not {fig['dpi']}")
    sigma = merged["errors"]["sigma"]
    if not (math.isfinite(sigma) and sigma > 0):
        raise ConfigError(f"{source}: errors.sigma must be a positive number, not {sigma}")
    return PlotStyle(
        kind=kind, width=fig["width"], height=fig["height"], dpi=fig["dpi"], sigma=sigma,
        font_family=font["family"], font_size=font["size"], title_size=font["title_size"],
        colours=st.Colours(**colours), options=dict(merged["options"]), source=source,
    )  # fmt: skip


@functools.cache
def builtin(kind: str) -> PlotStyle:
    """The built-in template of ``kind`` (what a figure uses when given no style)."""
    return parse_template(kind, {}, "built-in")


def load_template(plots_dir: Path | None, kind: str) -> PlotStyle:
    """The template of ``kind`` from ``plots_dir`` (written there with the defaults when
    missing), or the built-in defaults when there is no folder."""
    if plots_dir is None:
        return builtin(kind)
    path = template_path(plots_dir, kind)
    if not path.exists():
        write_default_templates(plots_dir)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"invalid TOML in {path}: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    return parse_template(kind, data, str(path))
