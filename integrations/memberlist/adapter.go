// Package phifdml gives a hashicorp/memberlist cluster phifd's accrual view of every member,
// beside memberlist's own failure detector (SWIM with Lifeguard).
//
// The adapter plugs into memberlist only through its public extension points:
//
//   - a Delegate: every member bumps its heartbeat version every Options.HeartbeatInterval and
//     queues the entry (its node id, generation and version, as a phifd heartbeat datagram) in a
//     memberlist.TransmitLimitedQueue, which memberlist piggybacks on its gossip and probe
//     packets; receivers record each entry with phifd's HeartbeatVersion (a version relayed by
//     many peers counts once) and relay entries newer than any they had (gossip). With
//     Options.Direct each member also sends its entry to every member with SendBestEffort;
//   - an EventDelegate: a join registers the member with phifd (under phifd's fixed membership,
//     so only members memberlist admitted are monitored). memberlist v0.7.0 calls NotifyLeave
//     both for a member that left and for one it declared dead, and its public Node.State is
//     never filled in, so the two cannot be told apart there: a member leaving through
//     Adapter.Leave gossips a leave message first and is removed at once; any other
//     NotifyLeave is memberlist's death verdict, reported (EventMemberlistDead) but not acted
//     on (phifd judges on its own) until Options.ForgetDeadAfter;
//   - a PingDelegate: the ack of every memberlist probe carries the probed member's latest
//     heartbeat entry, a direct arrival;
//   - NodeMeta carries the member's node id and generation.
//
// Node ids are NodeID(member name). Incarnations are phifd generations from a GenerationClock
// (Options.GenerationPath: a durable clock file, so each restart is a new generation and peers
// restart the member's history). The application reads phi, state and time until failure per
// member (Adapter.Member, Adapter.Members), receives events on a channel (Adapter.Events) or a
// callback (Options.OnEvent), and serves Prometheus text (Adapter.Prometheus).
//
// Suspicions: memberlist's public API does not expose its suspicions (they live in internal
// state; memberlist.Node.State stays StateAlive in v0.7.0), so they cannot be fed to phifd.
// With Options.FeedSuspicions the adapters exchange phifd's own: when a member's phifd moves X
// to SUSPECT it gossips "I suspect X", and every adapter feeds such reports to phifd as
// confirmations (ReportSuspect, one per distinct reporter, Lifeguard's rule), which shortens the
// silence needed to convict X. Off by default.
//
// Typical use:
//
//	a, err := phifdml.New(phifdml.Options{Name: "node-1", GenerationPath: "/var/lib/app/generation"})
//	cfg := memberlist.DefaultLANConfig()
//	cfg.Name = "node-1"
//	a.Install(cfg)                  // sets cfg.Delegate, cfg.Events, cfg.Ping (wrapping any set)
//	ml, err := memberlist.Create(cfg)
//	a.Start(ml)                     // heartbeats and polling
//	defer a.Close()
//	for e := range a.Events() { ... }
package phifdml

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
	phifd "github.com/phifd/phifd/bindings/go"
)

