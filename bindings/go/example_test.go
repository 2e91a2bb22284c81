package phifd_test

import (
	"errors"
	"fmt"
	"time"

	phifd "github.com/phifd/phifd/bindings/go"
)

// With the exponential (Cassandra) model and steady 1 s heartbeats, phi = silence / (1 s * ln 10):
// SUSPECT at phi 4 (9.21 s of silence), FAILED at phi 8 (18.42 s).
func Example() {
	cfg := phifd.NewConfig().
		SetEstimator(phifd.EstimatorExponential).
		SetHeartbeatInterval(time.Second).
		SetThreshold(8).
		SetSuspectThreshold(4)
	m, err := phifd.NewMonitor(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	const s = uint64(time.Second)
	for i := uint64(0); i <= 10; i++ {
		if err := m.Heartbeat(42, 1, i*s); err != nil {
			fmt.Println(err)
			return
		}
	}
	phi, _ := m.Phi(42, 12*s)
	fmt.Printf("phi after 2 s of silence: %.4f\n", phi)
	dead, _ := m.TimeUntilPhi(42, 8)
	fmt.Println("declared dead after:", dead.Round(time.Millisecond))
	events, _ := m.Poll(40 * s)
	for _, e := range events {
		fmt.Printf("%v -> %v at %.2f s\n", e.From, e.To, float64(e.TimeNs)/1e9)
	}
	_, err = m.Phi(7, 40*s)
	var e *phifd.Error
	if errors.Is(err, phifd.ErrUnknownNode) && errors.As(err, &e) {
		fmt.Println(e.Status, "-", e.Message != "")
	}
	// Output:
	// phi after 2 s of silence: 0.8686
	// declared dead after: 18.421s
	// UNKNOWN -> ALIVE at 0.00 s
	// ALIVE -> SUSPECT at 19.21 s
	// SUSPECT -> FAILED at 28.42 s
	// PHIFD_ERR_UNKNOWN_NODE - true
}
