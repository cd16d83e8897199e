"""One value: formatting a leaf or attribute as the response carries it, and parsing it back
with the fields.py rules (type by key, empty -> None, strings stripped)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from netvisor_assets.netvisor.fields import field_type
from netvisor_assets.simulator.render.spelling import (
    BOOL_TRUE_FALSE,
    BOOL_YES_NO,
    DATE_FINNISH_ANSI,
    DATE_ISO_ANSI,
    DATETIME_FORMATS,
    DECIMAL_POINT_KEYS,
    DEFAULT_STYLE,
    Style,
)
from netvisor_assets.timezone import HELSINKI

# --- leaf formatting ------------------------------------------------------------------------


def _fmt_decimal(value: Decimal, key: str) -> str:
    text = format(value, "f")
    if key in DECIMAL_POINT_KEYS and not _comma_anyway(value):
        return text
    return text.replace(".", ",")


def _comma_anyway(value: Decimal) -> bool:
    # Real salesinvoicelist responses spell SalesInvoiceAmount both ways ("244.12" and
    # "1234,50"); about half of the amounts (by their last cent) get the comma here.
    return value.is_finite() and int(value.scaleb(2)) % 2 == 1


def _helsinki(value: dt.datetime) -> dt.datetime:
    return value.astimezone(HELSINKI) if value.tzinfo else value.replace(tzinfo=HELSINKI)


def finnish_datetime(value: dt.datetime) -> str:
    """`d.M.yyyy H:mm:ss`, Netvisor's TimeStamp/LastModifiedTimestamp spelling."""
    value = _helsinki(value)
    clock = f"{value.hour}:{value.minute:02d}:{value.second:02d}"
    return f"{value.day}.{value.month}.{value.year} {clock}"


def format_leaf(key: str, value: Any, style: Style = DEFAULT_STYLE) -> tuple[str, bool]:
    """(text, carries format="ansi") for a leaf value under record key `key`."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        if key in BOOL_YES_NO:
            return ("Yes" if value else "No"), False
        if key in BOOL_TRUE_FALSE or key in style.bool_true_false:
            return ("True" if value else "False"), False
        return ("1" if value else "0"), False
    if isinstance(value, Decimal):
        return _fmt_decimal(value, key), False
    if isinstance(value, dt.datetime):
        pattern, ansi = DATETIME_FORMATS.get(key, (None, False))
        if pattern is None:
            return finnish_datetime(value), False
        return _helsinki(value).strftime(pattern), ansi
    if isinstance(value, dt.date):
        if key in DATE_ISO_ANSI:
            return value.isoformat(), True
        return f"{value.day}.{value.month}.{value.year}", key in DATE_FINNISH_ANSI
    if isinstance(value, float):
        # Money is Decimal everywhere; a float here is a generator bug worth seeing as text.
        return _fmt_decimal(Decimal(repr(value)), key), False
    return str(value), False


def format_attribute(key: str, value: Any) -> str:
    """Attribute values: dates ISO, decimals with a comma, booleans 1/0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return _fmt_decimal(value, key)
    if isinstance(value, dt.datetime):
        return _helsinki(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --- parsing back (the fields.py rules) ------------------------------------------------------

_TRUE = frozenset({"1", "true", "yes", "kyllä", "ja"})
_FALSE = frozenset({"0", "false", "no", "ei", "nej"})


def _parse_date(text: str) -> dt.date:
    if "-" in text:
        return dt.date.fromisoformat(text[:10])
    day, month, year = text.split(".")
    return dt.date(int(year), int(month), int(day))


def _parse_datetime(text: str) -> dt.datetime:
    date_part, _, time_part = text.partition(" ")
    day = _parse_date(date_part)
    pieces = [int(p) for p in time_part.split(":")] if time_part else [0, 0]
    while len(pieces) < 3:
        pieces.append(0)
    return dt.datetime(day.year, day.month, day.day, *pieces[:3], tzinfo=HELSINKI)


def parse_leaf(key: str, text: str) -> Any:
    """What a fields.py parser makes of element text under record key `key`."""
    text = text.strip()
    if not text:
        return None
    kind = field_type(key)
    try:
        if kind == "int":
            return int(text)
        if kind == "decimal":
            return Decimal(text.replace(",", "."))
        if kind == "date":
            return _parse_date(text)
        if kind == "datetime":
            return _parse_datetime(text)
        if kind == "bool":
            low = text.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
    except (ValueError, InvalidOperation):
        pass
    return text
