"""A run lets go of what it read and computed once it is done with it: the scheduled service
(`serve`) runs for months, and a 100 k-customer workbook's frames are hundreds of MB."""

import gc
import io
import os
import types
import zipfile
from pathlib import Path

import pytest
from conftest import TODAY, customer, make_workbook, results

from sheetsync import pipeline
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.backends.xlsx_package import Package
from sheetsync.config import load_settings
from sheetsync.ops import memory_care
from sheetsync.ops.memory_care import CaredPhases
from sheetsync.pipeline import check, sync


def _frames_of(name: str) -> list:
    gc.collect()
    return [
        o for o in gc.get_objects() if isinstance(o, types.FrameType) and o.f_code.co_name == name
    ]


def test_a_run_with_unreadable_cells_keeps_none_of_its_frames_alive(tmp_path):
    """An unreadable date is remembered (the same text is not parsed twice), but not with the
    stack it was raised through: that held every frame of the run, and all their data."""
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1", last_contact="明天")])
    checked = check(XlsxBackend(path), load_settings(environ={}, workbook=str(path)))
    assert '"明天"不是日期' in checked.problems["message"].iloc[0]
    del checked
    assert _frames_of("validate") == [] and _frames_of("validated") == []


def test_a_run_leaves_nothing_frozen_out_of_the_garbage_collector(tmp_path, monkeypatch):
    """In the command line's processes (CaredPhases) the read's grids are frozen out of the
    collector's passes while a run computes; the next run of a long-lived `serve` must find
    the collector as before, after a run that wrote and after one that failed after the
    read."""
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    settings = load_settings(environ={}, workbook=str(path))
    with XlsxBackend(path, for_write=True) as backend:
        sync(backend, settings, TODAY, phases=CaredPhases())
    assert results(path)["K1"]["status"] and gc.get_freeze_count() == 0

    def fails(*args, **kwargs):
        assert gc.get_freeze_count() > 0  # frozen while the run computes
        raise RuntimeError("compute failed")

    monkeypatch.setattr(pipeline, "compute", fails)
    with XlsxBackend(path, for_write=True) as backend, pytest.raises(RuntimeError):
        sync(backend, settings, TODAY, phases=CaredPhases())
    assert gc.get_freeze_count() == 0


LIBRARY_CALL = """
import ctypes, datetime as dt, gc, json, sys
looked_up, opened = set(), set()

def audit(event, args):
    if event == "ctypes.dlsym":
        looked_up.add(str(args[1]))
    elif event == "open" and isinstance(args[0], str):
        opened.add(args[0])

sys.addaudithook(audit)
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import load_settings
from sheetsync.pipeline import sync

mine = [[i] for i in range(1000)]  # a program's own objects, frozen as a forking server does
gc.collect()
gc.freeze()
gc.set_threshold(1234, 11, 12)

def state():  # frozen objects are in no generation the collector walks
    frozen = not any(o is mine for o in gc.get_objects())
    return [frozen, gc.get_threshold(), gc.isenabled()]

before = state()
path = sys.argv[1]
with XlsxBackend(path, for_write=True) as backend:
    sync(backend, load_settings(environ={}, workbook=path), dt.date(2026, 11, 18))
after = state()
print(json.dumps({
    "before": before, "after": after, "allocator": sorted(looked_up & {"mallopt"}),
    "peaks_reset": "/proc/self/clear_refs" in opened,
}))
"""


