"""A large run's memory, for the command line's processes (`sync`, `serve`, the benchmark):
what each step frees goes back to the system, and the read's grids stay out of the garbage
collector's passes. The library's own run (`pipeline.sync`) changes nothing process-wide:
these are process-wide choices (the allocator's settings, the collector), for the process
that owns them to make. See sheetsync/memory.py for why each is worth it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sheetsync.memory import give_back_freed_memory, long_lived, map_large_blocks, thaw
from sheetsync.report import Phases, peak_mb

OWN_PEAKS = False  # the benchmark's child sets it: each step's own peak (see CaredPhases)


class CaredPhases(Phases):
    """The run's steps as `Phases` times them, each one wrapped in the process's memory care:
    glibc's large blocks mapped at a fixed threshold for the run, what a step freed given
    back as it starts and as it ends, the read's grids frozen out of the collector until the
    run ends. With `OWN_PEAKS` (the benchmark, on Linux) each step's peak is its own, the
    process's peak being reset as it starts (`highest_mb` keeps the run's)."""

    @contextlib.contextmanager
    def run(self) -> Iterator[None]:
        map_large_blocks()
        try:
            yield
        finally:
            thaw()  # what the read froze: collected as usual again (a `serve` runs for months)

    def lasting(self) -> contextlib.AbstractContextManager[None]:
        return long_lived()

    def starting(self) -> None:
        give_back_freed_memory()  # what was let go of between the steps
        if OWN_PEAKS:
            self._highest = max(self._highest, peak_mb())
            _reset_peak()

    def ending(self) -> None:
        give_back_freed_memory()


def _reset_peak() -> None:
    """Linux: the process's peak resident memory (VmHWM) starts again from what it holds now."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
