"""The benchmark (bench/): the seeded generator and the agreement check. The benchmark itself is
not a test; timings are never asserted here."""

from __future__ import annotations

import copy
import itertools

import polars as pl
import pytest
from conftest import run_check

from bench import reference
from bench.agreement import Disagreement, compare, from_report, reference_parameters
from bench.columns import FORMATS, TIMESTAMP_FORMAT
from bench.generate import Dataset, days, generate


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


def test_every_persona_is_in_a_small_export(small):
    clients = read(small, "csv")["client_id"].unique().to_list()
    personas = {client.rsplit("-", 1)[1] for client in clients}
    assert personas == {"busy", "quiet", "mixed", "poller", "ghost", "unlisted", "dupes"}


def test_offenders_are_flagged_by_their_rule_and_healthy_accounts_are_not(small):
    report = run_check([small.path("parquet")]).to_dict()
    flagged: dict[str, set[str]] = {}
    for finding in report["findings"]:
        flagged.setdefault(finding["client_id"].rsplit("-", 1)[1], set()).add(finding["rule"])
    assert flagged == {"poller": {"NUV-001"}, "ghost": {"NUV-002"}, "unlisted": {"NUV-002"},
                       "dupes": {"NUV-003"}, "mixed": {"NUV-003"}}


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
    ours = from_report(run_check([small.path(fmt)]).to_dict())
    theirs = reference.run(fmt, small.path(fmt), reference_parameters())
    assert compare(ours, theirs) == len(ours)
    assert {f["check"] for f in theirs} == set(reference.METRICS)  # every check has a finding
