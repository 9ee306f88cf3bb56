"""Reduction settings from the lab configuration and ``--set KEY=VALUE`` overrides.

Every setting ends up in the provenance of each result, so ``--set`` is a way to ask
"what if", never a way to lose track of how a number was made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ardvc.config import Config
from ardvc.errors import UsageError
from ardvc.reduce.constants import ArArConstants, Atmosphere, DecayConstants, Monitor, named
from ardvc.reduce.conventions import Conventions, preset

_BOOLS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
CONVENTION_KEYS = {
    "covariance": str,
    "include_baseline_error": bool,
    "propagate_trapped_error": bool,
    "decay_from": str,
    "timezone": str,
    "interference": str,
    "allow_negative_ca": bool,
}
ALIASES = {"trapped_error": "propagate_trapped_error", "baseline_error": "include_baseline_error"}


def _parse_bool(key: str, text: str) -> bool:
    try:
        return _BOOLS[text.strip().lower()]
    except KeyError as exc:
        raise UsageError(f"{key} takes true or false, not {text!r}") from exc


def settings(
    config: Config | None = None, overrides: Iterable[str] = (), *, conventions: str | None = None
) -> tuple[ArArConstants, Conventions]:
    """(constants, conventions) from config, then ``KEY=VALUE`` overrides in order."""
    name = conventions or (config.get("reduce.conventions") if config else "pychron-2022")
    conv = preset(str(name))
    constants = ArArConstants()
    if config is not None:
        constants = _with_named(constants, "decay", str(config.get("reduce.decay_constants")))
        constants = _with_named(constants, "atmosphere", str(config.get("reduce.atmosphere")))
        constants = _with_named(constants, "monitor", str(config.get("reduce.monitor")))
        zone = config.get("lab.timezone")
        if zone:
            conv = replace(conv, timezone=str(zone))
    for item in overrides:
        key, sep, value = item.partition("=")
        key = ALIASES.get(key.strip(), key.strip())
        if not sep:
            raise UsageError(f"expected KEY=VALUE, got {item!r}")
        if key == "conventions":
            zone = conv.timezone
            conv = replace(preset(value), timezone=zone)
        elif key in {"constants", "decay", "decay_constants"}:
            constants = _with_named(constants, "decay", value)
        elif key == "atmosphere":
            constants = _with_named(constants, "atmosphere", value)
        elif key == "monitor":
            constants = _with_named(constants, "monitor", value)
        elif key in CONVENTION_KEYS:
            if key == "timezone":  # a fact about the lab, not a change of convention
                zone = None if value.lower() in {"", "none", "naive"} else value
                conv = replace(conv, timezone=zone)
                continue
            typed: object = _parse_bool(key, value) if CONVENTION_KEYS[key] is bool else value
            conv = conv.updated(**{key: typed})
        else:
            known = ", ".join(
                ["conventions", "constants", "atmosphere", "monitor", *CONVENTION_KEYS]
            )
            raise UsageError(f"unknown reduction setting {key!r}", hint=f"known: {known}")
    return constants, conv


def _with_named(constants: ArArConstants, kind: str, name: str) -> ArArConstants:
    value = named(kind, name)
    if isinstance(value, DecayConstants):
        return replace(constants, decay=value)
    if isinstance(value, Atmosphere):
        return replace(constants, atmosphere=value)
    assert isinstance(value, Monitor)
    return replace(constants, monitor=value)
