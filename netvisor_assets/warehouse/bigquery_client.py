"""Clients and job options for the BigQuery backend: where clients come from (a dagster-gcp
resource, or the emulator when one is configured), and how labels and query parameters are
spelled so BigQuery accepts them and money never becomes FLOAT64."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from google.cloud import bigquery

from netvisor_assets.warehouse.config import emulator_host
from netvisor_assets.warehouse.errors import WarehouseError
from netvisor_assets.warehouse.sql import check_identifier

_LABEL = re.compile(r"[^a-z0-9_-]")

ClientFactory = Callable[[], contextlib.AbstractContextManager[bigquery.Client]]


def job_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """Labels as BigQuery accepts them: lower case, [a-z0-9_-], at most 63 characters."""
    out = {}
    for key, value in labels.items():
        k = _LABEL.sub("_", key.lower())[:63]
        if k and k[0].isalpha():
            out[k] = _LABEL.sub("_", str(value).lower())[:63]
    return out


def query_parameter(
    name: str, value: Any
) -> bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter:
    """A typed query parameter; floats are refused so money never becomes FLOAT64."""
    check_identifier(name, "query parameter name")
    if isinstance(value, list | tuple):
        if not value:
            raise WarehouseError(f"query parameter {name}: empty list has no element type")
        first = query_parameter(name, value[0])
        return bigquery.ArrayQueryParameter(name, first.type_, list(value))
    if isinstance(value, bool):
        type_ = "BOOL"
    elif isinstance(value, int):
        type_ = "INT64"
    elif isinstance(value, decimal.Decimal):
        type_ = "NUMERIC"
    elif isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise WarehouseError(f"query parameter {name}: naive datetime {value!r}")
        type_ = "TIMESTAMP"
    elif isinstance(value, dt.date):
        type_ = "DATE"
    elif isinstance(value, str):
        type_ = "STRING"
    else:
        raise WarehouseError(
            f"query parameter {name}: unsupported {type(value).__name__} (use Decimal for money)"
        )
    return bigquery.ScalarQueryParameter(name, type_, value)


@contextlib.contextmanager
def emulator_client(
    endpoint: str, project: str, location: str | None = None
) -> Iterator[bigquery.Client]:
    """A client for the emulator: anonymous credentials never try to refresh a token."""
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials

    client = bigquery.Client(
        project=project,
        location=location,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=endpoint),
    )
    try:
        yield client
    finally:
        client.close()


def resource_client_factory(resource: Any, project: str | None = None) -> ClientFactory:
    """Clients from a dagster-gcp `BigQueryResource`, or the emulator when one is configured.

    The emulator is looked up when the client is made (not when the resource is built) so a
    test can point an already configured resource at the emulator it has just started.
    """

    def factory() -> contextlib.AbstractContextManager[bigquery.Client]:
        endpoint = emulator_host()
        if endpoint:
            emulator_project = project or resource.project
            if not emulator_project:
                raise WarehouseError("BIGQUERY_PROJECT must be set to use the BigQuery emulator")
            return emulator_client(endpoint, emulator_project, resource.location)
        return resource.get_client()

    return factory
