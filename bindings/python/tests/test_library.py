"""Loading, version check, prototypes, clock, status names and the error mapping."""

from __future__ import annotations

import ctypes
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import phifd
import pytest
from phifd import _ffi
from phifd._errors import error_for_status


def header_functions(root: Path) -> dict:
    """name -> number of parameters, parsed from include/phifd.h."""
    text = (root / "include" / "phifd.h").read_text()
    out = {}
    pattern = r"^(?:const )?(?:void|char|uint64_t|phifd_status)\s*\*?\s*(phifd_\w+)\(([^;]*)\);"
    for m in re.finditer(pattern, text, re.M):
        params = m.group(2).strip()
        out[m.group(1)] = 0 if params in ("", "void") else params.count(",") + 1
    return out


def test_every_header_function_is_declared(root: Path) -> None:
    funcs = header_functions(root)
    assert len(funcs) >= 30
    assert set(funcs) == set(_ffi.PROTOTYPES)
    for name, nparams in funcs.items():
        fn = getattr(_ffi.lib, name)
        assert fn.argtypes is not None and len(fn.argtypes) == nparams, name
        # No function keeps ctypes' default restype c_int (which would truncate pointers).
        assert fn.restype is not ctypes.c_int, name


def test_version_matches_header_and_cargo(root: Path) -> None:
    header = (root / "include" / "phifd.h").read_text()
    want = re.search(r'#define PHIFD_VERSION_STRING "([^"]+)"', header).group(1)
    cargo = re.search(r'^version = "([^"]+)"', (root / "Cargo.toml").read_text(), re.M).group(1)
    assert phifd.version() == want == cargo == phifd.__version__


def test_library_path_is_absolute_and_from_env_or_package() -> None:
    path = phifd.library_path()
    assert os.path.isabs(path) and os.path.isfile(path)
    env = os.environ.get("PHIFD_LIBRARY")
    if env:
        assert path == str(Path(env).resolve())
    else:
        assert Path(path).parent == Path(phifd.__file__).resolve().parent


def test_version_mismatch_is_a_clear_import_error() -> None:
    with pytest.raises(ImportError, match=r"version mismatch.*is version 0\.1\.0.*requires 9\.9\.9"):
        _ffi.load_library(phifd.library_path(), "9.9.9")
    # the right version loads
    assert _ffi.load_library(phifd.library_path(), phifd.version()).phifd_version() == b"0.1.0"


def test_missing_library_is_a_clear_import_error(tmp_path: Path) -> None:
    with pytest.raises(ImportError, match="not found"):
        _ffi.load_library(str(tmp_path / "libphifd.so"))
    junk = tmp_path / "libjunk.so"
    junk.write_bytes(b"not an ELF file")
    with pytest.raises(ImportError, match="cannot load"):
        _ffi.load_library(str(junk))


