"""Generate sample_logs/: one week of Order API traffic from a reseller platform, seeded, and
what its operator knows besides the logs (the announced maintenance windows and the agreed
price book) as a trafficlint config.

    python sample_logs/generate.py      # rewrites sample_logs/*.ndjson.gz, trafficlint.yaml
                                        # and price-book.txt
    trafficlint check sample_logs/ --config sample_logs/trafficlint.yaml

Each client is a persona from nuvias-order-api.md section 8.3. The offenders show one
anti-pattern each, with the consequences it has in real traffic (a poller that keeps polling
through an outage also retries too soon), so the report and the tests can say which rules each
persona draws:

    acme-busy           healthy, busy: pre-order stock checks across a large price book, orders,
                        status polling of open orders until they are billed, a health check
                        every 15-20 min
    bluefin-quiet       healthy, quiet: a handful of orders a day, health check every 20-30 min
    corvid-mixed        healthy, with one low-level slip: a PO resubmitted once after it was
                        accepted (NUV-003 warning) and near misses of other rules
    deltaware-poller    A: checkInventory on one SKU every 60 s, all week, outages included
    evergreen-ghost     B: a job polling order ids that never existed
    fjord-unlisted      C: an hourly catalogue sync of SKUs outside its price book
    granite-dupes       D: submitOrder retried in a loop with the same PO after 101
    harbor-impatient    E: every fault retried after 10 s, maintenance windows included
    ironbark-timeout    F: a 30 s client timeout on submitOrder, then the same PO again
    juniper-stateblind  G: order tracking that ignores order status: polls every 5 min, keeps
                        polling billed orders, modifies billed orders, cancels approved ones
    kestrel-testleak    healthy, but one afternoon a test run pointed at live: TEST PO
                        references and a sandbox SKU on the live platform
    lumen-resubmit      an order job that resubmits an order unchanged after a 100 data error
    mica-hub            a Hub REST API client that asks for a new token before every request,
                        and resubmits orders that need nothing, or need a person, on a loop
    nimbus-hub          healthy Hub REST API client: one token an hour, hourly status checks,
                        one resubmit of an order that needed attention, once it was resolved

Every client sees the week's two maintenance windows (NetSuite, Wednesday 02:00-02:30 UTC;
gateway patching, Sunday 22:00-22:30 London time) and, unless it is an offender that does
not, retries 5 minutes apart, as the provider asks.
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
END = START + timedelta(days=DAYS)
OUT = Path(__file__).resolve().parent
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
PATIENT = 300.0  # seconds a well-behaved client waits before retrying a fault

NETSUITE = ("NetSuite maintenance", START + timedelta(days=2, hours=2),
            START + timedelta(days=2, hours=2, minutes=30))
# Weekly, Sundays 22:00-22:30 London time (UTC in November); this week's one falls on the 22nd.
PATCHING = ("Gateway patching", START + timedelta(days=6, hours=22),
            START + timedelta(days=6, hours=22, minutes=30))
MAINTENANCE = (NETSUITE, PATCHING)

HEALTH_SKU = "2200-46162-025"
PRICE_BOOK = [f"2200-{46000 + i * 37:05d}-{(i * 7) % 90 + 10:03d}" for i in range(160)] + [
    "UD-SIP-SER-PRV-PH", "UD-SIP-LIC-STD", "UD-SIP-LIC-PRO",
]
UNLISTED = ["2200-99001-010", "2200-99002-010", "3300-10001-001", "VVX-411-OLD", "2200-12345-000"]
GHOST_ORDERS = ["SO5231", "SO4960", "SO52O15", "SO00017", "SO777", "SO1234567"]

# How an order's status moves with its age (nuvias-order-api.md section 6), in hours.
LIFECYCLE = ((1, "Pending Approval"), (6, "Pending Fulfilment"), (12, "Pending Billing"))
FINAL = "Billed"
MODIFIABLE = ("Pending Approval", "Pending Fulfilment")
HUB_LIFECYCLE = ((2, "PROCESSING"), (6, "ACCEPTED"), (12, "SHIPPED"))
HUB_FINAL = "COMPLETE"
# Operation names as the hub-rest mapping profile gives them.
HUB_TOKEN, HUB_ORDER, HUB_STATUS, HUB_RESUBMIT = (
    "create_token", "POST /orders", "GET /orders/{order_id}", "POST /orders/{order_id}/resubmit")


@dataclass
class Log:
    rng: random.Random
    rows: list[dict] = field(default_factory=list)
    order_seq: int = 52_000
    patience: dict[str, float] = field(default_factory=dict)  # client -> seconds before a retry
    timeouts: dict[str, int] = field(default_factory=dict)  # client -> its timeout, logged

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
        if client in self.timeouts:  # this client's log also records how each call ended
            row["client_timeout_ms"] = self.timeouts[client]
            row["outcome"] = ("timeout" if status is None
                              else "fault" if "error_code" in fields else "success")
        row.update({k: v for k, v in fields.items() if v is not None})
        self.rows.append(row)
        return row

    def new_order_id(self) -> str:
        self.order_seq += self.rng.randint(1, 9)
        return f"SO{self.order_seq}"


def in_maintenance(at: datetime) -> bool:
    return any(start <= at < end for _, start, end in MAINTENANCE)


def jitter(rng: random.Random, seconds: float) -> timedelta:
    return timedelta(seconds=seconds, milliseconds=rng.randint(0, 999))


def order_status(age: timedelta) -> str:
    return next((name for hours, name in LIFECYCLE if age < hours * HOUR), FINAL)


def business_moments(rng: random.Random, day: datetime, per_day: int) -> list[datetime]:
    """Call times weighted to UK business hours, lighter at night and at weekends."""
    weekend = day.weekday() >= 5
    count = max(1, int(per_day * (0.25 if weekend else 1.0)))
    moments = []
    for _ in range(count):
        hour = rng.choices(range(24), weights=[1] * 7 + [6] * 11 + [2] * 6)[0]
        moments.append(day + timedelta(hours=hour, seconds=rng.uniform(0, 3600)))
    return sorted(moments)


def with_retries(log: Log, at: datetime, client: str, operation: str, answer: dict | None = None,
                 **fields) -> datetime:
    """A call that, inside a maintenance window, fails with 300 and is retried after the
    client's patience; `answer` holds fields only a successful response carries."""
    while in_maintenance(at):
        log.call(at, client, operation, http_status=500, error_code="300",
                 error_message="Downstream system unavailable: NetSuite maintenance", **fields)
        at += jitter(log.rng, log.patience.get(client, PATIENT))
    log.call(at, client, operation, **fields, **(answer or {}))
    return at


