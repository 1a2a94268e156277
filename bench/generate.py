"""Generate N rows of Order API traffic for the benchmark, seeded, streamed to disk a day at a time.

    python -m bench generate --rows 10M         # bench/data/10M/events.{csv,ndjson,parquet}
    python -m bench generate --rows 50M --formats csv

The traffic is a four-week export of a reseller platform: many reseller accounts, each one of the
personas of nuvias-order-api.md section 8.3 (the same ones as sample_logs/generate.py), so every
policy rule has offenders, near misses and plenty of healthy traffic to look through. The number
of accounts grows with N; the export stops at exactly N rows.

Per 20 accounts: 8 busy and 5 quiet healthy resellers, 3 mixed ones (healthy with one slip a week
and near misses of every rule), and one of each offender: a checkInventory poller (NUV-001), a
ghost-order poller and an unlisted-SKU checker (NUV-002), and a duplicate-PO loop (NUV-003).
Healthy accounts see a weekly NetSuite maintenance window and retry 5 minutes apart.

No account makes two calls in the same millisecond (a later one is moved on by 1 ms), so the order
of one client's calls never depends on file order; bench/reference.sql relies on that.

Memory stays bounded: each day is generated with numpy, written to every format, and dropped; only
calls that fall on a later day (status checks of an order submitted late) are carried over.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from bench.columns import COLUMNS, FORMATS, TIMESTAMP_FORMAT

SEED = 20261102
START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
TARGET_DAYS = 28
ROWS_PER_ACCOUNT_DAY = 485  # measured average over the persona cycle; sizes the population
TIMESTAMP = pl.Datetime("ms", "UTC")
DATA = Path(__file__).resolve().parent / "data"

SECOND, MINUTE, HOUR, DAY = 1_000, 60_000, 3_600_000, 86_400_000
START_MS = int(START.timestamp() * 1000)
MAINTENANCE = (2 * DAY + 2 * HOUR, 2 * DAY + 2 * HOUR + 30 * MINUTE)  # Wednesday, within a week
RETRY_AFTER = 5 * MINUTE
_HOURS = np.array([1] * 7 + [6] * 11 + [2] * 6, dtype=float)  # UK business hours are busiest
HOUR_WEIGHTS = _HOURS / _HOURS.sum()

HEALTH_SKU = "2200-46162-025"
POLLED_SKU = "2200-48820-025"
PRICE_BOOK = [f"2200-{46000 + i * 37:05d}-{(i * 7) % 90 + 10:03d}" for i in range(160)] + [
    "UD-SIP-SER-PRV-PH", "UD-SIP-LIC-STD", "UD-SIP-LIC-PRO",
]
UNLISTED = ["2200-99001-010", "2200-99002-010", "3300-10001-001", "VVX-411-OLD", "2200-12345-000"]

_EVENT = {"ts": pl.Int64, "client": pl.Int32, "operation": pl.String, "http_status": pl.Int32,
          "error_code": pl.String, "error_message": pl.String, "part_number": pl.String,
          "order_id": pl.String, "purchase_order_id": pl.String, "retryable": pl.Boolean}


@dataclass(frozen=True)
class Persona:
    name: str
    orders_per_day: int
    price_book: int  # how many SKUs of the price book it orders from
    health_check: tuple[int, int] | None  # seconds between health checks (low, high)
    # What the persona does besides healthy traffic: (day, its accounts, accepted orders).
    misbehave: Callable[[Day, np.ndarray, pl.DataFrame], None] | None = None


@dataclass
class Population:
    """The accounts and what each carries over from one day to the next."""

    names: list[str]
    persona: np.ndarray  # index into PERSONAS per account
    next_check: np.ndarray  # the next health check or poll, ms
    next_round: np.ndarray  # the next round of the unlisted-SKU sync, ms
    order_seq: np.ndarray  # the last order number the provider gave the account
    ghosts: list[list[str]]  # order ids a ghost poller asks about


@dataclass
class Day:
    rng: np.random.Generator
    index: int
    start: int  # ms since the epoch
    population: Population
    blocks: list[pl.DataFrame] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.start + DAY

    @property
    def weekend(self) -> bool:
        return self.index % 7 >= 5

    def mmdd(self) -> str:
        return (START + timedelta(days=self.index)).strftime("%m%d")


# --- building blocks ------------------------------------------------------------------------

def _jitter(rng: np.random.Generator, shape, seconds: float | tuple[float, float]) -> np.ndarray:
    """Steps of `seconds` (or uniform between two bounds) plus up to a second of jitter, in ms."""
    low, high = seconds if isinstance(seconds, tuple) else (seconds, seconds)
    steps = np.round(rng.uniform(low, high, shape) * 1000).astype(np.int64)
    return steps + rng.integers(0, 1000, shape)


def _calls(ts, client, operation, *, status=200, code=None, message=None, part=None, order=None,
           po=None, retryable=False) -> pl.DataFrame:
    """A block of calls; scalars are broadcast, message may be an expression over the block."""
    frame = pl.DataFrame({"ts": np.asarray(ts, dtype=np.int64),
                          "client": np.asarray(client, dtype=np.int32)})
    values = {"operation": operation, "http_status": status, "error_code": code,
              "part_number": part, "order_id": order, "purchase_order_id": po,
              "retryable": retryable}
    frame = frame.with_columns(
        [_column(name, value).alias(name) for name, value in values.items()])
    message = message if isinstance(message, pl.Expr) else pl.lit(message, dtype=pl.String)
    return frame.with_columns(error_message=message).select(
        [pl.col(name).cast(dtype) for name, dtype in _EVENT.items()])


def _column(name: str, value) -> pl.Expr:
    if isinstance(value, pl.Expr):
        return value
    if isinstance(value, np.ndarray | pl.Series | list):
        return pl.lit(pl.Series(name, value, dtype=_EVENT[name]))
    return pl.lit(value, dtype=_EVENT[name])


def _cadence(rng, start: np.ndarray, end: int, seconds: tuple[float, float]):
    """Calls from start[i], each `seconds` after the one before, until `end`: (account positions,
    times, the first time at or after `end` for each account)."""
    steps_needed = int(DAY / (seconds[0] * 1000)) + 2
    steps = _jitter(rng, (len(start), steps_needed), seconds)
    times = start[:, None] + np.cumsum(steps, axis=1) - steps[:, :1]
    inside = times < end
    following = times[np.arange(len(start)), inside.sum(axis=1)]
    positions, _ = np.nonzero(inside)
    return positions, times[inside], following


def _in_business_hours(rng, day: Day, size: int) -> np.ndarray:
    hours = rng.choice(24, size=size, p=HOUR_WEIGHTS)
    return day.start + hours * HOUR + rng.integers(0, HOUR, size)


def _sku(names: list[str], index: np.ndarray) -> pl.Series:
    return pl.Series(names).gather(index)


def _per_account(counts: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each account's run of `counts` items."""
    return np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)


