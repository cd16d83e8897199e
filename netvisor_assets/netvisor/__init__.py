"""The Netvisor API boundary: signing, transport, parsing. Knows nothing of Dagster."""

from netvisor_assets.netvisor.auth import Credentials, build_headers, compute_mac
from netvisor_assets.netvisor.client import (
    ConnectionCheck,
    NetvisorClient,
    RawResponse,
)
from netvisor_assets.netvisor.errors import (
    AuthenticationFailed,
    DuplicateData,
    InvalidData,
    InvalidDataSize,
    MalformedResponse,
    NetvisorError,
    NetvisorUnavailable,
    PeriodLock,
    RequestNotUnique,
    ServiceAccessError,
    SystemMaintenance,
    TechnicalError,
    UnexpectedHttpStatus,
    UnexpectedValue,
    UnknownNetvisorError,
)

__all__ = [
    "AuthenticationFailed",
    "ConnectionCheck",
    "Credentials",
    "DuplicateData",
    "InvalidData",
    "InvalidDataSize",
    "MalformedResponse",
    "NetvisorClient",
    "NetvisorError",
    "NetvisorUnavailable",
    "PeriodLock",
    "RawResponse",
    "RequestNotUnique",
    "ServiceAccessError",
    "SystemMaintenance",
    "TechnicalError",
    "UnexpectedHttpStatus",
    "UnexpectedValue",
    "UnknownNetvisorError",
    "build_headers",
    "compute_mac",
]
