"""Turn the paths a user gives (files, directories, globs) into a sorted list of log files,
each with its format and compression. Sorting makes the report independent of argument order."""

from __future__ import annotations

import glob
import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

from analyzer.errors import InputError

FORMATS = ("csv", "tsv", "ndjson", "parquet")
EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".ndjson": "ndjson", ".jsonl": "ndjson", ".json": "ndjson",
    ".parquet": "parquet", ".pq": "parquet",
}
SNIFFED_EXTENSIONS = (".log", ".txt", "")  # read a little to tell the format
COMPRESSIONS = {".gz": "gzip"}
_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class Source:
    path: Path
    display: str
    format: str
    compression: str | None


def expand(paths: list[str], forced_format: str | None = None) -> tuple[list[Source], list[str]]:
    """Resolve paths to log files; return them sorted, plus files skipped in directories."""
    found: dict[Path, Source] = {}
    ignored: list[str] = []
    for raw in paths:
        for path, explicit in _candidates(raw):
            source = _classify(path, explicit, forced_format)
            if source is None:
                ignored.append(_display(path))
            else:
                found.setdefault(path.resolve(), source)
    if not found:
        raise InputError(f"no log files found in: {', '.join(paths)} (looked for "
                         f"{', '.join(sorted(EXTENSIONS))}, optionally .gz)")
    return sorted(found.values(), key=lambda s: s.display), sorted(set(ignored))


def _candidates(raw: str) -> list[tuple[Path, bool]]:
    path = Path(raw)
    if path.is_dir():
        return [(p, False) for p in sorted(path.rglob("*")) if p.is_file() and not _hidden(p, path)]
    if path.exists():
        return [(path, True)]
    if _GLOB_CHARS & set(raw):
        matches = sorted(Path(m) for m in glob.glob(raw, recursive=True))
        files = [p for p in matches if p.is_file()]
        if not files:
            raise InputError(f"{raw}: no files match this pattern")
        return [(p, True) for p in files]
    raise InputError(f"{raw}: no such file or directory")


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _display(path: Path) -> str:
    return path.as_posix()


def _classify(path: Path, explicit: bool, forced: str | None) -> Source | None:
    """The file's format and compression, or None for a non-log file found in a directory."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    inner = suffixes[-2] if compression and len(suffixes) > 1 else (
        "" if compression else (suffixes[-1] if suffixes else ""))
    fmt = forced or EXTENSIONS.get(inner)
    if fmt is None and (explicit or inner in SNIFFED_EXTENSIONS[:2]):
        fmt = sniff(path, compression)
    if fmt is None:
        if explicit:
            raise InputError(f"{_display(path)}: cannot tell the log format; name it with "
                             f"--input-format ({', '.join(FORMATS)})")
        return None
    return Source(path, _display(path), fmt, compression)


def sniff(path: Path, compression: str | None) -> str | None:
    """Guess a format from the first bytes: Parquet magic, a JSON object, or a delimited header."""
    head = _head(path, compression)
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return "ndjson"
    first_line = text.split(b"\n", 1)[0]
    if b"\t" in first_line:
        return "tsv"
    if b"," in first_line:
        return "csv"
    return None


def _head(path: Path, compression: str | None, size: int = 4096) -> bytes:
    try:
        if compression == "gzip":
            with gzip.open(path, "rb") as handle:
                return handle.read(size)
        with path.open("rb") as handle:
            return handle.read(size)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{_display(path)}: cannot read: {exc}") from None
