"""Contract: `netvisor.xml` turns any Netvisor body into records of the `fields.py` format, or
into the typed exception for its error code, and never turns a malformed body into rows.

Covers value coercion (decimal comma/point, three date formats, aware Helsinki datetimes,
boolean spellings, empty -> None, whitespace), structure (case-insensitive names, attributes,
REPEATED -> lists of zero/one/many, undeclared repeats kept), the envelope (OK, FAILED with
each code, both maintenance spellings, the regex fallback for unescaped `&`), and refusal of
truncated, non-Netvisor and hostile (entity expansion) bodies.
"""

from __future__ import annotations

import datetime as dt
import pickle
from decimal import Decimal

import pytest

from netvisor_assets.netvisor import errors
from netvisor_assets.netvisor.xml import (
    HELSINKI,
    coerce,
    element_to_record,
    iter_records,
    parse_envelope,
    parse_payload,
    parse_records,
)


def envelope(payload: str = "", *, status: str = "<Status>OK</Status>") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n<Root>\r\n'
        f"<ResponseStatus>{status}<TimeStamp>5.6.2023 16:12:09</TimeStamp></ResponseStatus>"
        f"{payload}</Root>"
    ).encode()


def failed(code_and_message: str) -> bytes:
    return envelope(status=f"<Status>FAILED</Status><Status>{code_and_message}</Status>")


# ----------------------------------------------------------------------------- values

H = HELSINKI


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("linesum", "123,45", Decimal("123.45")),
        ("linesum", "-17,18", Decimal("-17.18")),
        ("salesinvoiceamount", "244.12", Decimal("244.12")),
        ("unitprice", "5,480000000000", Decimal("5.480000000000")),
        ("linesum", "  643\n        ", Decimal("643")),
        ("linesum", "0", Decimal("0")),
        ("netvisorkey", "643\n        ", 643),
        ("netvisorkey", "-1", -1),
        ("invoicedate", "2013-11-09", dt.date(2013, 11, 9)),
        ("voucherdate", "31.12.2023", dt.date(2023, 12, 31)),
        ("voucherdate", "1.1.2000", dt.date(2000, 1, 1)),
        ("voucherdate", "01.01.2018", dt.date(2018, 1, 1)),
        # A date-typed field given a datetime keeps its date.
        ("voucherdate", "5.6.2023 16:12:09", dt.date(2023, 6, 5)),
        ("invoicedate", "2022-06-08 15:14", dt.date(2022, 6, 8)),
        (
            "lastmodifiedtimestamp",
            "5.6.2023 16:12:09",
            dt.datetime(2023, 6, 5, 16, 12, 9, tzinfo=H),
        ),
        ("timestamp", "01.01.2018 12:00:00", dt.datetime(2018, 1, 1, 12, 0, tzinfo=H)),
        ("deletedate", "2022-06-08 15:14", dt.datetime(2022, 6, 8, 15, 14, tzinfo=H)),
        ("deletedate", "2022-06-08T15:14:05", dt.datetime(2022, 6, 8, 15, 14, 5, tzinfo=H)),
        ("deletedate", "2022-06-08", dt.datetime(2022, 6, 8, tzinfo=H)),
        ("deletedate", "2022-06-08T12:14:05+00:00", dt.datetime(2022, 6, 8, 15, 14, 5, tzinfo=H)),
        ("isactive", "1", True),
        ("isactive", "0", False),
        ("ishidden", "True", True),
        ("ishidden", "False", False),
        ("ishidden", "true", True),
        ("matchpartialpaymentsbydefault", "Yes", True),
        ("matchpartialpaymentsbydefault", "No", False),
        ("matchpartialpaymentsbydefault", "Kyllä", True),
        ("matchpartialpaymentsbydefault", "Ei", False),
        ("name", "  Anni Asiakas \n", "Anni Asiakas"),
        ("accountnumber", "0100", "0100"),  # unknown keys stay strings (leading zero kept)
        ("linesum", "", None),
        ("netvisorkey", "   \n ", None),
        ("invoicedate", None, None),
        ("isactive", "", None),
    ],
)
def test_coerce(key, text, expected):
    value = coerce(key, text)
    assert value == expected
    assert type(value) is type(expected)
    if isinstance(expected, dt.datetime):
        assert value.tzinfo is not None and value.utcoffset() == expected.utcoffset()


