"""Reading export files row by row, with the number of the line each row starts on.

CSV is read with the standard library, fed one physical line at a time, so that every row knows the
line it starts on (1-based, the header is line 1) and its exact source text: a user can open the file
at that line, fix the row and import it again. Bytes that are not UTF-8 do not stop the file: the
row that holds them is marked and later rejected, naming the column. Files are streamed, never loaded
whole, and a progress bar is shown on standard error for large inputs.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

#: Inputs at least this large get a progress bar on standard error.
PROGRESS_MIN_BYTES = 32 * 1024 * 1024
#: Longest CSV field read. Longer than any valid message, so that an oversized one is read whole and
#: refused by the contract with a clear reason instead of breaking the parse of the rest of the file.
MAX_FIELD_CHARS = 256 * 1024 * 1024
#: Stands in for a bare carriage return while a line is parsed (see ``_csv_lines``).
_CR = "\ue000"
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_PREVIEW_CHARS = 2000


class SourceError(Exception):
    """The file cannot be imported at all (missing columns, not a CSV, unreadable); nothing was written."""


@dataclass(slots=True)
class SourceRow:
    """One row of an export file.

    Attributes:
        line: 1-based line (CSV, JSONL) or row (Parquet) number where the row starts.
        values: Column name to value; CSV values are strings, JSON and Parquet keep their types.
        raw: The row's source text, cut to 2,000 characters, for the rejects file.
        bad_column: The first column holding bytes that are not UTF-8, if any.

    """

    line: int
    values: dict[str, Any]
    raw: str
    bad_column: str | None = None

    def get(self, column: str | None) -> Any:
        """The value of ``column`` (dotted paths reach into JSON objects); ``None`` when absent."""
        if column is None:
            return None
        if column in self.values:
            return self.values[column]
        value: Any = self.values
        for part in column.split("."):
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
        return value


def _progress(handle: BinaryIO, size: int, label: str) -> Iterator[bytes]:
    """The handle's lines, updating a byte-counting progress bar when the file is large."""
    if size < PROGRESS_MIN_BYTES:
        yield from handle
        return
    from tqdm import tqdm

    with tqdm(total=size, unit="B", unit_scale=True, desc=label, file=sys.stderr) as bar:
        for raw in handle:
            bar.update(len(raw))
            yield raw


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="surrogateescape")


def _preview(text: str) -> str:
    cut = text[:_PREVIEW_CHARS].encode("utf-8", errors="surrogateescape")
    return cut.decode("utf-8", errors="replace").rstrip("\r\n")


def _mask_bare_cr(line: str) -> str:
    r"""Hide carriage returns that do not end the line, so the csv module reads them as text.

    A bare CR inside an unquoted field is not valid CSV, but real exports have it (one tweet of the
    Twitter corpus holds ``\r\r``): the line is still one row, and the CR is restored in the values.
    """
    body = line.rstrip("\r\n")
    if "\r" not in body:
        return line
    return body.replace("\r", _CR) + line[len(body) :]


def _restore(value: str) -> str:
    return value.replace(_CR, "\r") if _CR in value else value


def _bad_column(names: Sequence[str], values: Sequence[str]) -> str | None:
    for name, value in zip(names, values, strict=False):
        if _NOT_UTF8.search(value):
            return name
    return None


def not_utf8_reason(row: SourceRow) -> str:
    """The reject reason for a row holding bytes that are not UTF-8, naming the column and byte."""
    value = str(row.values.get(row.bad_column or "", ""))
    found = _NOT_UTF8.search(value)
    byte = f"0x{ord(found.group()) - 0xDC00:02x}" if found else "?"
    return f"{row.bad_column}: not UTF-8 text (byte {byte})"


def read_header(path: Path) -> list[str]:
    """The column names of a CSV file, or a ``SourceError`` saying why it has none."""
    with path.open("rb") as handle:
        first = handle.readline()
    if not first.strip():
        raise SourceError(f"{path}: the file is empty, there is no header row")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: the header row is not UTF-8 text: is this a CSV file?") from exc
    try:
        return [name.strip() for name in next(csv.reader([_mask_bare_cr(text)]))]
    except csv.Error as exc:
        raise SourceError(f"{path}: the header row is not valid CSV ({exc})") from exc