def health_checks(log: Log, client: str, low: int, high: int) -> None:
    at = START + timedelta(seconds=log.rng.uniform(0, 600))
    while at < END:
        # The next check is timed from the end of this one's retries, so two never overlap.
        at = with_retries(log, at, client, "checkInventory", part_number=HEALTH_SKU)
        at += jitter(log.rng, log.rng.uniform(low, high))


def order_flow(log: Log, client: str, per_day: int, prefix: str, sku_count: int,
               track=None) -> list[tuple]:
    """Pre-order stock checks, submitOrder, then tracking of the order (by default: status
    checks every hour or two until it is billed). Returns (time, order_id, po) of orders."""
    rng = log.rng
    track = track or status_polls
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
            submitted = submit(log, at, client, po, skus[0], order_id)
            if submitted is not None:
                accepted.append((submitted, order_id, po))
                track(log, client, submitted, order_id)
    return accepted


def submit(log: Log, at: datetime, client: str, po: str, sku: str,
           order_id: str) -> datetime | None:
    """submitOrder; None when the client never learnt the order id (it gave up waiting)."""
    timeout = log.timeouts.get(client)
    if timeout is not None and timeout < 180_000 and log.rng.random() < 0.12:
        # NetSuite validation is slow today; the client stops waiting, although the order
        # goes through, and sends it again under the same PO: refused as a duplicate.
        log.call(at, client, "submitOrder", http_status=None, latency_ms=float(timeout),
                 error_message="Read timed out", purchase_order_id=po, part_number=sku)
        again = at + timedelta(milliseconds=timeout) + jitter(log.rng, log.rng.uniform(30, 90))
        log.call(again, client, "submitOrder", http_status=500, error_code="101",
                 error_message=f"PurchaseOrderID is not unique: A search for PurchaseOrderID "
                               f"{po} has returned 1 record(s)", purchase_order_id=po,
                 part_number=sku)
        return None
    return with_retries(log, at, client, "submitOrder", purchase_order_id=po, part_number=sku,
                        answer={"order_id": order_id})


