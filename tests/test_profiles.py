"""Mapping profiles: route templates, sources, detection, and validation with file and key."""

from __future__ import annotations

import json

import polars as pl
import pytest

from analyzer.derive import SOURCES, derive
from analyzer.errors import ConfigError
from analyzer.loading import LoadOptions, load
from analyzer.profiles import builtin_profiles, find_profile, load_profile
from analyzer.routes import infer_template, parse_route
from analyzer.schema import SOURCE_LINE

ENVELOPE = ('<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>'
            '<ns2:submitOrder xmlns:ns2="urn:x"><submitOrderForm><purchaseOrderID>PO-9'
            '</purchaseOrderID><submitOrderItemList><partNumber>2200-1</partNumber>'
            '</submitOrderItemList></submitOrderForm></ns2:submitOrder></soap:Body>'
            '</soap:Envelope>')
FAULT = ('<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>'
         '<soap:Fault><soap:Reason><soap:Text>101 : PurchaseOrderID is not unique</soap:Text>'
         '</soap:Reason></soap:Fault></soap:Body></soap:Envelope>')


def profile(name: str):
    return find_profile(name, "test")


def derived(rows: dict, name: str, aliases=None) -> dict:
    raw = pl.DataFrame(rows).with_columns(pl.int_range(1, pl.len() + 1).alias(SOURCE_LINE))
    return derive(raw, profile(name), aliases or {}).frame.drop(SOURCE_LINE).to_dicts()


@pytest.mark.parametrize("path, template", [
    ("/orders/1042", "/orders/{id}"),
    ("/api/v1/orders/SO52315/resubmit", "/api/v1/orders/{id}/resubmit"),
    ("/items/2200-46162-025", "/items/{id}"),
    ("/u/0f1c2d3e-4a5b-6c7d-8e9f-001122334455/x/7", "/u/{id}/x/{id}"),
    ("/oauth2/token", "/oauth2/token"),
    ("/", "/"),
])
def test_inferred_templates_replace_id_like_segments(path, template):
    assert pl.select(infer_template(pl.lit(path))).item() == template


@pytest.mark.parametrize("spec, message", [
    ("get /x", "upper-case method"),
    ("GET orders", "must start with '/'"),
    ("GET /a/{id}/{id}", "appears twice"),
])
def test_bad_routes_are_refused(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_route(spec)


def test_hub_routes_give_operation_order_id_and_strip_the_version_prefix():
    rows = derived({"time": ["2026-11-16T09:00:00Z"] * 4,
                    "request_line": ["GET /api/v1/orders/1042?x=1 HTTP/1.1",
                                     "POST /orders/77/resubmit HTTP/1.1",
                                     "POST /api/v2/oauth/create_token HTTP/1.1",
                                     "GET /webstore/baskets/9001/ HTTP/1.1"]}, "hub-rest")
    assert [(r["operation"], r["route"], r["order_id"], r["path"]) for r in rows] == [
        ("GET /orders/{order_id}", "/orders/{order_id}", "1042", "/api/v1/orders/1042"),
        ("POST /orders/{order_id}/resubmit", "/orders/{order_id}/resubmit", "77",
         "/orders/77/resubmit"),
        ("create_token", "/oauth/create_token", None, "/api/v2/oauth/create_token"),
        ("GET /webstore/baskets/{id}", "/webstore/baskets/{id}", None, "/webstore/baskets/9001/"),
    ]


def test_sources_headers_query_json_body_and_precedence():
    rows = derived({
        "time": ["2026-11-16T09:00:00Z"] * 3,
        "method": ["POST", "GET", "GET"],
        "url": ["https://h/api/v1/orders", "/api/v1/orders/5?po=Q%20R", "/x"],
        "request_header.x-client-id": ["acme", None, None],
        "client": [None, "from-column", None],
        "remote_addr": ["10.0.0.1", "10.0.0.2", "10.0.0.3"],
        "request_body": ['{"purchase_order_number": "PO-1"}', None, "not json"],
        "sent_http_retry_after": ["30", None, None],
    }, "hub-rest")
    assert [r["client_id"] for r in rows] == ["acme", "from-column", "10.0.0.3"]
    assert [r["purchase_order_id"] for r in rows] == ["PO-1", None, None]
    assert rows[0]["retry_after"] == "30"


def test_soap_bodies_give_operation_ids_and_fault():
    rows = derived({"time": ["2026-11-16T09:00:00Z"], "request_body": [ENVELOPE],
                    "response_body": [FAULT]}, "order-api-soap")
    (row,) = rows
    assert (row["operation"], row["purchase_order_id"], row["part_number"], row["error_code"],
            row["error_message"]) == ("submitOrder", "PO-9", "2200-1", "101",
                                      "PurchaseOrderID is not unique")


def test_soapaction_header_when_the_body_is_not_logged():
    rows = derived({"time": ["2026-11-16T09:00:00Z"] * 2,
                    "http_soapaction": ['"urn:transactions_10.reseller.siphon.com#orderStatus"',
                                        "http://example.com/api/checkInventory"]},
                   "order-api-soap")
    assert [r["operation"] for r in rows] == ["orderStatus", "checkInventory"]


def test_hostile_xml_is_not_an_envelope_and_never_expanded():
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
            '"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><soap:Envelope '
            'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><a>&lol2;</a>'
            '</soap:Body></soap:Envelope>')
    xxe = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
           '<checkInventory><partNumber>&e;</partNumber></checkInventory></soap:Body>'
           '</soap:Envelope>')
    rows = derived({"time": ["2026-11-16T09:00:00Z"] * 2, "request_body": [bomb, xxe]},
                   "order-api-soap")
    assert [(r.get("operation"), r.get("part_number")) for r in rows] == [(None, None)] * 2