def require_columns(path: Path, header: Iterable[str], needed: Iterable[str], what: str) -> None:
    """Raise ``SourceError`` naming every needed column that the header lacks."""
    present = set(header)
    missing = [name for name in needed if name not in present]
    if missing:
        shown = ", ".join(repr(h) for h in list(header)[:12]) or "none"
        raise SourceError(
            f"{path} is not {what}: missing column(s) {', '.join(repr(m) for m in missing)} (found: {shown})"
        )


def read_csv(path: Path, label: str = "rows") -> Iterator[SourceRow]:
    """Stream the rows of a CSV file (after the header) with their starting line numbers.

    A row that the csv module cannot parse, or whose number of fields differs from the header's,
    comes back with only the key ``"__error__"`` in ``values``, holding the reason.
    """
    csv.field_size_limit(MAX_FIELD_CHARS)
    size = path.stat().st_size
    with path.open("rb") as handle:
        consumed: list[str] = []

        def lines() -> Iterator[str]:
            for number, raw in enumerate(_progress(handle, size, label), start=1):
                text = _decode(raw)
                if number == 1:
                    text = text.removeprefix("\ufeff")
                consumed.append(text)
                yield _mask_bare_cr(text)

        reader = csv.reader(lines())
        header: list[str] | None = None
        start = 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if header is None:
                    raise SourceError(f"{path}: the header row is not valid CSV ({exc})") from exc
                yield SourceRow(
                    start, {"__error__": f"malformed CSV row: {exc}"}, _preview("".join(consumed))
                )
                consumed.clear()
                start = reader.line_num + 1
                continue
            raw = "".join(consumed)
            consumed.clear()
            line, start = start, reader.line_num + 1
            fields = [_restore(f) for f in fields]
            if header is None:
                header = [name.strip() for name in fields]
                continue
            if not fields or (len(fields) == 1 and not fields[0].strip() and len(header) > 1):
                continue  # a blank line is not a row
            if len(fields) != len(header):
                error = f"malformed CSV row: {len(fields)} fields, the header has {len(header)} columns"
                yield SourceRow(line, {"__error__": error}, _preview(raw))
                continue
            yield SourceRow(
                line, dict(zip(header, fields, strict=True)), _preview(raw), _bad_column(header, fields)
            )


def read_jsonl(path: Path, label: str = "rows") -> Iterator[SourceRow]:
    """Stream the objects of a JSONL file; a line that is not a JSON object carries ``__error__``."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        for number, raw in enumerate(_progress(handle, size, label), start=1):
            if not raw.strip():
                continue
            text = _decode(raw.removeprefix(b"\xef\xbb\xbf") if number == 1 else raw)  # byte-order mark
            row = SourceRow(number, {}, _preview(text))
            if _NOT_UTF8.search(text):
                row.values = {"__error__": "not UTF-8 text"}
                yield row
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                obj = {"__error__": f"not valid JSON ({exc.msg} at column {exc.colno})"}
            if not isinstance(obj, dict):
                obj = {"__error__": f"expected a JSON object, got {type(obj).__name__}"}
            row.values = obj
            yield row


def read_parquet(path: Path, label: str = "rows") -> Iterator[SourceRow]:
    """Stream the rows of a Parquet file in record batches; ``line`` is the 1-based row number."""
    import pyarrow.parquet as pq

    try:
        source = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise SourceError(f"{path} is not a Parquet file: {exc}") from exc
    number = 0
    for batch in source.iter_batches(batch_size=10_000):
        for values in batch.to_pylist():
            number += 1
            raw = json.dumps(values, ensure_ascii=False, default=str)
            yield SourceRow(number, values, _preview(raw))


def parquet_columns(path: Path) -> list[str]:
    """The column names of a Parquet file."""
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:  # see read_parquet
        raise SourceError(f"{path} is not a Parquet file: {exc}") from exc