def status_polls(log: Log, client: str, submitted: datetime, order_id: str) -> None:
    """Status checks every hour or two until the order is billed, the way the provider would
    want them; now and then a change while the order still allows one, or a cancel before
    approval."""
    rng = log.rng
    at = submitted + timedelta(minutes=rng.uniform(30, 90))
    for _ in range(rng.randint(2, 6)):
        if at >= END:
            return
        state = order_status(at - submitted)
        at = with_retries(log, at, client, "orderStatus", order_id=order_id,
                          answer={"order_status": state})
        if state == FINAL:
            return
        if state in MODIFIABLE and rng.random() < 0.03:
            log.call(at + 2 * MINUTE, client, "modifyOrder", order_id=order_id,
                     part_number=PRICE_BOOK[5], quantity=float(rng.randint(1, 9)))
        elif state == "Pending Approval" and rng.random() < 0.01:
            log.call(at + 2 * MINUTE, client, "cancel", order_id=order_id)
            return
        at += timedelta(minutes=rng.uniform(60, 180))


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
    client = "corvid-mixed"
    health_checks(log, client, 15 * 60 + 1, 17 * 60)
    accepted = order_flow(log, client, 20, "CORVID", 80)
    # The slip: a timeout on submitOrder, then the same PO again -> 101 (NUV-003, warning).
    at, order_id, po = accepted[len(accepted) // 2]
    log.call(at + timedelta(seconds=95), client, "submitOrder", purchase_order_id=po,
             http_status=500, error_code="101",
             error_message=f"PurchaseOrderID is not unique: A search for PurchaseOrderID {po} "
                           f"has returned 1 record(s)")
    # Near miss of NUV-001: one SKU checked three times in ten minutes (two short gaps).
    at = START + timedelta(days=3, hours=14)
    for _ in range(3):
        log.call(at, client, "checkInventory", part_number=PRICE_BOOK[7])
        at += jitter(rng, 300)
    # Near miss of NUV-002: a mistyped order id asked for twice in a day.
    for hours in (9, 16):
        log.call(START + timedelta(days=4, hours=hours), client, "orderStatus",
                 order_id="SO5201", http_status=500, error_code="100",
                 error_message="Order SO5201 not found")
    # Near misses of NUV-013 and NUV-014: a user refreshing an order page four times in a
    # quarter of an hour, and one more look at an order after it was billed.
    at, order_id, _ = accepted[3]
    for minutes in (20, 25, 30, 35):
        log.call(at + minutes * MINUTE, client, "orderStatus", order_id=order_id,
                 order_status=order_status(minutes * MINUTE))
    for hours in (13, 14):
        log.call(at + hours * HOUR, client, "orderStatus", order_id=order_id,
                 order_status=FINAL)


def deltaware_poller(log: Log) -> None:
    at = START + timedelta(seconds=17)
    while at < END:  # a timer that fires every minute, whatever the last answer was
        if in_maintenance(at):
            log.call(at, "deltaware-poller", "checkInventory", part_number=HEALTH_SKU,
                     http_status=500, error_code="300",
                     error_message="Downstream system unavailable: NetSuite maintenance")
        else:
            log.call(at, "deltaware-poller", "checkInventory", part_number=HEALTH_SKU)
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
    while at < END:  # an hourly catalogue sync with stale SKUs
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


def harbor_impatient(log: Log) -> None:
    log.patience["harbor-impatient"] = 10.0  # any fault is retried after 10 s, until it passes
    health_checks(log, "harbor-impatient", 15 * 60 + 10, 20 * 60)
    order_flow(log, "harbor-impatient", 15, "HRB", 100)


def ironbark_timeout(log: Log) -> None:
    log.timeouts["ironbark-timeout"] = 30_000  # gives up on any answer after 30 s
    health_checks(log, "ironbark-timeout", 20 * 60, 30 * 60)
    order_flow(log, "ironbark-timeout", 14, "IRB", 120)


def blind_tracking(log: Log, client: str, submitted: datetime, order_id: str) -> None:
    """Order tracking that never looks at the status it gets back: every 5 minutes for two
    hours, then every half hour until three hours after billing; a change requested late and
    a cancel after approval, now and then."""
    rng = log.rng
    at = submitted + 5 * MINUTE
    while at < min(END, submitted + 15 * HOUR):
        state = order_status(at - submitted)
        at = with_retries(log, at, client, "orderStatus", order_id=order_id,
                          answer={"order_status": state})
        at += 5 * MINUTE if at - submitted < 2 * HOUR else 30 * MINUTE
    if rng.random() < 0.3 and submitted + 13 * HOUR < END:  # a delivery change, long after billing
        log.call(submitted + 13 * HOUR + jitter(rng, 60), client, "modifyOrder",
                 order_id=order_id, part_number=PRICE_BOOK[9], quantity=2.0, http_status=500,
                 error_code="100",
                 error_message=f"Order {order_id} cannot be changed in its current status")
    elif rng.random() < 0.2:  # the customer cancels; the order was approved hours ago
        log.call(submitted + 3 * HOUR + jitter(rng, 60), client, "cancel", order_id=order_id,
                 http_status=500, error_code="100",
                 error_message=f"Order {order_id} cannot be cancelled once approved")


def juniper_stateblind(log: Log) -> None:
    health_checks(log, "juniper-stateblind", 20 * 60, 25 * 60)
    order_flow(log, "juniper-stateblind", 4, "JNP", 60, track=blind_tracking)


def kestrel_testleak(log: Log) -> None:
    client = "kestrel-testleak"
    health_checks(log, client, 15 * 60 + 30, 18 * 60)
    order_flow(log, client, 10, "KST", 90)
    # Thursday afternoon: the integration tests ran with the live endpoint configured.
    at = START + timedelta(days=3, hours=16, minutes=12)
    log.call(at, client, "checkInventory", part_number="SANDBOX-PHONE-01", http_status=500,
             error_code="100",
             error_message="Item SANDBOX-PHONE-01 is not available to your account")
    for n in (1, 2):
        at += jitter(log.rng, 30)
        log.call(at, client, "submitOrder", purchase_order_id=f"TESTORDER{n:04d}",
                 part_number=HEALTH_SKU, order_id=log.new_order_id())


def lumen_resubmit(log: Log) -> None:
    rng = log.rng
    client = "lumen-resubmit"
    health_checks(log, client, 20 * 60, 28 * 60)
    order_flow(log, client, 10, "LUM", 70)
    # The order queue keeps each request as it was first built, shipping date included; a
    # request that waited too long is refused, and resubmitted unchanged every 2 minutes.
    for day_index in (0, 1, 3, 4):
        at = START + timedelta(days=day_index, hours=rng.randint(9, 16),
                               minutes=rng.randint(0, 59))
        po = f"LUM-{day_index}-STALE"
        for _ in range(4):
            log.call(at, client, "submitOrder", http_status=500, error_code="100",
                     error_message="Shipping Date must be in the Future",
                     purchase_order_id=po, part_number=PRICE_BOOK[11])
            at += jitter(rng, 120)
        # Someone notices, rebuilds the request with a new date, and it goes through.
        at += jitter(rng, rng.uniform(3600, 7200))
        order_id = log.new_order_id()
        log.call(at, client, "submitOrder", purchase_order_id=po, part_number=PRICE_BOOK[11],
                 order_id=order_id)
        status_polls(log, client, at, order_id)


@dataclass
class HubClient:
    """A Hub REST API client: each request needs a token, which it either reuses for an hour
    or asks for anew every time."""

    log: Log
    name: str
    reuses_token: bool
    token_until: datetime = START

    def request(self, at: datetime, operation: str, answer: dict | None = None,
                **fields) -> datetime:
        if not self.reuses_token or at >= self.token_until:
            self.log.call(at, self.name, HUB_TOKEN)
            self.token_until = at + HOUR
            at += jitter(self.log.rng, 1)
        return with_retries(self.log, at, self.name, operation, answer, **fields)


def hub_orders(hub: HubClient, per_day: int, prefix: str, on_attention, on_slow=None) -> None:
    """Hub orders tracked hourly until complete; now and then one needs attention."""
    rng = hub.log.rng
    next_id = 4700 if hub.reuses_token else 8100
    for day_index in range(DAYS):
        day = START + timedelta(days=day_index)
        for n, at in enumerate(business_moments(rng, day, per_day)):
            next_id += 1
            order_id = str(next_id)
            submitted = hub.request(at, HUB_ORDER, answer={"order_id": order_id},
                                    purchase_order_id=f"{prefix}-{day:%m%d}-{n:03d}")
            attention = rng.random() < 0.1
            at = submitted + HOUR
            while at < END:
                age = at - submitted
                state = ("ATTENTION_REQUIRED" if attention else
                         next((name for hours, name in HUB_LIFECYCLE if age < hours * HOUR),
                              HUB_FINAL))
                at = hub.request(at, HUB_STATUS, answer={"order_status": state},
                                 order_id=order_id)
                if state == HUB_FINAL:
                    break
                if attention:
                    at = on_attention(hub, at, order_id)
                    attention, submitted = False, at
                elif state == "PROCESSING" and on_slow is not None:
                    on_slow(hub, at, order_id)
                at += HOUR + jitter(rng, rng.uniform(0, 300))


def resolve_then_resubmit(hub: HubClient, at: datetime, order_id: str) -> datetime:
    # A person talks to the provider; once it is sorted out, one resubmit.
    at += timedelta(hours=hub.log.rng.uniform(2, 4))
    return hub.request(at, HUB_RESUBMIT, order_id=order_id)


def resubmit_loop(hub: HubClient, at: datetime, order_id: str) -> datetime:
    for _ in range(4):  # every 10 minutes, refused each time: nobody resolved anything
        at += 10 * MINUTE
        hub.request(at, HUB_RESUBMIT, order_id=order_id, http_status=409,
                    error_message="Order needs attention: contact Nuvias UC before resubmitting")
    return at


def resubmit_slow(hub: HubClient, at: datetime, order_id: str) -> None:
    # "Still processing after an hour? Push it again."
    hub.request(at + 2 * MINUTE, HUB_RESUBMIT, order_id=order_id, http_status=409,
                error_message="Order is not awaiting attention")


def mica_hub(log: Log) -> None:
    hub_orders(HubClient(log, "mica-hub", reuses_token=False), 5, "MICA", resubmit_loop,
               on_slow=resubmit_slow)


def nimbus_hub(log: Log) -> None:
    hub_orders(HubClient(log, "nimbus-hub", reuses_token=True), 8, "NIMBUS",
               resolve_then_resubmit)


PERSONAS = (acme_busy, bluefin_quiet, corvid_mixed, deltaware_poller, evergreen_ghost,
            fjord_unlisted, granite_dupes, harbor_impatient, ironbark_timeout,
            juniper_stateblind, kestrel_testleak, lumen_resubmit, mica_hub, nimbus_hub)


def generate() -> list[dict]:
    log = Log(random.Random(SEED))
    for persona in PERSONAS:
        persona(log)
    rows = [r for r in log.rows if r["timestamp"] < _iso(END)]
    return sorted(rows, key=lambda r: (r["timestamp"], r["client_id"], r["request_id"]))


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def config_text() -> str:
    """What the sample week's operator knows besides the logs, as trafficlint config."""
    netsuite, patching = NETSUITE, PATCHING
    return "\n".join([
        "# Written by sample_logs/generate.py: what the operator of the sample week knows",
        "# besides the logs. Use it with --config sample_logs/trafficlint.yaml.",
        "maintenance:",
        f"  - name: {netsuite[0]}            # announced by the provider for this week",
        f"    start: {_iso(netsuite[1])[:19]}Z",
        f"    end: {_iso(netsuite[2])[:19]}Z",
        f"  - name: {patching[0]}                # every Sunday evening, London time",
        "    days: [sun]",
        f"    from: \"{patching[1]:%H:%M}\"",
        f"    to: \"{patching[2]:%H:%M}\"",
        "    timezone: Europe/London",
        "known_skus: price-book.txt    # the part numbers agreed with the account manager",
        "live_environments: [live]",
        "",
    ])


def price_book_text() -> str:
    # No commas here: a .txt file in a log directory is sniffed, and must not look like CSV.
    lines = ["# The agreed price book of the sample resellers: one part number per line."]
    return "\n".join([*lines, HEALTH_SKU, *PRICE_BOOK, ""])


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
    for name, text in (("trafficlint.yaml", config_text()), ("price-book.txt", price_book_text())):
        path = out / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write(generate()):
        print(written.relative_to(OUT.parent))
