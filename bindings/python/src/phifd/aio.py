"""asyncio support: a UDP heartbeat endpoint that feeds a :class:`phifd.Monitor` and yields its
events through an async iterator.

Example::

    import asyncio, phifd
    from phifd.aio import HeartbeatEndpoint

    async def main() -> None:
        peers = {2: ("127.0.0.1", 7002)}
        async with HeartbeatEndpoint(1, peers, local_addr=("127.0.0.1", 7001)) as endpoint:
            async for event in endpoint.events():
                print(event.node, event.from_state.name, "->", event.to_state.name)

    asyncio.run(main())

One :class:`HeartbeatEndpoint` is one node of a cluster: a UDP socket on asyncio's datagram
protocol, a task that sends a heartbeat datagram to every peer on a timer, and a task that polls
the monitor on a timer. Each datagram is timestamped with :func:`time.monotonic_ns` (the clock
of :func:`phifd.now_ns`) as soon as the event loop reads it, then handed to
:meth:`phifd.Monitor.receive`, which verifies it (with a keyring), decodes it and records the
heartbeat. Everything runs on the event loop's thread; nothing here blocks it (each library call
takes microseconds).

Terms and stale leaders follow the rule of the demo cluster's nodes (``examples/nodes``): every
heartbeat carries the sender's term and whether it believes it leads. A heartbeat from a node
claiming to lead with a term older than ours is answered with a ``STALE_REPLY`` datagram
carrying our term; a reply or a heartbeat with a newer term is adopted
(:meth:`phifd.GenerationClock.observe`), and a leader that adopts a newer term steps down
(:attr:`HeartbeatEndpoint.leader` becomes False and ``on_step_down`` is called). A heartbeat of
an older incarnation (:class:`phifd.StaleGenerationError`), a malformed, forged or replayed
datagram and one from a node outside a fixed membership are refused and counted in the
monitor's :meth:`~phifd.Monitor.stats`, and change nothing else.
"""

from __future__ import annotations

import asyncio
import collections
import time
from types import TracebackType
from typing import Any, AsyncIterator, Callable, Deque, Dict, List, Mapping, Optional, Tuple, Type

from . import (
    Config,
    Datagram,
    DatagramKind,
    Event,
    GenerationClock,
    InvalidArgumentError,
    Keyring,
    Monitor,
    PhifdError,
    Status,
)

__all__ = ["HeartbeatEndpoint", "Address"]

#: A peer's UDP address: ``(host, port)``.
Address = Tuple[str, int]

_MS = 1_000_000


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidArgumentError(Status.INVALID_ARG, f"HeartbeatEndpoint: `{name}` must be an int > 0, got {value!r}")
    return value


def _u64(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 64:
        raise InvalidArgumentError(
            Status.INVALID_ARG, f"HeartbeatEndpoint: `{name}` must be an int in [0, 2**64), got {value!r}"
        )
    return value


def _address(what: str, addr: object, lowest_port: int = 1) -> Address:
    if (
        not isinstance(addr, tuple)
        or len(addr) != 2
        or not isinstance(addr[0], str)
        or isinstance(addr[1], bool)
        or not isinstance(addr[1], int)
        or not lowest_port <= addr[1] < 65536
    ):
        raise InvalidArgumentError(
            Status.INVALID_ARG,
            f"HeartbeatEndpoint: {what} must be a (host, port) tuple with a port in {lowest_port}..65535, got {addr!r}",
        )
    return (addr[0], addr[1])


class _Protocol(asyncio.DatagramProtocol):
    """The socket's protocol: timestamps each datagram as it is read and hands it over."""

    def __init__(self, endpoint: "HeartbeatEndpoint") -> None:
        self._endpoint = endpoint
        self.lost: "asyncio.Future[None]" = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: Tuple[Any, int]) -> None:
        arrival = time.monotonic_ns()  # first: the arrival time excludes our own processing
        self._endpoint._on_datagram(data, addr, arrival)

    def error_received(self, exc: Exception) -> None:
        # ICMP "port unreachable" after sending to a peer that is down: detecting that peer is
        # the monitor's job, not an error of this node.
        pass

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if not self.lost.done():
            self.lost.set_result(None)


