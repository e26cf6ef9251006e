"""CSV exports a spreadsheet opens safely: every export writes through :func:`csv_text`.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a
formula to Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)`` in a viewer's
feedback, a voter named ``=1+2``). As OWASP recommends for CSV injection, such a cell is
written with a single quote in front, which the spreadsheet shows as text. Numbers (int,
float) are written as they are. :func:`csv_value` undoes the quote when a file the bot
wrote is imported again, so an export round-trips exactly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula (OWASP's CSV injection list)."""


def _needs_quote(text: str) -> bool:
    # Also a cell that already starts with quotes before a formula character, so that
    # csv_value(csv_cell(x)) == x for every text.
    return text.lstrip("'").startswith(FORMULA_STARTS)


def csv_cell(value: object) -> object:
    """One cell as written: text that a spreadsheet would run gets a leading quote."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = "" if value is None else str(value)
        return "'" + text if _needs_quote(text) else text
    return value


def csv_value(text: str) -> str:
    """A cell read back from a file :func:`csv_text` wrote: the added quote removed."""
    return text[1:] if text.startswith("'") and _needs_quote(text[1:]) else text


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """The CSV text of ``rows`` (the first is usually the header), every cell safe to
    open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue()
