"""The benchmark (bench/): the seeded generator. The benchmark itself is not a test; timings
are never asserted here."""

from __future__ import annotations

import itertools

import polars as pl
import pytest
from conftest import run_check

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
