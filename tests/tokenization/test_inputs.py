"""``gc_paused``: no collection during a call; afterwards the call's objects are old, and a program's own
``gc.freeze()`` is left alone."""

import gc

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


def test_a_programs_own_freeze_is_not_released():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with gc_paused():
            _ = [[i] for i in range(100)]
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
