"""The allocator settings the CLI applies: on by default on Linux/glibc, off with the env switch."""

import sys

import pytest

from jbert.training import runtime


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch):
    monkeypatch.setattr(runtime, "_applied", None)


def test_switch_off_keeps_glibc_defaults(monkeypatch):
    monkeypatch.setenv("JBERT_MALLOC_TUNING", "0")
    assert runtime.tune_allocator() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_applies_once_on_glibc(monkeypatch):
    monkeypatch.delenv("JBERT_MALLOC_TUNING", raising=False)
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc")
    assert runtime.tune_allocator() is True
    monkeypatch.setenv("JBERT_MALLOC_TUNING", "0")
    assert runtime.tune_allocator() is True  # decided once per process


def test_cli_main_applies_it(monkeypatch):
    from jbert.cli import _app

    calls = []
    monkeypatch.setattr(_app, "tune_allocator", lambda: calls.append(1))
    with pytest.raises(SystemExit):
        _app.main(["--version"])
    assert calls == [1]
