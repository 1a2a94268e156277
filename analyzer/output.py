"""Write report files atomically: a reader (or a CI artefact upload) never sees half a report,
and a failed run leaves no partial file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from analyzer.errors import TrafficlintError


def write_atomic(path: Path, text: str) -> None:
    write_all({path: text})


def write_all(files: dict[Path, str]) -> None:
    """Write every file, or none: each goes to a temporary file beside its target first, and
    only when all of them are written are they renamed into place (a rename within a folder
    is atomic). A failure removes the temporary files and leaves the targets as they were."""
    temps: dict[Path, str] = {}
    try:
        for path, text in files.items():
            temps[path] = _temporary(path, text)
        for path, temp in temps.items():
            os.replace(temp, path)
    except OSError as exc:
        for temp in temps.values():
            Path(temp).unlink(missing_ok=True)
        failed = next((p for p in files if p not in temps), path)
        raise TrafficlintError(f"{failed}: cannot write: {exc.strerror or exc}") from None


def _temporary(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        # mkstemp creates 0600; a report is an ordinary file, so honour the umask instead.
        os.chmod(temp, 0o666 & ~_umask())
    except OSError:
        Path(temp).unlink(missing_ok=True)
        raise
    return temp


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
