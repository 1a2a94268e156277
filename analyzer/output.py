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
    try:
        mode = os.stat(path).st_mode  # follows symlinks
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise TrafficlintError(f"{path}: cannot write: {exc.strerror or exc}") from None
    if mode is not None and not stat.S_ISREG(mode):
        _write_into(path, text)
    else:
        _replace(Path(os.path.realpath(path)) if path.is_symlink() else path, text, path)


def _write_into(path: Path, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
    except OSError as exc:
        raise TrafficlintError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _replace(target: Path, text: str, given: Path) -> None:
    """Write `target` (the file `given` names, links followed) through a temporary file in its
    directory, then rename it into place."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                        dir=target.parent)
    except OSError as exc:
        raise TrafficlintError(f"{given}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        # mkstemp creates 0600; a report is an ordinary file, so honour the umask instead.
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise TrafficlintError(f"{given}: cannot write: {exc.strerror or exc}") from None


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
