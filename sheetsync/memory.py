"""A large run's memory: what it frees goes back to the system, what it keeps stays out of
the garbage collector's way.

glibc keeps the pages of freed memory for its own reuse: after a step of a 100 k-customer run
lets go of its frames (or calamine of its parsed cells), the process still counts them, and
the next step allocates elsewhere, so the peak grows step by step. Returning them at each
step's end costs a few milliseconds and ~80 MB at 100 k customers. The read's grids, which
live until the run ends, are frozen out of the collector's passes (`long_lived`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
from collections.abc import Iterator


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def give_back_freed_memory() -> None:
    """Return the heap's free pages to the system (`malloc_trim`). Nothing where there is no
    glibc (macOS, Windows, musl), whose allocators return memory on their own terms."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


M_MMAP_THRESHOLD = -3  # mallopt's parameter (glibc's malloc.h)
LARGE_BLOCK = 32 << 20  # blocks this large are mapped on their own (glibc's own ceiling)


def map_large_blocks() -> None:
    """Fix glibc's threshold for mapping a block on its own. Left to itself, glibc raises it
    (and the size it leaves untrimmed at the heap's top) as large blocks are freed: after
    calamine freed its parsed tabs, ~60 MB of a 100 k-customer read stayed counted for the
    rest of the run, malloc_trim or not. Fixed at any size up to its ceiling, it does not
    move; at the ceiling, calamine's blocks of ~10 MB still come from the heap (mapping each
    anew cost ~0.2 s of page faults in that read). Once a process is enough; nothing where
    there is no glibc."""
    libc = _libc()
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK)


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """Around making what lives until the run ends and holds no cycles (the read's grids: at
    100 k customers, ~1.5 M rows and values). The garbage collector is paused while they
    are made, and they are then frozen out of its later passes (`gc.freeze`): otherwise each
    pass walks them again, ~10 % of a run. Nothing that makes cyclic garbage belongs
    inside (pandas frames do: paused, they would stay until the pause ends). `thaw()` once
    the run is over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.freeze()


def thaw() -> None:
    """The end of `long_lived`: what the run made is collected as usual again (a `serve`
    process runs for months, and its next run must not find this one's frozen)."""
    gc.unfreeze()
