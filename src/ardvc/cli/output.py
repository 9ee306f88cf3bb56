"""Table, JSON and CSV output shared by the commands that print results."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table


def number(value: float | None, digits: int = 6) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}g}"


def pm(value: float | None, error: float | None, digits: int = 7) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}g} ± {number(error, 2)}"


def emit_json(console: Console, payload: Any) -> None:
    console.print_json(orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY).decode())


def csv_text(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    return buffer.getvalue()


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    out = Table(title=title)
    for column in columns:
        out.add_column(column)
    for row in rows:
        out.add_row(*row)
    return out
