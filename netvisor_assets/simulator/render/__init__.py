"""Records -> Netvisor XML, streamed; and records -> what a fields.py parser reads back.

Rendering is the inverse of `netvisor_assets.netvisor.fields`: a record key becomes an element
name in Netvisor's spelling (`netvisorkey` -> `NetvisorKey`, but `Netvisorkey` in the customer
and dimension lists), `<element>_<attr>` keys become attributes of the sibling leaf, a group's
own attributes (`Voucher Status="valid"`) come from `GROUP_ATTRIBUTES`, lists become repeated
elements. Values are formatted as the samples in `/work/shared/netvisor-samples` show them:
comma decimals, `d.M.yyyy` ledger and payment dates, ISO `format="ansi"` invoice dates,
`YYYY-MM-DD HH:MM` delete dates, `1`/`0` vs `True`/`False` vs `Yes`/`No` booleans per field.

`expected_record` is the ground truth: each leaf is formatted exactly as the response carries
it and parsed back with the fields.py rules (type by key, empty -> None, strings stripped,
repeated children always lists). Because the response and the ground truth are produced from
the same records by the same classification code, `client.fetch(...) == ground_truth(...)`
holds exactly when the client implements fields.py.

Documents are generated piece by piece (`stream_document`) and encoded in chunks of about
32 KiB, so a response over the whole company never exists as one string.

The package splits the work: `spelling` (element and attribute names, per-field value
styles), `leaves` (formatting and parsing one value), `document` (structure and streamed
documents) and `truth` (the expected parse result).
"""

from __future__ import annotations

from netvisor_assets.simulator.render.document import (
    Element,
    Raw,
    Records,
    Wrapper,
    document_lines,
    error_document,
    is_leaf_with_attrs,
    render_element,
    shape_of,
    stream_document,
    timestamp_now,
)
from netvisor_assets.simulator.render.leaves import (
    finnish_datetime,
    format_attribute,
    format_leaf,
    parse_leaf,
)
from netvisor_assets.simulator.render.spelling import (
    ATTRIBUTE_NAMES,
    BOOL_TRUE_FALSE,
    BOOL_YES_NO,
    CHUNK_SIZE,
    DATE_FINNISH_ANSI,
    DATE_ISO_ANSI,
    DATETIME_FORMATS,
    DECIMAL_POINT_KEYS,
    DEFAULT_STYLE,
    ELEMENT_NAMES,
    GROUP_ATTRIBUTES,
    INDENT,
    NL,
    XML_DECLARATION,
    Style,
)
from netvisor_assets.simulator.render.truth import (
    expected_record,
)
from netvisor_assets.timezone import HELSINKI

__all__ = [
    "ATTRIBUTE_NAMES",
    "BOOL_TRUE_FALSE",
    "BOOL_YES_NO",
    "CHUNK_SIZE",
    "DATETIME_FORMATS",
    "DATE_FINNISH_ANSI",
    "DATE_ISO_ANSI",
    "DECIMAL_POINT_KEYS",
    "DEFAULT_STYLE",
    "ELEMENT_NAMES",
    "GROUP_ATTRIBUTES",
    "Element",
    "HELSINKI",
    "INDENT",
    "NL",
    "Raw",
    "Records",
    "Style",
    "Wrapper",
    "XML_DECLARATION",
    "document_lines",
    "error_document",
    "expected_record",
    "finnish_datetime",
    "format_attribute",
    "format_leaf",
    "is_leaf_with_attrs",
    "parse_leaf",
    "render_element",
    "shape_of",
    "stream_document",
    "timestamp_now",
]
