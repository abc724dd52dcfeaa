"""CSV exports, streamed (no list is held in memory) and safe to open in a spreadsheet."""

import csv

from django.http import StreamingHttpResponse
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
