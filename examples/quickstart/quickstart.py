"""phifd quick start: a node heartbeats every second, then falls silent."""

import phifd

SECOND = 1_000_000_000
config = phifd.Config(estimator=phifd.Estimator.AKKA, threshold=8.0, heartbeat_interval_ns=SECOND)

with phifd.Monitor(config) as monitor:
    start = phifd.now_ns()
    for i in range(10):  # node 7, generation 1: ten heartbeats one second apart
        monitor.heartbeat(node=7, generation=1, now_ns=start + i * SECOND)
    last = start + 9 * SECOND

    for silence in (1.0, 1.5, 2.0, 3.0):  # phi grows while the node is silent
        phi = monitor.phi(7, now_ns=last + int(silence * SECOND))
        print(f"phi after {silence} s of silence: {phi:.2f}")
    print("declared dead after", monitor.time_until_phi_timedelta(7, 8.0), "of silence")

    for event in monitor.poll(now_ns=last + 10 * SECOND):  # transitions, oldest first
        at = (event.time_ns - last) / SECOND
        print(f"node {event.node}: {event.from_state.name} -> {event.to_state.name} ({at:+.2f} s)")
