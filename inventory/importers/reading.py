"""Reading a CSV file into rows: its encoding, its delimiter, its header and its size."""

from __future__ import annotations

import csv
import io
from collections import Counter

from inventory.importers.columns import COLUMNS, MAX_COLUMNS
from inventory.importers.report import ImportReport, Row


def _decode(file: str, data: bytes | str, report: ImportReport) -> str | None:
    if isinstance(data, str):
        text = data
    else:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            report.error(file, 0, "is UTF-16 text; save it as CSV UTF-8 (comma delimited) and upload again")
            return None
        if data.startswith(b"PK\x03\x04"):
            report.error(file, 0, "looks like a spreadsheet workbook, not CSV; save it as CSV UTF-8")
            return None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            report.error(
                file,
                line,
                f"is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as CSV UTF-8 and upload again",
            )
            return None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        report.error(file, line, "contains NUL bytes, so it is not a CSV text file")
        return None
    return text


def _delimiter(header_line: str) -> str:
    """Comma, semicolon or tab: whichever the header line uses most outside quotes (comma on a tie)."""
    counts = dict.fromkeys(",;\t", 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _size(count: int) -> str:
    return f"{count / 1_048_576:.1f} MB" if count >= 1_048_576 else f"{count:,} bytes"


def read_csv(
    file: str, data: bytes | str, kind: str, report: ImportReport, *, max_bytes: int, max_rows: int
) -> list[Row]:
    """The file's records as rows of its known columns. Problems go into the report; nothing raises."""
    if isinstance(data, str):
        try:
            size = len(data.encode("utf-8"))
        except UnicodeEncodeError:
            report.error(file, 0, "is not valid text")
            return []
    else:
        size = len(data)
    if size > max_bytes:
        report.error(file, 0, f"is {_size(size)}; the limit is {_size(max_bytes)}: split it")
        return []
    text = _decode(file, data, report)
    if text is None:
        return []
    if not text.strip():
        report.error(file, 0, "is empty; the first line must name the columns")
        return []
    spec = COLUMNS[kind]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    rows: list[Row] = []
    try:
        header = [name.strip() for name in next(reader)]
        if len(header) > MAX_COLUMNS:
            report.error(
                file,
                1,
                f"has {len(header):,} columns; the limit is {MAX_COLUMNS}. Export only the columns "
                f"Lockstep reads (a {kind.replace('_', ' ')} file needs {', '.join(spec.required)})",
            )
            return []
        names = [name.lower() for name in header]
        repeated = sorted(name for name, count in Counter(names).items() if name and count > 1)
        if repeated:
            report.error(file, 1, f"the column(s) {', '.join(repeated)} appear more than once")
            return []
        missing = [name for name in spec.required if name not in names]
        if missing:
            report.error(
                file,
                1,
                f"is missing the required column(s) {', '.join(missing)} (a {kind.replace('_', ' ')} file "
                f"needs {', '.join(spec.required)})",
            )
            return []
        report.ignored_columns[file] = [
            original for original, name in zip(header, names, strict=True) if name and name not in spec.known
        ]
        wanted = [(index, name) for index, name in enumerate(names) if name in spec.known]
        starts_at = reader.line_num + 1
        for values in reader:
            line, starts_at = starts_at, reader.line_num + 1
            if not any(value.strip() for value in values):
                continue
            if len(rows) >= max_rows:
                report.error(file, line, f"has more than {max_rows:,} rows; split it into smaller files")
                return []
            if len(values) != len(header):
                report.error(
                    file, line, f"has {len(values)} values but the header names {len(header)} columns"
                )
                continue
            rows.append(Row(file, line, {name: values[index].strip() for index, name in wanted}))
    except csv.Error as exc:
        # csv's own words are not ours to show. Past the checks above it refuses a value over its size limit,
        # most often a quote opened and never closed, which swallows the rest of the file.
        said = (
            f"cannot be read as CSV: a value runs past {csv.field_size_limit():,} characters (a quote opened "
            "and never closed?)"
            if "field limit" in str(exc)
            else "cannot be read as CSV; save it as CSV UTF-8 and upload again"
        )
        report.error(file, reader.line_num, said)
        return []
    return rows
