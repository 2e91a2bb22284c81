package phifd

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// eventsGoroutines counts the goroutines running Monitor.eventsLoop, from a dump of every
// goroutine's stack: a leak check that other tests' goroutines cannot disturb.
func eventsGoroutines() int {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), ".(*Monitor).eventsLoop(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// waitNoEventsGoroutines fails the test unless every events goroutine has ended within 5 s and
// the process has no more goroutines than `baseline`.
func waitNoEventsGoroutines(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		loops, all := eventsGoroutines(), runtime.NumGoroutine()
		if loops == 0 && all <= baseline {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s: %d events goroutines still running, %d goroutines (%d before)", loops, all, baseline)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// next receives one event or fails after `limit`; ok is false when the channel was closed.
func next(t *testing.T, ch <-chan Event, limit time.Duration) (Event, bool) {
	t.Helper()
	select {
	case e, ok := <-ch:
		return e, ok
	case <-time.After(limit):
		t.Fatalf("no event and no close within %v", limit)
		return Event{}, false
	}
}

func newEventsMonitor(t *testing.T, interval time.Duration) *Monitor {
	t.Helper()
	return mustMonitor(t, NewConfig().SetEstimator(EstimatorNormal).SetHeartbeatInterval(interval).
		SetMinStdDeviation(interval/2).SetThreshold(8).SetSuspectThreshold(3))
}

// A node heartbeats every 50 ms from a goroutine, then falls silent (a crash): the channel
// brings its arrival (UNKNOWN -> ALIVE) and then its conviction (-> FAILED), timed after the
// last heartbeat and within a bound far above the detector's (about 0.2 s of silence here).
func TestEventsCrash(t *testing.T) {
	baseline := runtime.NumGoroutine()
	const interval = 50 * time.Millisecond
	m := newEventsMonitor(t, interval)
	ctx, cancel := context.WithCancel(context.Background())
	ch := m.Events(ctx, 10*time.Millisecond)

	lastBeat := make(chan uint64, 1)
	go func() { // the peer: 20 heartbeats, then nothing
		var t0 uint64
		for i := 0; i < 20; i++ {
			t0 = NowNs()
			if err := m.Heartbeat(9, 1, t0); err != nil {
				panic(err)
			}
			time.Sleep(interval)
		}
		lastBeat <- t0
	}()

	first, ok := next(t, ch, 5*time.Second)
	if !ok || first.Node != 9 || first.From != StateUnknown || first.To != StateAlive {
		t.Fatalf("first event %v (open %v), want node 9 UNKNOWN -> ALIVE", first, ok)
	}
	crash := <-lastBeat
	var failed Event
	for failed.To != StateFailed || failed.TimeNs <= crash { // a false alarm under load is possible before the crash
		var ok bool
		failed, ok = next(t, ch, 10*time.Second)
		if !ok {
			t.Fatal("channel closed before the FAILED event")
		}
	}
	if d := time.Duration(failed.TimeNs - crash); d > 3*time.Second {
		t.Errorf("FAILED %v after the last heartbeat, want well under 3 s", d)
	}
	if got := time.Duration(NowNs() - failed.TimeNs); got > 5*time.Second {
		t.Errorf("the FAILED event reached the receiver %v after it happened", got)
	}
	t.Logf("FAILED %v after the last heartbeat", time.Duration(failed.TimeNs-crash))
	cancel()
	for range ch { // drains, then ends: the channel is closed
	}
	waitNoEventsGoroutines(t, baseline)
}

// Cancelling the context closes the channel; a context already done takes nothing out of the
// monitor (the event stays queued for the next Poll).
func TestEventsClosedOnCancel(t *testing.T) {
	baseline := runtime.NumGoroutine()
	m := newEventsMonitor(t, 100*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	ch := m.Events(ctx, 5*time.Millisecond)
	time.Sleep(30 * time.Millisecond) // a few ticks with nothing to send
	cancel()
	if e, ok := next(t, ch, 2*time.Second); ok {
		t.Fatalf("got %v after cancel, want the channel closed", e)
	}

	if err := m.Heartbeat(3, 1, NowNs()); err != nil {
		t.Fatal(err)
	}
	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	if e, ok := next(t, m.Events(done, time.Millisecond), 2*time.Second); ok {
		t.Fatalf("got %v from a context already done, want the channel closed", e)
	}
	events, err := m.Poll(NowNs())
	if err != nil || len(events) != 1 || events[0].Node != 3 || events[0].To != StateAlive {
		t.Fatalf("Poll after the cancelled stream: %v, %v; want node 3's UNKNOWN -> ALIVE still queued", events, err)
	}
	waitNoEventsGoroutines(t, baseline)
}

// A receiver that stops reading never blocks the goroutine: beyond the channel's buffer and the
// backlog, events wait in the monitor's own queue, and cancel still ends the goroutine. Once the
// receiver reads again every event arrives, in order.
func TestEventsSlowReceiver(t *testing.T) {
	baseline := runtime.NumGoroutine()
	m := newEventsMonitor(t, 100*time.Millisecond)
	now := NowNs()
	for node := uint64(1); node <= 10; node++ {
		if err := m.Heartbeat(node, 1, now); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := m.EventsWith(ctx, EventsOptions{Every: 2 * time.Millisecond, Buffer: 1, Backlog: 2})
	for deadline := time.Now().Add(5 * time.Second); len(ch) < 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first event never reached the channel's buffer")
		}
	}
	// The goroutine now holds 9 events (more than the backlog of 2): it polls no more.
	for node := uint64(11); node <= 15; node++ {
		if err := m.Heartbeat(node, 1, now); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond) // about 25 ticks
	st, err := m.Stats()
	if err != nil || st.PendingEvents != 5 || st.DroppedEvents != 0 {
		t.Fatalf("monitor's queue while the receiver is away: %+v, %v; want 5 pending, 0 dropped", st, err)
	}
	for want := uint64(1); want <= 15; want++ {
		e, ok := next(t, ch, 5*time.Second)
		if !ok || e.Node != want || e.To != StateAlive {
			t.Fatalf("event %d: %v (open %v), want node %d -> ALIVE", want, e, ok, want)
		}
	}

	// A receiver gone for good: cancel still ends the goroutine although its channel is full.
	if err := m.Heartbeat(16, 1, now); err != nil {
		t.Fatal(err)
	}
	if err := m.Heartbeat(17, 1, now); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); len(ch) < 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the channel never filled")
		}
	}
	cancel()
	waitNoEventsGoroutines(t, baseline)
}

