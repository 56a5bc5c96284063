"""``Table``: what the probes return, rows of plain data that print as a text table.

A probe's numbers stay in ``rows`` (a list of dicts, one per layer) for code and tests; ``str()``
gives the fixed-width table a terminal shows and :meth:`Table.to_html` the one the report embeds.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np


def format_value(value: Any) -> str:
    """How a cell reads: 3 significant digits (scientific when tiny, whole numbers with
    thousands separators when large), None as '-'."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and abs(value) >= 10_000:
        return f"{value:,}"
    if isinstance(value, float):
        if value == 0 or not np.isfinite(value):
            return str(value) if value else "0"
        if abs(value) < 1e-3:
            return f"{value:.2e}"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    if isinstance(value, tuple):
        if len(value) == 1:
            return format_value(value[0])
        if all(isinstance(v, int) for v in value):  # a size such as 5x5
            return "x".join(str(v) for v in value)
        return "(" + ", ".join(format_value(v) for v in value) + ")"
    return str(value)


def _numeric(value: Any) -> bool:
    """Numbers (and per-axis tuples of them) line up on the right in HTML."""
    if isinstance(value, tuple):
        return all(_numeric(v) for v in value)
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: Any) -> str:
    css = ' class="num"' if _numeric(value) else ""
    return f"<td{css}>{html.escape(format_value(value))}</td>"


class Table:
    """Rows of per-layer results with named columns.

    Parameters
    ----------
    title : str
        One line saying what was measured.
    columns : sequence of str
        Keys of each row, in display order.
    rows : list of dict
        One dict per layer; values are numbers, strings, tuples or None (not measured).
    notes : sequence of str, optional
        Lines printed under the table (how to read it, what was skipped).

    Examples
    --------
    >>> from convlens.explain._table import Table
    >>> table = Table("demo", ["layer", "error"], [{"layer": "0", "error": 1.5e-9}])
    >>> print(table)
    demo
    layer  error
    -----  --------
    0      1.50e-09
    >>> table[0]["error"]
    1.5e-09
    """

    def __init__(self, title: str, columns: Sequence[str], rows: list[dict[str, Any]],
                 notes: Sequence[str] = ()) -> None:
        self.title = title
        self.columns = list(columns)
        self.rows = rows
        self.notes = list(notes)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.rows[index]

    def column(self, name: str) -> list[Any]:
        """The values of column ``name``, one per row."""
        return [row.get(name) for row in self.rows]

    def _cells(self) -> list[list[str]]:
        return [[format_value(row.get(column)) for column in self.columns] for row in self.rows]

    def __str__(self) -> str:
        cells = self._cells()
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(self.columns)]
        lines = [self.title,
                 "  ".join(c.ljust(w) for c, w in zip(self.columns, widths)).rstrip(),
                 "  ".join("-" * w for w in widths)]
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
        return "\n".join(lines + self.notes)

    def __repr__(self) -> str:
        return f"<Table {self.title!r}: {len(self.rows)} rows x {len(self.columns)} columns>"

    def to_html(self) -> str:
        """The table as an HTML ``<table>`` with the title as caption and notes below."""
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(_cell(row.get(c)) for c in self.columns) + "</tr>"
                       for row in self.rows)
        notes = "".join(f"<p class=\"note\">{html.escape(n)}</p>" for n in self.notes)
        return (f"<table><caption>{html.escape(self.title)}</caption><thead><tr>{head}</tr>"
                f"</thead><tbody>{body}</tbody></table>{notes}")