// Options configure an Adapter. Only Name is required.
type Options struct {
	// Name is this member's memberlist name (memberlist.Config.Name). Required.
	Name string
	// Monitor holds phifd's settings (threshold, estimator, ...). Nil: phifd's defaults with the
	// heartbeat interval set to HeartbeatInterval. The adapter uses a copy with membership set to
	// phifd.MembershipFixed; set the heartbeat interval to HeartbeatInterval yourself when you
	// pass a Config.
	Monitor *phifd.Config
	// HeartbeatInterval is how often this member bumps and queues its heartbeat version.
	// Default 200 ms (memberlist's LAN gossip interval).
	HeartbeatInterval time.Duration
	// PollInterval is how often the adapter polls phifd for events (also how phifd notices pauses
	// of this process). Default HeartbeatInterval / 2.
	PollInterval time.Duration
	// GenerationPath is the file of this member's durable generation clock: opened (and locked)
	// by New, one generation higher at every start, closed by Close. Leave empty to pass
	// Generation instead.
	GenerationPath string
	// Generation is an already open generation clock (not closed by Close). When both it and
	// GenerationPath are empty an in-memory clock starting at 1 is used: restarts are then not
	// recognised as new incarnations (for tests and examples only).
	Generation *phifd.GenerationClock
	// RetransmitMult sets how many times each heartbeat entry is handed to gossip:
	// RetransmitMult x ceil(log10(members + 1)) (memberlist's rule). Default 2.
	RetransmitMult int
	// NoRelay stops relaying other members' entries: each member's heartbeats then reach only
	// the members its own gossip and probes reach.
	NoRelay bool
	// Direct also sends this member's entry to every member by memberlist's SendBestEffort at
	// every heartbeat (N-1 extra packets per interval).
	Direct bool
	// FeedSuspicions gossips this member's phifd suspicions and feeds other members' to phifd as
	// confirmations (see the package documentation).
	FeedSuspicions bool
	// ForgetDeadAfter is how long a member that memberlist declared dead (not left) stays
	// monitored without rejoining; then it is removed from phifd (EventForgotten). Default 5 min.
	ForgetDeadAfter time.Duration
	// EventBuffer is the capacity of the Events channel. When it is full, events are dropped
	// (counted by DroppedEvents) rather than blocking memberlist. Default 1024.
	EventBuffer int
	// OnEvent, if set, is called with every event, in order, from the adapter's goroutines and
	// memberlist's. It must return quickly and must not call Close.
	OnEvent func(Event)
	// OnArrival, if set, is called with every heartbeat entry received from a monitored member
	// (node id, generation, version, arrival time in monotonic ns), before deduplication: for
	// feeding further monitors (comparing settings) or tracing.
	OnArrival func(node, generation, version, nowNs uint64)
	// OnSuspicion, if set, is called with every suspicion report fed to phifd (FeedSuspicions).
	OnSuspicion func(node, reporter uint64)
	// Inner, InnerEvents and InnerPing are the application's own memberlist delegates, which the
	// adapter wraps: its messages, broadcasts, state exchange and metadata (see AppMeta), and its
	// events, are passed through. Install takes them from the memberlist.Config when they are
	// nil here.
	Inner       memberlist.Delegate
	InnerEvents memberlist.EventDelegate
	InnerPing   memberlist.PingDelegate
}

// EventKind says what an Event reports.
type EventKind int

const (
	// EventState: phifd moved the member from From to To (ALIVE, SUSPECT, FAILED).
	EventState EventKind = iota
	// EventRestarted: the member came back with a higher generation (a new incarnation).
	EventRestarted
	// EventJoined: memberlist reported the member joining (or rejoining); phifd monitors it.
	EventJoined
	// EventLeft: the member left gracefully; phifd no longer monitors it.
	EventLeft
	// EventMemberlistDead: memberlist's own detector declared the member dead (phifd keeps
	// monitoring it).
	EventMemberlistDead
	// EventForgotten: a member memberlist declared dead stayed away for ForgetDeadAfter and was
	// removed from phifd.
	EventForgotten
	// EventCollision: the member's name hashes to the node id of another member's name; neither
	// is monitored (rename one of them).
	EventCollision
)