def test_datetimes_are_helsinki_wall_clock():
    value = coerce("lastmodifiedtimestamp", "5.6.2023 16:12:09")
    assert value.astimezone(dt.UTC) == dt.datetime(2023, 6, 5, 13, 12, 9, tzinfo=dt.UTC)
    winter = coerce("lastmodifiedtimestamp", "5.1.2023 16:12:09")
    assert winter.utcoffset() == dt.timedelta(hours=2)


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("linesum", "12.345,67"),
        ("linesum", "1 234,5"),
        ("linesum", "abc"),
        ("linesum", "1e5"),
        ("netvisorkey", "12,5"),
        ("netvisorkey", "x1"),
        ("invoicedate", "2023-13-01"),
        ("invoicedate", "31.2.2023"),
        ("invoicedate", "yesterday"),
        ("lastmodifiedtimestamp", "5.6.2023 25:00:00"),
        ("isactive", "maybe"),
    ],
)
def test_uncoercible_value_raises_naming_element(key, text):
    body = envelope(f"<List><Item><Other>fine</Other><{key}>{text}</{key}></Item></List>")
    with pytest.raises(errors.UnexpectedValue) as info:
        parse_records(body, [("list", "item")], resource="x.nv")
    message = str(info.value)
    assert f"List/Item/{key}" in message
    assert "fine" not in message  # the value, not the whole body
    assert info.value.resource == "x.nv"
    assert info.value.retryable is False


def test_unexpected_attribute_value_names_attribute():
    body = envelope(
        '<Accounts><Account netvisorkey="x"><AccountBalance date="1.1.2024"/></Account></Accounts>'
    )
    with pytest.raises(errors.UnexpectedValue, match=r"Accounts/Account@netvisorkey"):
        parse_records(body, [("accounts", "account")])


# ----------------------------------------------------------------------------- structure


def test_names_are_case_insensitive_and_attributes_follow_the_format():
    body = envelope(
        "<SalesInvoiceList><SalesInvoice>"
        "<Netvisorkey>165</Netvisorkey>"
        '<Invoicedate format="ansi">2013-11-09</Invoicedate>'
        '<InvoiceStatus substatus="overdue" isincollection="0">open</InvoiceStatus>'
        '<SalesInvoiceAmount iso4217currencycode="EUR" currencyrate="1,5">244.12'
        "</SalesInvoiceAmount>"
        '<InvoicingCustomerCountryCode ISO-3166="FI">Finland</InvoicingCustomerCountryCode>'
        "<CustomerCode/>"
        "</SalesInvoice></SalesInvoiceList>"
    )
    [record] = parse_records(body, [("salesinvoicelist", "salesinvoice")])
    assert record == {
        "netvisorkey": 165,
        "invoicedate": dt.date(2013, 11, 9),
        "invoicestatus": "open",
        "invoicestatus_substatus": "overdue",
        "invoicestatus_isincollection": False,  # typed: is_in_collection is BOOL
        "salesinvoiceamount": Decimal("244.12"),
        "salesinvoiceamount_iso4217currencycode": "EUR",
        "salesinvoiceamount_currencyrate": Decimal("1.5"),
        "invoicingcustomercountrycode": "Finland",
        "invoicingcustomercountrycode_iso_3166": "FI",
        "customercode": None,
    }


@pytest.mark.parametrize("count", [0, 1, 3])
def test_repeated_children_are_always_lists(count):
    lines = "".join(
        f"<VoucherLine><NetvisorKey>{i}</NetvisorKey><LineSum>{i},5</LineSum></VoucherLine>"
        for i in range(count)
    )
    body = envelope(
        f'<Vouchers><Voucher status="valid"><NetvisorKey>1</NetvisorKey>{lines}'
        "</Voucher></Vouchers>"
    )
    [voucher] = parse_records(body, [("vouchers", "voucher")])
    assert voucher["status"] == "valid"
    assert voucher["voucherline"] == [
        {"netvisorkey": i, "linesum": Decimal(f"{i}.5"), "dimension": []} for i in range(count)
    ]


