"""Typed exceptions for everything that can go wrong talking to Netvisor.

Netvisor reports failures inside the XML body (`<Status>FAILED</Status>` followed by
`<Status>CODE :: message</Status>`), whatever the HTTP status. Each code gets its own class so
callers can catch what they can act on, and `retryable` tells the client's retry loop whether a
second attempt can succeed. Messages carry the resource name, the code and Netvisor's text
verbatim (it is what Netvisor support asks for), never a key, a MAC or request headers.
"""

from __future__ import annotations

from typing import Any


class NetvisorError(Exception):
    """Base class: a request to one Netvisor resource failed."""

    # Whether repeating the same request (with fresh headers) can succeed.
    retryable: bool = False
    # The Netvisor error code this class stands for (None for transport-level errors).
    default_code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        resource: str | None = None,
        code: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.resource = resource
        self.code = code if code is not None else self.default_code
        if retryable is not None:
            # Per-instance override, e.g. an HTTP 503 vs an HTTP 404 without an XML body.
            self.retryable = retryable

    def __str__(self) -> str:
        parts = [p for p in (self.resource, self.code) if p]
        prefix = f"[{' '.join(parts)}] " if parts else ""
        return f"{prefix}{self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructor arguments do not survive the default exception pickling,
        # and Dagster pickles errors across process boundaries.
        return (
            _rebuild,
            (type(self), self.message, self.resource, self.code, self.__dict__.get("retryable")),
        )


def _rebuild(
    cls: type[NetvisorError],
    message: str,
    resource: str | None,
    code: str | None,
    retryable: bool | None,
) -> NetvisorError:
    return cls(message, resource=resource, code=code, retryable=retryable)


class AuthenticationFailed(NetvisorError):
    """Credentials, headers or the MAC were rejected; retrying cannot help until config changes."""

    default_code = "AUTHENTICATION_FAILED"


class InvalidData(NetvisorError):
    """Bad parameters or body; some get resources also answer "not found" with this code."""

    default_code = "INVALID_DATA"


class InvalidDataSize(NetvisorError):
    default_code = "INVALID_DATA_SIZE"


class DuplicateData(NetvisorError):
    default_code = "DUPLICATE_DATA"


class RequestNotUnique(NetvisorError):
    """The transaction id was already used; a new attempt gets a new id, so it is retryable."""

    default_code = "REQUEST_NOT_UNIQUE"
    retryable = True


class PeriodLock(NetvisorError):
    default_code = "PERIOD_LOCK"


class ServiceAccessError(NetvisorError):
    """The integration lacks the right to this resource (a Netvisor admin must grant it)."""

    default_code = "SERVICE_ACCESS_ERROR"


class SystemMaintenance(NetvisorError):
    """Netvisor is under maintenance; worth retrying after a long pause."""

    default_code = "SYSTEM_MAINTENANCE"
    retryable = True


class TechnicalError(NetvisorError):
    """A server-side fault; usually transient."""

    default_code = "TECHNICAL_ERROR"
    retryable = True


class UnknownNetvisorError(NetvisorError):
    """A FAILED response with a code this client does not know; not retried, to be safe."""


class NetvisorUnavailable(NetvisorError):
    """No HTTP response at all (connection refused, DNS, timeout) after every attempt."""

    retryable = True


class MalformedResponse(NetvisorError):
    """The body is not a well-formed Netvisor envelope (truncated, cut off by a proxy, HTML).

    Truncation is transient, so this is retried; a malformed body never becomes rows.
    """

    retryable = True


class UnexpectedValue(MalformedResponse):
    """A well-formed response holds a value that cannot be its declared type.

    Deterministic: the same request returns the same value, so retrying would only waste time.
    """

    retryable = False


class RefusedBody(MalformedResponse):
    """defusedxml refused the body (a DTD, entities, external references).

    Deterministic and hostile: the same request returns the same body, so it is never retried.
    """

    retryable = False


class EncodingMismatch(MalformedResponse):
    """The body's bytes do not match its declared encoding in a way that can be undone.

    Decoding anyway would write mojibake ("KahvipaahtimÃ¶") into the warehouse; deterministic.
    """

    retryable = False


class ResponseTooLarge(NetvisorError):
    """The body exceeds the configured size cap; asking again returns the same size."""

    retryable = False


class DeadlineExceeded(NetvisorUnavailable):
    """The whole request (headers and body) took longer than its total deadline.

    Retryable, after a pause: Netvisor may still be working on the request it was sent.
    """

    retryable = True


class UnexpectedHttpStatus(NetvisorError):
    """A non-2xx HTTP status without a Netvisor error envelope; 5xx is retried, 4xx is not."""


_BY_CODE: dict[str, type[NetvisorError]] = {
    "AUTHENTICATION_FAILED": AuthenticationFailed,
    "INVALID_DATA": InvalidData,
    "INVALID_DATA_SIZE": InvalidDataSize,
    "DUPLICATE_DATA": DuplicateData,
    "REQUEST_NOT_UNIQUE": RequestNotUnique,
    "PERIOD_LOCK": PeriodLock,
    "SERVICE_ACCESS_ERROR": ServiceAccessError,
    # Which spelling the server really uses is unverified; one open-source client has the typo.
    "SYSTEM_MAINTENANCE": SystemMaintenance,
    "SYSTEM_MAINTANANCE": SystemMaintenance,
    "TECHNICAL_ERROR": TechnicalError,
}


def error_class(code: str) -> type[NetvisorError]:
    """Exception class for a Netvisor error code (case-insensitive; unknown codes map to
    UnknownNetvisorError)."""
    return _BY_CODE.get(code.strip().upper(), UnknownNetvisorError)


def error_for(code: str, message: str, *, resource: str | None = None) -> NetvisorError:
    """The exception for a FAILED response, keeping the code as Netvisor spelled it."""
    return error_class(code)(message, resource=resource, code=code.strip().upper())
