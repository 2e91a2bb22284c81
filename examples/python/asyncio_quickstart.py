"""phifd on asyncio: two UDP endpoints watch each other on loopback; one stops, the other reports it."""

import asyncio

from phifd import State
from phifd.aio import HeartbeatEndpoint

MS = 1_000_000  # times are nanoseconds


async def main() -> None:
    async with HeartbeatEndpoint(1, interval_ns=100 * MS) as a:  # node 1 on a free loopback port
        b = HeartbeatEndpoint(2, {1: a.address}, interval_ns=100 * MS)
        await b.start()
        a.add_peer(2, b.address)  # each sends heartbeat datagrams to the other every 100 ms
        async for event in a.events():  # node 1's view of node 2, as its monitor is polled
            print(f"node {event.node}: {event.from_state.name} -> {event.to_state.name}")
            if event.to_state is State.ALIVE:
                await b.close()  # node 2 goes silent: a crash, as its peers see it
            elif event.to_state is State.FAILED:
                break


asyncio.run(main())