def test_repeated_leaf_with_attributes_becomes_value_dict():
    body = envelope(
        "<AccountList><Accounts><Account><NetvisorKey>1</NetvisorKey>"
        '<ForeignName ISO-3166="en">Assets</ForeignName><ForeignName ISO-3166="se">Tillgångar'
        "</ForeignName></Account></Accounts></AccountList>"
    )
    [account] = parse_records(body, [("accountlist", "accounts", "account")])
    assert account["foreignname"] == [
        {"value": "Assets", "iso_3166": "en"},
        {"value": "Tillgångar", "iso_3166": "se"},
    ]


def test_undeclared_repeated_child_keeps_every_value():
    body = envelope("<Things><Thing><Tag>a</Tag><Tag>b</Tag><Tag>c</Tag></Thing></Things>")
    [thing] = parse_records(body, [("things", "thing")])
    assert thing == {"tag": ["a", "b", "c"]}


def test_empty_record_elements_are_skipped():
    body = envelope("<SalesInvoice />")
    assert parse_records(body, [("salesinvoices", "salesinvoice"), ("salesinvoice",)]) == []


def test_records_stream_before_the_body_is_complete():
    items = "".join(f"<Item><NetvisorKey>{i}</NetvisorKey></Item>" for i in range(3))
    body = envelope(f"<List>{items}</List>")[: -len("</List></Root>") - 5]
    produced = []
    with pytest.raises(errors.MalformedResponse, match="truncated"):
        for record in iter_records(body, [("list", "item")]):
            produced.append(record["netvisorkey"])
    assert produced == [0, 1]  # yielded one by one; callers must collect a whole response


def test_element_to_record_nested_groups():
    from defusedxml.ElementTree import fromstring

    elem = fromstring(
        "<Customer><CustomerBaseInformation><NetvisorKey>5</NetvisorKey><IsActive>1</IsActive>"
        "</CustomerBaseInformation><CustomerAdditionalInformation><BalanceLimit>200,3"
        "</BalanceLimit></CustomerAdditionalInformation></Customer>"
    )
    assert element_to_record(elem) == {
        "customerbaseinformation": {"netvisorkey": 5, "isactive": True},
        "customeradditionalinformation": {"balancelimit": Decimal("200.3")},
    }


# ----------------------------------------------------------------------------- envelope


def test_ok_envelope_has_helsinki_timestamp():
    env = parse_envelope(envelope())
    assert env.ok
    assert env.timestamp == dt.datetime(2023, 6, 5, 16, 12, 9, tzinfo=HELSINKI)


@pytest.mark.parametrize(
    ("code", "cls", "retryable"),
    [
        ("AUTHENTICATION_FAILED", errors.AuthenticationFailed, False),
        ("INVALID_DATA", errors.InvalidData, False),
        ("INVALID_DATA_SIZE", errors.InvalidDataSize, False),
        ("DUPLICATE_DATA", errors.DuplicateData, False),
        ("REQUEST_NOT_UNIQUE", errors.RequestNotUnique, True),
        ("PERIOD_LOCK", errors.PeriodLock, False),
        ("SERVICE_ACCESS_ERROR", errors.ServiceAccessError, False),
        ("SYSTEM_MAINTENANCE", errors.SystemMaintenance, True),
        ("SYSTEM_MAINTANANCE", errors.SystemMaintenance, True),
        ("TECHNICAL_ERROR", errors.TechnicalError, True),
        ("SOMETHING_NEW", errors.UnknownNetvisorError, False),
    ],
)
def test_each_error_code_maps_to_its_exception(code, cls, retryable):
    with pytest.raises(cls) as info:
        parse_records(failed(f"{code} :: Something went wrong: a :: b"), [], resource="r.nv")
    exc = info.value
    assert type(exc) is cls
    assert exc.code == code
    assert exc.message == "Something went wrong: a :: b"
    assert exc.resource == "r.nv"
    assert exc.retryable is retryable
    assert str(exc) == f"[r.nv {code}] Something went wrong: a :: b"
    clone = pickle.loads(pickle.dumps(exc))
    assert (type(clone), clone.code, clone.message, clone.resource) == (
        cls,
        code,
        exc.message,
        "r.nv",
    )


