"""The Hub API rules on the logs Hub clients have: an nginx access log in front of the Hub REST
API, read through the hub-rest mapping profile, whose operation names the rules' defaults use."""

from __future__ import annotations

from conftest import run_check


def nginx(rows: list[tuple[str, str, str, int]]) -> str:
    """(time, client, request line, status) as nginx's combined format with the fixture's
    extra fields."""
    return "".join(
        f'127.0.0.1 - - [18/Nov/2026:{at} +0000] "{request} HTTP/1.1" {status} 36 "-" '
        f'"hub-client/1" rt=0.050 client="{client}" po="-" retry_after="-"\n'
        for at, client, request, status in rows)


def test_token_churn_and_resubmit_loops_in_an_nginx_log(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(nginx(
        [(f"10:{m:02d}:00", "mica", "POST /api/v1/oauth/create_token", 200) for m in (0, 10, 20)]
        + [("10:30:00", "mica", "POST /api/v1/orders/4711/resubmit", 409),
           ("10:40:00", "mica", "POST /api/v1/orders/4711/resubmit", 409),
           ("11:00:00", "nimbus", "POST /api/v1/oauth/create_token", 200),
           ("11:05:00", "nimbus", "POST /api/v1/orders/4800/resubmit", 202)]))
    report = run_check([log]).to_dict()
    assert report["inputs"]["files"][0]["profile"] == "hub-rest"
    found = {(f["client_id"], f["rule"], f["check"]) for f in report["findings"]}
    assert found == {("mica", "NUV-017", "churn"), ("mica", "NUV-018", "resubmit-loop")}


def test_a_resubmit_the_server_failed_and_the_client_fired_again_is_api_003s(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(nginx([(f"10:00:0{s}", "stormer", "POST /api/v1/orders/2002/resubmit", 503)
                          for s in range(6)]))
    rules = {f["rule"] for f in run_check([log]).to_dict()["findings"]}
    assert rules == {"API-003"}
