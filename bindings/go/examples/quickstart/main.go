package main

import (
	"fmt"
	phifd "github.com/phifd/phifd/bindings/go"
	"time"
)

func main() {
	m, err := phifd.NewMonitor(phifd.NewConfig().SetHeartbeatInterval(100 * time.Millisecond))
	if err != nil {
		panic(err)
	}
	defer m.Close()
	t := phifd.NowNs()        // monotonic ns; pass each datagram's arrival time
	for i := 0; i < 10; i++ { // node 7, generation 1, one heartbeat every 100 ms
		t += uint64(100 * time.Millisecond)
		if err := m.Heartbeat(7, 1, t); err != nil {
			panic(err)
		}
	}
	for _, silence := range []time.Duration{50 * time.Millisecond, 200 * time.Millisecond, time.Second} {
		phi, _ := m.Phi(7, t+uint64(silence))
		fmt.Printf("silent for %v: phi = %.2f\n", silence, phi)
	}
	events, _ := m.Poll(t + uint64(time.Second)) // state changes: ALIVE, SUSPECT, FAILED
	for _, e := range events {
		fmt.Printf("node %d: %v -> %v\n", e.Node, e.From, e.To)
	}
}