def test_failed_without_code_is_unknown_error():
    with pytest.raises(errors.UnknownNetvisorError):
        parse_envelope(envelope(status="<Status>FAILED</Status>"))
    with pytest.raises(errors.UnknownNetvisorError) as info:
        parse_envelope(failed("just some text"))
    assert info.value.message == "just some text"


def test_malformed_error_body_falls_back_to_regex():
    # The test environment echoed the hashed string with raw '&' (not well-formed XML).
    body = (
        b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n<Root>\r\n  <ResponseStatus>'
        b"\r\n    <Status>FAILED</Status>\r\n    <Status>AUTHENTICATION_FAILED :: "
        b"https://isvapi.netvisor.fi/customerlist.nv&Sender&TK_1&2023-06-05 13:12:06.123&EN"
        b"&1967543-8&abc&YOUR_PRIVATE_KEY_HERE&YOUR_PRIVATE_KEY_HERE :: 0A1B2C</Status>\r\n"
        b"    <TimeStamp>5.6.2023 16:12:09</TimeStamp>\r\n  </ResponseStatus>\r\n</Root>"
    )
    with pytest.raises(errors.AuthenticationFailed) as info:
        parse_envelope(body, resource="customerlist.nv")
    assert info.value.code == "AUTHENTICATION_FAILED"
    assert info.value.message.startswith("https://isvapi.netvisor.fi/customerlist.nv&Sender&")
    assert info.value.message.endswith(":: 0A1B2C")


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"", "not a Netvisor XML document"),
        (b"<html><body>502 Bad Gateway</body></html>", "not <Root>"),
        (b"Service Unavailable", "not a Netvisor XML document"),
        (envelope("<List><Item>")[:-10], "truncated"),
        (b"<Root><Other/></Root>", "no ResponseStatus"),
        (envelope(status="<Status>MAYBE</Status>"), "no OK/FAILED"),
    ],
)
def test_malformed_bodies_raise_retryable_malformed_response(body, match):
    with pytest.raises(errors.MalformedResponse, match=match) as info:
        parse_records(body, [("list", "item")])
    assert info.value.retryable is True


def test_body_defusedxml_refuses_is_not_retried():
    # The same request returns the same hostile body: retrying it only costs time.
    body = (
        b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;">]><Root>&lol2;</Root>'
    )
    with pytest.raises(errors.RefusedBody, match="refused by defusedxml") as info:
        parse_records(body, [("list", "item")], resource="customerlist.nv")
    assert info.value.retryable is False and info.value.resource == "customerlist.nv"


KAHVI = "Kahvipaahtimö Åbo Oy"


def _named(encoding_declared: str | None, payload: bytes) -> bytes:
    declaration = (
        f'<?xml version="1.0" encoding="{encoding_declared}"?>'.encode()
        if encoding_declared
        else b""
    )
    return declaration + (
        b"<Root><ResponseStatus><Status>OK</Status></ResponseStatus>"
        b"<List><Item><Name>" + payload + b"</Name></Item></List></Root>"
    )


@pytest.mark.parametrize(
    ("declared", "payload"),
    [
        ("ISO-8859-15", KAHVI.encode("utf-8")),  # the real-world mismatch: UTF-8 bytes
        ("ISO-8859-15", KAHVI.encode("iso-8859-15")),  # honest ISO-8859-15
        ("utf-8", KAHVI.encode("utf-8")),
        (None, KAHVI.encode("utf-8")),
        ("windows-1252", KAHVI.encode("utf-8")),
    ],
)
def test_body_is_decoded_to_the_real_text_whatever_the_declaration_says(declared, payload):
    records = parse_records(_named(declared, payload), [("list", "item")])
    assert records == [{"name": KAHVI}]
    assert "Ã" not in records[0]["name"]


