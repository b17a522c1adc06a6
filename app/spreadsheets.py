"""Workbooks for people: a cover sheet, frozen filtered headers, fitting widths, wrapped text,
ratings in their scale's colours, native charts, streamed; text never becomes a formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from app.questionnaires.schema import LevelColour

# The tints of app.css's .s11-rating tags: a rating reads the same on screen and in Excel.
TINTS = {
    LevelColour.RED: "F4CDC6",
    LevelColour.AMBER: "FCD6C3",
    LevelColour.GREEN: "CCE2D8",
    LevelColour.BLUE: "BBD4EA",
    LevelColour.GREY: "E5E6E7",
}
# Chart bars in the colours of the summary page's charts (app.css .s11-bar--*).
SOLIDS = {
    LevelColour.RED: "D4351C",
    LevelColour.AMBER: "D06500",
    LevelColour.GREEN: "00703C",
    LevelColour.BLUE: "1D70B8",
    LevelColour.GREY: "6F777B",
}
HEADER_FILL = "F3F2F1"
DATE_FORMAT = "d mmm yyyy hh:mm"
DAY_FORMAT = "d mmm yyyy"

# Excel holds at most this many characters in a cell; a longer answer is cut, saying so.
CELL_TEXT_LIMIT = 32_767
CUT_NOTE = " […the rest is in s11: a cell holds 32,767 characters]"
# Text starting with one of these is a formula (or becomes one when edited or saved as CSV).
RISKY_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_TITLE_LIMIT = 31
SHORT_TEXT = 120  # texts this long or shorter are made safe once per sheet, not per cell
SHORT_TEXTS_KEPT = 20_000


def safe_text(text: str) -> str:
    """Text as someone wrote it, fit for a cell: characters a sheet cannot hold are dropped,
    it is cut at Excel's limit, and a start that Excel would run as a formula (or read as an
    error code such as #N/A) gets a leading apostrophe, so the cell is only ever text."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if len(text) >= CELL_TEXT_LIMIT:
        text = text[: CELL_TEXT_LIMIT - len(CUT_NOTE) - 1] + CUT_NOTE
    if text.startswith(RISKY_STARTS) or text in ERROR_CODES:
        return "'" + text
    return text


@dataclass(frozen=True)
class Rated:
    """A rating as its label, filled in its level's colour."""

    label: str
    colour: LevelColour


# How each type of value is written; anything else (int, float, bool) as a number.
KIND_OF: dict[type, str] = {str: "text", Rated: "rated", datetime: "datetime", date: "date"}


@dataclass(frozen=True)
class Column:
    header: str
    width: float  # in characters, as Excel measures them
    wrap: bool = False


def fit(texts: Iterable[str], *, at_least: int = 8, at_most: int = 40) -> float:
    """A column width that shows the longest of these texts, within bounds (then it wraps)."""
    longest = max((len(text) for text in texts), default=0)
    return float(min(max(longest + 2, at_least), at_most))


def sheet_title(title: str, taken: set[str]) -> str:
    """A sheet name Excel accepts, unique in the workbook: 31 characters, none of []:*?/\\."""
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip(" '") or "Sheet"
    base = re.sub(r"\s+", " ", base)[:SHEET_TITLE_LIMIT].strip()
    candidate, number = base, 2
    while candidate.lower() in taken:
        suffix = f" ({number})"
        candidate = base[: SHEET_TITLE_LIMIT - len(suffix)].rstrip() + suffix
        number += 1
    taken.add(candidate.lower())
    return candidate


class _PreparedCell(Cell):
    """A cell of one fixed style, reused row after row: openpyxl looks a cell's style up in
    the workbook's table each time it writes it (a hash of the style per cell); this one has
    looked it up once. `prepare` must be called after its style is set."""

    __slots__ = ("_style_id",)

    def prepare(self) -> _PreparedCell:
        self._style_id = self.parent.parent._cell_styles.add(self._style)
        return self

    @property
    def style_id(self) -> int:
        return self._style_id


