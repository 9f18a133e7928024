"""Reading dataset files and writing converted rows, with every rejected row and its reason."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any


class Reject(ValueError):
    """This row cannot be converted; the message is the reason reported for it."""


def read_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """(row number from 1, row) from a .jsonl, .json (a list, or {"data": [...]}), .csv (a header
    line, as GPQA ships) or .parquet file.

    A line of a .jsonl file that is not JSON is yielded as a `Reject`, so it is reported like any
    other bad row instead of ending the conversion.
    """
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise SystemExit("reading .parquet needs pyarrow: pip install 'cascade-verifiers[convert]'") from None
        yield from enumerate(pq.read_table(path).to_pylist(), 1)
    elif suffix == ".csv":
        with path.open(newline="") as f:
            yield from enumerate(csv.DictReader(f), 1)
    elif suffix == ".json":
        data = json.loads(path.read_text())
        rows = data.get("data") if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise SystemExit(f"{path}: expected a JSON list of rows (or {{'data': [...]}})")
        yield from enumerate(rows, 1)
    else:
        with path.open() as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    try:
                        yield number, json.loads(line)
                    except json.JSONDecodeError as exc:
                        yield number, Reject(f"not JSON: {exc}")


@dataclass
class Report:
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    def summary(self, name: str) -> str:
        total = sum(self.rejected.values())
        lines = [f"{name}: {self.accepted} rows written, {total} rejected"]
        lines += [f"  {count:>7}  {reason}" for reason, count in self.rejected.most_common()]
        return "\n".join(lines)


Converter = Callable[[dict[str, Any], int], dict[str, Any]]


Regroup = Callable[[Iterator[tuple[int, Any]]], Iterator[tuple[int, Any]]]


def convert_files(paths: list[Path], convert: Converter, out: IO[str], rejects: IO[str] | None,
                  regroup: Regroup | None = None) -> Report:
    """Convert every row; `convert(row, accepted_so_far)` raises Reject for a bad row. `regroup`
    turns a file's rows into the rows to convert (a dataset with one row per subtask)."""
    report = Report()
    for path in paths:
        rows = read_rows(path)
        for number, row in regroup(rows) if regroup else rows:
            try:
                if isinstance(row, Reject):
                    raise row
                if not isinstance(row, dict):
                    raise Reject(f"row is a {type(row).__name__}, not an object")
                converted = convert(row, report.accepted)
            except Reject as exc:
                reason = str(exc)
                report.rejected[reason.split(":")[0]] += 1
                if rejects is not None:
                    rejects.write(json.dumps({"file": str(path), "row": number, "reason": reason}) + "\n")
                continue
            out.write(json.dumps(converted, ensure_ascii=False) + "\n")
            report.accepted += 1
    return report