@pytest.mark.parametrize(
    ("declared", "payload"),
    [
        ("utf-8", KAHVI.encode("iso-8859-15")),  # declared UTF-8, bytes are not
        ("ISO-8859-15", "ö".encode("iso-8859-15") + b" " + "ä".encode()),
    ],
)
def test_body_whose_bytes_cannot_be_decoded_honestly_is_a_typed_error(declared, payload):
    with pytest.raises(errors.EncodingMismatch, match="declared encoding") as info:
        parse_records(_named(declared, payload), [("list", "item")], resource="customerlist.nv")
    assert info.value.retryable is False and info.value.resource == "customerlist.nv"


def test_payload_excludes_response_status():
    assert parse_payload(envelope("<Customerlist/>")) == {"customerlist": None}


def test_error_classes_carry_no_secrets_by_construction():
    exc = errors.error_for("technical_error", "boom", resource="x.nv")
    assert isinstance(exc, errors.TechnicalError) and exc.code == "TECHNICAL_ERROR"
    assert errors.error_class("SYSTEM_MAINTANANCE") is errors.SystemMaintenance
    assert errors.NetvisorUnavailable("x").retryable is True
    assert errors.UnexpectedHttpStatus("x", retryable=True).retryable is True
    assert errors.UnexpectedHttpStatus("x").retryable is False


# ----------------------------------------------------------------------------- caches, modes


def test_cached_names_and_values_keep_their_meaning_in_every_place():
    # The parser caches per element spelling, attribute name and (type, text); the same
    # spelling or text must still be typed by where it stands: a group's attribute by its own
    # name, a leaf's as `<leaf>_<attribute>`, a child as a list only under its REPEATED parent.
    body = envelope(
        "<AccountList><Accounts>"
        '<Account netvisorkey="7"><NetvisorKey>1</NetvisorKey><IsActive>1</IsActive>'
        "<LineSum>1</LineSum><AccountNumber>1</AccountNumber>"
        '<Name netvisorkey="9">n</Name><ForeignName netvisorkey="8">x</ForeignName>'
        "<Dimension>d</Dimension></Account>"
        "<Account><AccountNumber>1</AccountNumber><LineSum>1</LineSum><IsActive>1</IsActive>"
        "<Netvisorkey>1</Netvisorkey><ForeignName>y</ForeignName></Account>"
        "</Accounts><VoucherLine><Dimension>d</Dimension></VoucherLine></AccountList>"
    )
    for _ in range(2):  # the second pass reads every cache the first one filled
        first, second = parse_records(body, [("accountlist", "accounts", "account")])
        assert first == {
            # The attribute and the child both say netvisorkey: both are kept, both ints.
            "netvisorkey": [7, 1],
            "foreignname": [{"value": "x", "netvisorkey": "8"}],
            "accountbalance": [],
            "isactive": True,
            "linesum": Decimal("1"),
            "accountnumber": "1",
            "name": "n",
            "name_netvisorkey": "9",
            "dimension": "d",
        }
        assert [type(key) for key in first["netvisorkey"]] == [int, int]
        assert second == {
            "foreignname": ["y"],
            "accountbalance": [],
            "accountnumber": "1",
            "linesum": Decimal("1"),
            "isactive": True,
            "netvisorkey": 1,
        }
        [line] = parse_records(body, [("accountlist", "voucherline")])
        assert line == {"dimension": ["d"]}


def test_group_attribute_is_typed_by_its_own_name():
    body = envelope('<Accounts><Account netvisorkey="7"><Name>a</Name></Account></Accounts>')
    [account] = parse_records(body, [("accounts", "account")])
    assert account == {"netvisorkey": 7, "foreignname": [], "accountbalance": [], "name": "a"}


