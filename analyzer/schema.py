"""The canonical event schema: one row per API call. Declared once; loaders, rule validation,
docs and the `schema` CLI output all read this table."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Field:
    name: str
    dtype: type[pl.DataType] | pl.DataType
    required: bool
    doc: str
    aliases: tuple[str, ...] = ()


TIMESTAMP_DTYPE = pl.Datetime("ms", "UTC")

# Aliases are compared after lower-casing and dropping everything but letters and digits, so
# `purchaseOrderID`, `purchase-order-id` and `PURCHASE_ORDER_ID` all match `purchase_order_id`
# without being listed. Only unambiguous, widely used names are built in; the config adds more.
FIELDS: tuple[Field, ...] = (
    Field("timestamp", TIMESTAMP_DTYPE, True,
          "When the call was made. ISO-8601 with an offset or `Z`, or epoch seconds or "
          "milliseconds. Held as UTC with millisecond precision.",
          ("ts", "time", "@timestamp", "datetime", "date_time", "request_time", "start_time")),
    Field("operation", pl.String, True,
          "The API operation: `submitOrder`, `modifyOrder`, `cancel`, `orderStatus`, "
          "`checkInventory` for the Order API.",
          ("op", "action", "soap_action", "soapaction", "method_name", "api_operation")),
    Field("client_id", pl.String, False,
          "The reseller account or API credential the provider escalates against. When the "
          "log has no such column every row belongs to one default client.",
          ("client", "account", "account_id", "reseller", "reseller_id", "api_client", "api_key_id")),
    Field("environment", pl.String, False,
          "`live` or `test` (sandbox).", ("env", "stage")),
    Field("http_status", pl.Int32, False,
          "The HTTP status code of the response.", ("status", "status_code", "response_status")),
    Field("error_code", pl.String, False,
          "The provider's error code, e.g. `101` (parsed from the fault text `101 : ...`).",
          ("fault_code", "errorcode", "error", "code")),
    Field("error_message", pl.String, False,
          "The error or fault text returned by the provider.",
          ("fault_message", "fault_text", "fault_string", "faultstring", "message", "error_text")),
    Field("part_number", pl.String, False,
          "The SKU asked about (checkInventory) or ordered (submitOrder).",
          ("sku", "part", "partnumber", "product_code", "item")),
    Field("order_id", pl.String, False,
          "The provider's order id, `SO` and 5 or 6 digits.", ("order", "orderid", "so_number")),
    Field("purchase_order_id", pl.String, False,
          "The reseller's PO reference sent with submitOrder; must be unique across all orders.",
          ("po", "po_number", "purchase_order", "purchase_order_number", "po_reference")),
    Field("latency_ms", pl.Float64, False,
          "How long the call took, in milliseconds.",
          ("latency", "duration_ms", "elapsed_ms", "response_time_ms")),
    Field("request_id", pl.String, False,
          "An id of the request, when the log has one.", ("requestid", "correlation_id", "trace_id")),
    # HTTP fields, which REST APIs are linted by (the rules API-001.. key on route and path).
    Field("method", pl.String, False,
          "The HTTP method of the request (`GET`, `POST`).",
          ("http_method", "request_method", "verb")),
    Field("route", pl.String, False,
          "The route template the request path matched (`/orders/{order_id}`), from a mapping "
          "profile's routes, ids in the path replaced by `{id}` when no route matches, or the "
          "log's own route column (OpenTelemetry `http.route`).",
          ("http_route", "route_template", "endpoint")),
    Field("path", pl.String, False,
          "The request path without the query string (`/orders/1042`): the resource asked for.",
          ("url_path", "request_path", "uri_path")),
    Field("idempotency_key", pl.String, False,
          "The request's `Idempotency-Key` header, when the client sends one.",
          ("idempotencykey", "x_idempotency_key")),
    Field("retry_after", pl.Float64, False,
          "The response's `Retry-After`: seconds the server asked the client to wait (an "
          "HTTP date is turned into seconds after the call).",
          ("retry_after_s", "retry_after_seconds")),
    Field("order_status", pl.String, False,
          "The order's status as an orderStatus (or Hub `GET /orders/{id}`) response reported it: "
          "`Pending Approval`, `Pending Fulfilment`, `Partially Fulfilled`, `Pending Billing`, "
          "`Billed`, `Cancelled`.",
          ("orderstatus", "status_name", "order_state", "fulfilment_status")),
    Field("outcome", pl.String, False,
          "How the call ended as the client saw it: `success`, `fault`, `timeout` (the client "
          "gave up waiting) or `transport_error`.",
          ("result", "call_outcome", "call_result")),
    Field("client_timeout_ms", pl.Float64, False,
          "The response timeout the client set for the call, in milliseconds (the provider "
          "recommends 180 000).",
          ("timeout_ms", "client_timeout", "request_timeout_ms", "read_timeout_ms")),
    Field("quantity", pl.Float64, False,
          "The quantity requested (submitOrder, modifyOrder), e.g. `5.0`.",
          ("qty", "quantity_required", "quantityrequired")),
    Field("payload_hash", pl.String, False,
          "A digest of the request body: two calls with the same digest sent the same request.",
          ("body_hash", "request_hash", "payload_digest", "body_sha256", "request_digest")),
)

FIELDS_BY_NAME: dict[str, Field] = {field.name: field for field in FIELDS}

# The operations of the provider's Order API (its WSDL); the `order_api` derived field.
ORDER_API_OPERATIONS = ("submitOrder", "modifyOrder", "cancel", "orderStatus", "checkInventory")

# Fields the engine adds to every row before the rules run, from the log and the config file;
# rules use them like canonical fields, but logs never supply them.
DERIVED: tuple[Field, ...] = (
    Field("subject", pl.String, False,
          "What the call is about: the PO reference when there is one, else the order id, else "
          "the part number. Retries and resubmissions of one thing share a subject."),
    Field("maintenance_window", pl.String, False,
          "The name of the configured maintenance window the call falls in; empty outside "
          "every window (`maintenance:` in trafficlint.yaml)."),
    Field("is_live", pl.Boolean, False,
          "True when `environment` is one of `live_environments` (default live, production, "
          "prod), false for any other environment, empty when the log has none."),
    Field("part_listed", pl.Boolean, False,
          "True when `part_number` is in `known_skus` (your agreed price book), false when it is "
          "not, empty when no list is configured or the call has no part number."),
    Field("order_api", pl.Boolean, False,
          "True when `operation` is one of the Order API's: submitOrder, modifyOrder, cancel, "
          "orderStatus, checkInventory."),
    Field("not_found", pl.Boolean, False,
          "True when the answer says the order or product does not exist: an HTTP status in "
          "`errors.not_found_statuses` (404), a fault code in `errors.not_found_codes`, or a "
          "message matching `errors.not_found_pattern`."),
    Field("duplicate_po", pl.Boolean, False,
          "True when the answer is \"PurchaseOrderID is not unique\": a fault code in "
          "`errors.duplicate_codes` (101)."),
    Field("wait_and_retry", pl.Boolean, False,
          "True when the answer's action is \"wait and retry\": a fault code matching "
          "`errors.retry_code_pattern` (the 300 and 500 series), or, without a code, an HTTP "
          "status in `errors.retry_statuses` (502, 503, 504)."),
)
REQUIRED = tuple(field.name for field in FIELDS if field.required)

# Columns every loaded frame carries besides the canonical fields.
SOURCE_FILE = "source_file"
SOURCE_LINE = "source_line"
ROW_COLUMNS = (SOURCE_FILE, SOURCE_LINE)

DEFAULT_CLIENT = "default"


def normalise_name(name: str) -> str:
    """Fold a column name for alias matching: `Purchase-Order ID` -> `purchaseorderid`."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def frame_schema() -> dict[str, pl.DataType]:
    """The dtypes of a loaded frame, canonical fields first, then the source columns."""
    schema: dict[str, pl.DataType] = {f.name: _instance(f.dtype) for f in FIELDS}
    schema[SOURCE_FILE] = pl.String()
    schema[SOURCE_LINE] = pl.Int64()
    return schema


def _instance(dtype: type[pl.DataType] | pl.DataType) -> pl.DataType:
    return dtype() if isinstance(dtype, type) else dtype
