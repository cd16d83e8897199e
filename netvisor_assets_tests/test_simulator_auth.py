"""Contract: the simulator authenticates exactly as Netvisor does (reference section 2).

Every request goes over real HTTP on loopback. The MAC is computed here with an independent
helper (`sign`), so a mistake in the server's MAC code cannot cancel out a mistake in the test.
Each rejection case must come back as Netvisor's FAILED envelope with its error code, the HTTP
status of `UseHTTPResponseStatusCodes: 1`, and never a key in the body.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from defusedxml.ElementTree import fromstring

from netvisor_assets import settings
from netvisor_assets.simulator import Credentials, LatencyConfig, SimulatorServer, generate_company

DEMO = Credentials.demo()
SENDER = "netvisor_assets tests"


def sign(
    url: str,
    creds: Credentials = DEMO,
    *,
    customer_id: str | None = None,
    partner_id: str | None = None,
    organisation_id: str | None = None,
    customer_key: str | None = None,
    algorithm: str = "HMACSHA256",
    unix: int | None = None,
    transaction_id: str | None = None,
    language: str = "EN",
    mac_url: str | None = None,
) -> dict[str, str]:
    """Headers of section 2.2 with the HMACSHA256 MAC of section 2.3 (overridable parts)."""
    now = time.time() if unix is None else unix
    timestamp = time.strftime("%Y-%m-%d %H:%M:%S.000", time.gmtime(now))
    tx = transaction_id or uuid.uuid4().hex
    cid = customer_id or creds.customer_id
    org = organisation_id or creds.organisation_id
    ckey = customer_key or creds.customer_key
    parts = [mac_url or url, SENDER, cid, timestamp, language, org, tx, str(int(now))]
    message = "&".join([*parts, ckey, creds.partner_key]).encode("iso-8859-15")
    key = f"{ckey}&{creds.partner_key}".encode("iso-8859-15")
    return {
        "X-Netvisor-Authentication-Sender": SENDER,
        "X-Netvisor-Authentication-CustomerId": cid,
        "X-Netvisor-Authentication-PartnerId": partner_id or creds.partner_id,
        "X-Netvisor-Authentication-Timestamp": timestamp,
        "X-Netvisor-Authentication-TimestampUnix": str(int(now)),
        "X-Netvisor-Authentication-TransactionId": tx,
        "X-Netvisor-Interface-Language": language,
        "X-Netvisor-Organisation-ID": org,
        "X-Netvisor-Authentication-MACHashCalculationAlgorithm": algorithm,
        "X-Netvisor-Authentication-UseHTTPResponseStatusCodes": "1",
        "X-Netvisor-Authentication-MAC": hmac.new(key, message, hashlib.sha256).hexdigest(),
    }


def failure(response: httpx.Response) -> str:
    """`CODE :: message` of a FAILED body (asserting the envelope shape on the way)."""
    root = fromstring(response.content)  # well-formed: raw `&` would fail here
    statuses = [s.text for s in root.find("ResponseStatus").findall("Status")]
    assert statuses[0] == "FAILED", response.content
    return statuses[1]


@pytest.fixture(scope="module")
def company():
    return generate_company(seed=3, size="tiny")


@pytest.fixture(scope="module")
def sim(company) -> Iterator[SimulatorServer]:
    with SimulatorServer(company) as server:
        yield server


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def url_of(sim: SimulatorServer, query: str = "") -> str:
    return f"{sim.url}/customerlist.nv" + (f"?{query}" if query else "")


def test_correctly_signed_request_is_served(sim, http):
    url = url_of(sim, "keyword=oy")
    response = http.get(url, headers=sign(url))
    assert response.status_code == 200
    assert b"<Status>OK</Status>" in response.content


def test_mac_matches_the_reference_worked_example():
    # Reference section 2.3: the same inputs must give the documented digest.
    from netvisor_assets.simulator.auth import compute_mac, mac_message

    message = mac_message(
        "https://isvapi.netvisor.fi/salesinvoicelist.nv?invoicesabovenetvisorkey=0",
        "Kaivo sync",
        "TK_12345_1",
        "2024-01-01 12:00:00.000",
        "FI",
        "1967543-8",
        "0123456789abcdef0123456789abcdef",
        "1704110400",
        "7cd680e89e880553358bc07cd28b0ee2",
        "07f94228d149a96b2f25e3edad55096e",
    )
    digest = compute_mac(
        message, "7cd680e89e880553358bc07cd28b0ee2", "07f94228d149a96b2f25e3edad55096e"
    )
    assert digest == "7073008b0765a305fa71096e77ffcd94fad742969a7dcbaf8186df0477fbf505"


REJECTIONS = [
    ("wrong_mac", {"customer_key": "not-the-key"}, "AUTHENTICATION_FAILED"),
    ("unknown_customer", {"customer_id": "SOMEONE_ELSE"}, "AUTHENTICATION_FAILED"),
    ("unknown_partner", {"partner_id": "OTHER_PARTNER"}, "AUTHENTICATION_FAILED"),
    ("wrong_organisation", {"organisation_id": "0737546-2"}, "AUTHENTICATION_FAILED"),
    ("legacy_sha256", {"algorithm": "SHA256"}, "AUTHENTICATION_FAILED"),
    ("legacy_md5", {"algorithm": "MD5"}, "AUTHENTICATION_FAILED"),
    # Offsets from the moment of the request: values computed at collection time go stale
    # while a long suite runs.
    ("stale_timestamp", {"unix_offset": -301}, "AUTHENTICATION_FAILED"),
    ("future_timestamp", {"unix_offset": 400}, "AUTHENTICATION_FAILED"),
]


@pytest.mark.parametrize(("case", "override", "code"), REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_bad_authentication_is_rejected(sim, http, case, override, code):
    url = url_of(sim)
    if "unix_offset" in override:
        override = {"unix": int(time.time()) + override["unix_offset"]}
    response = http.get(url, headers=sign(url, **override))
    assert response.status_code == 401
    assert failure(response).startswith(f"{code} :: ")
    assert DEMO.customer_key.encode() not in response.content
    assert DEMO.partner_key.encode() not in response.content


def test_mac_failure_echoes_the_hashed_string_with_keys_masked(sim, http):
    url = url_of(sim, "keyword=x")
    response = http.get(url, headers=sign(url, customer_key="wrong"))
    message = failure(response)
    assert "YOUR_PRIVATE_KEY_HERE" in message
    assert f"{url}&{SENDER}&{DEMO.customer_id}&" in message
    assert "wrong" not in message and DEMO.customer_key not in message


def test_unknown_partner_message_is_localised(sim, http):
    url = url_of(sim)
    response = http.get(url, headers=sign(url, partner_id="NOPE", language="FI"))
    assert failure(response) == (
        "AUTHENTICATION_FAILED :: Integraatiokumppania ei löydy, katso dokumentaatio"
    )


def test_url_is_hashed_as_received_not_re_encoded(sim, http):
    sent = url_of(sim, "keyword=a%20b")
    decoded = url_of(sim, "keyword=a b")
    ok = http.get(sent, headers=sign(sent))
    assert ok.status_code == 200
    wrong = http.get(sent, headers=sign(sent, mac_url=decoded))
    assert wrong.status_code == 401


@pytest.mark.parametrize("missing", list(sign("http://x/")))
def test_every_required_header_is_required(sim, http, missing):
    url = url_of(sim)
    headers = sign(url)
    del headers[missing]
    response = http.get(url, headers=headers)
    assert failure(response).startswith("AUTHENTICATION_FAILED :: ")
    # Without the opt-in header the historic HTTP 200 applies.
    expected = 200 if missing.endswith("UseHTTPResponseStatusCodes") else 401
    assert response.status_code == expected


def test_header_names_are_case_insensitive_and_organisation_id_spellings(sim, http):
    url = url_of(sim)
    headers = sign(url)
    org = headers.pop("X-Netvisor-Organisation-ID")
    headers = {k.lower(): v for k, v in headers.items()}
    headers["X-Netvisor-Organisation-Id"] = org
    headers["x-netvisor-authentication-mac"] = headers["x-netvisor-authentication-mac"].upper()
    assert http.get(url, headers=headers).status_code == 200


def test_reused_transaction_id_is_request_not_unique(sim, http):
    url = url_of(sim)
    tx = uuid.uuid4().hex
    assert http.get(url, headers=sign(url, transaction_id=tx)).status_code == 200
    again = http.get(url, headers=sign(url, transaction_id=tx))
    assert again.status_code == 400
    assert failure(again).startswith("REQUEST_NOT_UNIQUE :: ")


def test_failed_auth_does_not_burn_the_transaction_id(sim, http):
    url = url_of(sim)
    tx = uuid.uuid4().hex
    assert http.get(url, headers=sign(url, transaction_id=tx, algorithm="MD5")).status_code == 401
    assert http.get(url, headers=sign(url, transaction_id=tx)).status_code == 200


def test_concurrent_request_for_the_same_organisation_is_refused(company):
    latency = LatencyConfig(stall_rate=1.0, stall_seconds=1.0)
    with SimulatorServer(company, latency=latency) as sim, httpx.Client(timeout=30) as http:
        url = url_of(sim)
        first: dict[str, httpx.Response] = {}
        worker = threading.Thread(
            target=lambda: first.setdefault("r", http.get(url, headers=sign(url)))
        )
        worker.start()
        time.sleep(0.3)
        with httpx.Client(timeout=30) as other:
            second = other.get(url, headers=sign(url))
        worker.join()
    assert first["r"].status_code == 200
    assert second.status_code == 503
    assert failure(second).startswith("TECHNICAL_ERROR :: Simultaneous requests")


def test_sequential_requests_on_one_connection_never_overlap(sim, http):
    # The in-flight mark must clear before the client can have read the last byte.
    url = f"{sim.url}/accountingledger.nv?startdate=2025-01-01&enddate=2025-01-31"
    statuses = {http.get(url, headers=sign(url)).status_code for _ in range(40)}
    assert statuses == {200}


def test_credentials_from_env():
    assert Credentials.from_env({}) == DEMO
    env = {
        "NETVISOR_CUSTOMER_ID": "C",
        "NETVISOR_CUSTOMER_KEY": "ck",
        "NETVISOR_PARTNER_ID": "P",
        "NETVISOR_PARTNER_KEY": "pk",
        "NETVISOR_ORGANISATION_ID": "1967543-8",
    }
    creds = Credentials.from_env(env)
    assert (creds.customer_id, creds.partner_key) == ("C", "pk")
    assert "ck" not in repr(creds) and "pk" not in repr(creds)
    with pytest.raises(ValueError, match="NETVISOR_PARTNER_KEY"):
        Credentials.from_env({k: v for k, v in env.items() if k != "NETVISOR_PARTNER_KEY"})
    assert DEMO.customer_id == settings.DEMO_CUSTOMER_ID


def test_custom_credentials_are_enforced(company):
    creds = Credentials("C1", "key-1", "P1", "pkey-1", company.organisation_id)
    with SimulatorServer(company, credentials=creds) as sim, httpx.Client() as http:
        url = url_of(sim)
        assert http.get(url, headers=sign(url, creds)).status_code == 200
        assert http.get(url, headers=sign(url, DEMO)).status_code == 401
