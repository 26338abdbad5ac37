"""``gc_paused``: no collection during a call; afterwards the call's objects are old, and a program's own
``gc.freeze()`` is left alone."""

import gc

import pytest

from jbert.tokenization.inputs import gc_paused


def test_the_call_runs_without_the_collector_and_leaves_it_as_found():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        made = [[i] for i in range(5000)]  # tracked objects, as the output lists are
    assert gc.isenabled()
    # promoted to the oldest generation: the young collections have nothing of the call's to scan
    assert any(o is made for o in gc.get_objects(generation=2))
    assert made[4999] == [4999]
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()  # a disabled collector stays disabled
    gc.enable()


def test_a_programs_own_freeze_is_not_released(monkeypatch: pytest.MonkeyPatch) -> None:
    # Counted by the calls, not by get_freeze_count(): an idle worker thread of an earlier test (a
    # ThreadPoolExecutor dropping its last work item) may free frozen objects at any moment.
    unfrozen: list[bool] = []
    gc.freeze()
    try:
        monkeypatch.setattr(gc, "unfreeze", lambda: unfrozen.append(True))
        with gc_paused():
            _ = [[i] for i in range(100)]
        assert not unfrozen and gc.get_freeze_count() > 0
    finally:
        monkeypatch.undo()
        gc.unfreeze()
