"""Batch calls: many heartbeats (:meth:`Monitor.heartbeat_batch`) or many phi readings
(:meth:`Monitor.phi_batch`, :meth:`Monitor.phi_batch_into`) in one library call, over sequences
or, without copying, buffers of native numbers."""

from __future__ import annotations

import time
from ctypes import c_double, c_uint32
from typing import Any, List, Optional, Union, cast

from ._args import U64Seq, check_u64, status_or_int, u64_array
from ._errors import InvalidArgumentError, Status, error_for_status
from ._ffi import last_error_message, lib
from ._handle import OwnedHandle

__all__ = ["BatchMethods"]

_monotonic_ns = time.monotonic_ns
_DOUBLE_FORMATS = ("d", "@d", "=d", "<d")


class BatchMethods(OwnedHandle):
    """The batch methods of :class:`phifd.Monitor` (see there for threads and times)."""

    def heartbeat_batch(
        self,
        nodes: U64Seq,
        generations: Union[U64Seq, int] = 0,
        times_ns: Union[U64Seq, int, None] = None,
    ) -> None:
        """Records many heartbeats in one library call, exactly as repeated :meth:`heartbeat`
        calls in order would: record ``i`` is ``nodes[i]``, ``generations[i]``, ``times_ns[i]``.

        ``generations`` and ``times_ns`` may be single ints shared by every record
        (``times_ns=None`` means now). Each argument may be a sequence of ints (copied) or a
        buffer of native uint64 items such as ``array('Q')`` (used without copying).

        Every record is processed even if some fail. If any failed, raises the error of the
        first failing record (its message names the index), with ``statuses`` holding every
        record's :class:`Status`.
        """
        node_arr, n = u64_array("Monitor.heartbeat_batch", "nodes", nodes, None)
        gen_arr, ng = u64_array("Monitor.heartbeat_batch", "generations", generations, n)
        if times_ns is None:
            times_ns = _monotonic_ns()
        time_arr, nt = u64_array("Monitor.heartbeat_batch", "times_ns", times_ns, n)
        if not n == ng == nt:
            raise InvalidArgumentError(
                Status.INVALID_ARG,
                f"Monitor.heartbeat_batch: lengths differ (nodes {n}, generations {ng}, times_ns {nt})",
            )
        statuses = (c_uint32 * n)()
        status = self._call_status(
            "heartbeat_batch", lib.phifd_heartbeat_batch, node_arr, gen_arr, time_arr, n, statuses
        )
        if status:
            message = last_error_message()
            raise error_for_status(status, message, [status_or_int(s) for s in statuses])

    def phi_batch(self, nodes: U64Seq, now_ns: Optional[int] = None, *, strict: bool = True) -> List[float]:
        """The phi of many nodes at one time ``now_ns``, in one library call, equal bit for bit
        to :meth:`phi` for each. ``nodes`` is a sequence of ints or a buffer of native uint64
        (``array('Q')``, used without copying).

        With ``strict`` (the default) an unknown node raises :class:`UnknownNodeError` (its
        message names the first such index; ``statuses`` lists every node's status); with
        ``strict=False`` unknown nodes get NaN instead.
        """
        result = self._phi_batch(nodes, now_ns, strict, None, "phi_batch")
        return cast(List[float], result[:])

    def phi_batch_into(self, nodes: U64Seq, out: Any, now_ns: Optional[int] = None, *, strict: bool = True) -> None:
        """Like :meth:`phi_batch`, but writes the values into ``out``, a writable buffer of at
        least ``len(nodes)`` native doubles such as ``array('d')``, without copying."""
        self._phi_batch(nodes, now_ns, strict, out, "phi_batch_into")

    def _phi_batch(self, nodes: Any, now_ns: Optional[int], strict: bool, out: Any, what: str) -> Any:
        function = f"Monitor.{what}"
        node_arr, n = u64_array(function, "nodes", nodes, None)
        if now_ns is None:
            now_ns = _monotonic_ns()
        check_u64(function, now_ns=now_ns)
        if out is None:
            out_arr = (c_double * n)()
        else:
            view = memoryview(out)
            if view.readonly or view.format not in _DOUBLE_FORMATS or not view.c_contiguous:
                raise TypeError(f"{function}: `out` must be a writable contiguous buffer of doubles")
            if view.nbytes < 8 * n:
                raise InvalidArgumentError(
                    Status.INVALID_ARG, f"{function}: `out` holds {view.nbytes // 8} doubles, {n} needed"
                )
            out_arr = (c_double * n).from_buffer(view)
        statuses = (c_uint32 * n)()
        status = self._call_status(what, lib.phifd_phi_batch, node_arr, n, now_ns, out_arr, statuses)
        if status and (strict or status != Status.UNKNOWN_NODE):
            message = last_error_message()
            raise error_for_status(status, message, [status_or_int(s) for s in statuses])
        return out_arr