def test_detection_order_and_reasons(tmp_path):
    assert [p.name for p in builtin_profiles()] == [
        "canonical", "order-api-soap", "hub-rest", "generic-rest"]
    log = tmp_path / "shop.ndjson"
    log.write_text("\n".join(json.dumps({
        "time_iso8601": f"2026-11-16T09:0{i}:00+00:00", "request": f"GET /shop/items/{100 + i} "
        "HTTP/1.1", "status": "200", "remote_addr": "10.0.0.9"}) for i in range(3)) + "\n")
    loaded = load([str(log)], LoadOptions({}, "default"))
    (stats,) = loaded.inputs.files
    assert stats.profile == "generic-rest"
    assert loaded.frame["operation"].to_list() == ["GET /shop/items/{id}"] * 3


def test_a_forced_profile_is_used_and_user_aliases_still_win(tmp_path):
    log = tmp_path / "a.csv"
    log.write_text("ts,method,url,who\n2026-11-16T09:00:00Z,GET,/orders/1,acme\n")
    loaded = load([str(log)], LoadOptions({"client_id": ["who"]}, "default",
                                          profile=profile("generic-rest")))
    row = loaded.frame.row(0, named=True)
    assert (row["operation"], row["client_id"]) == ("GET /orders/{id}", "acme")


def test_every_source_kind_is_documented():
    assert all(kind.doc for kind in SOURCES.values())


@pytest.mark.parametrize("text, problem", [
    ("name: x\n", "title: required text is missing"),
    ("name: bad\ntitle: t\nsummary: s\nroutes: [{route: 'GET /a', op: x}]\n",
     "routes[0].op: unknown key (expected one of: route, operation)"),
    ("name: bad\ntitle: t\nsummary: s\nfields: {client: [{header: x}]}\n",
     "fields.client: unknown field"),
    ("name: bad\ntitle: t\nsummary: s\nfields: {client_id: [{heder: x}]}\n",
     "fields.client_id[0]: expected one source, one of: column, header"),
    ("name: bad\ntitle: t\nsummary: s\nfields: {client_id: [{header: x, regex: '(a)(b)'}]}\n",
     "fields.client_id[0].regex: regular expression '(a)(b)' has more than one group"),
    ("name: bad\ntitle: t\nsummary: s\nroutes: [{route: 'GET x'}]\n",
     "routes[0].route: the path must start with '/'"),
])
def test_profile_problems_name_file_and_key(tmp_path, text, problem):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    assert any(m.startswith(f"{path}: ") and problem in m for m in caught.value.messages), \
        caught.value.messages


def test_unknown_profile_name_lists_the_known_ones():
    with pytest.raises(ConfigError, match="--profile: unknown profile 'nope' .*generic-rest"):
        find_profile("nope", "--profile")


def test_a_profile_of_your_own_with_query_path_body_and_constant_sources(tmp_path):
    mine = tmp_path / "partner-api.yaml"
    mine.write_text(
        "name: partner-api\ntitle: t\nsummary: s\nbase_path: /v{major}\nroutes:\n"
        "  - {route: 'GET /shipments/{shipment}/orders/{order_id}', operation: orderStatus}\n"
        "fields:\n"
        "  client_id: [{query: key, regex: '^(\\w+)-'}]\n"
        "  purchase_order_id: [{json_response: order.po}]\n"
        "  part_number: [{path_param: shipment}]\n"
        "  environment: [{value: live}]\n")
    log = tmp_path / "a.ndjson"
    log.write_text(json.dumps({
        "ts": "2026-11-16T09:00:00Z", "method": "GET",
        "url": "/v2/shipments/S-1/orders/SO52315?key=acme-7f3a", "status": 200,
        "response_body": json.dumps({"order": {"po": "PO-77"}})}) + "\n")
    loaded = load([str(log)], LoadOptions({}, "default", profile=load_profile(mine)))
    row = loaded.frame.row(0, named=True)
    assert (row["operation"], row["client_id"], row["order_id"], row["part_number"],
            row["purchase_order_id"], row["environment"]) == (
        "orderStatus", "acme", "SO52315", "S-1", "PO-77", "live")