// Closing the monitor while a consumer ranges over the channel (and other goroutines still
// heartbeat) ends the range loop; Close waits for the poll in progress; nothing leaks. With
// many streams on one monitor, some ended by cancel and the rest by Close.
func TestEventsCloseWhileReading(t *testing.T) {
	baseline := runtime.NumGoroutine()
	m, err := NewMonitor(NewConfig().SetHeartbeatInterval(10 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	const streams = 8
	var consumers sync.WaitGroup
	counts := make([]int, streams)
	cancels := make([]context.CancelFunc, streams)
	for i := 0; i < streams; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		cancels[i] = cancel
		ch := m.Events(ctx, time.Millisecond)
		consumers.Add(1)
		go func() {
			defer consumers.Done()
			for range ch {
				counts[i]++
			}
		}()
	}
	stop := make(chan struct{})
	var producers sync.WaitGroup
	for p := 0; p < 4; p++ {
		producers.Add(1)
		go func() {
			defer producers.Done()
			for i := uint64(0); ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := m.Heartbeat(uint64(p)*1_000_000+i%5000, 1, NowNs()); errors.Is(err, ErrClosed) {
					return
				}
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	for i := 0; i < streams/2; i++ {
		cancels[i]()
	}
	time.Sleep(20 * time.Millisecond)
	m.Close() // the other streams end because the monitor is closed
	ended := make(chan struct{})
	go func() { consumers.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("consumers still reading 5 s after Close")
	}
	close(stop)
	producers.Wait()
	total := 0
	for _, c := range counts {
		total += c
	}
	if total == 0 {
		t.Fatal("no event delivered to any of the streams")
	}
	t.Logf("%d events delivered over %d streams before Close", total, streams)
	for _, cancel := range cancels {
		cancel()
	}
	waitNoEventsGoroutines(t, baseline)
}

// A nil context and zero options take the defaults; the stream ends with the monitor.
func TestEventsDefaults(t *testing.T) {
	baseline := runtime.NumGoroutine()
	m := newEventsMonitor(t, 100*time.Millisecond)
	if err := m.Heartbeat(1, 1, NowNs()); err != nil {
		t.Fatal(err)
	}
	ch := m.EventsWith(nil, EventsOptions{}) // nil: a context that is never cancelled
	if cap(ch) != DefaultEventsBuffer {
		t.Errorf("capacity %d, want %d", cap(ch), DefaultEventsBuffer)
	}
	e, ok := next(t, ch, 5*time.Second)
	if !ok || e.Node != 1 || e.To != StateAlive {
		t.Fatalf("got %v (open %v), want node 1 -> ALIVE", e, ok)
	}
	m.Close()
	if e, ok := next(t, ch, 5*time.Second); ok {
		t.Fatalf("got %v after Close, want the channel closed", e)
	}
	waitNoEventsGoroutines(t, baseline)
}
