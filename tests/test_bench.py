"""The benchmark (bench/): the seeded generator, the agreement check, and a smoke run of the bench
command on 10k rows. The benchmark itself is not a test; timings are never asserted here."""

from __future__ import annotations

import copy
import itertools
import json
import subprocess
import sys

import click
import polars as pl
import pytest
from conftest import REPO, run_check

from bench import reference
from bench.__main__ import label, parse_rows
from bench.agreement import Disagreement, compare, from_report, reference_parameters
from bench.columns import FORMATS, TIMESTAMP_FORMAT
from bench.generate import Dataset, days, generate
from bench.harness import BenchError, Checks
from bench.profile import profile, report
from bench.stages import STEPS, stages


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    # About a day of traffic: enough for every persona to show its anti-pattern.
    return generate(12_000, tmp_path_factory.mktemp("bench") / "12k")


def read(dataset: Dataset, fmt: str) -> pl.DataFrame:
    path = dataset.path(fmt)
    if fmt == "parquet":
        return pl.read_parquet(path).with_columns(pl.col("timestamp").dt.strftime(TIMESTAMP_FORMAT))
    frame = pl.read_csv(path) if fmt == "csv" else pl.read_ndjson(path)
    return frame.with_columns(pl.col("error_code").cast(pl.String))


# --- the generator --------------------------------------------------------------------------

def test_every_format_holds_exactly_the_same_rows(small):
    frames = [read(small, fmt) for fmt in FORMATS]
    assert [f.height for f in frames] == [12_000] * 3
    assert frames[0].equals(frames[1]) and frames[0].equals(frames[2])


def test_the_seed_makes_the_files_byte_identical(small, tmp_path):
    again = generate(12_000, tmp_path / "12k")
    for fmt in FORMATS:
        assert again.path(fmt).read_bytes() == small.path(fmt).read_bytes(), fmt


def test_no_account_calls_twice_in_one_millisecond_and_days_stay_in_order():
    # bench/reference.sql orders one client's calls by time alone; this is what makes that exact.
    nine = list(itertools.islice(days(200_000), 9))
    for day in nine:
        assert day["timestamp"].is_sorted()
        assert day.select(pl.struct("client_id", "timestamp").is_unique().all()).item()
    for before, after in itertools.pairwise(nine):
        assert before["timestamp"].max() <= after["timestamp"].min()


POLICY_RULES = ("NUV-001", "NUV-002", "NUV-003")


def test_every_persona_is_in_a_small_export(small):
    clients = read(small, "csv")["client_id"].unique().to_list()
    personas = {client.rsplit("-", 1)[1] for client in clients}
    assert personas == {"busy", "quiet", "mixed", "poller", "ghost", "unlisted", "dupes"}


def _flagged(report: dict) -> dict[str, set[str]]:
    flagged: dict[str, set[str]] = {}
    for finding in report["findings"]:
        flagged.setdefault(finding["client_id"].rsplit("-", 1)[1], set()).add(finding["rule"])
    return flagged


def test_offenders_are_flagged_by_their_policy_rule(small):
    """The reference models the three policy rules, so the bench runs only those."""
    report = run_check([small.path("parquet")], select=POLICY_RULES).to_dict()
    assert _flagged(report) == {"poller": {"NUV-001"}, "ghost": {"NUV-002"},
                                "unlisted": {"NUV-002"}, "dupes": {"NUV-003"},
                                "mixed": {"NUV-003"}}


def test_healthy_accounts_are_silent_under_the_whole_pack(small):
    flagged = _flagged(run_check([small.path("parquet")]).to_dict())
    assert "busy" not in flagged and "quiet" not in flagged


def test_data_on_disk_is_reused_only_when_the_generator_would_write_it(small):
    assert small.has(FORMATS)
    assert not Dataset(small.directory, 12_001).has(FORMATS)
    assert not small.has(FORMATS, seed=1)


# --- the agreement check --------------------------------------------------------------------

def finding(**changes):
    base = {"rule": "NUV-001", "check": "polling", "client_id": "c1",
            "key": {"part_number": "2200-46162-025"}, "count": 12, "severity": "critical",
            "first_seen": "2026-11-02T00:00:17.000Z", "last_seen": "2026-11-02T04:00:00.000Z",
            "metrics": {"streak": 11, "streak_span": 14383.0, "median_gap": 60.5, "calls": 12,
                        "span": 14383.0, "sustained": 18000.0}}
    return {**copy.deepcopy(base), **changes}


