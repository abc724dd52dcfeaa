"""Reading an uploaded file as a header and rows of cell values.

What the file is, is decided by its content, not by its name: an .xlsx is a zip archive
that openpyxl can open (read-only, values only); anything else must be text, UTF-8 with or
without a byte-order mark (or the Windows code page Dutch Excel writes as "CSV"),
separated by ";" (Dutch Excel), "," or a tab. Everything else (an image, a PDF, an old
.xls) is refused with a message saying so.
"""

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Magic bytes of files people upload by mistake, for a clearer message.
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls / .doc (Office 97-2003)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

CSV = "csv"
XLSX = "xlsx"


@dataclass
class Table:
    format: str
    header: list
    rows: object  # iterator of (row_number, [cell values]); row numbers as the spreadsheet shows them


def _not_a_table():
    return ValidationError(
        _("This file is not a CSV or Excel (.xlsx) file. Save the sheet as CSV (UTF-8) or as an Excel workbook."),
        code="not_a_table",
    )


def open_table(content, max_rows=None):
    """The table in `content` (bytes). Raises ValidationError when it is not a table."""
    if not content:
        raise ValidationError(_("The file is empty."), code="empty")
    if content[:4] == b"PK\x03\x04":
        return _open_xlsx(content, max_rows)
    if content.startswith(_OLE2):
        raise ValidationError(
            _("This is an old Excel 97-2003 (.xls) file. Save it as an Excel workbook (.xlsx) or as CSV."),
            code="old_excel",
        )
    return _open_csv(content, max_rows)


def _decode(content):
    if b"\x00" in content[:4096]:
        raise _not_a_table()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise _not_a_table() from exc
    if _CONTROL.search(text[:65536]):
        raise _not_a_table()
    return text


def _delimiter(first_line):
    counts = {delimiter: first_line.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _open_csv(content, max_rows):
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header = next(reader)
    except StopIteration as exc:
        raise ValidationError(_("The file is empty."), code="empty") from exc
    except csv.Error as exc:
        raise _not_a_table() from exc

    def rows():
        try:
            for number, row in enumerate(reader, start=2):
                if max_rows is not None and number - 1 > max_rows:
                    raise ValidationError(
                        _("The file has more than %(max)s rows; split it into smaller files.") % {"max": max_rows},
                        code="too_many_rows",
                    )
                if any(cell.strip() for cell in row):
                    yield number, row
        except csv.Error as exc:
            raise ValidationError(
                _("Row %(row)s cannot be read as CSV: %(reason)s") % {"row": reader.line_num, "reason": exc},
                code="bad_csv",
            ) from exc

    return Table(CSV, header, rows())


def _open_xlsx(content, max_rows):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise _not_a_table() from exc
    except Exception as exc:  # openpyxl raises its own errors for zips that are no workbook
        raise _not_a_table() from exc
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        raise ValidationError(_("The workbook has no sheet."), code="empty")
    iterator = sheet.iter_rows(values_only=True)
    header = None
    header_row = 0
    for number, values in enumerate(iterator, start=1):
        if any(_cell(value) for value in values):
            header = [_cell(value) for value in values]
            header_row = number
            break
    if header is None:
        workbook.close()
        raise ValidationError(_("The file is empty."), code="empty")
    # Trailing empty header cells (formatting only) are not columns.
    while header and header[-1] == "":
        header.pop()
    width = len(header)

    def rows():
        try:
            for offset, values in enumerate(iterator, start=header_row + 1):
                if max_rows is not None and offset - header_row > max_rows:
                    raise ValidationError(
                        _("The file has more than %(max)s rows; split it into smaller files.") % {"max": max_rows},
                        code="too_many_rows",
                    )
                cells = [_typed(value) for value in values[:width]]
                if any(cell not in ("", None) for cell in cells):
                    yield offset, cells
        finally:
            workbook.close()

    return Table(XLSX, header, rows())


def _cell(value):
    return "" if value is None else str(value).strip()


def _typed(value):
    """Excel cells keep their type (dates, numbers); text is stripped."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date() if value.time() == datetime.time(0) else value
    if isinstance(value, str):
        return value.strip()
    return value
