"""glibc's allocator, told to give freed memory back while a long sync runs.

Measured (large company, seven months in two CLI runs, 0 ms latency): Python's own objects
alive during the sales invoices peaked at 78 MB (tracemalloc), yet the process grew by 200 MB
there and kept it. The growth was glibc's: freed chunks stayed in the heap (its mmap threshold
rises by itself after each large free, so later frames and response buffers land in the heap
instead of being unmapped), spread over one arena per thread (the detail fetch, the
prefetch). With the settings below the same sync peaked at 532 MB instead of 626 MB.

Set at import of the code location, so both the CLI sync and Dagster's run workers get them;
a variable the deployment already set (`MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`,
`MALLOC_ARENA_MAX`) wins. Elsewhere than glibc (macOS, musl) nothing is changed.
"""

from __future__ import annotations

import ctypes
import os
import sys

# mallopt parameters (glibc's malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

# Blocks of 64 KiB and more (a frame's column, a response body) are mapped and unmapped on
# their own; free memory above 64 KiB at the heap's top goes back; two arenas for all threads.
SETTINGS = {
    "MALLOC_MMAP_THRESHOLD_": (M_MMAP_THRESHOLD, 64 * 1024),
    "MALLOC_TRIM_THRESHOLD_": (M_TRIM_THRESHOLD, 64 * 1024),
    "MALLOC_ARENA_MAX": (M_ARENA_MAX, 2),
}


def tune_allocator() -> list[str]:
    """Apply the settings the environment leaves unset; return the variables applied."""
    if not sys.platform.startswith("linux"):
        return []
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return []
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    applied = []
    for variable, (param, value) in SETTINGS.items():
        if variable in os.environ:
            continue
        if mallopt(param, value) == 1:
            applied.append(variable)
    return applied
