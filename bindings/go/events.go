package phifd

import (
	"context"
	"errors"
	"time"
)

// DefaultEventsEvery is the poll period of [Monitor.Events] when none is given: 100 ms.
const DefaultEventsEvery = 100 * time.Millisecond

// DefaultEventsBuffer is the capacity of the channel of [Monitor.Events] when none is given.
const DefaultEventsBuffer = 64

// DefaultEventsBacklog is how many polled events the goroutine of [Monitor.Events] holds for a
// slow receiver, beyond the channel's buffer, before it stops polling (when none is given).
const DefaultEventsBacklog = 1024

// EventsOptions are the settings of [Monitor.EventsWith]. The zero value means every default.
type EventsOptions struct {
	// Every is the poll period: the goroutine calls Poll once at the start and then on a ticker
	// of this period. Poll about as often as peers send heartbeats (the monitor judges its own
	// pauses from the cadence of its polls). <= 0: DefaultEventsEvery.
	Every time.Duration
	// Buffer is the capacity of the returned channel, events. <= 0: DefaultEventsBuffer.
	Buffer int
	// Backlog is how many events the goroutine keeps, beyond the channel's buffer, for a
	// receiver that reads slowly. While it holds Backlog or more events it does not poll, so
	// new transitions wait in the monitor's own queue. <= 0: DefaultEventsBacklog.
	Backlog int
}

// Events is EventsWith(ctx, EventsOptions{Every: every}): the monitor's transitions on a channel,
// polled every `every` (<= 0: DefaultEventsEvery), with the default buffer and backlog.
func (m *Monitor) Events(ctx context.Context, every time.Duration) <-chan Event {
	return m.EventsWith(ctx, EventsOptions{Every: every})
}

// EventsWith starts a goroutine that polls the monitor (Poll at NowNs) on a ticker and sends
// every transition, oldest first, on the returned buffered channel. A nil ctx means one that is
// never cancelled. Zero or negative options take their defaults (see [EventsOptions]).
//
// The channel is closed, and the goroutine ends, when ctx is done or when the monitor is
// closed (Poll returns ErrClosed); events polled but not yet received are then discarded. A
// receive loop `for e := range ch` therefore ends by itself: cancel ctx or Close the monitor.
//
// The goroutine never blocks on the receiver: events it cannot send yet stay in its backlog;
// when the backlog holds opts.Backlog events it stops polling, and transitions wait in the
// monitor's own queue (Stats' PendingEvents) until the receiver catches up. That queue keeps
// at most 1,048,576 events; beyond it the oldest are dropped and counted (Stats'
// DroppedEvents). A poll skipped this way also shows as a late poll to the monitor's
// self-observation (its local health rises by one until polls are timely again), so keep the
// receiver reading.
//
// Several channels may watch one monitor, but each event is delivered to exactly one of them
// (Poll removes what it returns): use one Events channel per monitor and fan out from it.
func (m *Monitor) EventsWith(ctx context.Context, opts EventsOptions) <-chan Event {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.Every <= 0 {
		opts.Every = DefaultEventsEvery
	}
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultEventsBuffer
	}
	if opts.Backlog <= 0 {
		opts.Backlog = DefaultEventsBacklog
	}
	out := make(chan Event, opts.Buffer)
	go m.eventsLoop(ctx, opts, out)
	return out
}

// eventsLoop is the goroutine of EventsWith: it owns out and closes it when it returns.
func (m *Monitor) eventsLoop(ctx context.Context, opts EventsOptions, out chan<- Event) {
	defer close(out)
	ticker := time.NewTicker(opts.Every)
	defer ticker.Stop()
	var backlog []Event
	poll := func() bool {
		if ctx.Err() != nil {
			return false // never take events out of the monitor only to discard them
		}
		if len(backlog) >= opts.Backlog {
			return true // the receiver is behind: the monitor's queue holds new events
		}
		events, err := m.Poll(NowNs())
		backlog = append(backlog, events...)
		return !errors.Is(err, ErrClosed)
	}
	if !poll() {
		return
	}
	for {
		// Move what fits into the channel's buffer without waiting.
		for len(backlog) > 0 {
			select {
			case out <- backlog[0]:
				backlog[0] = Event{}
				backlog = backlog[1:]
				continue
			default:
			}
			break
		}
		if len(backlog) == 0 {
			backlog = nil // let the old array go
		}
		var send chan<- Event // nil (never ready) while nothing waits to be sent
		var next Event
		if len(backlog) > 0 {
			send, next = out, backlog[0]
		}
		select {
		case <-ctx.Done():
			return
		case send <- next:
			backlog[0] = Event{}
			backlog = backlog[1:]
		case <-ticker.C:
			if !poll() {
				return
			}
		}
	}
}
