"""NetvisorResource: the Dagster face of `NetvisorClient`.

Secrets reach the resource only as `dg.EnvVar`, which Dagster resolves when a run starts, so
keys never end up in the code location's definitions snapshot, the UI or run config. Without
any `NETVISOR_*` credentials the documented demo credentials are used: they only open the
bundled simulator, which makes `dagster dev` work out of the box.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import dagster as dg
from pydantic import Field

from netvisor_assets.netvisor.client import (
    ConnectionCheck,
    NetvisorClient,
)
from netvisor_assets.settings import (
    DEFAULT_MAX_RESPONSE_MB,
    DEFAULT_TIMEOUT_SECONDS,
    ENV_VARS,
    NetvisorSettings,
)


class NetvisorResource(dg.ConfigurableResource):
    """Credentials and transport settings for one Netvisor company."""

    base_url: str = Field(
        description="https://integration.netvisor.fi (production), https://isvapi.netvisor.fi "
        "(Netvisor's test environment) or the local simulator's URL."
    )
    sender: str = Field(description="Integration name shown to Netvisor support (ASCII).")
    customer_id: str = Field(description="API user id (Netvisor: Company > API identifiers).")
    customer_key: str = Field(
        repr=False, description="API user key; secret, set through an EnvVar."
    )
    partner_id: str = Field(description="Partner id issued by Netvisor.")
    partner_key: str = Field(repr=False, description="Partner key; secret, set through an EnvVar.")
    organisation_id: str = Field(description="The company's Y-tunnus, e.g. 1967543-8.")
    language: str = Field(
        default="EN", description="Interface language; EN keeps booleans machine-readable."
    )
    min_interval_seconds: float = Field(
        default=0.0, description="Minimum pause between request starts to this company."
    )
    max_attempts: int = Field(
        default=6, description="Attempts per request, the first one included."
    )
    backoff_initial_seconds: float = Field(
        default=0.5, description="First retry pause; pauses double up to the maximum."
    )
    backoff_max_seconds: float = Field(default=60.0, description="Longest retry pause.")
    timeout_seconds: float = Field(
        default=DEFAULT_TIMEOUT_SECONDS,
        description="Total deadline of one request, body included; Netvisor's guide asks "
        "for at least 360 s (NETVISOR_TIMEOUT_SECONDS).",
    )

    max_response_mb: int = Field(
        default=DEFAULT_MAX_RESPONSE_MB,
        description="Largest response accepted, in MB (NETVISOR_MAX_RESPONSE_MB).",
    )

    def _client(self) -> NetvisorClient:
        # EnvVar values arrive as the environment holds them; the settings validated them
        # stripped, so a key pasted with a trailing newline must also be sent stripped.
        return NetvisorClient(
            self.base_url.strip(),
            self.sender.strip(),
            self.customer_id.strip(),
            self.customer_key.strip(),
            self.partner_id.strip(),
            self.partner_key.strip(),
            self.organisation_id.strip(),
            self.language.strip(),
            timeout=self.timeout_seconds,
            max_response_bytes=self.max_response_mb * 1024 * 1024,
            min_interval=self.min_interval_seconds,
            max_attempts=self.max_attempts,
            backoff_initial=self.backoff_initial_seconds,
            backoff_max=self.backoff_max_seconds,
        )

    @contextmanager
    def get_client(self) -> Iterator[NetvisorClient]:
        """A client for the duration of a block; its connections close afterwards.

        Clients are cheap and share the per-company request lock, so one per asset is fine.
        """
        client = self._client()
        try:
            yield client
        finally:
            client.close()

    def check_connection(self) -> ConnectionCheck:
        """Whether the credentials work, with a one-line explanation and hint when not."""
        with self.get_client() as client:
            return client.check_connection()


# Keys come through EnvVar so they are read at run time and never stored in definitions.
_ENV_VAR_FIELDS = ("customer_id", "customer_key", "partner_id", "partner_key")


def netvisor_resource_from_env(environ: Mapping[str, str] | None = None) -> NetvisorResource:
    """The resource for this deployment, validated now (load time) by `NetvisorSettings`.

    With credentials in the environment the secret fields are `dg.EnvVar`s; with none, the
    simulator's public demo credentials. A partial set is an error (raised by the settings).
    """
    settings = NetvisorSettings.from_env(environ)
    common = {
        "base_url": settings.base_url,
        "sender": settings.sender,
        "organisation_id": settings.organisation_id,
        "language": settings.language,
        "timeout_seconds": settings.timeout_seconds,
        "max_response_mb": settings.max_response_mb,
    }
    if settings.is_demo:
        return NetvisorResource(
            **common,
            customer_id=settings.customer_id,
            customer_key=settings.customer_key,
            partner_id=settings.partner_id,
            partner_key=settings.partner_key,
        )
    secrets = {field: dg.EnvVar(ENV_VARS[field]) for field in _ENV_VAR_FIELDS}
    return NetvisorResource(**common, **secrets)


def client_from_settings(settings: NetvisorSettings) -> NetvisorClient:
    """A client outside any run (command line, admin): values as validated, never EnvVars.

    `NetvisorResource` fields read from `dg.EnvVar` resolve only inside a run, so code that
    runs before one (the CLI's connection check) builds its client from the settings instead.
    """
    defaults = NetvisorResource.model_fields
    return NetvisorClient.from_settings(
        settings,
        timeout=settings.timeout_seconds,
        max_response_bytes=settings.max_response_mb * 1024 * 1024,
        max_attempts=defaults["max_attempts"].default,
        backoff_initial=defaults["backoff_initial_seconds"].default,
        backoff_max=defaults["backoff_max_seconds"].default,
    )
