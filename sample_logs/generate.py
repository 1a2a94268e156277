"""Generate sample_logs/: one week of Order API traffic from a reseller platform, seeded.

    python sample_logs/generate.py            # rewrites sample_logs/*.ndjson.gz

Each client is a persona from nuvias-order-api.md section 8.3; the offenders show one
anti-pattern each so the report (and the tests) can say exactly which rule should fire:

    acme-busy         healthy, busy: pre-order stock checks across a large price book,
                      orders, status polling of open orders, a health check every 15-20 min
    bluefin-quiet     healthy, quiet: a handful of orders a day, health check every 20-30 min
    corvid-mixed      healthy, with one low-level slip: a PO resubmitted once after it was
                      accepted (NUV-003 warning) and near misses of every rule
    deltaware-poller  persona A: checkInventory on one SKU every 60 s, all week (NUV-001)
    evergreen-ghost   persona B: a job polling order ids that never existed (NUV-002)
    fjord-unlisted    persona C: stock checks of SKUs outside its price book (NUV-002)
    granite-dupes     persona D: submitOrder retried in a loop with the same PO after 101
                      (NUV-003)

All healthy clients also see the week's NetSuite maintenance window (Wednesday 02:00-02:30
UTC) and retry 5 minutes apart, as the provider asks.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 20261116
START = datetime(2026, 11, 16, tzinfo=UTC)  # a Monday
DAYS = 7
OUT = Path(__file__).resolve().parent
MAINTENANCE = (START + timedelta(days=2, hours=2), START + timedelta(days=2, hours=2, minutes=30))

HEALTH_SKU = "2200-46162-025"
PRICE_BOOK = [f"2200-{46000 + i * 37:05d}-{(i * 7) % 90 + 10:03d}" for i in range(160)] + [
    "UD-SIP-SER-PRV-PH", "UD-SIP-LIC-STD", "UD-SIP-LIC-PRO",
]
UNLISTED = ["2200-99001-010", "2200-99002-010", "3300-10001-001", "VVX-411-OLD", "2200-12345-000"]
GHOST_ORDERS = ["SO5231", "SO4960", "SO52O15", "SO00017", "SO777", "SO1234567"]


@dataclass
class Log:
    rng: random.Random
    rows: list[dict] = field(default_factory=list)
    order_seq: int = 52_000

    def call(self, at: datetime, client: str, operation: str, **fields) -> dict:
        status = fields.pop("http_status", 200)
        latency = fields.pop("latency_ms", None)
        if latency is None:
            base = 2500 if operation == "submitOrder" else 600
            latency = round(self.rng.lognormvariate(0, 0.5) * base, 1)
        row = {
            "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
            "client_id": client,
            "environment": "live",
            "operation": operation,
            "http_status": status,
            "latency_ms": latency,
            "request_id": f"{self.rng.getrandbits(64):016x}",
        }
        row.update({k: v for k, v in fields.items() if v is not None})
        self.rows.append(row)
        return row

    def new_order_id(self) -> str:
        self.order_seq += self.rng.randint(1, 9)
        return f"SO{self.order_seq}"


def in_maintenance(at: datetime) -> bool:
    return MAINTENANCE[0] <= at < MAINTENANCE[1]


def jitter(rng: random.Random, seconds: float) -> timedelta:
    return timedelta(seconds=seconds, milliseconds=rng.randint(0, 999))


def business_moments(rng: random.Random, day: datetime, per_day: int) -> list[datetime]:
    """Call times weighted to UK business hours, lighter at night and at weekends."""
    weekend = day.weekday() >= 5
    count = max(1, int(per_day * (0.25 if weekend else 1.0)))
    moments = []
    for _ in range(count):
        hour = rng.choices(range(24), weights=[1] * 7 + [6] * 11 + [2] * 6)[0]
        moments.append(day + timedelta(hours=hour, seconds=rng.uniform(0, 3600)))
    return sorted(moments)


def with_retries(log: Log, at: datetime, client: str, operation: str, **fields) -> datetime:
    """A call that, inside the maintenance window, fails with 300 and is retried every 5 min."""
    while in_maintenance(at):
        log.call(at, client, operation, http_status=500, error_code="300",
                 error_message="Downstream system unavailable: NetSuite maintenance", **fields)
        at += jitter(log.rng, 300)
    log.call(at, client, operation, **fields)
    return at


def health_checks(log: Log, client: str, low: int, high: int) -> None:
    at = START + timedelta(seconds=log.rng.uniform(0, 600))
    while at < START + timedelta(days=DAYS):
        with_retries(log, at, client, "checkInventory", part_number=HEALTH_SKU)
        at += jitter(log.rng, log.rng.uniform(low, high))


def order_flow(log: Log, client: str, per_day: int, prefix: str, sku_count: int) -> list[tuple]:
    """Pre-order stock checks, submitOrder, then status checks of the order every hour or two
    until it is billed. Returns (time, order_id, po) of accepted orders."""
    rng = log.rng
    accepted = []
    for day_index in range(DAYS):
        day = START + timedelta(days=day_index)
        for n, at in enumerate(business_moments(rng, day, per_day)):
            skus = rng.sample(PRICE_BOOK[:sku_count], rng.choice([1, 1, 2, 3]))
            for sku in skus:
                at = with_retries(log, at, client, "checkInventory", part_number=sku)
                at += jitter(rng, rng.uniform(2, 20))
            po = f"{prefix}-{day:%m%d}-{n:04d}"
            if rng.random() < 0.02:  # a past shipping date: fixed, then resubmitted
                log.call(at, client, "submitOrder", http_status=500, error_code="100",
                         error_message="Shipping Date must be in the Future",
                         purchase_order_id=po, part_number=skus[0])
                po = po + "-R"
                at += jitter(rng, rng.uniform(60, 600))
            order_id = log.new_order_id()
            at = with_retries(log, at, client, "submitOrder", purchase_order_id=po,
                              part_number=skus[0], order_id=order_id)
            accepted.append((at, order_id, po))
            status_polls(log, client, at, order_id)
    return accepted


def status_polls(log: Log, client: str, submitted: datetime, order_id: str) -> None:
    rng = log.rng
    at = submitted + timedelta(minutes=rng.uniform(30, 90))
    for _ in range(rng.randint(2, 6)):
        if at >= START + timedelta(days=DAYS):
            return
        at = with_retries(log, at, client, "orderStatus", order_id=order_id)
        at += timedelta(minutes=rng.uniform(60, 180))
    if rng.random() < 0.03:
        log.call(at, client, "modifyOrder", order_id=order_id)


def acme_busy(log: Log) -> None:
    health_checks(log, "acme-busy", 15 * 60 + 5, 20 * 60)
    order_flow(log, "acme-busy", 60, "ACME", 160)
    # One mistyped order id, looked up once: a slip, not a pattern.
    log.call(START + timedelta(days=1, hours=10, minutes=12), "acme-busy", "orderStatus",
             order_id="SO5215", http_status=500, error_code="100",
             error_message="Order SO5215 not found")


def bluefin_quiet(log: Log) -> None:
    health_checks(log, "bluefin-quiet", 20 * 60, 30 * 60)
    order_flow(log, "bluefin-quiet", 6, "BLF", 40)


def corvid_mixed(log: Log) -> None:
    rng = log.rng
    health_checks(log, "corvid-mixed", 15 * 60 + 1, 17 * 60)
    accepted = order_flow(log, "corvid-mixed", 20, "CORVID", 80)
    # The slip: a timeout on submitOrder, then the same PO again -> 101 (NUV-003, warning).
    at, order_id, po = accepted[len(accepted) // 2]
    log.call(at + timedelta(seconds=95), "corvid-mixed", "submitOrder", purchase_order_id=po,
             http_status=500, error_code="101",
             error_message=f"PurchaseOrderID is not unique: A search for PurchaseOrderID {po} "
                           f"has returned 1 record(s)")
    # Near miss of NUV-001: one SKU checked three times in ten minutes (two short gaps).
    at = START + timedelta(days=3, hours=14)
    for _ in range(3):
        log.call(at, "corvid-mixed", "checkInventory", part_number=PRICE_BOOK[7])
        at += jitter(rng, 300)
    # Near miss of NUV-002: a mistyped order id asked for twice in a day.
    for hours in (9, 16):
        log.call(START + timedelta(days=4, hours=hours), "corvid-mixed", "orderStatus",
                 order_id="SO5201", http_status=500, error_code="100",
                 error_message="Order SO5201 not found")


def deltaware_poller(log: Log) -> None:
    at = START + timedelta(seconds=17)
    while at < START + timedelta(days=DAYS):
        with_retries(log, at, "deltaware-poller", "checkInventory", part_number=HEALTH_SKU)
        at += jitter(log.rng, 60)


def evergreen_ghost(log: Log) -> None:
    order_flow(log, "evergreen-ghost", 8, "EVG", 60)
    for day_index in range(5):  # the sync job runs on weekdays, 07:00-19:00
        at = START + timedelta(days=day_index, hours=7)
        while at < START + timedelta(days=day_index, hours=19):
            for order_id in GHOST_ORDERS:
                log.call(at, "evergreen-ghost", "orderStatus", order_id=order_id,
                         http_status=500, error_code="100",
                         error_message=f"Order {order_id} not found")
                at += jitter(log.rng, 2)
            at += jitter(log.rng, 10 * 60)


def fjord_unlisted(log: Log) -> None:
    order_flow(log, "fjord-unlisted", 10, "FJORD", 100)
    health_checks(log, "fjord-unlisted", 30 * 60, 60 * 60)
    at = START + timedelta(minutes=3)
    while at < START + timedelta(days=DAYS):  # an hourly catalogue sync with stale SKUs
        for sku in UNLISTED:
            log.call(at, "fjord-unlisted", "checkInventory", part_number=sku, http_status=500,
                     error_code="100", error_message=f"Item {sku} not found in your price book")
            at += jitter(log.rng, 1)
        at += jitter(log.rng, 3600)


def granite_dupes(log: Log) -> None:
    rng = log.rng
    order_flow(log, "granite-dupes", 12, "GRN", 80)
    for day_index, hour in ((0, 11), (2, 15), (4, 10)):
        at = START + timedelta(days=day_index, hours=hour, minutes=rng.randint(0, 59))
        po = f"GRN-LOOP-{day_index}"
        log.call(at, "granite-dupes", "submitOrder", purchase_order_id=po,
                 order_id=log.new_order_id(), part_number=PRICE_BOOK[3])
        for _ in range(rng.randint(20, 40)):
            at += jitter(rng, rng.uniform(30, 60))
            log.call(at, "granite-dupes", "submitOrder", purchase_order_id=po,
                     part_number=PRICE_BOOK[3], http_status=500, error_code="101",
                     error_message=f"PurchaseOrderID is not unique: A search for "
                                   f"PurchaseOrderID {po} has returned 1 record(s)")


PERSONAS = (acme_busy, bluefin_quiet, corvid_mixed, deltaware_poller, evergreen_ghost,
            fjord_unlisted, granite_dupes)


def generate() -> list[dict]:
    log = Log(random.Random(SEED))
    for persona in PERSONAS:
        persona(log)
    return sorted(log.rows, key=lambda r: (r["timestamp"], r["client_id"], r["request_id"]))


def write(rows: list[dict], out: Path = OUT) -> list[Path]:
    for old in out.glob("order-api-*.ndjson.gz"):
        old.unlink()
    paths = []
    for day_index in range(DAYS):
        day = (START + timedelta(days=day_index)).strftime("%Y-%m-%d")
        lines = "".join(json.dumps(r, separators=(",", ":")) + "\n"
                        for r in rows if r["timestamp"].startswith(day))
        path = out / f"order-api-{day}.ndjson.gz"
        # mtime=0 keeps the archive bytes identical on every run.
        with gzip.GzipFile(path, "wb", mtime=0) as handle:
            handle.write(lines.encode("utf-8"))
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write(generate()):
        print(written.relative_to(OUT.parent))
