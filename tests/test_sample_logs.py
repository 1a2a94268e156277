"""The bundled sample week: each offending persona is flagged by its rules, the healthy ones
by none, and the committed files are exactly what the seeded generator writes.

The sample week comes with the config its operator would keep (sample_logs/trafficlint.yaml:
the announced maintenance windows and the agreed price book); the report is read with it."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace

import pytest
from conftest import REPO, fixed_clock

from analyzer.check import check
from analyzer.config import load_config

SAMPLE = REPO / "sample_logs"
CONFIG = SAMPLE / "trafficlint.yaml"
HEALTHY = ("acme-busy", "bluefin-quiet", "nimbus-hub")


def run(config):
    return check([str(SAMPLE)], config, clock=fixed_clock).to_dict()


@pytest.fixture(scope="module")
def report():
    return run(load_config(CONFIG))


def rules_by_client(report) -> dict[str, set[str]]:
    flagged: dict[str, set[str]] = {c["client_id"]: set() for c in report["clients"]}
    for finding in report["findings"]:
        flagged[finding["client_id"]].add(finding["rule"])
    return flagged


def test_each_persona_is_flagged_by_its_rules(report):
    assert rules_by_client(report) == {
        "acme-busy": set(),
        "bluefin-quiet": set(),
        "corvid-mixed": {"NUV-003"},
        # A: a 60-second timer keeps polling through the outages too.
        "deltaware-poller": {"NUV-001", "NUV-004", "NUV-005"},
        # B: ghost orders every 10 minutes, 07:00-19:00: missing ids, a spike, for hours.
        "evergreen-ghost": {"NUV-002", "NUV-007", "NUV-008"},
        # C: unlisted SKUs every hour, all week: answered "not found", and not in the book.
        "fjord-unlisted": {"NUV-002", "NUV-008", "NUV-016"},
        "granite-dupes": {"NUV-003", "NUV-007"},
        # E: retries every 10 s, so each maintenance window becomes a storm.
        "harbor-impatient": {"NUV-004", "NUV-005", "NUV-010"},
        "ironbark-timeout": {"NUV-009"},
        "juniper-stateblind": {"NUV-011", "NUV-012", "NUV-013", "NUV-014"},
        "kestrel-testleak": {"NUV-015"},
        "lumen-resubmit": {"NUV-006"},
        "mica-hub": {"NUV-017", "NUV-018"},
        "nimbus-hub": set(),
    }


def test_every_order_api_rule_has_an_offender_in_the_sample_week(report):
    # The sample week is Order API and Hub traffic; the generic REST pack (API-*) has its own
    # fixtures of access logs.
    rules = {rule["id"] for rule in report["rules"] if rule["id"].startswith("NUV-")}
    assert rules == {finding["rule"] for finding in report["findings"]}


def test_the_mixed_reseller_is_a_warning_and_the_offenders_are_critical(report):
    worst = {}
    for finding in report["findings"]:
        worst.setdefault(finding["client_id"], set()).add(finding["severity"])
    assert worst["corvid-mixed"] == {"warning"}
    for client in ("deltaware-poller", "evergreen-ghost", "fjord-unlisted", "granite-dupes",
                   "harbor-impatient", "lumen-resubmit"):
        assert "critical" in worst[client]


def test_the_provider_s_eye_view_of_the_personas(report):
    clients = {c["client_id"]: c for c in report["clients"]}
    steps = {name: c["escalation"]["name"] for name, c in clients.items()}
    assert {steps[name] for name in HEALTHY} == {"none"}
    assert steps["corvid-mixed"] == "query"
    assert steps["granite-dupes"] == "contact"
    # A poller that ran all week, and errors every hour all week, resemble the last step.
    assert steps["deltaware-poller"] == steps["fjord-unlisted"] == "withdrawal"
    assert clients["deltaware-poller"]["escalation"]["rules"] == ["NUV-001"]
    for name in HEALTHY:
        assert clients[name]["avoidable_calls"] == 0
    # Nearly all of the poller's calls could have been avoided.
    poller = clients["deltaware-poller"]
    assert poller["avoidable_calls"] / poller["calls"] > 0.95
    assert not poller["projected"] and round(poller["calls_per_day"]) == 1428


def test_faults_inside_announced_windows_are_not_error_volume():
    without = rules_by_client(run(replace(load_config(CONFIG), maintenance=())))
    # Undeclared, the NetSuite window's faults look like a spike of a healthy client's errors,
    # and nothing can be a storm inside a window.
    assert without["acme-busy"] == {"NUV-007"}
    assert "NUV-010" not in without["harbor-impatient"]


def test_every_sample_line_is_analysed(report):
    summary = report["summary"]
    assert summary["files"] == 7
    assert summary["rows_analysed"] == summary["lines_read"] > 20_000
    assert summary["rows_rejected"] == 0
    assert [name.rsplit("/", 1)[1] for name in report["inputs"]["ignored_files"]] == [
        "generate.py", "price-book.txt", "trafficlint.yaml"]


def test_committed_sample_is_what_the_seeded_generator_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("generate", SAMPLE / "generate.py")
    generator = importlib.util.module_from_spec(spec)
    sys.modules["generate"] = generator  # dataclasses look their module up while defining
    spec.loader.exec_module(generator)
    written = generator.write(generator.generate(), tmp_path)
    committed = [*sorted(p.name for p in SAMPLE.glob("*.ndjson.gz")), "trafficlint.yaml",
                 "price-book.txt"]
    assert [p.name for p in written] == committed
    for path in written:
        assert path.read_bytes() == (SAMPLE / path.name).read_bytes(), path.name
