"""Shared test helpers: run the CLI, run one rule on a case log, compare golden files."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

from analyzer import check as check_module
from analyzer.check import check
from analyzer.cli import main
from analyzer.config import Config

# Property tests: the suite runs few, derandomized examples (fast, the same every run); the
# fuzzing run (fuzz/run.py) selects `fuzz` for many thousands, with a printed seed to replay.
settings.register_profile("ci", max_examples=25, derandomize=True, deadline=None,
                          print_blob=True)
settings.register_profile("fuzz", deadline=None, print_blob=True,
                          max_examples=int(os.environ.get("TRAFFICLINT_FUZZ_EXAMPLES", "5000")))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "cases"
GOLDEN = REPO / "tests" / "golden"
FIXED_NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
FIXTURE = Path("tests/fixtures/mixed.csv")
PINNED_VERSIONS = (("trafficlint", "0.1.0"), ("polars", "2.x"), ("python", "3.x"))


def fixed_clock() -> datetime:
    return FIXED_NOW


def run_check(paths: list[Path | str], **config) -> object:
    """The library entry point with a fixed clock; config keys as in trafficlint.yaml."""
    return check([str(p) for p in paths], Config(**config), clock=fixed_clock)


def golden(name: str, text: str) -> None:
    """Compare `text` with tests/golden/<name>; UPDATE_GOLDEN=1 rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden file {path} missing; run with UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8"), f"output differs from {path}"


@pytest.fixture
def report(monkeypatch):
    """The golden reports' run: the mixed fixture, relative paths, pinned clock and versions."""
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(check_module, "versions", lambda: PINNED_VERSIONS)
    return run_check([FIXTURE])


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """Run `trafficlint ...` in an empty working directory; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(FIXED_NOW.timestamp())))
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)

    def invoke(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return invoke


# Log values an attacker controls, one per way of breaking out of an output format.
HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img": '"><img src=x onerror=alert(1)>',
    "ansi": "\x1b[31mred\x1b]0;title\x07",
    "bidi": "abc\u202edcba",
    "pipe": " | cell | ",
    "tick": "``x`",
    "newline": "one\ntwo\r\nthree",
    "workflow": "%0A::error file=x::pwned,:%",
    "markdown": "[link](javascript:alert(1)) @octocat *bold* <b>",
    "xml": "]]><x a='1'/>&amp;\x00",
}
HOSTILE_CLIENT = "".join(HOSTILE[k] for k in ("script", "ansi", "pipe", "newline", "workflow",
                                              "markdown"))
HOSTILE_PART = "".join(HOSTILE[k] for k in ("img", "bidi", "tick", "xml"))


@pytest.fixture
def hostile_report(tmp_path):
    """A poller whose client id and part number carry every hostile value, in a file whose name
    carries the characters workflow commands and URIs treat specially."""
    log = tmp_path / "hostile, 100%: x.ndjson"
    rows = [{"timestamp": f"2026-11-16T09:{i:02d}:00Z", "operation": "checkInventory",
             "client_id": HOSTILE_CLIENT, "part_number": HOSTILE_PART} for i in range(6)]
    rows.append({"timestamp": "2026-11-16T09:00:00" + HOSTILE["script"], "operation": "x"})
    log.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    report = run_check([log])
    assert report.findings, "the hostile log must produce a finding to be a real test"
    return report


REPORTS = {"json": "report.json", "html": "report.html", "md": "report.md",
           "sarif": "report.sarif", "junit": "report.xml", "rejects": "rejects.ndjson"}


def every_output(work: Path, paths: list[str], *extra: str) -> dict[str, str]:
    """Every output trafficlint writes for these logs, by name, from the real CLI run in
    `work`: each report file, each standard-output format, `inspect` and a baseline."""
    found: dict[str, str] = {}
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(work)
        patch.setenv("SOURCE_DATE_EPOCH", str(int(FIXED_NOW.timestamp())))
        patch.delenv("GITHUB_ACTIONS", raising=False)

        def run(*args: str, expect: tuple[int, ...] = (0, 1)) -> str:
            result = runner.invoke(main, [*args, *extra], catch_exceptions=False)
            assert result.exit_code in expect, result.stderr
            return result.stdout

        flags = [part for flag, name in REPORTS.items() for part in (f"--{flag}", name)]
        found["text"] = run("check", *paths, *flags)
        for name, file in REPORTS.items():
            found[name] = (work / file).read_text(encoding="utf-8")
        found["github"] = run("check", *paths, "--format", "github")
        found["inspect-text"] = run("inspect", *paths)
        found["inspect-json"] = run("inspect", *paths, "--format", "json")
        run("baseline", *paths, "-o", "baseline.json")
        found["baseline"] = (work / "baseline.json").read_text(encoding="utf-8")
    return found
