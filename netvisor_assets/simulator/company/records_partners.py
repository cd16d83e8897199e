"""Record builders of the partners family: customers, vendors and products (the dicts of
`netvisor/fields.py`, built lazily on access)."""

from __future__ import annotations

import random
from decimal import Decimal

from netvisor_assets.simulator import names as N
from netvisor_assets.simulator.company.store import (
    _CUSTOMER_COUNTRIES,
    _VAT_DEC,
    K_CUST,
    K_PROD,
    K_VEND,
    PAYMENT_TERMS,
    _iban,
    _mix,
    _money,
    _purchase_price,
    _reference,
    _slug,
    _to_dt,
    _vat,
    y_tunnus,
)


class PartnerRecordsMixin:
    """`_build_customers`, `_build_vendors`, `_build_products` and the facts they share."""

    def _customer_base(self, i: int) -> dict:
        """Immutable facts of customer i (name, ids, address), cached: every invoice uses them."""
        cached = self._cache.get((K_CUST, i, 0))
        if cached is not None:
            return cached
        r = random.Random(_mix(self.seed, K_CUST, i, 0))
        r.random()  # the payment term was drawn from this stream first
        country = self._t[K_CUST].ref2[i]
        if country:
            out = self._foreign_base(r, _CUSTOMER_COUNTRIES[country], None)
            out.update(private=False, code=str(10_000 + i + 1),
                       group=r.randrange(len(N.CUSTOMER_GROUPS)),
                       seller=i % len(self.sales_personnel))  # fmt: skip
            self._cache[(K_CUST, i, 0)] = out
            return out
        private = r.random() < 0.1
        if private:
            first, last = r.choice(N.FIRST_NAMES), r.choice(N.SURNAMES)
            name = f"{first} {last}"
            ytunnus = None
        elif r.random() < 0.5:
            name = f"{r.choice(N.SURNAME_GENITIVES)} {r.choice(N.CUSTOMER_TRADES)} " + r.choice(
                N.COMPANY_FORMS
            )
            ytunnus = y_tunnus(i * 7_654_321 + self.seed * 31)
        else:
            name = f"{r.choice(N.CUSTOMER_TRADES)} {r.choice(N.BRAND_WORDS)} " + r.choice(
                N.COMPANY_FORMS
            )
            ytunnus = y_tunnus(i * 7_654_321 + self.seed * 31)
        city, prefix = r.choice(N.CITIES)
        out = {
            "private": private,
            "name": name,
            "code": str(10_000 + i + 1),
            "ytunnus": ytunnus,
            "street": f"{r.choice(N.STREETS)} {r.randint(1, 80)}",
            "city": city,
            "postnumber": f"{prefix}{r.randint(0, 9)}0",
            "group": r.randrange(len(N.CUSTOMER_GROUPS)),
            "domain": _slug(name.rsplit(" ", 1)[0]) + ".fi",
            "seller": i % len(self.sales_personnel),
            "country": "FI",
            "vatid": None,
        }
        self._cache[(K_CUST, i, 0)] = out
        return out

    def _vendor_base(self, i: int) -> dict:
        cached = self._cache.get((K_VEND, i, 0))
        if cached is not None:
            return cached
        r = random.Random(_mix(self.seed, K_VEND, i, 0))
        r.random()
        profile = self._t[K_VEND].ref2[i]
        if profile:
            country, *_rest, stems = N.FOREIGN_VENDORS[profile - 1]
            out = self._foreign_base(r, country, stems)
            out["code"] = f"T{100 + i + 1}"
            self._cache[(K_VEND, i, 0)] = out
            return out
        cat = N.VENDOR_CATEGORIES[self._t[K_VEND].party[i]]
        name = f"{r.choice(N.BRAND_WORDS)} {cat[0]} {r.choice(('Oy', 'Oy', 'Ab', 'Oyj'))}"
        city, prefix = r.choice(N.CITIES)
        bank = r.choice(N.BANKS)
        out = {
            "name": name,
            "code": f"T{100 + i + 1}",
            "ytunnus": y_tunnus(i * 7_654_321 + 1_450_000 + self.seed * 31),
            "street": f"{r.choice(N.STREETS)} {r.randint(1, 80)}",
            "city": city,
            "postnumber": f"{prefix}{r.randint(0, 9)}0",
            "iban": _iban(f"{bank[2]}{r.randrange(10**13):013d}"),
            "bank": bank[0],
            "domain": _slug(name.rsplit(" ", 1)[0]) + ".fi",
            "country": "FI",
        }
        self._cache[(K_VEND, i, 0)] = out
        return out

    @staticmethod
    def _foreign_base(r: random.Random, country: str, stems: tuple[str, ...] | None) -> dict:
        """Name, address, VAT number and bank of a foreign party. EU parties are identified by
        their VAT number (where a Finnish one has its Y-tunnus); US parties by none, and they
        have no IBAN."""
        facts = N.FOREIGN_COUNTRIES[country]
        _name, _cur, cities, streets, customer_stems, forms, banks, tld = facts
        city = r.choice(cities)
        stem = r.choice(stems or customer_stems)
        name = f"{stem} {r.choice(forms)}" if stems else f"{stem} {city} {r.choice(forms)}"
        if country == "SE":
            vatid = f"SE{r.randrange(10**9, 10**10)}01"
            postnumber = f"{r.randint(100, 999)} {r.randint(10, 99)}"
            iban: str | None = _iban(f"{r.randrange(10**20):020d}", "SE")
        elif country == "DE":
            vatid = f"DE{r.randrange(10**8, 10**9)}"
            postnumber = f"{r.randint(10_000, 99_999)}"
            iban = _iban(f"{r.randrange(10**18):018d}", "DE")
        else:
            vatid, postnumber, iban = None, f"{r.randint(10_000, 99_999)}", None
        return {
            "name": name,
            "ytunnus": None,
            "vatid": vatid,
            "street": f"{r.choice(streets)} {r.randint(1, 80)}",
            "city": city,
            "postnumber": postnumber,
            "iban": iban,
            "bank": r.choice(banks),
            "domain": f"{_slug(stem)}.{tld}",
            "country": country,
        }

    def _contact(self, kind: int, i: int, domain: str) -> tuple[str, str, str, str]:
        """Editable contact facts of version `ver`: (person, email, phone, comment)."""
        ver = self._t[kind].ver[i]
        r = random.Random(_mix(self.seed, kind, i, 1000 + ver))
        first, last = r.choice(N.FIRST_NAMES), r.choice(N.SURNAMES)
        phone = f"0{r.choice((40, 44, 45, 50))} {r.randrange(10**6, 10**7)}"
        comment = ("Hyvä asiakas", "Maksaa ajallaan", "Toimitus takaovelle", None)[ver % 4]
        return f"{first} {last}", f"{_slug(first)}.{_slug(last)}@{domain}", phone, comment

    def _build_customers(self, i: int) -> dict:
        t = self._t[K_CUST]
        b = self._customer_base(i)
        person, email, phone, comment = self._contact(K_CUST, i, b["domain"])
        term = PAYMENT_TERMS[t.party[i]]
        ovt = "0037" + b["ytunnus"].replace("-", "") if b["ytunnus"] else None
        return {
            "customerbaseinformation": {
                "netvisorkey": t.key(i),
                "internalidentifier": b["code"],
                "externalidentifier": b["ytunnus"] or b["vatid"],
                "organizationunitnumber": ovt,
                "customergroupnetvisorkey": b["group"] + 1,
                "customergroupname": N.CUSTOMER_GROUPS[b["group"]],
                "name": b["name"],
                "nameextension": None,
                "streetaddress": b["street"],
                "additionalstreetaddress": None,
                "city": b["city"],
                "postnumber": b["postnumber"],
                "country": b["country"],
                "country_type": "ISO-3166",
                "phonenumber": phone,
                "faxnumber": None,
                "email": email if b["private"] else f"info@{b['domain']}",
                "emailinvoicingaddress": None if ovt else email,
                "homepageuri": None if b["private"] else f"www.{b['domain']}",
                "isactive": bool(t.status[i]),
                "isprivatecustomer": b["private"],
            },
            "customerfinvoicedetails": {
                "finvoiceaddress": ovt,
                "finvoiceroutercode": N.FINVOICE_OPERATORS[i % 4] if ovt else None,
            },
            "customerdeliverydetails": {
                "deliveryname": b["name"],
                "deliverystreetaddress": b["street"],
                "deliverycity": b["city"],
                "deliverypostnumber": b["postnumber"],
            },
            "customercontactdetails": {
                "contactperson": person,
                "contactpersonemail": email,
                "contactpersonphone": phone,
            },
            "customeradditionalinformation": {
                "comment": comment,
                "referencenumber": _reference(b["code"]),
                "usecreditorreferencenumber": False,
                "yourdefaultreference": None,
                "defaultpaymentterm": term[0],
                "balancelimit": _money(500_000 if not b["private"] else 100_000),
            },
            "_modified": _to_dt(t.modified[i]),
        }

    def _build_vendors(self, i: int) -> dict:
        t = self._t[K_VEND]
        b = self._vendor_base(i)
        cat, account, vat10, *_rest = self._vendor_facts(i)
        person, email, phone, comment = self._contact(K_VEND, i, b["domain"])
        return {
            "netvisorkey": t.key(i),
            "vendorbaseinformation": {
                "code": b["code"],
                "name": b["name"],
                "address": b["street"],
                "postcode": b["postnumber"],
                "city": b["city"],
                "country": b["country"],
                "country_type": "ISO-3166",
                "organizationid": b["ytunnus"] or b["vatid"],
                "groupname": cat[0],
                "vendorbankaccounts": {
                    "vendordomesticbankaccounts": {
                        "vendordomesticbankaccount": [
                            {
                                "netvisorkey": t.key(i) * 10 + 1,
                                "iban": b["iban"],
                                "bankname": b["bank"],
                                "isdefault": True,
                            }
                        ],  # fmt: skip
                    },
                },
            },
            "vendorcontactdetails": {
                "phonenumber": phone,
                "email": f"laskutus@{b['domain']}",
                "faxnumber": None,
                "contactpersonname": person,
                "contactpersonphonenumber": phone,
                "contactpersonemail": email,
                "homepage": f"www.{b['domain']}",
                "comment": comment,
            },
            "vendoradditionalinformation": {
                "defaultvatpercent": _VAT_DEC[vat10],
                "ispartialvatreducedprivileged": False,
                "vendoraccountingaccounts": {
                    "vendoraccountingaccount": [
                        {
                            "accountnumber": account,
                            "accountname": self._acc_name[account],
                            "isdefault": True,
                        }
                    ],  # fmt: skip
                },
            },
            "_modified": _to_dt(t.modified[i]),
        }

    def _product_facts(self, i: int) -> tuple[str, str, int, int, int, str, str]:
        """(code, name, current unit price cents, purchase price, vat10, group, account)."""
        cats = N.PRODUCT_CATEGORIES
        if i < len(self._prod_cat):
            cat, price, name = self._prod_cat[i], self._prod_price[i], self._prod_name[i]
        else:  # added by advance(): never on invoices (see _si_lines)
            r = random.Random(_mix(self.seed, K_PROD, i, 0))
            cat = r.randrange(len(cats))
            lo, hi = cats[cat][6]
            price = r.randrange(lo // 10, hi // 10) * 10
            name = f"{cats[cat][5][r.randrange(len(cats[cat][5]))]} uutuus {i}"
        ver = self._t[K_PROD].ver[i]
        current = price * (100 + 3 * (ver - 1)) // 100
        return (f"{cats[cat][0]}{100 + i + 1}", name, current, _purchase_price(price), cats[cat][3],
                cats[cat][1], cats[cat][4])  # fmt: skip

    def _build_products(self, i: int) -> dict:
        t = self._t[K_PROD]
        code, name, price, purchase, vat10, group, account = self._product_facts(i)
        r = random.Random(_mix(self.seed, K_PROD, i, 2000 + t.ver[i]))
        stock = r.randrange(0, 200)
        return {
            "productbaseinformation": {
                "netvisorkey": t.key(i),
                "productcode": code,
                "productgroup": group,
                "name": name,
                "description": None,
                "unitprice": _money(price),
                "unitprice_type": "net",
                "unit": N.PRODUCT_CATEGORIES[self._cat_of(i)][2],
                "unitweight": Decimal("0.5"),
                "purchaseprice": _money(purchase),
                "tariffheading": None,
                "comissionpercentage": Decimal("0"),
                "isactive": True,
                "issalesproduct": True,
            },
            "productbookkeepingdetails": {
                "defaultvatpercent": _VAT_DEC[vat10],
                "defaultdomesticaccountnumber": account,
                "defaulteuaccountnumber": "3360",
                "defaultoutsideeuaccountnumber": "3380",
            },
            "productinventorydetails": {
                "inventoryamount": Decimal(stock),
                "inventorymidprice": _money(purchase),
                "inventoryvalue": _money(purchase * stock),
                "inventoryreservedamount": Decimal(0),
                "inventoryorderedamount": Decimal(0),
            },
            "_productgroupid": self._cat_of(i) + 1,
            "_unitgrossprice": _money(price + _vat(price, vat10)),
            "_modified": _to_dt(t.modified[i]),
        }

    def _cat_of(self, i: int) -> int:
        if i < len(self._prod_cat):
            return self._prod_cat[i]
        r = random.Random(_mix(self.seed, K_PROD, i, 0))
        return r.randrange(len(N.PRODUCT_CATEGORIES))