def test_identical_findings_agree():
    assert compare([finding(), finding(client_id="c2")], [finding(client_id="c2"), finding()]) == 2


@pytest.mark.parametrize(("change", "expected"), [
    ({"count": 13}, "NUV-001/polling c1 part_number=2200-46162-025: count 12 (trafficlint) vs "
                    "13 (reference)"),
    ({"severity": "warning"}, "severity 'critical' (trafficlint) vs 'warning' (reference)"),
    ({"last_seen": "2026-11-02T04:00:00.001Z"}, "last_seen"),
    ({"key": {"part_number": "other"}}, "only reference found NUV-001/polling c1 "
                                        "part_number=other"),
])
def test_a_difference_is_named(change, expected):
    with pytest.raises(Disagreement, match="disagree") as caught:
        compare([finding()], [finding(**change)])
    assert expected in str(caught.value)


def test_measurements_agree_to_a_millionth_not_more():
    close = finding(metrics={**finding()["metrics"], "median_gap": 60.5 + 1e-9})
    assert compare([finding()], [close]) == 1
    off = finding(metrics={**finding()["metrics"], "median_gap": 60.6})
    with pytest.raises(Disagreement, match="metric median_gap 60.5"):
        compare([finding()], [off])


def test_a_finding_reported_twice_is_a_disagreement():
    with pytest.raises(Disagreement, match="reported NUV-001/polling c1 .* twice"):
        compare([finding(), finding()], [finding()])


def test_reference_parameters_are_the_rule_pack_defaults():
    variables = reference_parameters()["variables"]
    assert variables["polling_short_gap_ms"] == 15 * 60 * 1000
    assert variables["repeat_window_ms"] == 24 * 3600 * 1000
    assert variables["duplicate_codes"] == ["101"]
    assert variables["loop_count"] == 5


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_sql_reference_finds_exactly_what_trafficlint_finds(small, fmt):
    ours = from_report(run_check([small.path(fmt)], select=POLICY_RULES).to_dict())
    theirs = reference.run(fmt, small.path(fmt), reference_parameters())
    assert compare(ours, theirs) == len(ours)
    assert {f["check"] for f in theirs} == set(reference.METRICS)  # every check has a finding


def test_the_harness_refuses_wrong_or_changing_output():
    checks = Checks(rows=10)
    floor = {"rows": 10, "first_ms": 1, "last_ms": 2, "status_sum": 2000, "text_bytes": 99}
    checks.accept("csv", "floor-polars", json.dumps(floor).encode())
    with pytest.raises(BenchError, match="floors read different values"):
        checks.accept("csv", "floor-duckdb", json.dumps({**floor, "text_bytes": 98}).encode())
    with pytest.raises(BenchError, match="not deterministic"):
        checks.accept("csv", "floor-polars", json.dumps({**floor, "last_ms": 3}).encode())
    with pytest.raises(BenchError, match="read 9 rows of 10"):
        checks.accept("ndjson", "floor-duckdb", json.dumps({**floor, "rows": 9}).encode())
    report = {"summary": {"rows_analysed": 9, "rows_rejected": 1}, "findings": []}
    with pytest.raises(BenchError, match="analysed 9 rows and rejected 1"):
        checks.accept("csv", "trafficlint", json.dumps(report).encode())


def test_agreement_on_data_that_exercises_no_check_proves_nothing():
    checks = Checks(rows=10)
    report = {"summary": {"rows_analysed": 10, "rows_rejected": 0}, "findings": [finding()]}
    checks.accept("csv", "reference", json.dumps(from_report(report)).encode())
    with pytest.raises(BenchError, match="exercised no finding of checking-loop, not-found-stream"):
        checks.accept("csv", "trafficlint", json.dumps(report).encode())


# --- the bench command ----------------------------------------------------------------------

