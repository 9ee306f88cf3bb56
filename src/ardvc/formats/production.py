"""Production ratios and the level → production map (pychron-format.md §8.4, §5.13).

``<Irradiation>/productions/<Name>.json`` holds every ratio as ``[value, 1σ]`` plus optional
``name``/``reactor`` strings; 31 real files are ``{}`` (created by Pychron's level editor
without values), which Pychron then silently treats as "no interference correction".
ardvc decodes such files but refuses to hand out their values
(:class:`~ardvc.errors.EmptyProductionError`). ``<Irradiation>/productions.json`` maps level
names to production names and may carry a free-text ``note``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ardvc.errors import EmptyProductionError, MissingInputError, UsageError
from ardvc.formats import jsonio
from ardvc.formats.jsonio import CANONICAL, JsonStyle
from ardvc.formats.metabase import FileRef, check_finite, load_json

INTERFERENCE_KEYS: tuple[str, ...] = (
    "K4039",
    "K3839",
    "K3739",
    "Ca3937",
    "Ca3837",
    "Ca3637",
    "Cl3638",
)
RATIO_KEYS: tuple[str, ...] = ("Ca_K", "Cl_K")
PRODUCTION_KEYS: tuple[str, ...] = INTERFERENCE_KEYS + RATIO_KEYS
TEXT_KEYS: tuple[str, ...] = ("name", "reactor")
MAP_NOTE_KEY = "note"

Ratio = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Production:
    """One production file. ``ratios`` holds exactly the ratio keys the file has."""

    path: str
    ratios: Mapping[str, Ratio]
    name: str | None = None
    reactor: str | None = None
    repo: str | None = None
    commit: str | None = None
    document: Any = field(default=None, compare=False, repr=False)
    style: JsonStyle = field(default=CANONICAL, compare=False, repr=False)
    source: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        """The ``name`` key, else the file name without ``.json``."""
        return self.name or self.path.rsplit("/", 1)[-1].removesuffix(".json")

    @property
    def is_empty(self) -> bool:
        """True for ``{}`` and for files holding only ``name``/``reactor``."""
        return not self.ratios

    def _ref(self) -> FileRef:
        return FileRef(self.path, self.repo, self.commit)

    def require(self, keys: Sequence[str] = PRODUCTION_KEYS) -> dict[str, Ratio]:
        """The ratios named by ``keys``; refuses an empty file or any missing key.

        Pychron treats missing keys as zero; ardvc names the file and the keys instead.
        """
        if self.is_empty:
            raise EmptyProductionError(
                f"production {self.label} ({self._ref().describe()}) holds no ratios; "
                "no interference correction is possible",
                hint="enter the production ratios for this irradiation (write_production) "
                "or assign another production to the level",
            )
        missing = [k for k in keys if k not in self.ratios]
        if missing:
            raise MissingInputError(
                f"production {self.label} ({self._ref().describe()}) lacks " + ", ".join(missing),
                hint="Pychron would have used 0 for these; add them to the production file",
            )
        return {k: self.ratios[k] for k in keys}

    def value(self, key: str) -> Ratio:
        """One ratio ``(value, 1σ)``, with the same refusals as :meth:`require`."""
        return self.require((key,))[key]


def decode_production(
    raw: bytes, *, path: str, repo: str | None = None, commit: str | None = None
) -> Production:
    """Decode a production file; a malformed ratio is a CorruptFileError naming the key."""
    ref = FileRef(path, repo, commit)
    obj = load_json(raw, ref)
    if not isinstance(obj, dict):
        raise ref.corrupt(f"a production file is an object, not {type(obj).__name__}")
    ratios: dict[str, Ratio] = {}
    text: dict[str, str] = {}
    for key, value in obj.items():
        if key in TEXT_KEYS:
            if not isinstance(value, str):
                raise ref.corrupt(f"'{key}' must be a string, got {type(value).__name__}")
            text[key] = value
            continue
        ratios[key] = _ratio(value, key, ref)
    return Production(
        path,
        ratios,
        text.get("name"),
        text.get("reactor"),
        repo,
        commit,
        obj,
        jsonio.detect_style(raw),
        raw,
    )


def _ratio(value: Any, key: str, ref: FileRef) -> Ratio:
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        return float(value[0]), float(value[1])
    raise ref.corrupt(f"production ratio {key!r} must be [value, error], got {value!r}")


def production_document(
    ratios: Mapping[str, Ratio],
    *,
    name: str | None = None,
    reactor: str | None = None,
    base: Any = None,
) -> dict[str, Any]:
    """A production file object; ``base`` (an existing file's document) keeps its extra keys.

    Refuses to write an incomplete production: every key of :data:`PRODUCTION_KEYS` must be
    given, because a reader would otherwise meet the missing-is-zero trap.
    """
    missing = [k for k in PRODUCTION_KEYS if k not in ratios]
    if missing:
        raise UsageError(
            "a production needs every ratio; missing " + ", ".join(missing),
            hint="give [value, 1σ] for " + ", ".join(PRODUCTION_KEYS),
        )
    obj: dict[str, Any] = copy.deepcopy(base) if isinstance(base, dict) else {}
    for key, (value, error) in ratios.items():
        if key in TEXT_KEYS:
            raise UsageError(f"{key!r} is not a ratio key")
        obj[key] = [check_finite(value, key), check_finite(error, f"{key} error")]
        if obj[key][1] < 0:
            raise UsageError(f"{key} error must not be negative")
    if name is not None:
        obj["name"] = name
    if reactor is not None:
        obj["reactor"] = reactor
    return obj


# --- productions.json ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductionMap:
    """``productions.json``: level → production name, plus an optional ``note``."""

    path: str
    levels: Mapping[str, str]
    note: str | None = None
    document: Any = field(default=None, compare=False, repr=False)
    style: JsonStyle = field(default=CANONICAL, compare=False, repr=False)
    source: bytes | None = field(default=None, compare=False, repr=False)

    def for_level(self, level: str) -> str | None:
        return self.levels.get(level)


def decode_production_map(
    raw: bytes, *, path: str, repo: str | None = None, commit: str | None = None
) -> ProductionMap:
    """Decode ``productions.json``. Duplicate keys (``NM-288``) keep the last value, as
    Python's ``json`` does."""
    ref = FileRef(path, repo, commit)
    obj = load_json(raw, ref)
    if not isinstance(obj, dict):
        raise ref.corrupt(f"productions.json is an object, not {type(obj).__name__}")
    levels: dict[str, str] = {}
    for key, value in obj.items():
        if not isinstance(value, str):
            raise ref.corrupt(f"{key!r} must map to a production name, got {value!r}")
        if key != MAP_NOTE_KEY:
            levels[key] = value
    note = obj.get(MAP_NOTE_KEY)
    return ProductionMap(path, levels, note, obj, jsonio.detect_style(raw), raw)


def encode_production_map(current: ProductionMap | None, level: str, production: str) -> bytes:
    """``productions.json`` with ``level`` → ``production``; other keys and style kept."""
    if current is None:
        return jsonio.dumps({level: production})
    if current.levels.get(level) == production and current.source is not None:
        return current.source
    obj = copy.deepcopy(current.document)
    obj[level] = production
    return jsonio.dumps(obj, current.style)


# --- frozen productions (data repository root, §5.13) --------------------------------------

_FROZEN_RE = re.compile(r"^(?P<irradiation>[^/.]+)\.(?P<level>[^/.]+)\.production\.json$")


def frozen_production_path(irradiation: str, level: str) -> str:
    """``<Irradiation>.<Level>.production.json`` at the data repository root."""
    return f"{irradiation}.{level}.production.json"


def parse_frozen_production_path(path: str) -> tuple[str, str] | None:
    """``(irradiation, level)`` if ``path`` is a root-level frozen production file."""
    match = _FROZEN_RE.match(path)
    return (match["irradiation"], match["level"]) if match else None
