"""Run one command and write its wall time, CPU time, peak memory and exit code as JSON.

    python -I -S bench/spawn.py REPORT.json COMMAND [ARG ...]

Why a launcher: Linux carries the peak resident memory of the process that forks into the
child's `ru_maxrss`, even across exec. The harness has Polars and numpy loaded (hundreds of MB),
so a child it forked directly would report at least that. This script runs in a bare
interpreter (`-I -S`: no site, no user paths; a few MB), so the peak it reports is the
command's own. It imports nothing but the standard library and is run by path, not as a module.
"""

import json
import os
import sys
import time


def main(report: str, argv: list[str]) -> None:
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    result = {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_bytes": usage.ru_maxrss * 1024,  # KiB on Linux
        "exit_code": os.waitstatus_to_exitcode(status),
    }
    with open(report, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
