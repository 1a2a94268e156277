"""Shared test helpers: run the CLI, run one rule on a case log, compare golden files."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.check import check
from analyzer.cli import main
from analyzer.config import Config

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "cases"
GOLDEN = REPO / "tests" / "golden"
FIXED_NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


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
def cli(monkeypatch, tmp_path):
    """Run `trafficlint ...` in an empty working directory; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(FIXED_NOW.timestamp())))
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)

    def invoke(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return invoke