func (k EventKind) String() string {
	switch k {
	case EventState:
		return "state"
	case EventRestarted:
		return "restarted"
	case EventJoined:
		return "joined"
	case EventLeft:
		return "left"
	case EventMemberlistDead:
		return "memberlist-dead"
	case EventForgotten:
		return "forgotten"
	case EventCollision:
		return "collision"
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is one change about a member. Plain data.
type Event struct {
	Kind       EventKind
	Member     string      // member name
	Node       uint64      // its node id, NodeID(Member)
	Generation uint64      // its generation (EventState, EventRestarted)
	From, To   phifd.State // EventState: the transition
	Phi        float64     // EventState: phi at the transition
	TimeNs     uint64      // when it happened (monotonic ns, phifd.NowNs's clock)
}

func (e Event) String() string {
	if e.Kind == EventState {
		return fmt.Sprintf("%s: %v -> %v (phi %.2f)", e.Member, e.From, e.To, e.Phi)
	}
	return fmt.Sprintf("%s: %v", e.Member, e.Kind)
}

// Status is phifd's view of one member, with memberlist's. Plain data.
type Status struct {
	Member     string
	Node       uint64
	Generation uint64
	State      phifd.State // phifd's state at the query time
	Phi        float64
	// TimeUntilFailure is how long until phifd declares the member FAILED if nothing more
	// arrives (0 once past).
	TimeUntilFailure time.Duration
	Version          uint64 // highest heartbeat version seen
	LastArrivalNs    uint64 // monotonic ns of the last counted arrival; 0 before the first
	Confirmations    uint32 // distinct members reporting it suspect (FeedSuspicions)
	// Memberlist is memberlist's view: StateAlive while memberlist lists the member (alive or
	// suspect: its public API does not tell them apart), StateDead once it does not.
	Memberlist memberlist.NodeStateType
}

// Collision names two members whose names hash to the same node id.
type Collision struct {
	Node  uint64
	Names [2]string
}

// Adapter connects one memberlist instance to a phifd Monitor. Its methods are safe for
// concurrent use.
type Adapter struct {
	opts     Options
	idOf     func(string) uint64 // NodeID; replaced by tests to make collisions
	name     string
	id       uint64
	gen      uint64
	clock    *phifd.GenerationClock
	ownClock bool
	mon      *phifd.Monitor
	queue    *memberlist.TransmitLimitedQueue
	ml       atomic.Pointer[memberlist.Memberlist]
	version  atomic.Uint64
	dropped  atomic.Uint64

	mu         sync.Mutex
	names      map[uint64]string       // monitored members
	collided   map[uint64][2]string    // ids excluded because of a collision
	deadSince  map[uint64]time.Time    // declared dead by memberlist, not rejoined
	leaving    map[uint64]bool         // members that announced a graceful leave
	susSeen    map[[2]uint64][2]uint64 // (reporter, node) -> newest (generation, version) reported
	emitMu     sync.RWMutex            // Close holds it to close events; emit holds it for reading
	chanClosed atomic.Bool             // events is closed (set under emitMu)
	closed     bool
	events     chan Event
	stop       chan struct{}
	wg         sync.WaitGroup
	started    bool
	collisions []Collision
}

// New creates an adapter for the member Options.Name: it opens the generation clock and creates
// the phifd monitor. Errors: an empty name, an invalid phifd setting (phifd.ErrInvalidArg naming
// it), a generation clock that cannot be opened (phifd.ErrLocked, ErrCorrupt, ErrIO).
func New(opts Options) (*Adapter, error) {
	if opts.Name == "" {
		return nil, errors.New("phifdml.New: Options.Name is empty; set it to the memberlist member name (memberlist.Config.Name)")
	}
	if opts.HeartbeatInterval < 0 || opts.PollInterval < 0 || opts.ForgetDeadAfter < 0 ||
		opts.RetransmitMult < 0 || opts.EventBuffer < 0 {
		return nil, errors.New("phifdml.New: HeartbeatInterval, PollInterval, ForgetDeadAfter, RetransmitMult and EventBuffer must not be negative (0 selects the default)")
	}
	if opts.HeartbeatInterval == 0 {
		opts.HeartbeatInterval = 200 * time.Millisecond
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = opts.HeartbeatInterval / 2
	}
	if opts.RetransmitMult == 0 {
		opts.RetransmitMult = 2
	}
	if opts.ForgetDeadAfter == 0 {
		opts.ForgetDeadAfter = 5 * time.Minute
	}
	if opts.EventBuffer == 0 {
		opts.EventBuffer = 1024
	}
	var cfg phifd.Config
	if opts.Monitor != nil {
		cfg = *opts.Monitor
	} else {
		cfg.SetHeartbeatInterval(opts.HeartbeatInterval)
	}
	cfg.SetMembership(phifd.MembershipFixed)
	a := &Adapter{
		opts:      opts,
		idOf:      NodeID,
		name:      opts.Name,
		id:        NodeID(opts.Name),
		names:     map[uint64]string{},
		collided:  map[uint64][2]string{},
		deadSince: map[uint64]time.Time{},
		leaving:   map[uint64]bool{},
		susSeen:   map[[2]uint64][2]uint64{},
		events:    make(chan Event, opts.EventBuffer),
		stop:      make(chan struct{}),
	}
	var err error
	switch {
	case opts.GenerationPath != "":
		if a.clock, err = phifd.OpenGenerationClock(opts.GenerationPath); err != nil {
			return nil, fmt.Errorf("phifdml.New: generation clock %q: %w", opts.GenerationPath, err)
		}
		a.ownClock = true
	case opts.Generation != nil:
		a.clock = opts.Generation
	default:
		if a.clock, err = phifd.NewInMemoryGenerationClock(1); err != nil {
			return nil, fmt.Errorf("phifdml.New: in-memory generation clock: %w", err)
		}
		a.ownClock = true
	}
	if a.gen, err = a.clock.Current(); err != nil {
		a.closeClock()
		return nil, fmt.Errorf("phifdml.New: reading the generation: %w", err)
	}
	if a.mon, err = phifd.NewMonitor(&cfg); err != nil {
		a.closeClock()
		return nil, fmt.Errorf("phifdml.New: phifd monitor: %w", err)
	}
	a.queue = &memberlist.TransmitLimitedQueue{NumNodes: a.numNodes, RetransmitMult: opts.RetransmitMult}
	return a, nil
}

func (a *Adapter) closeClock() {
	if a.ownClock && a.clock != nil {
		a.clock.Close()
	}
}

func (a *Adapter) numNodes() int {
	if ml := a.ml.Load(); ml != nil {
		return ml.NumMembers()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.names) + 1
}

// Install sets cfg.Delegate, cfg.Events and cfg.Ping to the adapter's, wrapping (as
// Options.Inner, InnerEvents, InnerPing) any delegate already set there. Call it before
// memberlist.Create. Errors: cfg.Name differs from Options.Name.
func (a *Adapter) Install(cfg *memberlist.Config) error {
	if cfg.Name != a.name {
		return fmt.Errorf("phifdml: memberlist.Config.Name is %q but the adapter was created for %q; use the same name", cfg.Name, a.name)
	}
	if a.opts.Inner == nil && cfg.Delegate != nil {
		a.opts.Inner = cfg.Delegate
	}
	if a.opts.InnerEvents == nil && cfg.Events != nil {
		a.opts.InnerEvents = cfg.Events
	}
	if a.opts.InnerPing == nil && cfg.Ping != nil {
		a.opts.InnerPing = cfg.Ping
	}
	cfg.Delegate = delegate{a}
	cfg.Events = eventDelegate{a}
	cfg.Ping = pingDelegate{a}
	return nil
}

// Start begins heartbeating and polling for the memberlist ml (created with a Config passed
// through Install). Errors: ml is nil, Start was already called, or the adapter is closed.
func (a *Adapter) Start(ml *memberlist.Memberlist) error {
	if ml == nil {
		return errors.New("phifdml: Start: memberlist is nil; pass the result of memberlist.Create")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return errors.New("phifdml: Start: the adapter is closed")
	}
	if a.started {
		return errors.New("phifdml: Start: already started")
	}
	a.started = true
	a.ml.Store(ml)
	a.wg.Add(2)
	go a.heartbeatLoop()
	go a.pollLoop()
	return nil
}

// Close stops the adapter's goroutines, closes the Events channel, the phifd monitor and the
// generation clock it opened. It does not shut memberlist down (do that first, or after).
// Idempotent.
func (a *Adapter) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	close(a.stop)
	a.mu.Unlock()
	a.wg.Wait()
	a.emitMu.Lock()
	a.chanClosed.Store(true)
	close(a.events)
	a.emitMu.Unlock()
	err := a.mon.Close()
	a.closeClock()
	return err
}

// ID returns this member's node id, NodeID(Options.Name).
func (a *Adapter) ID() uint64 { return a.id }

// Generation returns this member's generation (its incarnation, from the generation clock).
func (a *Adapter) Generation() uint64 { return a.gen }

// Monitor returns the phifd monitor, for what the adapter does not wrap (Stats, NodeInfo,
// TimeUntilPhi). Do not Close it, Remove nodes from it or feed it heartbeats.
func (a *Adapter) Monitor() *phifd.Monitor { return a.mon }

// Events returns the channel of events (phifd state changes, joins, leaves, memberlist deaths,
// collisions), closed by Close. Events that find it full are dropped (DroppedEvents).
func (a *Adapter) Events() <-chan Event { return a.events }

// DroppedEvents returns how many events were dropped because the Events channel was full.
func (a *Adapter) DroppedEvents() uint64 { return a.dropped.Load() }

// Collisions returns the node-id collisions seen so far (members not monitored).
func (a *Adapter) Collisions() []Collision {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Collision(nil), a.collisions...)
}

