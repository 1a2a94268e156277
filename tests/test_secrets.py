"""Secrets stay out of reports: credentials planted in a log of every input format (in values
that reach the reports: client ids, rejected lines, a file name) must not appear in any byte
of any output. The same logs with the built-in patterns turned off show every secret somewhere,
so the test cannot pass by reading nothing."""

from __future__ import annotations

import base64
import io
import json

import polars as pl
import pytest
from conftest import every_output, run_check

from analyzer.errors import ConfigError
from analyzer.redact import DEFAULT, REDACTED, check_pattern

SECRETS = {
    "bearer": "BEARERsecret11x",
    "basic": base64.b64encode(b"acme:BASICsecret22").decode(),
    "cookie": "COOKIEsecret33x",
    "api_key": "APIKEYsecret44x",
    "client_secret": "CLIENTsecret55x",
    "access_token": "ACCESSsecret66x",
    "password": "PASSWORDsecret77",
    "wsse": "WSSEpassword88x",
    "bst": "BINARYtoken99xx",
    "signature": "SIGNATUREvalue10",
    "nonce": "NONCEvalue12xxx",
    "file": "FILENAMEsecret13",
}
S = SECRETS


def _times(n: int, minute: int = 0) -> list[str]:
    return [f"2026-11-16T09:{minute + i:02d}:00Z" for i in range(n)]


def _csv(separator: str) -> str:
    rows = [separator.join([t, "checkInventory", f"acme api_key={S['api_key']}", "SKU-1"])
            for t in _times(6)]
    return "\n".join([
        separator.join(["timestamp", "operation", "client_id", "part_number"]), *rows,
        separator.join([f"Authorization: Bearer {S['bearer']}", "checkInventory", "acme", "x"]),
        separator.join([_times(1, 30)[0], "checkInventory", "acme", "x",
                        f"password={S['password']}"]),
    ]) + "\n"


def _ndjson() -> str:
    rows = [json.dumps({"timestamp": t, "operation": "checkInventory", "part_number": "SKU-1",
                        "client_id": f"acme client_secret={S['client_secret']}"})
            for t in _times(6)]
    broken = (f'{{"headers": {{"Cookie": "sid={S["cookie"]}"}}, '
              f'"authorization": "Basic {S["basic"]}"')
    return "\n".join([*rows, broken]) + "\n"


def _parquet() -> bytes:
    frame = pl.DataFrame({
        "timestamp": [*_times(6), f"Cookie: session={S['cookie']}"],
        "operation": ["checkInventory"] * 7,
        "client_id": [f"acme access_token={S['access_token']}"] * 7,
        "part_number": ["SKU-1"] * 7,
    })
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def _access_log() -> str:
    line = ('127.0.0.1 - - [16/Nov/2026:09:{m:02d}:00 +0000] "GET /api/v1/orders/1001?'
            'access_token={token} HTTP/1.1" 200 36 "-" "curl/8" client="acme password={pw}"')
    rows = [line.format(m=m, token=S["access_token"], pw=S["password"]) for m in range(6)]
    rows.append(f'127.0.0.1 - - [16/Nov/2026:09:30:00 +0000] "Authorization: Bearer '
                f'{S["bearer"]}" 400 0 "-" "curl/8"')
    return "\n".join(rows) + "\n"


def _har() -> str:
    def entry(t: str) -> dict:
        return {"startedDateTime": t, "time": 12,
                "request": {"method": "GET", "url": f"https://hub.example/api/v1/orders/1001"
                                                    f"?api_key={S['api_key']}",
                            "headers": [{"name": "Authorization", "value": f"Basic {S['basic']}"},
                                        {"name": "X-Client-Id",
                                         "value": f"acme token={S['access_token']}"}]},
                "response": {"status": 200, "headers": [],
                             "content": {"mimeType": "application/json"}}}
    entries = [entry(t) for t in _times(6)] + [f"Cookie: sid={S['cookie']}"]
    return json.dumps({"log": {"version": "1.2", "entries": entries}}, indent=1) + "\n"


def _otel() -> str:
    def span(t: str) -> dict:
        return {"name": "checkInventory", "start_time": t, "end_time": t,
                "context": {"trace_id": "0x1", "span_id": "0x2"},
                "attributes": {"rpc.method": "checkInventory", "partNumber": "SKU-1",
                               "http.status_code": 200},
                "resource": {"attributes": {"service.name": f"acme secret={S['client_secret']}"}}}
    lines = [json.dumps(span(t)) for t in _times(6)]
    lines.append(json.dumps(f"Authorization: Bearer {S['bearer']}"))
    return "\n".join(lines) + "\n"