class HeartbeatEndpoint:
    """One cluster node on asyncio: sends heartbeats to its peers over UDP, records theirs in a
    :class:`phifd.Monitor`, and yields the monitor's events (:meth:`events`).

    Arguments:
        node_id: this node's id, an int in ``[0, 2**64)``; heartbeats carrying it are ignored.
        peers: the peers to send to, ``{node id: (host, port)}``. Each is registered in the
            monitor at start (:meth:`phifd.Monitor.add_node`), so a peer that never sends is
            still convicted after the first-heartbeat timeout. Change them with
            :meth:`add_peer` and :meth:`remove_peer`.
        monitor: the monitor to feed; it stays yours (not closed by :meth:`close`). Default: a
            new monitor from ``config``, owned and closed by the endpoint.
        config: settings of the monitor the endpoint creates (not with ``monitor``). Default:
            ``phifd.Config(heartbeat_interval_ns=interval_ns)``.
        generation: this node's incarnation, stamped on every heartbeat (take it from a durable
            :meth:`phifd.GenerationClock.open`, so a restart is seen as one). Default 0.
        term: this node's term clock; it stays yours. Default: an owned
            ``GenerationClock.in_memory(1)``.
        leader: whether this node starts as the leader (the heartbeats' leader flag).
        keyring: sign every datagram (68-byte authenticated format) and accept only datagrams
            that verify under one of its keys; it stays yours. Without one, the unauthenticated
            56-byte format is sent and accepted: for a trusted, isolated network only.
        interval_ns: heartbeat period, ns (default 100 ms). The sender keeps a fixed schedule;
            after a stall (a blocked event loop, :meth:`pause_sending`) it resumes without a
            burst of catch-up heartbeats.
        poll_interval_ns: monitor poll period, ns (default: ``interval_ns``).
        local_addr: the address to bind, ``(host, port)``; port 0 picks a free port (read it
            from :attr:`address`). Default ``("127.0.0.1", 0)``.
        max_queued_events: most events held for :meth:`events` (default 4096). While that many
            wait, the endpoint skips its polls and new transitions wait in the monitor's own
            queue (``stats().pending_events``); that queue keeps at most 1,048,576 events and
            drops the oldest beyond (``stats().dropped_events``). A skipped poll also looks late
            to the monitor's self-observation (its local health rises until polls are timely
            again), so keep reading.
        on_step_down: called as ``on_step_down(new_term, told_by)`` when this node, leading,
            adopts a newer term and steps down. Runs on the event loop; an exception it raises
            goes to the loop's exception handler.

    Raises :class:`phifd.InvalidArgumentError` (naming the argument) for a bad argument.

    Use it as ``async with HeartbeatEndpoint(...) as endpoint`` or call :meth:`start` and
    :meth:`close`. Not thread-safe: use it from the event loop that started it.
    """

    def __init__(
        self,
        node_id: int,
        peers: Optional[Mapping[int, Address]] = None,
        *,
        monitor: Optional[Monitor] = None,
        config: Optional[Config] = None,
        generation: int = 0,
        term: Optional[GenerationClock] = None,
        leader: bool = False,
        keyring: Optional[Keyring] = None,
        interval_ns: int = 100 * _MS,
        poll_interval_ns: Optional[int] = None,
        local_addr: Address = ("127.0.0.1", 0),
        max_queued_events: int = 4096,
        on_step_down: Optional[Callable[[int, int], None]] = None,
    ) -> None:
        self.node_id = _u64("node_id", node_id)
        self.generation = _u64("generation", generation)
        self._interval_ns = _positive_int("interval_ns", interval_ns)
        self._poll_interval_ns = _positive_int(
            "poll_interval_ns", interval_ns if poll_interval_ns is None else poll_interval_ns
        )
        self._max_queued = _positive_int("max_queued_events", max_queued_events)
        self._peers: Dict[int, Address] = {}
        for node, addr in (peers or {}).items():
            self._peers[_u64("peers (a node id)", node)] = _address(f"the address of peer {node}", addr)
        self._local_addr = _address("`local_addr`", local_addr, lowest_port=0)
        if monitor is not None and config is not None:
            raise InvalidArgumentError(Status.INVALID_ARG, "HeartbeatEndpoint: give `monitor` or `config`, not both")
        if monitor is not None and not isinstance(monitor, Monitor):
            raise TypeError(f"HeartbeatEndpoint: `monitor` must be a phifd.Monitor, got {type(monitor).__name__}")
        if keyring is not None and not isinstance(keyring, Keyring):
            raise TypeError(f"HeartbeatEndpoint: `keyring` must be a phifd.Keyring, got {type(keyring).__name__}")
        if term is not None and not isinstance(term, GenerationClock):
            raise TypeError(f"HeartbeatEndpoint: `term` must be a phifd.GenerationClock, got {type(term).__name__}")
        self._keyring = keyring
        self._on_step_down = on_step_down
        self.leader = bool(leader)
        #: STALE_REPLY datagrams sent to stale leaders so far.
        self.stale_replies_sent = 0
        #: Heartbeat rounds sent so far (one datagram to each peer per round).
        self.heartbeats_sent = 0
        self._own_monitor = monitor is None
        if monitor is None:
            monitor = Monitor(config if config is not None else Config(heartbeat_interval_ns=self._interval_ns))
        self._monitor = monitor
        self._own_term = term is None
        self._term = GenerationClock.in_memory(1) if term is None else term
        self._version = 0
        self._events: Deque[Event] = collections.deque()
        self._error: Optional[BaseException] = None
        self._wakeup: Optional[asyncio.Event] = None
        self._sending: Optional[asyncio.Event] = None
        self._transport: Optional[asyncio.DatagramTransport] = None
        self._protocol: Optional[_Protocol] = None
        self._tasks: "List[asyncio.Task[None]]" = []
        self._started = False
        self._closed = False
        self._closing: "Optional[asyncio.Future[None]]" = None

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        """Binds the socket, registers the peers in the monitor and starts the sending and
        polling tasks. Raises :class:`RuntimeError` if already started or closed, and
        :class:`OSError` if the address cannot be bound (then the endpoint is closed)."""
        if self._started or self._closing is not None:
            raise RuntimeError("HeartbeatEndpoint.start: already started or closed; create a new endpoint")
        self._started = True
        loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        self._sending = asyncio.Event()
        self._sending.set()
        try:
            transport, protocol = await loop.create_datagram_endpoint(
                lambda: _Protocol(self), local_addr=self._local_addr
            )
        except BaseException:
            await self.close()
            raise
        self._transport, self._protocol = transport, protocol
        now = time.monotonic_ns()
        for node in self._peers:
            self._monitor.add_node(node, 0, now)
        self._tasks = [
            loop.create_task(self._send_loop(), name=f"phifd-send-{self.node_id}"),
            loop.create_task(self._poll_loop(), name=f"phifd-poll-{self.node_id}"),
        ]

    async def close(self) -> None:
        """Stops the tasks, closes the socket and frees what the endpoint owns (its monitor and
        term clock, not those passed in). Idempotent; concurrent calls all wait for the same
        shutdown. Every :meth:`events` iterator then ends after yielding what was already
        polled. No task of the endpoint outlives this call."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._shutdown())
        await asyncio.shield(self._closing)

    async def _shutdown(self) -> None:
        for task in self._tasks:
            task.cancel()
        results = await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._transport is not None:
            self._transport.close()
            assert self._protocol is not None
            await self._protocol.lost
        self._closed = True
        if self._wakeup is not None:
            self._wakeup.set()
        if self._own_monitor:
            self._monitor.close()
        if self._own_term:
            self._term.close()
        for r in results:  # a task that failed (not cancelled) is a bug worth seeing
            if isinstance(r, Exception):
                raise r

    async def __aenter__(self) -> "HeartbeatEndpoint":
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        await self.close()

    # -- properties and peers -------------------------------------------------------------
    @property
    def address(self) -> Address:
        """The bound ``(host, port)``. Raises :class:`RuntimeError` before :meth:`start`."""
        if self._transport is None:
            raise RuntimeError("HeartbeatEndpoint.address: not started; await start() first")
        host, port = self._transport.get_extra_info("sockname")[:2]
        return (str(host), int(port))

    @property
    def monitor(self) -> Monitor:
        """The monitor the endpoint feeds (query phi, info, snapshot, stats on it)."""
        return self._monitor

    @property
    def term(self) -> int:
        """This node's current term."""
        return self._term.current

    @property
    def term_clock(self) -> GenerationClock:
        """This node's term clock (``advance()`` it when this node takes over as leader)."""
        return self._term

    @property
    def peers(self) -> Dict[int, Address]:
        """A copy of the peers, ``{node id: (host, port)}``."""
        return dict(self._peers)

    def add_peer(self, node: int, addr: Address) -> None:
        """Starts sending to ``node`` at ``addr`` and registers it in the monitor (when
        started), or changes its address. Raises :class:`phifd.InvalidArgumentError` for a bad
        id or address, and what :meth:`phifd.Monitor.add_node` raises."""
        self._peers[_u64("node", node)] = _address(f"the address of peer {node}", addr)
        if self._transport is not None:
            self._monitor.add_node(node, 0, time.monotonic_ns())

    def remove_peer(self, node: int) -> None:
        """Stops sending to ``node`` and stops monitoring it (events already polled stay).
        Raises :class:`KeyError` if it is not a peer."""
        del self._peers[node]
        if self._transport is not None:
            try:
                self._monitor.remove(node)
            except PhifdError:
                pass  # never heard of (removed from the monitor by its owner): nothing to do

    def pause_sending(self) -> None:
        """Suspends the sending task (this node falls silent to its peers; receiving and polling
        go on), e.g. to drain before maintenance. Idempotent."""
        if self._sending is not None:
            self._sending.clear()

    def resume_sending(self) -> None:
        """Resumes sending after :meth:`pause_sending`: the next heartbeat leaves at once."""
        if self._sending is not None:
            self._sending.set()

    @property
    def sending_paused(self) -> bool:
        """True between :meth:`pause_sending` and :meth:`resume_sending`."""
        return self._sending is not None and not self._sending.is_set()

    # -- events ---------------------------------------------------------------------------
    async def events(self) -> AsyncIterator[Event]:
        """The monitor's transitions, oldest first, as they are polled::

            async for event in endpoint.events():
                ...

        Ends when the endpoint is closed (after yielding the events already polled). Raises the
        monitor's error if polling failed (for example :class:`phifd.InvalidHandleError` when a
        monitor passed in was closed first). Several iterators may run at once; each event goes
        to exactly one of them.
        """
        while True:
            while self._events:
                yield self._events.popleft()
            if self._error is not None:
                raise self._error
            if self._closed:
                return
            if self._wakeup is None:
                raise RuntimeError("HeartbeatEndpoint.events: not started; await start() first")
            self._wakeup.clear()
            await self._wakeup.wait()

    # -- tasks ----------------------------------------------------------------------------
    async def _send_loop(self) -> None:
        assert self._sending is not None
        loop = asyncio.get_running_loop()
        period = self._interval_ns / 1e9
        deadline = loop.time()
        while True:
            if not self._sending.is_set():
                await self._sending.wait()
                deadline = loop.time()
            self._send_heartbeats()
            deadline += period
            now = loop.time()
            if deadline < now:  # fell behind (a stalled loop): no catch-up burst
                deadline = now
            await asyncio.sleep(deadline - now)

    def _send_heartbeats(self) -> None:
        self._version += 1
        self.heartbeats_sent += 1
        datagram = Datagram.heartbeat(
            self.node_id, self.generation, self._term.current, self._version, time.monotonic_ns(), leader=self.leader
        )
        wire = self._encode(datagram)
        for addr in self._peers.values():
            self._send(wire, addr)

    def _encode(self, datagram: Datagram) -> bytes:
        return datagram.encode() if self._keyring is None else datagram.encode_auth(self._keyring)

    def _send(self, wire: bytes, addr: Tuple[Any, int]) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(wire, addr)

    async def _poll_loop(self) -> None:
        assert self._wakeup is not None
        period = self._poll_interval_ns / 1e9
        while True:
            if len(self._events) < self._max_queued:
                try:
                    events = self._monitor.poll(time.monotonic_ns())
                except PhifdError as e:
                    self._error = e
                    self._wakeup.set()
                    return
                if events:
                    self._events.extend(events)
                    self._wakeup.set()
            await asyncio.sleep(period)

    # -- receiving ------------------------------------------------------------------------
    def _on_datagram(self, data: bytes, addr: Tuple[Any, int], arrival: int) -> None:
        try:
            datagram, counted = self._monitor.receive(data, arrival, self._keyring)
        except PhifdError:
            return  # refused (malformed, forged, older incarnation, ...): counted in stats()
        if datagram.node == self.node_id:
            return
        if datagram.kind is DatagramKind.HEARTBEAT:
            if not counted:
                return  # a duplicate or replay: nothing new
            ours = self._term.current
            if datagram.leader and datagram.term < ours:  # a stale leader: tell it the newer term
                reply = Datagram.stale_reply(self.node_id, ours, self.generation, time.monotonic_ns())
                self._send(self._encode(reply), addr)
                self.stale_replies_sent += 1
                return
        self._observe_term(datagram.term, datagram.node)

    def _observe_term(self, term: int, sender: int) -> None:
        if self._term.observe(term) and self.leader:
            self.leader = False
            if self._on_step_down is not None:
                try:
                    self._on_step_down(self._term.current, sender)
                except Exception as e:  # noqa: BLE001 - reported, never kills the socket
                    asyncio.get_running_loop().call_exception_handler(
                        {"message": "HeartbeatEndpoint: on_step_down raised", "exception": e}
                    )

    def __repr__(self) -> str:
        state = "closed" if self._closed else "started" if self._started else "new"
        return f"HeartbeatEndpoint(node_id={self.node_id}, peers={len(self._peers)}, {state})"