// Member returns phifd's view of the member called name now. Errors: the member is not
// monitored (phifd.ErrUnknownNode), the adapter is closed (phifd.ErrClosed).
func (a *Adapter) Member(name string) (Status, error) {
	id := a.idOf(name)
	a.mu.Lock()
	n, ok := a.names[id]
	a.mu.Unlock()
	if !ok || n != name {
		return Status{}, fmt.Errorf("phifdml: member %q is not monitored (not joined, left, or in a node-id collision): %w", name, phifd.ErrUnknownNode)
	}
	now := phifd.NowNs()
	info, err := a.mon.NodeInfo(id, now)
	if err != nil {
		return Status{}, err
	}
	s := Status{Member: name, Node: id, Generation: info.Generation, State: info.State, Phi: info.Phi,
		Version: info.Version, Confirmations: info.Confirmations, Memberlist: a.memberlistStates()[name]}
	if info.HasArrival {
		s.LastArrivalNs = info.LastArrivalNs
	}
	elapsed := time.Duration(0)
	if now > info.SilenceOriginNs {
		elapsed = time.Duration(now - info.SilenceOriginNs)
	}
	if info.FailAfter > elapsed {
		s.TimeUntilFailure = info.FailAfter - elapsed
	}
	return s, nil
}

// Members returns phifd's view of every monitored member now, sorted by name.
// Errors: phifd.ErrClosed.
func (a *Adapter) Members() ([]Status, error) {
	snap, err := a.mon.Snapshot(phifd.NowNs())
	if err != nil {
		return nil, err
	}
	ml := a.memberlistStates()
	a.mu.Lock()
	out := make([]Status, 0, len(snap))
	for _, e := range snap {
		name, ok := a.names[e.Node]
		if !ok {
			continue
		}
		out = append(out, Status{Member: name, Node: e.Node, Generation: e.Generation, State: e.State,
			Phi: e.Phi, TimeUntilFailure: e.TimeUntilFailure, Version: e.Version,
			LastArrivalNs: e.LastArrivalNs, Confirmations: e.Confirmations, Memberlist: ml[name]})
	}
	a.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Member < out[j].Member })
	return out, nil
}