def _soap() -> str:
    envelope = ('<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>'
                '<x:checkInventory xmlns:x="urn:x"><partNumber>SKU-1</partNumber>'
                '</x:checkInventory></soap:Body></soap:Envelope>')
    response = ('<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>'
                '<x:checkInventoryResponse xmlns:x="urn:x"/></soap:Body></soap:Envelope>')
    parts = []
    for t in _times(6):
        parts += [f'{t} request client="acme pwd={S["password"]}"', envelope,
                  f"{t} response status=200", response]
    # Two broken envelopes: a rejected record quotes its first 200 characters.
    parts += ["2026-11-16T09:30:00Z request client=acme",
              f"<s:Envelope><s:Header><wsse:Password>{S['wsse']}</wsse:Password>"
              f"<wsse:BinarySecurityToken>{S['bst']}</wsse:BinarySecurityToken><broken",
              "2026-11-16T09:31:00Z request client=acme",
              f"<s:Envelope><s:Header><wsse:Nonce>{S['nonce']}</wsse:Nonce>"
              f"<ds:SignatureValue>{S['signature']}</ds:SignatureValue><broken"]
    return "\n".join(parts) + "\n"


LOGS = {
    "calls.csv": _csv(","), "calls.tsv": _csv("\t"), "calls.ndjson": _ndjson(),
    "calls.parquet": _parquet(), "access.log": _access_log(), "capture.har": _har(),
    "spans.jsonl": _otel(), "exchanges.log": _soap(),
    # A file name can carry a secret too (an export named after the URL that made it).
    f"export access_token={S['file']}.csv": _csv(",").replace("acme", "beta"),
}


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    """A working directory with every log under logs/."""
    work = tmp_path_factory.mktemp("secrets")
    (work / "logs").mkdir()
    for name, content in LOGS.items():
        path = work / "logs" / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return work


def _found(outputs: dict[str, str]) -> dict[str, list[str]]:
    """Each secret and the outputs it appears in."""
    return {name: [out for out, text in outputs.items() if secret in text]
            for name, secret in SECRETS.items()}


def test_no_output_carries_a_planted_secret(logs):
    outputs = every_output(logs, ["logs"])
    assert _found(outputs) == {name: [] for name in SECRETS}
    assert REDACTED in outputs["json"] and REDACTED in outputs["rejects"]
    # Every input format was read (a file that failed would hide its secrets from the test).
    files = json.loads(outputs["json"])["inputs"]["files"]
    assert len(files) == len(LOGS) and all(f["rows"] > 0 for f in files)


def test_without_the_builtin_patterns_every_secret_would_reach_some_output(logs, tmp_path):
    config = logs / "off.yaml"
    config.write_text("redact:\n  builtin: false\n")
    outputs = every_output(logs, ["logs"], "--config", str(config))
    assert [name for name, where in _found(outputs).items() if not where] == []


def test_config_patterns_are_added_to_the_builtin_ones(logs):
    config = logs / "more.yaml"
    config.write_text("redact:\n  patterns: ['(SKU-)\\d+']\n")
    outputs = every_output(logs, ["logs"], "--config", str(config))
    assert "SKU-1" not in outputs["json"] and "SKU-[REDACTED]" in outputs["json"]
    assert _found(outputs) == {name: [] for name in SECRETS}


@pytest.mark.parametrize(("value", "problem"), [
    ("a*", "matches empty text"),
    ("(", "invalid regular expression"),
    ("x" * 1001, "longer than 1000 characters"),
    (["x"], "expected a regular expression string"),
])
def test_bad_patterns_are_refused_with_the_key(tmp_path, value, problem):
    from analyzer.config import load_config

    config = tmp_path / "trafficlint.yaml"
    config.write_text(json.dumps({"redact": {"patterns": [value]}}))
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    (message,) = caught.value.messages
    assert message.startswith(f"{config}: redact.patterns[0]: ") and problem in message