def _running_sum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The cumulative sum of `values` within each account's run of `counts` items."""
    total = np.concatenate([[0], np.cumsum(values)])
    return total[1:] - np.repeat(total[np.cumsum(counts) - counts], counts)


# --- healthy traffic ------------------------------------------------------------------------

def health_checks(day: Day, accounts: np.ndarray, seconds: tuple[int, int],
                  parts: tuple[str, ...] = (HEALTH_SKU,)) -> None:
    """checkInventory every `seconds`; with several parts, one per minute of the clock in turn."""
    population = day.population
    positions, times, following = _cadence(day.rng, population.next_check[accounts], day.end,
                                           seconds)
    population.next_check[accounts] = following
    part = np.asarray(parts, dtype=object)[(times // 60_000) % len(parts)]
    day.blocks.append(_calls(times, accounts[positions], "checkInventory", part=part,
                             retryable=True))


def order_flow(day: Day, accounts: np.ndarray, persona: Persona) -> pl.DataFrame:
    """Stock checks, submitOrder, then status checks every hour or two; returns the accepted
    submissions (ts, client, order_id, purchase_order_id)."""
    scale = 0.25 if day.weekend else 1.0
    counts = day.rng.poisson(persona.orders_per_day * scale, len(accounts))
    client = np.repeat(accounts, counts)
    submit_at, part = _stock_checks(day, client, persona)
    accepted = _submissions(day, client, counts, submit_at, part)
    _status_checks(day, accepted["ts"].to_numpy(), client, accepted["order_id"])
    return accepted


def _stock_checks(day: Day, client: np.ndarray, persona: Persona) -> tuple[np.ndarray, pl.Series]:
    """Stock checks of 1-3 different SKUs a few seconds apart before each order: (when the
    order is submitted, the SKU it orders)."""
    rng, n = day.rng, len(client)
    at = _in_business_hours(rng, day, n)
    skus = rng.choice([1, 1, 2, 3], n)
    first = rng.integers(0, persona.price_book, n)
    stride = rng.integers(1, max(2, persona.price_book // 3), n)
    gaps = _jitter(rng, (n, 3), (2, 20))
    check_at = at[:, None] + np.cumsum(gaps, axis=1) - gaps[:, :1]
    which = np.arange(3)[None, :] < skus[:, None]
    sku = (first[:, None] + stride[:, None] * np.arange(3)[None, :]) % persona.price_book
    row, _ = np.nonzero(which)
    day.blocks.append(_calls(check_at[which], client[row], "checkInventory",
                             part=_sku(PRICE_BOOK, sku[which]), retryable=True))
    return check_at[np.arange(n), skus - 1] + gaps[:, 2], _sku(PRICE_BOOK, first)


def _submissions(day: Day, client: np.ndarray, counts: np.ndarray, submit_at: np.ndarray,
                 part: pl.Series) -> pl.DataFrame:
    """submitOrder under a new PO each; now and then a past shipping date, refused with 100,
    fixed and resubmitted under a new PO. Returns the accepted submissions."""
    rng, n, population = day.rng, len(client), day.population
    prefix = pl.Series([f"R{a:05d}-{day.mmdd()}-" for a in range(len(population.names))])
    po = prefix.gather(client) + pl.Series(_per_account(counts)).cast(pl.String).str.zfill(4)
    refused = rng.random(n) < 0.02
    day.blocks.append(_calls(submit_at[refused], client[refused], "submitOrder", status=500,
                             code="100", message="Shipping Date must be in the Future",
                             part=part.filter(refused), po=po.filter(refused)))
    submit_at = submit_at + refused * _jitter(rng, n, (60, 600))
    po = pl.select(pl.when(pl.Series(refused)).then(po + "-R").otherwise(po)).to_series()
    # The provider numbers orders in sequence; an account sees every few numbers.
    numbers = population.order_seq[client] + _running_sum(rng.integers(1, 10, n), counts)
    np.maximum.at(population.order_seq, client, numbers)
    accepted = _calls(submit_at, client, "submitOrder", part=part,
                      order="SO" + pl.Series(numbers).cast(pl.String), po=po, retryable=True)
    day.blocks.append(accepted)
    return accepted


def _status_checks(day: Day, submitted: np.ndarray, client: np.ndarray, order: pl.Series) -> None:
    rng, n = day.rng, len(client)
    polls = rng.integers(3, 9, n)
    steps = np.round(rng.uniform(60, 180, (n, 8)) * MINUTE).astype(np.int64)
    steps[:, 0] = np.round(rng.uniform(30, 90, n) * MINUTE)
    times = submitted[:, None] + np.cumsum(steps, axis=1)
    which = np.arange(8)[None, :] < polls[:, None]
    row, _ = np.nonzero(which)
    day.blocks.append(_calls(times[which], client[row], "orderStatus", order=order.gather(row),
                             retryable=True))
    # Now and then a change after the last check, or a cancellation soon after the order.
    modified = rng.random(n) < 0.2
    last = times[np.arange(n), polls - 1] + np.round(rng.uniform(60, 180, n) * MINUTE).astype(int)
    day.blocks.append(_calls(last[modified], client[modified], "modifyOrder",
                             order=order.filter(modified), retryable=True))
    cancelled = rng.random(n) < 0.03
    soon = submitted + np.round(rng.uniform(5, 25, n) * MINUTE).astype(np.int64)
    day.blocks.append(_calls(soon[cancelled], client[cancelled], "cancel",
                             order=order.filter(cancelled), retryable=True))


def _one_not_found(day: Day, accounts: np.ndarray, at: np.ndarray, order_ids: list[str]) -> None:
    day.blocks.append(_calls(at, accounts, "orderStatus", status=500, code="100",
                             message=pl.format("Order {} not found", pl.col("order_id")),
                             order=order_ids))


# --- the personas' misbehaviour --------------------------------------------------------------
# Each takes the day, the persona's accounts (in account order) and that day's accepted orders.

def busy_slip(day: Day, accounts: np.ndarray, accepted: pl.DataFrame) -> None:
    """About once a week a mistyped order id, looked up once: a slip, not a pattern."""
    slipped = accounts[day.rng.random(len(accounts)) < 1 / 7]
    at = _in_business_hours(day.rng, day, len(slipped))
    _one_not_found(day, slipped, at, [f"SO5{day.index:03d}" for _ in slipped])


def mixed(day: Day, accounts: np.ndarray, accepted: pl.DataFrame) -> None:
    """Healthy, with near misses of every rule each day and one real slip a week."""
    rng, n = day.rng, len(accounts)
    # One SKU checked three times five minutes apart: two short gaps, not a polling run.
    start = day.start + 14 * HOUR + rng.integers(0, HOUR, n)
    times = start[:, None] + np.cumsum(_jitter(rng, (n, 3), 300), axis=1)
    day.blocks.append(_calls(times.ravel(), np.repeat(accounts, 3), "checkInventory",
                             part=PRICE_BOOK[7]))
    # A mistyped order id asked for twice in a day (a new one each day): below the repeat count.
    for hour in (9, 16):
        at = day.start + hour * HOUR + rng.integers(0, MINUTE, n)
        _one_not_found(day, accounts, at, [f"SO5{day.index:03d}O" for _ in accounts])
    _resubmitted_once(day, accounts[np.arange(n) % 7 == day.index % 7], accepted)


def _resubmitted_once(day: Day, accounts: np.ndarray, accepted: pl.DataFrame) -> None:
    """A timeout on submitOrder, then the same PO again 95 s later, refused with 101 (NUV-003,
    a warning): one of the day's orders, on a different weekday for each account."""
    middle = (accepted.filter(pl.col("client").is_in(accounts.tolist()))
              .group_by("client", maintain_order=True).agg(pl.all().get(pl.len() // 2)))
    po = pl.col("purchase_order_id")
    day.blocks.append(_calls(
        middle["ts"] + 95 * SECOND, middle["client"], "submitOrder", status=500, code="101",
        po=middle["purchase_order_id"],
        message=pl.format("PurchaseOrderID is not unique: A search for PurchaseOrderID {} has "
                          "returned 1 record(s)", po)))


def poller(day: Day, accounts: np.ndarray, accepted: pl.DataFrame) -> None:
    """Persona A: checkInventory every 60 s, day and night, on the health-check SKU and a
    second SKU in turn: each polled every 2 minutes, and a checking loop over the two (both of
    NUV-001's checks)."""
    health_checks(day, accounts, (60, 60), (HEALTH_SKU, POLLED_SKU))


def ghost_poller(day: Day, accounts: np.ndarray, accepted: pl.DataFrame) -> None:
    """Persona B: on weekdays 07:00-19:00 a sync job asks every 10 minutes about six order ids
    that never existed (typos, ids from the test environment)."""
    if day.weekend:
        return
    rng, n = day.rng, len(accounts)
    rounds = 12 * 6
    round_gap = _jitter(rng, (n, rounds), 600) + 6 * 2 * SECOND
    round_at = day.start + 7 * HOUR + np.cumsum(round_gap, axis=1) - round_gap[:, :1]
    item_gap = _jitter(rng, (n, rounds, 6), 2)
    times = round_at[:, :, None] + np.cumsum(item_gap, axis=2) - item_gap[:, :, :1]
    keep = np.broadcast_to(round_at[:, :, None] < day.start + 19 * HOUR, times.shape)
    account, _, item = np.nonzero(keep)
    ghosts = [day.population.ghosts[a][i] for a, i in zip(accounts[account], item, strict=True)]
    _one_not_found(day, accounts[account], times[keep], ghosts)


def unlisted_checker(day: Day, accounts: np.ndarray, accepted: pl.DataFrame) -> None:
    """Persona C: an hourly catalogue sync that checks five SKUs outside its price book."""
    population = day.population
    positions, round_at, following = _cadence(day.rng, population.next_round[accounts], day.end,
                                              (3600 + 5, 3600 + 6))
    population.next_round[accounts] = following
    item_gap = _jitter(day.rng, (len(round_at), 5), 1)
    times = round_at[:, None] + np.cumsum(item_gap, axis=1) - item_gap[:, :1]
    day.blocks.append(_calls(times.ravel(), np.repeat(accounts[positions], 5), "checkInventory",
                             status=500, code="100", part=UNLISTED * len(round_at),
                             message=pl.format("Item {} not found in your price book",
                                               pl.col("part_number"))))


def duplicate_loop(day: Day, accounts: np.ndarray, accepted: pl.DataFrame) -> None:
    """Persona D: on weekdays, a submitOrder that timed out is retried every 30-60 s with the
    same PO, 20-40 times, each refused with 101."""
    if day.weekend:
        return
    rng, n = day.rng, len(accounts)
    start = day.start + rng.integers(9, 17, n) * HOUR + rng.integers(0, HOUR, n)
    po = [f"R{a:05d}-LOOP-{day.mmdd()}" for a in accounts]
    number = day.population.order_seq[accounts] + 1
    day.population.order_seq[accounts] = number
    day.blocks.append(_calls(start, accounts, "submitOrder", part=PRICE_BOOK[3], po=po,
                             order=[f"SO{x}" for x in number]))
    repeats = rng.integers(20, 41, n)
    gaps = _jitter(rng, (n, 40), (30, 60))
    times = start[:, None] + np.cumsum(gaps, axis=1)
    which = np.arange(40)[None, :] < repeats[:, None]
    row, _ = np.nonzero(which)
    day.blocks.append(_calls(
        times[which], accounts[row], "submitOrder", status=500, code="101", part=PRICE_BOOK[3],
        po=pl.Series(po).gather(row),
        message=pl.format("PurchaseOrderID is not unique: A search for PurchaseOrderID {} has "
                          "returned 1 record(s)", pl.col("purchase_order_id"))))


# --- the population and a day of traffic ----------------------------------------------------

PERSONAS = (
    Persona("busy", 100, 160, (15 * 60 + 5, 20 * 60), busy_slip),
    Persona("quiet", 6, 40, (20 * 60, 30 * 60)),
    Persona("mixed", 30, 80, (15 * 60 + 1, 17 * 60), mixed),
    Persona("poller", 10, 60, None, poller),
    Persona("ghost", 8, 60, None, ghost_poller),
    Persona("unlisted", 10, 100, (30 * 60, 60 * 60), unlisted_checker),
    Persona("dupes", 12, 80, None, duplicate_loop),
)
PERSONA_INDEX = {p.name: i for i, p in enumerate(PERSONAS)}
# Every persona within the first seven accounts, so even a small export has each of them.
CYCLE = ("busy", "quiet", "mixed", "poller", "ghost", "unlisted", "dupes", "busy", "busy",
         "quiet", "busy", "mixed", "busy", "quiet", "busy", "busy", "quiet", "mixed", "busy",
         "quiet")


def population(rng: np.random.Generator, rows: int) -> Population:
    accounts = max(len(CYCLE), -(-rows // (TARGET_DAYS * ROWS_PER_ACCOUNT_DAY)))
    persona = np.array([PERSONA_INDEX[CYCLE[i % len(CYCLE)]] for i in range(accounts)])
    names = [f"reseller-{i:05d}-{PERSONAS[p].name}" for i, p in enumerate(persona)]
    ghosts = [[f"SO{rng.integers(1000, 9999)}", f"SO{rng.integers(1_000_000, 9_999_999)}",
               f"SO5{rng.integers(10, 99)}O{rng.integers(10, 99)}",
               f"SO{rng.integers(900_000, 999_999)}", f"SO00{rng.integers(100, 999)}",
               f"SO{rng.integers(10_000, 99_999)}"] for _ in range(accounts)]
    return Population(
        names=names, persona=persona,
        next_check=START_MS + rng.integers(0, 10 * MINUTE, accounts),
        next_round=START_MS + 3 * MINUTE + rng.integers(0, MINUTE, accounts),
        order_seq=rng.integers(10_000, 60_000, accounts), ghosts=ghosts)


def traffic_of_day(day: Day) -> pl.DataFrame:
    for index, persona in enumerate(PERSONAS):
        accounts = np.flatnonzero(day.population.persona == index)
        if not len(accounts):
            continue
        if persona.health_check:
            health_checks(day, accounts, persona.health_check)
        accepted = order_flow(day, accounts, persona)
        if persona.misbehave:
            persona.misbehave(day, accounts, accepted)
    return _with_maintenance(day, pl.concat(day.blocks))


def _with_maintenance(day: Day, calls: pl.DataFrame) -> pl.DataFrame:
    """Calls made inside the week's maintenance window fail with 300 and are retried every five
    minutes until the window is over, as the provider asks."""
    week = day.index // 7 * 7 * DAY + START_MS
    begin, end = week + MAINTENANCE[0], week + MAINTENANCE[1]
    inside = pl.col("retryable") & pl.col("ts").is_between(begin, end, closed="left")
    hit = calls.filter(inside)
    if hit.is_empty():
        return calls
    failures, fail_rows, finals = [], [], []
    for row, at in enumerate(hit["ts"].to_list()):
        while at < end:
            failures.append(at)
            fail_rows.append(row)
            at += RETRY_AFTER + int(day.rng.integers(0, 1000))
        finals.append(at)
    failed = hit.gather(fail_rows).with_columns(
        ts=pl.Series(failures, dtype=pl.Int64), http_status=pl.lit(500, pl.Int32),
        error_code=pl.lit("300"),
        error_message=pl.lit("Downstream system unavailable: NetSuite maintenance"))
    succeeded = hit.with_columns(ts=pl.Series(finals, dtype=pl.Int64))
    return pl.concat([calls.filter(~inside), failed, succeeded])


def _unique_per_account(calls: pl.DataFrame) -> pl.DataFrame:
    """Move a call on by 1 ms while it shares a millisecond with an earlier call of its account:
    t'[i] = i + running max of (t[j] - j), per account, keeps the order and makes times strictly
    increasing."""
    calls = calls.sort("client", "ts", maintain_order=True)
    position = pl.int_range(pl.len()).over("client")
    return calls.with_columns(
        ts=(pl.col("ts") - position).cum_max().over("client") + position)


def finished(day: Day, calls: pl.DataFrame) -> pl.DataFrame:
    """The day's calls as written: text timestamps, latency, request ids, in time order."""
    rng, n = day.rng, calls.height
    base = np.where(calls["operation"].to_numpy() == "submitOrder", 2500.0, 600.0)
    latency = np.round(rng.lognormal(0.0, 0.5, n) * base, 1)
    request = np.frombuffer(rng.integers(0, 2**63, n, dtype=np.int64).astype(">i8").tobytes()
                            .hex().encode(), dtype="S16")
    names = pl.Series(day.population.names)
    return calls.with_columns(
        timestamp=pl.from_epoch("ts", "ms").dt.replace_time_zone("UTC").cast(TIMESTAMP),
        client_id=names.gather(calls["client"]),
        environment=pl.lit("live"),
        latency_ms=pl.Series(latency),
        request_id=pl.Series(request).cast(pl.String),
    ).sort("ts", "client_id", "request_id").select(list(COLUMNS))


def days(rows: int, seed: int = SEED) -> Iterator[pl.DataFrame]:
    """Each day's calls in time order; a call made after its day ends is carried to the next."""
    rng = np.random.default_rng(seed)
    people = population(rng, rows)
    carried = pl.DataFrame(schema=_EVENT)
    for index in itertools.count():
        day = Day(rng, index, START_MS + index * DAY, people)
        calls = _unique_per_account(pl.concat([carried, traffic_of_day(day)]))
        carried = calls.filter(pl.col("ts") >= day.end)
        yield finished(day, calls.filter(pl.col("ts") < day.end))


# --- writing --------------------------------------------------------------------------------

def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV and NDJSON carry ISO-8601 timestamps in UTC with milliseconds, as gateways write them."""
    return frame.with_columns(pl.col("timestamp").dt.strftime(TIMESTAMP_FORMAT))


@dataclass(frozen=True)
class Dataset:
    directory: Path
    rows: int

    def path(self, fmt: str) -> Path:
        return self.directory / f"events.{fmt}"

    @property
    def manifest(self) -> Path:
        return self.directory / "manifest.json"

    def expected_manifest(self, seed: int) -> dict:
        return {"rows": self.rows, "seed": seed, "generator": generator_digest()}

    def has(self, formats: tuple[str, ...], seed: int = SEED) -> bool:
        """Whether the data on disk is what this generator writes for these rows and seed."""
        try:
            written = json.loads(self.manifest.read_text())
        except (OSError, ValueError):
            return False
        expected = self.expected_manifest(seed)
        return (all(written.get(k) == v for k, v in expected.items())
                and set(formats) <= set(written.get("formats", ()))
                and all(self.path(f).exists() for f in formats))


def generator_digest() -> str:
    """Changes whenever the generator or the columns it writes change."""
    digest = hashlib.sha256()
    for source in (Path(__file__), Path(__file__).with_name("columns.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def generate(rows: int, directory: Path, formats: tuple[str, ...] = FORMATS,
             seed: int = SEED) -> Dataset:
    """Write exactly `rows` calls in each format; the manifest is written last, so an
    interrupted run is regenerated next time."""
    dataset = Dataset(directory, rows)
    directory.mkdir(parents=True, exist_ok=True)
    dataset.manifest.unlink(missing_ok=True)
    parts = directory / ".parquet-parts"
    shutil.rmtree(parts, ignore_errors=True)
    handles = {f: dataset.path(f).open("wb") for f in formats if f != "parquet"}
    written = 0
    try:
        for number, frame in enumerate(days(rows, seed)):
            frame = frame.head(rows - written)
            _write(frame, handles, parts, number, first=written == 0, parquet="parquet" in formats)
            written += frame.height
            if written == rows:
                break
    finally:
        for handle in handles.values():
            handle.close()
    if "parquet" in formats:
        pl.scan_parquet(sorted(parts.glob("*.parquet"))).sink_parquet(dataset.path("parquet"))
        shutil.rmtree(parts)
    manifest = {**dataset.expected_manifest(seed), "formats": list(formats),
                "bytes": {f: dataset.path(f).stat().st_size for f in formats}}
    dataset.manifest.write_text(json.dumps(manifest, indent=2) + "\n")
    return dataset


def _write(frame: pl.DataFrame, handles: dict, parts: Path, number: int, first: bool,
           parquet: bool) -> None:
    text = as_text(frame)
    if "csv" in handles:
        text.write_csv(handles["csv"], include_header=first)
    if "ndjson" in handles:
        text.write_ndjson(handles["ndjson"])
    if parquet:
        parts.mkdir(exist_ok=True)
        frame.write_parquet(parts / f"{number:05d}.parquet")