// memberlistStates maps member names to memberlist's state; members memberlist no longer lists
// as alive or suspect are dead (the zero map value would read as alive, so they are filled in).
func (a *Adapter) memberlistStates() map[string]memberlist.NodeStateType {
	out := map[string]memberlist.NodeStateType{}
	a.mu.Lock()
	for _, n := range a.names {
		out[n] = memberlist.StateDead
	}
	a.mu.Unlock()
	if ml := a.ml.Load(); ml != nil {
		for _, n := range ml.Members() {
			out[n.Name] = n.State
		}
	}
	return out
}

// Prometheus renders phifd's metrics (phifd.Monitor.Prometheus: per node id) followed by
// phifd_memberlist_member{node="<id>",name="<member name>"} 1, which maps ids to member names
// (join on the node label), and phifd_memberlist_dropped_events_total.
// Errors: phifd.ErrClosed.
func (a *Adapter) Prometheus() (string, error) {
	text, err := a.mon.Prometheus(phifd.NowNs())
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(text)
	b.WriteString("# HELP phifd_memberlist_member Maps a phifd node id to its memberlist member name.\n")
	b.WriteString("# TYPE phifd_memberlist_member gauge\n")
	a.mu.Lock()
	ids := make([]uint64, 0, len(a.names))
	for id := range a.names {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		fmt.Fprintf(&b, "phifd_memberlist_member{node=\"%d\",name=\"%s\"} 1\n", id, escapeLabel(a.names[id]))
	}
	a.mu.Unlock()
	b.WriteString("# HELP phifd_memberlist_dropped_events_total Events dropped because the Events channel was full.\n")
	b.WriteString("# TYPE phifd_memberlist_dropped_events_total counter\n")
	fmt.Fprintf(&b, "phifd_memberlist_dropped_events_total %d\n", a.dropped.Load())
	return b.String(), nil
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// emit delivers events to the channel (never blocking) and to OnEvent.
func (a *Adapter) emit(evs ...Event) {
	a.emitMu.RLock()
	defer a.emitMu.RUnlock()
	if a.chanClosed.Load() { // memberlist may still call the delegates after Close
		return
	}
	for _, e := range evs {
		select {
		case a.events <- e:
		default:
			a.dropped.Add(1)
		}
		if a.opts.OnEvent != nil {
			a.opts.OnEvent(e)
		}
	}
}

// ---- heartbeats ----

type beatBroadcast struct {
	name string
	msg  []byte
}

func (b *beatBroadcast) Invalidates(memberlist.Broadcast) bool { return false } // by Name
func (b *beatBroadcast) Message() []byte                       { return b.msg }
func (b *beatBroadcast) Finished()                             {}
func (b *beatBroadcast) Name() string                          { return b.name }

func (a *Adapter) ownBeat(bump bool) []byte {
	v := a.version.Load()
	if bump {
		v = a.version.Add(1)
	}
	msg, err := beatMsg(a.id, a.gen, v, phifd.NowNs())
	if err != nil { // only for a generation above phifd.MaxGeneration, refused by the clock
		return nil
	}
	return msg
}

func (a *Adapter) heartbeatLoop() {
	defer a.wg.Done()
	t := time.NewTicker(a.opts.HeartbeatInterval)
	defer t.Stop()
	for {
		msg := a.ownBeat(true)
		if msg != nil {
			a.queue.QueueBroadcast(&beatBroadcast{name: "phifdml/hb/" + strconv.FormatUint(a.id, 16), msg: msg})
			if a.opts.Direct {
				ml := a.ml.Load()
				for _, n := range ml.Members() {
					if n.Name != a.name {
						_ = ml.SendBestEffort(n, msg) // best effort: a lost packet is a missed heartbeat
					}
				}
			}
		}
		select {
		case <-a.stop:
			return
		case <-t.C:
		}
	}
}

// receive handles one adapter message that arrived at now.
func (a *Adapter) receive(b []byte, now uint64) bool {
	kind, d, s, err := decodeMsg(b)
	if errors.Is(err, errNotOurs) {
		return false
	}
	if err != nil { // damaged: ignore it (memberlist's packets are checksummed only with encryption)
		return true
	}
	switch kind {
	case kindBeat:
		a.beat(d.Node, d.Generation, d.Version, now, b)
	case kindSuspect:
		a.suspect(s, now, b)
	case kindLeave:
		a.announcedLeave(s.Node, s.Generation, b)
	}
	return true
}

// announcedLeave removes a member that announced its graceful leave (and relays the notice).
func (a *Adapter) announcedLeave(id, generation uint64, raw []byte) {
	if id == a.id {
		return
	}
	var out []Event
	a.mu.Lock()
	name, ok := a.names[id]
	if ok && !a.leaving[id] {
		if info, err := a.mon.NodeInfo(id, phifd.NowNs()); err == nil && info.Generation > generation {
			ok = false // a notice from an earlier incarnation
		}
	}
	if ok {
		a.leaving[id] = true
		delete(a.names, id)
		delete(a.deadSince, id)
		_ = a.mon.Remove(id)
		out = append(out, Event{Kind: EventLeft, Member: name, Node: id, Generation: generation, TimeNs: phifd.NowNs()})
		if !a.opts.NoRelay {
			a.queue.QueueBroadcast(&beatBroadcast{name: "phifdml/leave/" + strconv.FormatUint(id, 16), msg: append([]byte(nil), raw...)})
		}
	}
	a.mu.Unlock()
	a.emit(out...)
}

// Leave announces this member's graceful departure to the other adapters (they stop monitoring
// it at once instead of waiting for memberlist's verdict), then calls memberlist's Leave with
// timeout. Call it instead of memberlist.Leave; Close (and memberlist's Shutdown) afterwards.
// Errors: Start was not called; memberlist's Leave errors.
func (a *Adapter) Leave(timeout time.Duration) error {
	ml := a.ml.Load()
	if ml == nil {
		return errors.New("phifdml: Leave: the adapter was not started")
	}
	msg := leaveMsg(a.id, a.gen)
	a.queue.QueueBroadcast(&beatBroadcast{name: "phifdml/leave/" + strconv.FormatUint(a.id, 16), msg: msg})
	for _, n := range ml.Members() { // directly too: gossip alone may not reach everyone in time
		if n.Name != a.name {
			_ = ml.SendBestEffort(n, msg)
		}
	}
	return ml.Leave(timeout)
}

func (a *Adapter) monitored(id uint64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.names[id]
	return ok
}

func (a *Adapter) beat(node, generation, version, now uint64, raw []byte) {
	if node == a.id || !a.monitored(node) {
		return
	}
	if a.opts.OnArrival != nil {
		a.opts.OnArrival(node, generation, version, now)
	}
	counted, err := a.mon.HeartbeatVersion(node, generation, version, now)
	if err != nil || !counted || a.opts.NoRelay || raw == nil {
		return
	}
	msg := append([]byte(nil), raw...)
	a.queue.QueueBroadcast(&beatBroadcast{name: "phifdml/hb/" + strconv.FormatUint(node, 16), msg: msg})
}

func (a *Adapter) suspect(s suspicion, now uint64, raw []byte) {
	if !a.opts.FeedSuspicions || s.Node == a.id || s.Reporter == s.Node || !a.monitored(s.Node) {
		return
	}
	key := [2]uint64{s.Reporter, s.Node}
	a.mu.Lock()
	prev, seen := a.susSeen[key]
	fresh := !seen || s.Generation > prev[0] || (s.Generation == prev[0] && s.Version > prev[1])
	if fresh {
		a.susSeen[key] = [2]uint64{s.Generation, s.Version}
	}
	a.mu.Unlock()
	if !fresh {
		return
	}
	if raw != nil && !a.opts.NoRelay {
		a.queue.QueueBroadcast(&beatBroadcast{
			name: "phifdml/sus/" + strconv.FormatUint(s.Reporter, 16) + "/" + strconv.FormatUint(s.Node, 16),
			msg:  append([]byte(nil), raw...)})
	}
	info, err := a.mon.NodeInfo(s.Node, now)
	// A report about an older incarnation, or from a reporter that had not seen the node's
	// latest heartbeat, is stale.
	if err != nil || s.Generation != info.Generation || s.Version < info.Version {
		return
	}
	if a.mon.ReportSuspect(s.Node, s.Reporter) == nil && a.opts.OnSuspicion != nil {
		a.opts.OnSuspicion(s.Node, s.Reporter)
	}
}

// ---- polling ----

func (a *Adapter) pollLoop() {
	defer a.wg.Done()
	t := time.NewTicker(a.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
		}
		a.pollOnce()
	}
}

