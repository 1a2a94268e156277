"""Where the loaded rows wait for the rules, split by client so that memory holds a part of
them at a time however big the input.

Every rule looks at one client at a time (a detector's key must include client_id), and so do
the per-client totals and the charts' counts: the rows of one client can be analysed without
any other client's. The store keeps rows in memory while they are few and hands them out as
one unit. Past `spill_rows` it writes them to a temporary directory in buckets by a hash of
client_id, and hands them out as units of whole buckets of about `unit_rows` rows, in the
order they were added, so that "the first of several identical records" stays the first.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path

import polars as pl

from analyzer.schema import SOURCE_FILE

SPILL_ROWS = 500_000
# Rows analysed together; one unit per processor is in memory at once. At 1M, analysing 10M
# CSV rows peaked at 1.14 GB, at 500k 0.82 GB, in the same time.
UNIT_ROWS = 500_000
MAX_BUCKETS = 1024
_BUCKET = "_bucket"


class RowStore:
    """Typed canonical rows, added a batch at a time and read back a unit at a time."""

    def __init__(self, spill_rows: float | None = None, unit_rows: int | None = None,
                 directory: Path | None = None, columns: Sequence[str] | None = None):
        """`columns`: the only ones kept (by default every column added)."""
        self.spill_rows = SPILL_ROWS if spill_rows is None else spill_rows
        self.unit_rows = unit_rows or UNIT_ROWS
        self.columns = list(columns) if columns is not None else None
        self.parent = directory
        self.rows = 0
        self.memory: list[pl.DataFrame] = []
        self.spill: _Spill | None = None

    def add(self, frame: pl.DataFrame, expected_rows: Callable[[], int] = lambda: 0) -> None:
        """Add a batch; `expected_rows` estimates the input's total rows, to size the buckets
        if this batch is the one that makes the store spill."""
        if frame.is_empty():
            return
        if self.columns is not None:
            frame = frame.select(self.columns)
        self.rows += frame.height
        if self.spill is None and self.rows <= self.spill_rows:
            self.memory.append(frame)
            return
        if self.spill is None:
            buckets = math.ceil(max(expected_rows(), self.rows) / self.unit_rows)
            self.spill = _Spill(min(max(buckets, 2), MAX_BUCKETS), self.unit_rows, self.parent)
            for held in self.memory:
                self.spill.add(held)
            self.memory = []
        self.spill.add(frame)

    def discard(self, file: str) -> None:
        """Forget every row of one input file (it is being read again another way)."""
        keep = pl.col(SOURCE_FILE) != file
        self.memory = [frame.filter(keep) for frame in self.memory]
        if self.spill is not None:
            self.spill.discard(keep)
        self.rows = sum(frame.height for frame in self.memory) + (
            self.spill.rows if self.spill else 0)

    def units(self) -> Iterator[pl.DataFrame]:
        """The rows, a unit at a time; every client's rows are in exactly one unit."""
        for read in self.readers():
            yield read()

    def readers(self) -> list[Callable[[], pl.DataFrame]]:
        """A function per unit that reads it, so units can be read where they are used."""
        if self.spill is not None:
            return self.spill.readers()
        frames = self.memory
        return [lambda: pl.concat(frames, rechunk=False)] if frames else []

    @property
    def spilled(self) -> bool:
        return self.spill is not None

    def close(self) -> None:
        if self.spill is not None:
            self.spill.close()
        self.memory = []

    def __enter__(self) -> RowStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _Spill:
    """Buckets of rows on disk. Each bucket collects its rows in memory until it holds an
    eighth of a unit, or until all buckets together hold a unit's worth (then the biggest are
    written first), so that files stay few and large whatever the number of buckets."""

    def __init__(self, buckets: int, unit_rows: int, parent: Path | None):
        self.buckets, self.unit_rows = buckets, unit_rows
        self.directory = Path(tempfile.mkdtemp(prefix="trafficlint-", dir=parent))
        self.pending: dict[int, list[pl.DataFrame]] = {b: [] for b in range(buckets)}
        self.pending_rows = dict.fromkeys(range(buckets), 0)
        self.files: dict[int, list[tuple[Path, int]]] = {b: [] for b in range(buckets)}
        self.written = 0

    @property
    def rows(self) -> int:
        return sum(self.pending_rows.values()) + sum(
            n for files in self.files.values() for _, n in files)

    def add(self, frame: pl.DataFrame) -> None:
        bucket = (pl.col("client_id").hash(seed=7) % self.buckets).alias(_BUCKET)
        parts = frame.with_columns(bucket).partition_by(_BUCKET, as_dict=True,
                                                        include_key=False)
        for (number, *_), part in parts.items():
            self.pending[number].append(part)
            self.pending_rows[number] += part.height
        for number in range(self.buckets):
            if self.pending_rows[number] >= self.unit_rows // 8:
                self._write(number)
        while sum(self.pending_rows.values()) > self.unit_rows:
            self._write(max(self.pending_rows, key=self.pending_rows.__getitem__))

    def _write(self, number: int) -> None:
        if not self.pending[number]:
            return
        frame = pl.concat(self.pending[number])
        path = self.directory / f"{number:04d}-{self.written:06d}.parquet"
        # Written once and read once, soon after: no compression, no statistics.
        frame.write_parquet(path, compression="uncompressed", statistics=False)
        self.files[number].append((path, frame.height))
        self.written += 1
        self.pending[number], self.pending_rows[number] = [], 0

    def discard(self, keep: pl.Expr) -> None:
        for number in range(self.buckets):
            self.pending[number] = [part.filter(keep) for part in self.pending[number]]
            self.pending_rows[number] = sum(part.height for part in self.pending[number])
            files = []
            for path, _ in self.files[number]:
                frame = pl.read_parquet(path).filter(keep)
                frame.write_parquet(path, compression="uncompressed", statistics=False)
                files.append((path, frame.height))
            self.files[number] = files

    def readers(self) -> list[Callable[[], pl.DataFrame]]:
        for number in range(self.buckets):
            self._write(number)
        units: list[list[Path]] = []
        size = 0
        for number in range(self.buckets):
            rows = sum(n for _, n in self.files[number])
            if not rows:
                continue
            if not units or size + rows > self.unit_rows:
                units.append([])
                size = 0
            units[-1].extend(path for path, n in self.files[number] if n)
            size += rows
        return [partial(pl.read_parquet, paths) for paths in units]

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
