"""The bundled sample week: each offending persona is flagged by its rule, the healthy ones are
not, and the committed files are exactly what the seeded generator writes."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from conftest import REPO, run_check

SAMPLE = REPO / "sample_logs"


@pytest.fixture(scope="module")
def report():
    return run_check([SAMPLE]).to_dict()


def rules_by_client(report) -> dict[str, set[str]]:
    flagged: dict[str, set[str]] = {c["client_id"]: set() for c in report["clients"]}
    for finding in report["findings"]:
        flagged[finding["client_id"]].add(finding["rule"])
    return flagged


def test_each_persona_is_flagged_by_exactly_its_rule(report):
    assert rules_by_client(report) == {
        "acme-busy": set(),
        "bluefin-quiet": set(),
        "corvid-mixed": {"NUV-003"},
        "deltaware-poller": {"NUV-001"},
        "evergreen-ghost": {"NUV-002"},
        "fjord-unlisted": {"NUV-002"},
        "granite-dupes": {"NUV-003"},
    }


def test_the_mixed_reseller_is_a_warning_and_the_offenders_are_critical(report):
    worst = {}
    for finding in report["findings"]:
        worst.setdefault(finding["client_id"], set()).add(finding["severity"])
    assert worst["corvid-mixed"] == {"warning"}
    for client in ("deltaware-poller", "evergreen-ghost", "fjord-unlisted", "granite-dupes"):
        assert "critical" in worst[client]


def test_every_sample_line_is_analysed(report):
    summary = report["summary"]
    assert summary["files"] == 7
    assert summary["rows_analysed"] == summary["lines_read"] > 15_000
    assert summary["rows_rejected"] == 0


def test_committed_sample_is_what_the_seeded_generator_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("generate", SAMPLE / "generate.py")
    generator = importlib.util.module_from_spec(spec)
    sys.modules["generate"] = generator  # dataclasses look their module up while defining
    spec.loader.exec_module(generator)
    written = generator.write(generator.generate(), tmp_path)
    assert [p.name for p in written] == sorted(p.name for p in SAMPLE.glob("*.ndjson.gz"))
    for path in written:
        assert path.read_bytes() == (SAMPLE / path.name).read_bytes(), path.name