func (a *Adapter) pollOnce() {
	now := phifd.NowNs()
	evs, _ := a.mon.Poll(now)
	if len(evs) > 0 {
		out := make([]Event, 0, len(evs))
		a.mu.Lock()
		for _, e := range evs {
			k := EventState
			if e.Kind == phifd.EventRestarted {
				k = EventRestarted
			}
			out = append(out, Event{Kind: k, Member: a.names[e.Node], Node: e.Node, Generation: e.Generation,
				From: e.From, To: e.To, Phi: e.Phi, TimeNs: e.TimeNs})
		}
		a.mu.Unlock()
		a.emit(out...)
		if a.opts.FeedSuspicions {
			a.reportSuspicions(evs)
		}
	}
	a.forgetDead(now)
}

// reportSuspicions gossips a report for each member this member's phifd just moved to SUSPECT.
func (a *Adapter) reportSuspicions(evs []phifd.Event) {
	for _, e := range evs {
		if e.Kind != phifd.EventStateChanged || e.To != phifd.StateSuspect || e.From != phifd.StateAlive {
			continue
		}
		info, err := a.mon.NodeInfo(e.Node, e.TimeNs)
		if err != nil {
			continue
		}
		s := suspicion{Reporter: a.id, Node: e.Node, Generation: info.Generation, Version: info.Version}
		a.queue.QueueBroadcast(&beatBroadcast{
			name: "phifdml/sus/" + strconv.FormatUint(a.id, 16) + "/" + strconv.FormatUint(e.Node, 16), msg: suspectMsg(s)})
	}
}

