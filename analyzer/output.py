"""Write report files atomically: a reader (or a CI artefact upload) never sees half a report,
and a failed run leaves no partial file behind.

Only a regular file (or a path with nothing there yet) is replaced that way. A symlink is
followed, and its target replaced, so the link stays; a device, a FIFO or a socket (such as
/dev/stdout, or a link to /proc/self/fd/1) is written into, never replaced.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from analyzer.errors import TrafficlintError


def write_atomic(path: Path, text: str) -> None:
    write_all({path: text})


def write_all(files: dict[Path, str]) -> None:
    """Write every file, or none: each goes to a temporary file beside its target first, and
    only when all of them are written (and any device or FIFO has been written into) are they
    renamed into place (a rename within a folder is atomic). A failure removes the temporary
    files and leaves the targets as they were."""
    temps: dict[Path, str] = {}
    targets: dict[Path, Path | None] = {}
    current = None
    try:
        for current in files:
            targets[current] = _target(current)
        for current, target in targets.items():
            if target is not None:
                temps[target] = _temporary(target, files[current])
        for current, target in targets.items():
            if target is None:
                _write_into(current, files[current])
        for current, temp in temps.items():
            os.replace(temp, current)
    except OSError as exc:
        for temp in temps.values():
            Path(temp).unlink(missing_ok=True)
        raise TrafficlintError(f"{current}: cannot write: {exc.strerror or exc}") from None


def _target(path: Path) -> Path | None:
    """The file a report at `path` replaces: `path`, or the file a symlink there points to;
    None for a device, FIFO or socket, which is written into instead."""
    try:
        mode = os.stat(path).st_mode  # follows symlinks
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        return None
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _write_into(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as stream:
        stream.write(text)


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