def test_other_redact_keys_are_checked(tmp_path):
    from analyzer.config import load_config

    config = tmp_path / "trafficlint.yaml"
    config.write_text("redact:\n  builtin: maybe\n  extra: 1\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert caught.value.messages == [
        f"{config}: redact.extra: unknown key (expected one of: patterns, builtin)",
        f"{config}: redact.builtin: expected true or false, got 'maybe'"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Authorization: Bearer abc.def-123", "Authorization: Bearer [REDACTED]"),
    ('{"authorization":"Basic dXNlcjpwYXNz"}', '{"authorization":"Basic [REDACTED]"}'),
    ("Proxy-Authorization: Digest username=\"a\", response=\"b\"",
     "Proxy-Authorization: Digest [REDACTED]\"a\", response=\"b\""),
    ("Cookie: sid=abc; theme=dark", "Cookie: [REDACTED]"),
    ("GET /x?api_key=K1&page=2 HTTP/1.1", "GET /x?api_key=[REDACTED]&page=2 HTTP/1.1"),
    ("grant_type=client_credentials&client_secret=s3&scope=x",
     "grant_type=client_credentials&client_secret=[REDACTED]&scope=x"),
    ('{"access_token": "at", "expires_in": 3600}',
     '{"access_token": "[REDACTED]", "expires_in": 3600}'),
    ('"{\\"password\\":\\"hunter2\\"}"', '"{\\"password\\":\\"[REDACTED]\\"}"'),
    ("{'name': 'X-Api-Key', 'value': 'k1'}", "{'name': 'X-Api-Key', 'value': '[REDACTED]'}"),
    ('<wsse:Password Type="#PasswordText">pw</wsse:Password>',
     '<wsse:Password Type="#PasswordText">[REDACTED]</wsse:Password>'),
    ("<wsse:BinarySecurityToken ValueType=\"x\">MIIB</wsse:BinarySecurityToken>",
     "<wsse:BinarySecurityToken ValueType=\"x\">[REDACTED]</wsse:BinarySecurityToken>"),
    ("<ds:SignatureValue>c2ln</ds:SignatureValue><wsse:Nonce>bm9u</wsse:Nonce>",
     "<ds:SignatureValue>[REDACTED]</ds:SignatureValue><wsse:Nonce>[REDACTED]</wsse:Nonce>"),
    ("https://bob:pw@example.com/a", "https://bob:[REDACTED]@example.com/a"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "jwt [REDACTED]"),
    ("key AKIAABCDEFGHIJKLMNOP", "key [REDACTED]"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
     "-----BEGIN RSA PRIVATE KEY-----[REDACTED]-----END RSA PRIVATE KEY-----"),
    # What is not a secret stays as it is.
    ("token churn on create_token", "token churn on create_token"),
    ("checkInventory SKU-1 client=acme", "checkInventory SKU-1 client=acme"),
])
def test_builtin_patterns(text, expected):
    assert DEFAULT.text(text) == expected


def test_redaction_leaves_an_untouched_value_identical():
    value = ("a", ["b", {"c": "Cookie: x"}])
    assert DEFAULT.apply(value) == ("a", ["b", {"c": "Cookie: [REDACTED]"}])
    assert DEFAULT.apply(("a", "b")) == ("a", "b")


def test_check_pattern_returns_the_pattern():
    assert check_pattern(r"(pin=)\d+") == r"(pin=)\d+"


def test_error_messages_are_redacted_and_made_visible(cli, tmp_path):
    log = tmp_path / "no-op.csv"
    log.write_text(f"timestamp,api_key={S['api_key']}\x1b[2J\n2026-11-16T09:00:00Z,x\n")
    code, out, err = cli("check", str(log))
    assert code == 2 and out == ""
    assert S["api_key"] not in err and "\x1b" not in err and "api_key=[REDACTED]" in err


def test_values_that_differ_only_in_a_secret_stay_apart(tmp_path):
    log = tmp_path / "a.csv"
    log.write_text("timestamp,operation,client_id,part_number\n" + "".join(
        f"2026-11-16T09:{m:02d}:00Z,checkInventory,acme api_key={key},SKU-1\n"
        for key in ("K1secret", "K2secret") for m in range(6)))
    report = run_check([log])
    clients = [c.client_id for c in report.inputs.clients]
    assert clients == ["acme api_key=[REDACTED]", "acme api_key=[REDACTED-2]"]
    assert {f.client_id for f in report.findings} == set(clients)
    assert len({o.client_id for o in report.outlook}) == 2