func (a *Adapter) forgetDead(now uint64) {
	var out []Event
	a.mu.Lock()
	for id, since := range a.deadSince {
		if time.Since(since) >= a.opts.ForgetDeadAfter {
			delete(a.deadSince, id)
			_ = a.mon.Remove(id)
			out = append(out, Event{Kind: EventForgotten, Member: a.names[id], Node: id, TimeNs: now})
			delete(a.names, id)
		}
	}
	a.mu.Unlock()
	a.emit(out...)
}

// ---- membership ----

func (a *Adapter) join(n *memberlist.Node) {
	if n.Name == a.name {
		return
	}
	id := a.idOf(n.Name)
	_, gen, _, ok := decodeMeta(n.Meta)
	if !ok {
		gen = 0 // a member without the adapter: registered, FAILED unless heartbeats come
	}
	now := phifd.NowNs()
	var out []Event
	a.mu.Lock()
	if pair, bad := a.collided[id]; bad {
		if pair[0] != n.Name && pair[1] != n.Name {
			a.collisions = append(a.collisions, Collision{Node: id, Names: [2]string{pair[0], n.Name}})
			out = append(out, Event{Kind: EventCollision, Member: n.Name, Node: id, TimeNs: now})
		}
	} else if other, known := a.names[id]; known && other != n.Name {
		a.collided[id] = [2]string{other, n.Name}
		a.collisions = append(a.collisions, Collision{Node: id, Names: [2]string{other, n.Name}})
		delete(a.names, id)
		delete(a.deadSince, id)
		_ = a.mon.Remove(id)
		out = append(out, Event{Kind: EventCollision, Member: other, Node: id, TimeNs: now},
			Event{Kind: EventCollision, Member: n.Name, Node: id, TimeNs: now})
	} else {
		delete(a.deadSince, id)
		delete(a.leaving, id)
		if !known {
			a.names[id] = n.Name
		}
		if err := a.mon.AddNode(id, gen, now); err == nil {
			out = append(out, Event{Kind: EventJoined, Member: n.Name, Node: id, Generation: gen, TimeNs: now})
		} else if !known {
			delete(a.names, id) // capacity: not monitored
		}
	}
	a.mu.Unlock()
	a.emit(out...)
}

