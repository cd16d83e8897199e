"""Query strings as Netvisor expects them, built exactly as they are signed and sent."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Mapping

from netvisor_assets.netvisor.endpoints import Param
from netvisor_assets.timezone import HELSINKI

# Characters that pass through httpx unchanged in a query value; anything else is
# percent-encoded by us so the signed URL and the sent URL are the same string.
_QUERY_SAFE = "-._~:,"


def format_param(value: Param) -> str:
    """Query value as Netvisor expects it: ISO dates, `T`-separated local datetimes, 1/0."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        local = value.astimezone(HELSINKI) if value.tzinfo else value
        return local.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return urllib.parse.quote(str(value), safe=_QUERY_SAFE)


def build_query(params: Mapping[str, Param] | None) -> str:
    """`k=v&k=v` in the given order, None values left out, no encoding of safe values."""
    if not params:
        return ""
    return "&".join(f"{k}={format_param(v)}" for k, v in params.items() if v is not None)