class Sheet:
    """One worksheet with a frozen, filtered header row; `add` appends a row of values.

    Values are text (made safe), numbers, dates and datetimes (naive, already in UK time),
    `Rated` (filled in the level's colour) or None.
    """

    def __init__(self, worksheet: WriteOnlyWorksheet, columns: Sequence[Column]) -> None:
        self.worksheet = worksheet
        self.columns = list(columns)
        self.rows = 0
        for index, column in enumerate(self.columns, start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = column.width
        worksheet.freeze_panes = "A2"
        # openpyxl tries every styled cell as a plain value first and formats an error message
        # for it before using it; handing it ready cells of shared, prepared styles keeps a
        # large export near bare openpyxl's speed (bench/exports.py).
        worksheet._values_to_row = self._cells  # type: ignore[method-assign]
        # By column (from 1), the cell of each kind of value written in it.
        self._styles: list[dict[str, Cell]] = [{} for _ in range(len(self.columns) + 1)]
        self._texts: dict[str, str] = {}
        self._header = True
        self.add([column.header for column in self.columns])
        self._header = False

    def add(self, values: Sequence[object]) -> None:
        self.worksheet.append(values)
        self.rows += 1

    def _cells(self, values: Sequence[object], row: int) -> Iterator[Cell]:
        # Each cell is written out before the next is made, so one cell per column and style
        # is reused row after row.
        styles = self._styles
        for column, value in enumerate(values, start=1):
            if value is None or value == "":
                continue
            kind = KIND_OF.get(type(value), "number")
            if kind == "text":
                value = self._safe(value)  # type: ignore[arg-type]
            elif kind == "rated":
                kind, value = value.colour.value, self._safe(value.label)  # type: ignore[union-attr]
            if self._header:
                kind = "header"
            cell = styles[column].get(kind) if column < len(styles) else None
            if cell is None:
                cell = self._cell(column, kind)
            cell.value = value
            cell.row = row
            yield cell

    def _safe(self, text: str) -> str:
        """`safe_text`, remembered for the short texts every row repeats (agency, sector,
        question, rating labels)."""
        if len(text) > SHORT_TEXT:
            return safe_text(text)
        found = self._texts.get(text)
        if found is None:
            if len(self._texts) >= SHORT_TEXTS_KEPT:
                self._texts.clear()
            found = self._texts[text] = safe_text(text)
        return found

    def _cell(self, column: int, kind: str) -> Cell:
        wraps = column <= len(self.columns) and self.columns[column - 1].wrap
        if kind in ("text", "number") and not wraps:
            cell = Cell(self.worksheet, row=1, column=column)  # unstyled: Excel's default
        else:
            cell = _PreparedCell(self.worksheet, row=1, column=column)
            cell.alignment = Alignment(vertical="top", wrap_text=wraps or kind == "header")
            if kind == "header":
                cell.font = Font(bold=True)
                cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
                cell.border = Border(bottom=Side(style="thin", color="B1B4B6"))
            elif kind == "datetime":
                cell.number_format = DATE_FORMAT
            elif kind == "date":
                cell.number_format = DAY_FORMAT
            elif kind in TINTS:
                cell.fill = PatternFill("solid", fgColor=TINTS[LevelColour(kind)])
            cell.prepare()
        while len(self._styles) <= column:  # a row longer than the header
            self._styles.append({})
        self._styles[column][kind] = cell
        return cell

    def close(self) -> None:
        last = get_column_letter(max(len(self.columns), 1))
        self.worksheet.auto_filter.ref = f"A1:{last}{max(self.rows, 1)}"

    def bar_chart(
        self,
        title: str,
        *,
        first_row: int,
        last_row: int,
        series: Sequence[tuple[int, LevelColour | str]],
        anchor: str,
        axis_title: str = "",
        stacked: bool = True,
    ) -> BarChart:
        """A native Excel bar chart of rows already written: categories from column A, one
        series per (column, colour), its name from the header row."""
        chart = BarChart()
        chart.type = "bar"
        chart.title = title
        chart.style = 10
        if stacked:
            chart.grouping = "stacked"
            chart.overlap = 100
        for column, colour in series:
            data = Reference(self.worksheet, min_col=column, min_row=1, max_row=last_row)
            chart.add_data(data, titles_from_data=True)
            fill = SOLIDS[colour] if isinstance(colour, LevelColour) else colour
            chart.series[-1].graphicalProperties.solidFill = fill
            chart.series[-1].graphicalProperties.line.solidFill = fill
        categories = Reference(self.worksheet, min_col=1, min_row=first_row, max_row=last_row)
        chart.set_categories(categories)
        chart.y_axis.title = axis_title
        chart.x_axis.delete = False  # openpyxl 3.1 hides axes unless told not to
        chart.y_axis.delete = False
        chart.y_axis.majorGridlines = None
        chart.legend.position = "b"
        chart.width = 22
        chart.height = max(7.5, 1.2 * (last_row - first_row + 1) + 4)
        self.worksheet.add_chart(chart, anchor)
        return chart


class Book:
    """A workbook being written, sheet by sheet in the order made; saved once."""

    def __init__(self) -> None:
        self.workbook = Workbook(write_only=True)
        self.sheets: list[Sheet] = []
        self._titles: set[str] = set()

    def sheet(self, title: str, columns: Sequence[Column]) -> Sheet:
        worksheet = self.workbook.create_sheet(sheet_title(title, self._titles))
        sheet = Sheet(worksheet, columns)
        self.sheets.append(sheet)
        return sheet

    def cover(self) -> Cover:
        """The cover sheet, first in the workbook; its facts are written when they are known."""
        worksheet = self.workbook.create_sheet(sheet_title("Cover", self._titles))
        return Cover(worksheet)

    def save(self, target: str | Path | IO[bytes]) -> None:
        for sheet in self.sheets:
            sheet.close()
        self.workbook.save(target)


class Cover:
    """What a workbook is and where it came from: a heading, then label and value rows."""

    def __init__(self, worksheet: WriteOnlyWorksheet) -> None:
        self.worksheet = worksheet
        worksheet.column_dimensions["A"].width = 26
        worksheet.column_dimensions["B"].width = 90
        worksheet.sheet_view.showGridLines = False

    def write(self, heading: str, facts: Sequence[tuple[str, object]]) -> None:
        title = Cell(self.worksheet, row=1, column=1, value=safe_text(heading))
        title.font = Font(bold=True, size=16)
        self.worksheet.append([title])
        self.worksheet.append([])
        bold = Font(bold=True)
        wrap = Alignment(vertical="top", wrap_text=True)
        for label, value in facts:
            key = Cell(self.worksheet, row=1, column=1, value=safe_text(label))
            key.font = bold
            key.alignment = wrap
            shown = Cell(
                self.worksheet,
                row=1,
                column=2,
                value=safe_text(value) if isinstance(value, str) else value,
            )
            shown.alignment = wrap
            if isinstance(value, datetime):
                shown.number_format = DATE_FORMAT
            self.worksheet.append([key, shown])
