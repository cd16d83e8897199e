"""The warehouse's exceptions, in a module of their own so that every part of the contract
(frame preparation, SQL helpers, the backends) can raise them without importing the others."""

from __future__ import annotations


class WarehouseError(Exception):
    """A write or read the warehouse refused; nothing was changed."""


class FrameError(WarehouseError, ValueError):
    """The frame does not fit the table (columns, types, keys, window); nothing was written."""


class SchemaConflictError(WarehouseError):
    """The stored table disagrees with the registry in a way a load must not paper over."""
