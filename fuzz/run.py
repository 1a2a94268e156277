"""The fuzzing run: the property tests of tests/test_properties.py (every input format's loader,
compressed input, the timestamp parser, the mapping profiles, the rule and config validators,
the redactor), with many thousands of random and mutated inputs instead of the suite's few.

    .venv/bin/python fuzz/run.py                      # 5,000 examples a property, seed 0
    .venv/bin/python fuzz/run.py --examples 20000 --seed 7 -k loader

Any failure is printed with the input that caused it and a `@reproduce_failure` line; fix
the cause, and add the input as an `@example` or a test of its own so it stays fixed.
Hypothesis keeps what it found in .hypothesis/ and tries it first next time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000, help="examples per property")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed (reproducible)")
    parser.add_argument("-k", default=None, help="only the properties matching this pytest -k")
    args = parser.parse_args()
    environment = {**os.environ, "HYPOTHESIS_PROFILE": "fuzz",
                   "TRAFFICLINT_FUZZ_EXAMPLES": str(args.examples)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               str(ROOT / "tests" / "test_properties.py"), f"--hypothesis-seed={args.seed}",
               "--hypothesis-show-statistics"]
    if args.k:
        command += ["-k", args.k]
    print("+", " ".join(command), flush=True)
    return subprocess.call(command, cwd=ROOT, env=environment)


if __name__ == "__main__":
    sys.exit(main())