def test_a_library_call_changes_nothing_process_wide(tmp_path):
    """`sheetsync.pipeline.sync()` called from someone's program leaves the process as it
    found it: the collector's objects frozen, its thresholds, the allocator's settings and
    the peak-memory counter are theirs. The memory care is the command line's
    (ops/memory_care.py)."""
    import json
    import subprocess
    import sys

    path = make_workbook(tmp_path / "b.xlsx", [customer("K1"), customer("K2")])
    out = subprocess.run(
        [sys.executable, "-c", LIBRARY_CALL, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(pipeline.__file__).parent.parent,
    ).stdout
    seen = json.loads(out.splitlines()[-1])
    assert seen["after"] == seen["before"] and seen["before"][0]  # theirs: still frozen
    assert seen["allocator"] == [] and not seen["peaks_reset"]
    assert results(path)["K1"]["status"]  # the run did run


def test_the_benchmark_sees_each_step_s_own_peak(monkeypatch):
    """With OWN_PEAKS (the benchmark's child) a step that held 100 MB for a moment says so,
    and the step after it, holding nothing, does not inherit that peak; the run's peak
    stays known. Linux only: elsewhere each step reports the process's peak so far."""
    if not os.access("/proc/self/clear_refs", os.W_OK):
        pytest.skip("the peak cannot be reset here")
    monkeypatch.setattr(memory_care, "OWN_PEAKS", True)
    phases = CaredPhases()
    with phases.timing("large"):
        held = b"x" * (100 << 20)
        del held
    with phases.timing("small"):
        pass
    assert phases.peak_mb["large"] - phases.peak_mb["small"] > 60
    assert phases.highest_mb() >= phases.peak_mb["large"]


def test_past_the_read_a_run_holds_the_logs_rows_as_hashes_and_no_grid(tmp_path, monkeypatch):
    """The follow-up tab and the logs are read into frames; only the write needs the rows of
    the tabs it replaces (the task log, the sync's memory), and it needs a hash of each.
    A run the same day then still leaves those tabs' parts as they were, byte for byte."""
    path = make_workbook(tmp_path / "b.xlsx", [customer(f"K{i}") for i in range(1, 40)])
    settings = load_settings(environ={}, workbook=str(path))
    with XlsxBackend(path, for_write=True) as backend:
        sync(backend, settings, TODAY)
    before = _parts(path)
    held = {}
    compute = pipeline.compute

    def looks(loaded, *args, **kwargs):
        held["grids"], held["rows"] = backend._grids, backend._rows
        return compute(loaded, *args, **kwargs)

    monkeypatch.setattr(pipeline, "compute", looks)
    with XlsxBackend(path, for_write=True) as backend:
        sync(backend, settings, TODAY)
    after = _parts(path)
    assert after["任务记录"] == before["任务记录"] and after["同步快照"] == before["同步快照"]
    assert after["客户跟进"] == before["客户跟进"]  # nothing changed the same day
    assert held["grids"] is None
    assert {"任务记录", "同步快照"} <= set(held["rows"]) and "客户跟进" not in held["rows"]
    assert all(isinstance(r, int) for r in held["rows"]["任务记录"].rows)


def _parts(path) -> dict[str, bytes]:
    """Each tab's sheet part, as stored (compressed)."""
    data = path.read_bytes()
    package = Package(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        return {title: zipped.read(part) for title, part in package.sheet_parts().items()}


def test_the_logs_rows_as_read_are_let_go_once_typed_and_the_results_are_the_same(
    tmp_path, monkeypatch
):
    """A run reads the task log, stage log, history and memory tabs into typed frames and
    lets go of their rows as read before it computes (~30 MB at 100 k customers); compute
    lets go of each typed frame once used. What is computed is what compute finds reading
    the tabs itself, and a step that read those rows again would fail, not find them empty."""
    import datetime as dt
    import weakref

    from sheetsync.backends.xlsx import XlsxBackend as Backend
    from sheetsync.loading import Loaded, load
    from sheetsync.rules.tasks import read_log
    from sheetsync.rules.workdays import WorkCalendar

    rows = [customer(f"K{i}", last_contact=TODAY - dt.timedelta(days=i)) for i in range(1, 30)]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    settings = load_settings(environ={}, workbook=str(path))
    with XlsxBackend(path, for_write=True) as backend:
        sync(backend, settings, TODAY)
    later = TODAY + dt.timedelta(days=3)
    grids = Backend(path).read()
    itself = pipeline.compute(load(grids, settings), later, WorkCalendar())

    loaded = load(grids, settings)
    logs = loaded.take_logs()
    assert all(
        s.frame is None for s in (loaded.task_log, loaded.stage_log, loaded.history, loaded.memory)
    )
    with pytest.raises((AttributeError, TypeError)):
        read_log(loaded.task_log)
    taken = pipeline.compute(loaded, later, WorkCalendar(), logs=lambda: logs)
    for name in ("computed", "board", "log", "history", "stage_log"):
        assert getattr(taken, name).equals(getattr(itself, name)), name
    assert taken.history_known == len(rows) and taken.stages_known == len(rows)  # were read

    # In a run: no rows as read once compute starts; the typed memory and task log let go
    # of by the time the summary is made (the run's largest step after them).
    # (Hooks that hold no reference to the logs: a wrapper of compute would hold them.)
    seen, typed = {}, {}
    validated, take, summarise = pipeline.validated, Loaded.take_logs, pipeline.summarise

    def taking(loaded):
        logs = take(loaded)
        typed["memory"], typed["tasks"] = weakref.ref(logs.memory), weakref.ref(logs.tasks)
        return logs

    def looks(loaded):  # compute's first step
        sheets = (loaded.task_log, loaded.stage_log, loaded.history, loaded.memory)
        seen["frames"] = [s.frame is None for s in sheets]
        return validated(loaded)

    def summarising(*args, **kwargs):
        seen["typed alive"] = [typed["memory"]() is not None, typed["tasks"]() is not None]
        return summarise(*args, **kwargs)

    monkeypatch.setattr(Loaded, "take_logs", taking)
    monkeypatch.setattr(pipeline, "validated", looks)
    monkeypatch.setattr(pipeline, "summarise", summarising)
    with XlsxBackend(path, for_write=True) as backend:
        sync(backend, settings, later)
    assert seen["frames"] == [True, True, True, True]
    assert seen["typed alive"] == [False, False]
    assert results(path)["K1"]["status"]
