"""``ardvc blame RUNID ISOTOPE``: which commit set the values an isotope's age uses now.

For one isotope four stored numbers enter the reduction: its intercept, its detector's
baseline, its blank and its detector's IC factor. For each, the history of its file is
walked newest first (following moves, like ``ardvc log``) until the commit whose change
gave the entry its current value or error — a later commit that only rewrote the file,
reformatted it or marked it reviewed is passed over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pygit2

from ardvc.data import Analysis, DataRepo
from ardvc.errors import ArdvcError, UsageError
from ardvc.formats.jsonio import loads
from ardvc.formats.references import detector_of_key
from ardvc.gitstore.history import commit_time
from ardvc.gitstore.messages import message_tag
from ardvc.gitstore.objects import blob_at
from ardvc.provenance.history import State, Watch, changed_commits

QUANTITIES = (
    ("intercept", "intercepts"),
    ("baseline", "baselines"),
    ("blank", "blanks"),
    ("icfactor", "icfactors"),
)
UNREADABLE = ("unreadable",)


@dataclass(frozen=True)
class BlameLine:
    """Where one current value came from (``commit`` ``None``: no such entry now)."""

    quantity: str
    key: str
    """Isotope (intercept, blank) or detector key (baseline, IC factor)."""
    path: str | None
    value: float | None
    error: float | None
    fit: str | None
    commit: str | None = None
    summary: str = ""
    author: str = ""
    time: datetime | None = None
    previous: tuple[Any, Any] | None = None
    """(value, error) before that commit; ``None`` when the entry was created by it."""

    @property
    def tag(self) -> str | None:
        return message_tag(self.summary)

    def as_dict(self) -> dict[str, Any]:
        return {
            "quantity": self.quantity,
            "key": self.key,
            "path": self.path,
            "value": self.value,
            "error": self.error,
            "fit": self.fit,
            "commit": self.commit,
            "tag": self.tag,
            "summary": self.summary,
            "author": self.author,
            "time": self.time.isoformat() if self.time else None,
            "previous": list(self.previous) if self.previous else None,
        }


def _entry(raw: pygit2.Repository, state: State, item: str, key: str) -> Any:
    """The JSON entry ``key`` of the item's file in ``state`` (``None``: absent)."""
    found = state.get(item)
    if found is None:
        return None
    path, oid = found
    try:
        obj = loads(blob_at(raw, oid).data, path=path)
    except ArdvcError:
        return UNREADABLE
    value = obj.get(key) if isinstance(obj, Mapping) else None
    return value if isinstance(value, Mapping) else None


def _signature(entry: Any) -> tuple[Any, Any] | None:
    """The value and error the reduction uses (manual overrides included)."""
    if entry is None or entry is UNREADABLE:
        return None if entry is None else ("unreadable", None)
    value = entry.get("manual_value") if entry.get("use_manual_value") else entry.get("value")
    error = entry.get("manual_error") if entry.get("use_manual_error") else entry.get("error")
    return value, error


def _icfactor_key(analysis: Analysis, isotope: str, detector: str) -> str:
    """The IC-factors key read for ``detector``: the plain key, else the isotope's
    peak-hop key, else any peak-hop key of that detector (``by_detector``'s rule)."""
    files = analysis.icfactors
    keys = list(files.entries) if files is not None else []
    for key in (detector, f"{isotope}:{detector}"):
        if key in keys:
            return key
    return next((k for k in keys if detector_of_key(k) == detector), detector)


def _targets(analysis: Analysis, isotope: str) -> dict[str, str]:
    """item → key of the entry that feeds ``isotope``'s age."""
    detectors = dict(analysis.isotope_detectors())
    if isotope not in detectors:
        raise UsageError(
            f"{analysis.record_id} has no isotope {isotope!r}",
            hint=f"its isotopes: {', '.join(detectors) or 'none'}",
        )
    detector = detectors[isotope]
    return {
        "intercepts": isotope,
        "baselines": detector,
        "blanks": isotope,
        "icfactors": _icfactor_key(analysis, isotope, detector),
    }


def blame(repo: DataRepo, name: str, isotope: str, rev: str | None = None) -> list[BlameLine]:
    """For the intercept, baseline, blank and IC factor of ``isotope`` at ``rev``: the
    commit that set the current value or error."""
    analysis = repo.analysis(name, rev)
    targets = _targets(analysis, isotope)
    watch = Watch.of(analysis, list(targets))
    raw = repo.git.raw
    now = watch.state(raw[analysis.commit].peel(pygit2.Commit).tree)
    current = {item: _entry(raw, now, item, key) for item, key in targets.items()}
    found: dict[str, BlameLine] = {}
    pending = {item for item, entry in current.items() if isinstance(entry, Mapping)}
    for commit, before, after in changed_commits(repo, watch, analysis.commit):
        for item in sorted(pending):
            if before.get(item) == after.get(item):
                continue
            old = _signature(_entry(raw, before, item, targets[item]))
            new = _signature(_entry(raw, after, item, targets[item]))
            if old == new:
                continue
            found[item] = _line(item, targets[item], now, current[item], commit, old)
            pending.discard(item)
        if not pending:
            break
    lines = []
    for quantity, item in QUANTITIES:
        if item in found:
            lines.append(found[item])
        else:  # no entry now, or (unreachable in a consistent repository) never set
            lines.append(_line(item, targets[item], now, current[item], None, None, quantity))
    return lines


def _line(
    item: str,
    key: str,
    now: State,
    entry: Any,
    commit: pygit2.Commit | None,
    previous: tuple[Any, Any] | None,
    quantity: str | None = None,
) -> BlameLine:
    label = quantity or next(q for q, i in QUANTITIES if i == item)
    signature = _signature(entry) if isinstance(entry, Mapping) else None
    value, error = signature if signature is not None else (None, None)
    fit = entry.get("fit") if isinstance(entry, Mapping) else None
    path = now[item][0] if item in now else None
    if commit is None:
        return BlameLine(label, key, path, value, error, fit)
    return BlameLine(
        label,
        key,
        path,
        value,
        error,
        fit,
        commit=str(commit.id),
        summary=commit.message.splitlines()[0] if commit.message else "",
        author=commit.author.name,
        time=commit_time(commit),
        previous=previous,
    )