func (a *Adapter) leave(n *memberlist.Node) {
	if n.Name == a.name {
		return
	}
	id := a.idOf(n.Name)
	now := phifd.NowNs()
	var out []Event
	a.mu.Lock()
	if name, ok := a.names[id]; ok && name == n.Name {
		a.deadSince[id] = time.Now()
		out = append(out, Event{Kind: EventMemberlistDead, Member: n.Name, Node: id, TimeNs: now})
	}
	a.mu.Unlock()
	a.emit(out...)
}

// ---- memberlist delegates (unexported types, so their methods are not the adapter's API) ----

type delegate struct{ a *Adapter }

func (d delegate) NodeMeta(limit int) []byte {
	var app []byte
	if d.a.opts.Inner != nil {
		app = d.a.opts.Inner.NodeMeta(limit - metaSize)
	}
	return encodeMeta(d.a.id, d.a.gen, app)
}

func (d delegate) NotifyMsg(b []byte) {
	now := phifd.NowNs() // the arrival, before any other work
	if !d.a.receive(b, now) && d.a.opts.Inner != nil {
		d.a.opts.Inner.NotifyMsg(b)
	}
}

func (d delegate) GetBroadcasts(overhead, limit int) [][]byte {
	out := d.a.queue.GetBroadcasts(overhead, limit)
	if d.a.opts.Inner != nil {
		used := 0
		for _, m := range out {
			used += overhead + len(m)
		}
		if limit-used > overhead {
			out = append(out, d.a.opts.Inner.GetBroadcasts(overhead, limit-used)...)
		}
	}
	return out
}

func (d delegate) LocalState(join bool) []byte {
	if d.a.opts.Inner != nil {
		return d.a.opts.Inner.LocalState(join)
	}
	return nil
}

func (d delegate) MergeRemoteState(buf []byte, join bool) {
	if d.a.opts.Inner != nil {
		d.a.opts.Inner.MergeRemoteState(buf, join)
	}
}

type eventDelegate struct{ a *Adapter }

func (e eventDelegate) NotifyJoin(n *memberlist.Node) {
	e.a.join(n)
	if e.a.opts.InnerEvents != nil {
		e.a.opts.InnerEvents.NotifyJoin(n)
	}
}

func (e eventDelegate) NotifyLeave(n *memberlist.Node) {
	e.a.leave(n)
	if e.a.opts.InnerEvents != nil {
		e.a.opts.InnerEvents.NotifyLeave(n)
	}
}

func (e eventDelegate) NotifyUpdate(n *memberlist.Node) {
	if e.a.opts.InnerEvents != nil {
		e.a.opts.InnerEvents.NotifyUpdate(n)
	}
}

type pingDelegate struct{ a *Adapter }

// AckPayload: this member's latest heartbeat entry, then the application's payload.
func (p pingDelegate) AckPayload() []byte {
	msg := p.a.ownBeat(false)
	if p.a.opts.InnerPing != nil {
		msg = append(msg, p.a.opts.InnerPing.AckPayload()...)
	}
	return msg
}

func (p pingDelegate) NotifyPingComplete(other *memberlist.Node, rtt time.Duration, payload []byte) {
	now := phifd.NowNs()
	const beatLen = 2 + phifd.DatagramSize
	if len(payload) >= beatLen {
		if kind, d, _, err := decodeMsg(payload[:beatLen]); err == nil && kind == kindBeat && d.Node == p.a.idOf(other.Name) {
			p.a.beat(d.Node, d.Generation, d.Version, now, nil)
			payload = payload[beatLen:]
		}
	}
	if p.a.opts.InnerPing != nil {
		p.a.opts.InnerPing.NotifyPingComplete(other, rtt, payload)
	}
}