def test_phifd_library_env_override_in_subprocess(tmp_path: Path) -> None:
    env = dict(os.environ, PHIFD_LIBRARY=str(tmp_path / "nope.so"))
    code = "import phifd"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode != 0
    assert "PHIFD_LIBRARY" in r.stderr and "nope.so" in r.stderr
    env["PHIFD_LIBRARY"] = phifd.library_path()
    r = subprocess.run(
        [sys.executable, "-c", "import phifd; print(phifd.library_path())"], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == phifd.library_path()


def test_now_ns_is_the_monotonic_clock() -> None:
    for _ in range(100):
        a = time.monotonic_ns()
        n = phifd.now_ns()
        b = time.monotonic_ns()
        assert a <= n <= b


def test_to_ns_and_back() -> None:
    from datetime import timedelta

    assert phifd.to_ns(timedelta(seconds=1, microseconds=5)) == 1_000_005_000
    assert phifd.to_ns(timedelta(days=1)) == 86_400 * 10**9
    assert phifd.to_ns(0.1) == 100_000_000
    assert phifd.to_ns(2) == 2_000_000_000
    with pytest.raises(ValueError):
        phifd.to_ns(-1.0)
    with pytest.raises(ValueError):
        phifd.to_ns(float("nan"))
    with pytest.raises(TypeError):
        phifd.to_ns("1s")  # type: ignore[arg-type]
    assert phifd.ns_to_timedelta(1_500_000_000) == timedelta(seconds=1.5)
    assert phifd.ns_to_timedelta(1_499) == timedelta(microseconds=1)


def header_statuses(root: Path) -> dict:
    """code -> C name of every status #define in include/phifd.h."""
    text = (root / "include" / "phifd.h").read_text()
    return {int(v): k for k, v in re.findall(r"^#define (PHIFD_OK|PHIFD_ERR_\w+) (\d+)$", text, re.M)}


def test_status_names(root: Path) -> None:
    expected = header_statuses(root)
    assert len(expected) >= 8 and expected[0] == "PHIFD_OK" and expected[3] == "PHIFD_ERR_UNKNOWN_NODE"
    for code, name in expected.items():
        assert phifd.status_name(code) == name
        # every status of the header has an enum member and an exception class of its own
        assert phifd.Status(code).name == name.replace("PHIFD_ERR_", "").replace("PHIFD_", "")
        if code:
            assert type(error_for_status(code, "x")) is not phifd.PhifdError, name
    unknown = max(expected) + 1
    assert phifd.status_name(unknown) == "PHIFD_UNKNOWN_STATUS"
    assert phifd.status_name(-1) == "PHIFD_UNKNOWN_STATUS"


def test_enum_values_match_header(root: Path) -> None:
    header = (root / "include" / "phifd.h").read_text()
    defines = dict(re.findall(r"#define (PHIFD_\w+) (\d+)\b", header))
    for e in phifd.Estimator:
        assert int(defines[f"PHIFD_ESTIMATOR_{e.name}"]) == e
    for s in phifd.State:
        assert int(defines[f"PHIFD_STATE_{s.name}"]) == s
    for k in phifd.EventKind:
        assert int(defines[f"PHIFD_EVENT_{k.name}"]) == k
    for st in phifd.Status:
        key = "PHIFD_OK" if st == 0 else f"PHIFD_ERR_{st.name}"
        assert int(defines[key]) == st


def test_struct_sizes() -> None:
    # Hand-counted from the header. node_info v1: 2 x u32 + 10 x 8-byte fields + 2 x u32 = 96;
    # v2 adds u64 version, double heartbeat_interval_ns, 2 x u32 = 120.
    # monitor_stats v1: 2 x u32 + 4 x u64 = 40; v2 adds 5 x u64 + 2 x u32 = 88; v3 adds 7 x u64
    # rejection counters = 144. Event frozen at 48.
    assert ctypes.sizeof(_ffi.NodeInfoStruct) == 120
    assert _ffi.NodeInfoStruct.version.offset == 96 == _ffi.NODE_INFO_V1_SIZE
    assert ctypes.sizeof(_ffi.EventStruct) == 48
    assert ctypes.sizeof(_ffi.MonitorStatsStruct) == 144
    assert _ffi.MonitorStatsStruct.rejected_over_capacity.offset == 88
    assert _ffi.MonitorStatsStruct.duplicate_heartbeats.offset == 40 == _ffi.MONITOR_STATS_V1_SIZE


@pytest.mark.parametrize(
    "code,cls,base",
    [
        (1, phifd.NullArgumentError, None),
        (2, phifd.InvalidArgumentError, ValueError),
        (3, phifd.UnknownNodeError, LookupError),
        (4, phifd.StaleGenerationError, None),
        (5, phifd.InvalidHandleError, None),
        (6, phifd.InternalError, None),
        (7, phifd.BufferTooSmallError, None),
        (8, phifd.IoError, None),
        (9, phifd.CorruptError, None),
        (10, phifd.LockedError, None),
        (11, phifd.MalformedError, ValueError),
    ],
)
def test_error_mapping(code: int, cls: type, base: type) -> None:
    e = error_for_status(code, "what happened")
    assert type(e) is cls and isinstance(e, phifd.PhifdError)
    assert e.status == code and isinstance(e.status, phifd.Status)
    assert e.message == "what happened"
    assert "what happened" in str(e)
    if base is not None:
        assert isinstance(e, base)


def test_unknown_status_maps_to_base_class() -> None:
    e = error_for_status(99, "future")
    assert type(e) is phifd.PhifdError and e.status == 99


def test_null_argument_from_the_library() -> None:
    # The wrapper never passes NULL; call the raw function to see the mapping end to end.
    st = _ffi.lib.phifd_config_new(None)
    assert st == phifd.Status.NULL_ARG
    with pytest.raises(phifd.NullArgumentError) as info:
        _ffi.check(st)
    assert info.value.status == phifd.Status.NULL_ARG
    assert "phifd_config_new" in info.value.message and "NULL" in info.value.message


def test_buffer_too_small_from_the_library() -> None:
    with phifd.Monitor() as m:
        m.heartbeat(1, 1, 10**9)
        raw = _ffi.NodeInfoStruct()
        raw.size = 8
        st = _ffi.lib.phifd_node_get_info(m._ptr, 1, 10**9, ctypes.byref(raw))
        assert st == phifd.Status.BUFFER_TOO_SMALL
        with pytest.raises(phifd.BufferTooSmallError) as info:
            _ffi.check(st)
        assert "size" in info.value.message
        assert raw.node == 0  # out-params untouched on failure


def test_first_struct_versions_are_still_accepted() -> None:
    # A caller that knows only version 1 (96 / 40 bytes) gets exactly those bytes written.
    with phifd.Monitor() as m:
        m.heartbeat_version(1, 1, 42, 10**9)
        raw = _ffi.NodeInfoStruct()
        raw.size = _ffi.NODE_INFO_V1_SIZE
        raw.version = 12345  # beyond the v1 size: must stay untouched
        assert _ffi.lib.phifd_node_get_info(m._ptr, 1, 10**9, ctypes.byref(raw)) == 0
        assert raw.size == 96 and raw.node == 1 and raw.generation == 1
        assert raw.version == 12345
        raw.size = ctypes.sizeof(raw)
        assert _ffi.lib.phifd_node_get_info(m._ptr, 1, 10**9, ctypes.byref(raw)) == 0
        assert raw.size == 120 and raw.version == 42
        stats = _ffi.MonitorStatsStruct()
        stats.size = _ffi.MONITOR_STATS_V1_SIZE
        stats.pauses_detected = 777
        assert _ffi.lib.phifd_monitor_get_stats(m._ptr, ctypes.byref(stats)) == 0
        assert stats.size == 40 and stats.nodes == 1 and stats.pauses_detected == 777
        stats.size = 39
        assert _ffi.lib.phifd_monitor_get_stats(m._ptr, ctypes.byref(stats)) == phifd.Status.BUFFER_TOO_SMALL


def test_last_error_message_is_per_thread() -> None:
    import threading

    with phifd.Monitor() as m:
        with pytest.raises(phifd.UnknownNodeError):
            m.phi(12345, 0)
        seen = []
        t = threading.Thread(target=lambda: seen.append(_ffi.last_error_message()))
        t.start()
        t.join()
        assert seen == [""]
        assert "12345" in _ffi.last_error_message()
