"""Streaming exports: CSV row by row from the database, XLSX through a write-only workbook."""
import csv
import tempfile
from datetime import datetime

from flask import Response, stream_with_context
from openpyxl import Workbook

# A spreadsheet runs a cell starting with one of these as a formula (osTicket #3767).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 500


def neutralise(value):
    """Plain data in, plain data out: text that would start a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def model_rows(columns, query, value_of):
    """Export rows of any view: each cell through the view's export value."""
    for row in query.yield_per(BATCH):
        yield [neutralise(value_of(row, name)) for name, _label in columns]


class _Echo:
    """csv.writer target that hands each line back instead of buffering it."""

    def write(self, line: str) -> str:
        return line


def csv_response(filename: str, columns, rows) -> Response:
    """Stream the rows as CSV; the server never holds the whole list."""
    writer = csv.writer(_Echo())

    def generate():
        yield writer.writerow([str(label) for _name, label in columns])
        lines = []
        for values in rows:
            lines.append(writer.writerow(values))
            if len(lines) == BATCH:  # one write per batch, not one per row
                yield "".join(lines)
                lines = []
        yield "".join(lines)

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}.csv"})


def xlsx_response(filename: str, columns, rows) -> Response:
    """Write the rows into a write-only workbook (rows go to disk, not memory), then send it."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([str(label) for _name, label in columns])
    for values in rows:
        sheet.append(values)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    workbook.save(spool)
    spool.seek(0)
    return Response(_chunks(spool), headers={
        "Content-Disposition": f"attachment; filename={filename}.xlsx"},
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _chunks(spool, size: int = 64 * 1024):
    with spool:
        while chunk := spool.read(size):
            yield chunk


