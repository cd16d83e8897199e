"""Reference tables: accounts, periods, voucher types, dimensions, payment terms and sales
people (the `reference` table family)."""

from __future__ import annotations

from collections.abc import Mapping

from netvisor_assets.simulator.handlers.params import (
    CompanyLike,
    Params,
    Reply,
    listing,
)
from netvisor_assets.simulator.render import (
    Element,
    Records,
    Style,
    Wrapper,
)


def _defaults_then_list(
    wrapper: str, defaults_tag: str, defaults: Mapping, item: str, records: list
) -> Reply:
    """`<wrapper>` holding the defaults element, then the records as `item` elements inside
    their plural (`<accounts><account/>...`): the accountlist and vouchertypelist shape."""
    parts = [
        Wrapper(
            wrapper,
            [Element(defaults_tag, defaults), Wrapper(f"{item}s", [Records(item, records)])],
        )
    ]
    return Reply(parts, item, records)


def accountlist(company: CompanyLike, p: Params) -> Reply:
    """Default accounts then the account tree; the records are the Account elements."""
    accounts = list(getattr(company, "accounts", []))
    defaults = getattr(company, "company_default_accounts", None) or {}
    return _defaults_then_list(
        "accountlist", "companydefaultaccounts", defaults, "account", accounts
    )


def accountingperiodlist(company: CompanyLike, p: Params) -> Reply:
    """Lock dates then the periods; the records are the Period elements."""
    periods = list(getattr(company, "periods", []))
    lock = getattr(company, "period_lock_information", None) or {}
    parts = [
        Wrapper(
            "accountingperiodlist",
            [Element("periodlockinformation", lock), Records("period", periods)],
        )
    ]
    return Reply(parts, "period", periods)


def vouchertypelist(company: CompanyLike, p: Params) -> Reply:
    """Default voucher types then all types; the records are the VoucherType elements."""
    types = list(getattr(company, "voucher_types", []))
    defaults = getattr(company, "default_voucher_types", None) or {}
    return _defaults_then_list(
        "vouchertypelist", "defaultvouchertypes", defaults, "vouchertype", types
    )


DIMENSION_STYLE = Style(names={"netvisorkey": "Netvisorkey", "fatherid": "FatherID"})


def dimensionlist(company: CompanyLike, p: Params) -> Reply:
    """Hidden dimension names and items appear only with `showhidden=1`."""
    show_hidden = p.flag("showhidden")
    rows = []
    for record in getattr(company, "dimensions", []):
        if show_hidden:
            rows.append(record)
            continue
        if record.get("ishidden"):
            continue
        details = record.get("dimensiondetails")
        if isinstance(details, Mapping) and isinstance(details.get("dimensiondetail"), list):
            visible = [d for d in details["dimensiondetail"] if not d.get("ishidden")]
            if len(visible) != len(details["dimensiondetail"]):
                record = {**record, "dimensiondetails": {**details, "dimensiondetail": visible}}
        rows.append(record)
    return listing("dimensionnamelist", "dimensionname", rows, DIMENSION_STYLE)


def paymenttermlist(company: CompanyLike, p: Params) -> Reply:
    """All payment terms (no parameters)."""
    return listing("paymenttermlist", "paymentterm", list(getattr(company, "payment_terms", [])))


def salespersonnellist(company: CompanyLike, p: Params) -> Reply:
    """All sales people (no parameters)."""
    people = list(getattr(company, "sales_personnel", []))
    return listing("salespersonnellist", "salesperson", people)
