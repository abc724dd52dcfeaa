"""CSV exports, streamed (no list is held in memory) and safe to open in a spreadsheet;
Excel exports with real dates and numbers."""

import csv
import datetime
import tempfile
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone


def csv_safe(value):
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


class _Echo:
    """csv.writer writes into this and hands each line back for streaming."""

    def write(self, value):
        return value


def stream_csv(name, header, rows):
    """A streaming CSV download: `rows` is an iterable of value lists (made safe here)."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # byte-order mark: spreadsheet programs then read UTF-8 correctly
        yield writer.writerow([csv_safe(cell) for cell in header])
        for row in rows:
            yield writer.writerow([csv_safe(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_cell(sheet, value):
    """A typed cell: dates, numbers and yes/no stay themselves; text never becomes a formula."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "dd-mm-yyyy hh:mm"
        return cell
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "dd-mm-yyyy"
        return cell
    if isinstance(value, bool | int | float):
        return WriteOnlyCell(sheet, value=value)
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "#,##0.00" if value.as_tuple().exponent == -2 else "General"
        return cell
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # "=SUM(...)" stays text
    return cell


def xlsx_response(name, header, rows, sheet_title=None):
    """An Excel (.xlsx) download of `rows` (iterables of values) under a bold, frozen header.
    Written row by row (openpyxl write-only) into a temporary file, not held in memory."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(sheet_title or name)[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for title in header:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    target = tempfile.TemporaryFile()
    workbook.save(target)
    target.seek(0)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return FileResponse(target, as_attachment=True, filename=f"{name}-{stamp}.xlsx", content_type=XLSX_CONTENT_TYPE)