def test_streamed_body_gives_the_same_records_as_bytes():
    from netvisor_assets.netvisor.stream import BodyReader

    items = "".join(
        f'<Item a="{i}"><NetvisorKey>{i}</NetvisorKey><Name>Åbo {i}</Name></Item>'
        for i in range(50)
    )
    body = envelope(f"<List>{items}</List>")
    whole = parse_records(body, [("list", "item")])
    for size in (1, 7, 4096):
        chunks = (body[i : i + size] for i in range(0, len(body), size))
        reader = BodyReader(
            chunks, resource="x.nv", deadline=float("inf"), max_bytes=len(body), timeout=0.0
        )
        assert parse_records(reader, [("list", "item")]) == whole
    assert whole[3] == {"a": "3", "netvisorkey": 3, "name": "Åbo 3"}


def test_nested_paths_yield_inner_and_outer_records():
    body = envelope(
        "<List><Item><NetvisorKey>1</NetvisorKey></Item><Item><NetvisorKey>2</NetvisorKey>"
        "</Item></List>"
    )
    records = parse_records(body, [(), ("list", "item")])
    assert records == [
        {"netvisorkey": 1},
        {"netvisorkey": 2},
        {"list": {"item": [{"netvisorkey": 1}, {"netvisorkey": 2}]}},
    ]
    assert parse_records(body, [("list",), ("list", "item")])[-1] == records[-1]["list"]


@pytest.mark.parametrize(
    ("paths", "where"),
    [([("list", "item")], "<List/Item/netvisorkey>"), ([()], "<Root/List/Item/netvisorkey>")],
)
def test_bad_value_names_its_path_in_either_mode(paths, where):
    body = envelope("<List><Item><netvisorkey>x</netvisorkey></Item></List>")
    with pytest.raises(errors.UnexpectedValue) as info:
        parse_records(body, paths)
    assert str(info.value).startswith(where)


def test_bad_value_in_a_cut_off_record_is_a_truncated_body():
    # A record is judged when it is complete: a body cut inside it is malformed (retried),
    # whatever its values.
    body = envelope("<List><Item><NetvisorKey>x</NetvisorKey><Name>a</Name></Item></List>")
    with pytest.raises(errors.MalformedResponse, match="truncated") as info:
        parse_records(body[: body.index(b"<Name>")], [("list", "item")])
    assert type(info.value) is errors.MalformedResponse


def test_payload_before_response_status_is_malformed():
    body = (
        b"<Root><List><Item><NetvisorKey>x</NetvisorKey></Item></List>"
        b"<ResponseStatus><Status>OK</Status></ResponseStatus></Root>"
    )
    with pytest.raises(errors.MalformedResponse, match="payload before ResponseStatus"):
        parse_records(body, [("list", "item")])


@pytest.mark.parametrize(
    ("declared", "payload", "error"),
    [
        ("ISO-8859-15", KAHVI.encode("iso-8859-15"), None),
        ("utf-8", KAHVI.encode("utf-8"), None),
        ("utf-8", KAHVI.encode("iso-8859-15"), "declares UTF-8"),
        ("ISO-8859-15", "ö".encode("iso-8859-15") + b" " + "ä".encode(), "mixes"),
    ],
)
def test_streamed_body_decodes_after_a_long_ascii_run(declared, payload, error):
    """The ASCII scan is per chunk: the first non-ASCII byte may come late, at a chunk edge."""
    from netvisor_assets.netvisor.stream import BodyReader

    padding = "".join(f"<Item><Name>a{i}</Name></Item>" for i in range(300))
    body = _named(declared, payload).replace(b"<List>", f"<List>{padding}".encode(), 1)
    for size in (1, 3, 1000, len(body)):
        chunks = (body[i : i + size] for i in range(0, len(body), size))
        reader = BodyReader(
            chunks, resource="x.nv", deadline=float("inf"), max_bytes=len(body), timeout=0.0
        )
        if error is None:
            assert parse_records(reader, [("list", "item")])[-1] == {"name": KAHVI}
        else:
            with pytest.raises(errors.EncodingMismatch, match=error):
                parse_records(reader, [("list", "item")])
