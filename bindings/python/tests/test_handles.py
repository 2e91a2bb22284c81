"""Every owning class shares one lifecycle: idempotent close, use after close, with-blocks,
garbage collection, and close racing calls on other threads."""

from __future__ import annotations

import gc
import threading
import weakref
from pathlib import Path
from typing import Any, Callable, List

import phifd
import pytest
from phifd._handle import OwnedHandle

# (factory, a call that needs the live handle)
HANDLES: List[Any] = [
    pytest.param(lambda tmp: phifd.Config(), lambda c: c.threshold, id="Config"),
    pytest.param(lambda tmp: phifd.Monitor(), lambda m: m.node_count(), id="Monitor"),
    pytest.param(lambda tmp: phifd.Keyring({1: bytes(range(32))}), lambda k: k.signing_key, id="Keyring"),
    pytest.param(lambda tmp: phifd.GenerationClock.in_memory(5), lambda g: g.current, id="GenerationClock-memory"),
    pytest.param(lambda tmp: phifd.GenerationClock.open(tmp / "gen"), lambda g: g.current, id="GenerationClock-file"),
]


@pytest.mark.parametrize("make,use", HANDLES)
def test_lifecycle(make: Callable[[Path], Any], use: Callable[[Any], Any], tmp_path: Path) -> None:
    obj = make(tmp_path)
    assert isinstance(obj, OwnedHandle)
    assert not obj.closed
    use(obj)
    with obj as same:
        assert same is obj
    assert obj.closed
    obj.close()  # idempotent
    with pytest.raises(phifd.InvalidHandleError) as info:
        use(obj)
    assert info.value.status is phifd.Status.INVALID_HANDLE
    assert "closed" in info.value.message and type(obj).__name__ in info.value.message
    assert "closed" in repr(obj)


@pytest.mark.parametrize("make,use", HANDLES)
def test_collected_without_close(make: Callable[[Path], Any], use: Callable[[Any], Any], tmp_path: Path) -> None:
    obj = make(tmp_path)
    use(obj)
    ref = weakref.ref(obj)
    del obj
    gc.collect()
    assert ref() is None


def test_a_file_clock_collected_without_close_releases_its_lock(tmp_path: Path) -> None:
    # The lock is released by the C free: a second open only succeeds if __del__ freed it.
    clock = phifd.GenerationClock.open(tmp_path / "gen")
    assert clock.current == 1
    del clock
    gc.collect()
    with phifd.GenerationClock.open(tmp_path / "gen") as again:
        assert again.current == 2


@pytest.mark.parametrize("make,use", HANDLES)
def test_close_while_other_threads_call(make: Callable[[Path], Any], use: Callable[[Any], Any], tmp_path: Path) -> None:
    obj = make(tmp_path)
    errors: List[BaseException] = []
    calls = [0]
    start = threading.Barrier(5)

    def worker() -> None:
        start.wait()
        while True:
            try:
                use(obj)
                calls[0] += 1
            except phifd.InvalidHandleError:
                return
            except BaseException as e:  # anything else is a failure of the lifecycle
                errors.append(e)
                return

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    start.wait()
    while calls[0] < 200:
        pass
    obj.close()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive()
    assert errors == []
    assert obj.closed


def test_config_setters_from_many_threads() -> None:
    # The C config must not be written by two threads at once; the binding serialises them.
    with phifd.Config() as cfg:

        def writer(k: int) -> None:
            for i in range(500):
                cfg.window = 1 + (k * 500 + i) % 1000
                assert 1 <= cfg.window <= 1000
                cfg.threshold = 8.0 + k

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert cfg.threshold in (8.0, 9.0, 10.0, 11.0)
