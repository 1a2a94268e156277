"""Turn the paths a user gives (files, directories, globs) into a sorted list of log files,
each with its format and compression. Sorting makes the report independent of argument order."""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path

from analyzer.compressed import BrokenStream, TooLarge, decompress
from analyzer.errors import InputError

FORMATS = ("csv", "tsv", "ndjson", "parquet", "access-log", "har", "otel", "soap")
EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet", ".har": "har",
}
# JSON files are sniffed: a HAR capture, OpenTelemetry spans or NDJSON records.
JSON_EXTENSIONS = (".ndjson", ".jsonl", ".json")
SNIFFED_EXTENSIONS = (".log", ".txt", ".xml", "")  # read a little to tell the format
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}
_MAGIC = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd"}
_GLOB_CHARS = set("*?[")
_ROTATED = re.compile(r"^\.\d+$")  # access.log.1


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
            if not path.is_file():  # a broken link, a socket: nothing to read, but said
                ignored.append(f"{_display(path)} (not a readable file)")
                continue
            source = _classify(path, explicit, forced_format)
            if source is None:
                ignored.append(_display(path))
            else:
                found.setdefault(path.resolve(), source)
    if not found:
        raise InputError(f"no log files found in: {', '.join(paths)} (looked for "
                         f"{', '.join(sorted([*EXTENSIONS, *JSON_EXTENSIONS]))} and logs "
                         f"whose content tells their format, optionally .gz or .zst)")
    return sorted(found.values(), key=lambda s: s.display), sorted(set(ignored))


def _candidates(raw: str) -> list[tuple[Path, bool]]:
    path = Path(raw)
    if path.is_dir():
        return [(p, False) for p in _walk(path)]
    if path.exists():
        return [(path, True)]
    if _GLOB_CHARS & set(raw):
        matches = sorted(Path(m) for m in glob.glob(raw, recursive=True))
        files = [p for p in matches if p.is_file()]
        if not files:
            raise InputError(f"{raw}: no files match this pattern")
        return [(p, True) for p in files]
    raise InputError(f"{raw}: no such file or directory")


def _walk(root: Path) -> list[Path]:
    """Every file below `root`, hidden ones left out, sorted. A folder that cannot be listed
    is an error, not a silent gap in the analysis; symbolic links to folders are not followed
    (a link cycle would never end)."""
    def fail(error: OSError) -> None:
        raise InputError(f"{_display(Path(error.filename or root))}: cannot list this folder: "
                         f"{error.strerror or error}")

    found = []
    for folder, subfolders, names in os.walk(root, onerror=fail):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        found += [Path(folder) / name for name in names if not name.startswith(".")]
    return sorted(found)


def _display(path: Path) -> str:
    return path.as_posix()


# Files a log folder holds besides its logs: with --input-format, they are still not logs.
NOT_LOGS = (".py", ".sh", ".md", ".rst", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf",
            ".html", ".pdf", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".xlsx", ".docx", ".zip")


def _looks_like_a_log(path: Path, suffix: str, compression: str | None) -> bool:
    """Whether a file found in a folder may be one of its logs when the format is forced:
    anything not named as another kind of file (rotated logs have names of every sort), and
    a .txt only if it reads as a log (a price book is a .txt too)."""
    if suffix in NOT_LOGS:
        return False
    return suffix != ".txt" or sniff(path, compression) is not None


def _is_empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return False  # the reader names what is wrong with it


def _classify(path: Path, explicit: bool, forced: str | None) -> Source | None:
    """The file's format and compression, or None for a non-log file found in a directory."""
    suffixes = [s.lower() for s in path.suffixes if not _ROTATED.match(s)]
    compression = COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    inner = suffixes[-2] if compression and len(suffixes) > 1 else (
        "" if compression else (suffixes[-1] if suffixes else ""))
    if compression is None and (explicit or inner in SNIFFED_EXTENSIONS):
        compression = _magic(path)
    if forced and not explicit and not _looks_like_a_log(path, inner, compression):
        return None  # --input-format names the logs' format; a folder's README is not a log
    fmt = forced or EXTENSIONS.get(inner)
    if fmt is None and (explicit or inner in SNIFFED_EXTENSIONS or inner in JSON_EXTENSIONS):
        fmt = sniff(path, compression) or ("ndjson" if inner in JSON_EXTENSIONS else None)
    if fmt is None:
        if explicit:
            if _is_empty(path):
                raise InputError(f"{_display(path)}: the file is empty: no rows to analyse")
            raise InputError(f"{_display(path)}: cannot tell the log format; name it with "
                             f"--input-format ({', '.join(FORMATS)})")
        return None
    return Source(path, _display(path), fmt, compression)


# Access-log lines: (vhost) CLF / Combined / Traefik, Python http.server, AWS ALB, Envoy.
_ACCESS_LINE = re.compile(
    rb"^(?:\S+ ){2,3}\S+ \[[^\]]+\] \"|"
    rb"^(?:https?|h2|grpcs|wss?) \d{4}-\d\d-\d\dT\S+ \S+ \S+ \S+|"
    rb"^\[\d{4}-\d\d-\d\dT[^\]]+\] \"", re.MULTILINE)
_SOAP_MARKERS = (b"schemas.xmlsoap.org/soap/envelope", b"www.w3.org/2003/05/soap-envelope",
                 b"HTTP Post to ")


def sniff(path: Path, compression: str | None) -> str | None:
    """Guess a format from the first bytes: Parquet magic, JSON (a HAR capture, OpenTelemetry
    spans, NDJSON records), SOAP envelopes, access-log lines, or a delimited header."""
    head = _head(path, compression)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text: the reader converts it
        head = head[: len(head) // 2 * 2].decode("utf-16", "replace").encode("utf-8")
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{") or re.match(rb"^\[\s*[{\[\]]", text):
        return _json_kind(text)
    if any(marker in head for marker in _SOAP_MARKERS):
        return "soap"
    if _ACCESS_LINE.search(text[:4096]):
        return "access-log"
    first_line = text.split(b"\n", 1)[0]
    if b"\t" in first_line:
        return "tsv"
    if b"," in first_line:
        return "csv"
    return None


def _json_kind(text: bytes) -> str:
    if b'"resourceSpans"' in text or (b'"span_id"' in text and b'"start_time"' in text):
        return "otel"
    if re.match(rb'^\{\s*"log"\s*:', text) or b'"entries"' in text[:2048]:
        return "har"
    return "ndjson"


def _magic(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            start = handle.read(4)
    except OSError:
        return None
    return next((kind for magic, kind in _MAGIC.items() if start.startswith(magic)), None)


def _head(path: Path, compression: str | None, size: int = 16384) -> bytes:
    """The first bytes of the file, decompressed; a cut or damaged stream gives what it has
    (the reader says what is wrong with it)."""
    try:
        with path.open("rb") as handle:
            start = handle.read(size if compression is None else 1 << 20)
    except OSError as exc:
        raise InputError(f"{_display(path)}: cannot read: {exc.strerror or exc}") from None
    if compression is None:
        return start
    try:
        return decompress(start, compression)[0][:size]
    except (BrokenStream, TooLarge):
        return b""