def test_bench_command_runs_checks_agreement_and_prints_the_table(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bench", "run", "--rows", "10k", "--repeat", "1",
         "--data", str(tmp_path), "--out", str(tmp_path / "results")],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("10,000 rows: whole-process wall time, median of 1 alternating runs")
    for name in ("CSV, ", "NDJSON, ", "Parquet, "):
        assert f"\n{name}" in out
    for label_ in ("floor, Polars", "floor, DuckDB", "DuckDB reference", "trafficlint"):
        assert out.count(f"\n    {label_:18} ") == 3
    assert out.count("\n    trafficlint / faster floor (target <= 1.2) ") == 3
    agreed = [int(line.rsplit(" ", 1)[1].replace(",", "")) for line in out.splitlines()
              if line.startswith("    findings agreed with the reference: ")]
    assert len(agreed) == 3 and agreed[0] > 0 and len(set(agreed)) == 1
    [saved] = (tmp_path / "results").glob("10k-*.json")
    doc = json.loads(saved.read_text())
    assert [r["format"] for r in doc["results"]] == list(FORMATS)
    for result_ in doc["results"]:
        assert set(result_["runs"]) == {"floor-polars", "floor-duckdb", "reference", "trafficlint"}
        assert result_["findings_agreed"] == agreed[0]
        # Each contestant's own peak, not the harness's (bench/spawn.py says why they differ):
        # the harness holds Polars, numpy and DuckDB at once, well over 120 MB; a DuckDB floor
        # on 10k rows needs far less.
        assert 10e6 < min(result_["peaks"].values()) < 120e6
    table = saved.with_suffix(".md").read_text()
    assert "| input | floor, Polars | floor, DuckDB | DuckDB reference | trafficlint |" in table
    assert table.count("\n| ") == 4  # header and one row per format


@pytest.mark.parametrize(("text", "rows", "name"), [
    ("10k", 10_000, "10k"), ("1M", 1_000_000, "1M"), ("2.5M", 2_500_000, "2500k"),
    ("50_000_000", 50_000_000, "50M"), ("1234", 1234, "1234"),
])
def test_row_counts(text, rows, name):
    assert parse_rows(text) == rows and label(rows) == name


@pytest.mark.parametrize("text", ["", "0", "ten", "1G", "-5"])
def test_bad_row_counts_are_refused(text):
    with pytest.raises(click.BadParameter, match="expected a number of rows"):
        parse_rows(text)


def test_bench_command_fails_loudly_on_bad_options(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bench", "run", "--formats", "xml",
                             "--data", str(tmp_path)], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 2
    assert "expected some of csv, ndjson, parquet, got 'xml'" in result.stderr


def test_profile_times_loading_every_detector_and_the_whole_report(small):
    stages, functions = profile(small.path("parquet"))
    assert [s.name for s in stages] == [
        "load (read + normalise)", "detect NUV-001 polling", "detect NUV-001 checking-loop",
        "detect NUV-002 unknown-order",
        "detect NUV-002 unknown-product", "detect NUV-002 not-found-stream",
        "detect NUV-003 repeated-po", "whole check + JSON report"]
    assert all(s.seconds > 0 and s.peak_bytes >= s.rss_bytes > 0 for s in stages)
    assert functions[0][0] == "loading.py:load"
    assert "detect NUV-001 polling" in report(small.path("parquet"), stages, functions)


def test_stages_time_the_streaming_path_by_phase_and_step(small, monkeypatch):
    from analyzer import batches, rowstore

    monkeypatch.setattr(batches, "CHUNK_BYTES", 100_000)  # several chunks, spilled, units
    monkeypatch.setattr(rowstore, "SPILL_ROWS", 1_000)
    monkeypatch.setattr(rowstore, "UNIT_ROWS", 3_000)
    before = [getattr(owner, name) for owner, name, _ in STEPS]
    phases, spent = stages(small.path("csv"))
    assert [p.name for p in phases] == ["load: read, type, spill",
                                        "analyse: read units back, rules, counts"]
    assert all(p.wall > 0 and p.cpu > 0 and p.peak_bytes > 0 for p in phases)
    assert {"parse CSV chunks (Polars)", "type and check rows (normalise)",
            "spill rows by client (partition + write)", "run the rules (detectors)"} <= set(spent)
    assert [getattr(owner, name) for owner, name, _ in STEPS] == before  # unwrapped again
