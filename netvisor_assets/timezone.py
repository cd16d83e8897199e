"""Netvisor's clock: a Finnish company's days, partitions and schedules are Helsinki days."""

from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")
