package main

import (
	"context"
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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	events := m.Events(ctx, 50*time.Millisecond) // polls every 50 ms; closed when ctx ends

	go func() { // node 7 beats ten times (in a server: on each datagram's arrival), then crashes
		for i := 0; i < 10; i++ {
			if m.Heartbeat(7, 1, phifd.NowNs()) != nil {
				return // the monitor is closed
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	for e := range events {
		fmt.Printf("node %d: %v -> %v\n", e.Node, e.From, e.To)
		if e.To == phifd.StateFailed {
			cancel() // the loop ends when the goroutine closes the channel
		}
	}
}
