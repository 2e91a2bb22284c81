package phifd

// #include "gophifd.h"
import "C"

import (
	"fmt"
	"math"
	"time"
)

// HeaderVersion is the version of phifd.h the package was compiled against (PHIFD_VERSION_STRING).
// It equals [Version] when the header and the library come from the same install.
const HeaderVersion = C.PHIFD_VERSION_STRING

// Version returns the version of the linked library, e.g. "0.1.0". Safe for concurrent use.
func Version() string {
	// A static string owned by the library: copied, never freed.
	return C.GoString(C.phifd_version())
}

// NowNs returns the current time of the library's monotonic clock (CLOCK_MONOTONIC) in
// nanoseconds: the time base for every time argument of this package. It never goes backwards
// and ignores wall-clock changes. Safe for concurrent use; cannot fail.
func NowNs() uint64 {
	return uint64(C.phifd_now_ns())
}

// durationFromNs converts library nanoseconds to a Duration, saturating at the largest Duration
// (about 292 years) for values, such as "never", that do not fit.
func durationFromNs(ns uint64) time.Duration {
	if ns > math.MaxInt64 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(ns)
}

// Membership says who may join a monitor by sending a heartbeat.
type Membership uint32

// The membership modes.
const (
	// MembershipOpen: a heartbeat from an unknown id registers it, up to Config.SetMaxNodes
	// nodes. The default.
	MembershipOpen Membership = C.PHIFD_MEMBERSHIP_OPEN
	// MembershipFixed: only ids registered with Monitor.AddNode are accepted; a heartbeat from
	// another id fails with ErrUnknownNode and is counted in Stats.RejectedUnknownNode.
	MembershipFixed Membership = C.PHIFD_MEMBERSHIP_FIXED
)

// Estimator selects how phi is computed from a node's interval history.
type Estimator uint32

// The estimators.
const (
	// EstimatorAkka is the Akka/Pekko-compatible model: logistic approximation of the normal
	// tail, mean + acceptable pause, standard deviation floored at the minimum. The default.
	EstimatorAkka Estimator = C.PHIFD_ESTIMATOR_AKKA
	// EstimatorNormal uses the exact normal tail, evaluated in log space.
	EstimatorNormal Estimator = C.PHIFD_ESTIMATOR_NORMAL
	// EstimatorExponential is the Cassandra-compatible model phi = elapsed / mean / ln(10);
	// intervals above the max interval (default 2 x heartbeat interval) are dropped.
	EstimatorExponential Estimator = C.PHIFD_ESTIMATOR_EXPONENTIAL
)

// String returns "akka", "normal" or "exponential" (or "Estimator(n)" for another value).
func (e Estimator) String() string {
	switch e {
	case EstimatorAkka:
		return "akka"
	case EstimatorNormal:
		return "normal"
	case EstimatorExponential:
		return "exponential"
	}
	return fmt.Sprintf("Estimator(%d)", uint32(e))
}

// State is what a monitor concludes about a node.
type State uint32

// The node states.
const (
	// StateUnknown: registered with AddNode, no heartbeat yet.
	StateUnknown State = C.PHIFD_STATE_UNKNOWN
	// StateAlive: heartbeating, phi below the suspect threshold.
	StateAlive State = C.PHIFD_STATE_ALIVE
	// StateSuspect: phi at or above the suspect threshold, or recovering from FAILED.
	StateSuspect State = C.PHIFD_STATE_SUSPECT
	// StateFailed: phi at or above the threshold, or no first heartbeat in time.
	StateFailed State = C.PHIFD_STATE_FAILED
)

// String returns the library's name of the state (phifd_state_name): "UNKNOWN", "ALIVE",
// "SUSPECT" or "FAILED", or "State(n)" for a value the library does not define.
func (s State) String() string {
	// A static string owned by the library: copied, never freed.
	name := C.GoString(C.phifd_state_name(C.phifd_state(s)))
	if name == invalidName {
		return fmt.Sprintf("State(%d)", uint32(s))
	}
	return name
}

// invalidName is the name phifd_state_name and phifd_event_kind_name give an undefined value.
const invalidName = "INVALID"

// EventKind says what an [Event] reports.
type EventKind uint32

// The event kinds.
const (
	// EventStateChanged: the node's state changed from From to To.
	EventStateChanged EventKind = C.PHIFD_EVENT_STATE_CHANGED
	// EventRestarted: the node came back with a higher generation; its history restarted and it
	// is ALIVE. From is the state of the old incarnation.
	EventRestarted EventKind = C.PHIFD_EVENT_RESTARTED
)

// String returns the library's name of the event kind (phifd_event_kind_name): "STATE_CHANGED"
// or "RESTARTED", or "EventKind(n)" for a value the library does not define.
func (k EventKind) String() string {
	// A static string owned by the library: copied, never freed.
	name := C.GoString(C.phifd_event_kind_name(C.phifd_event_kind(k)))
	if name == invalidName {
		return fmt.Sprintf("EventKind(%d)", uint32(k))
	}
	return name
}

// Event is one transition reported by [Monitor.Poll]. Plain data.
type Event struct {
	Node       uint64    // the node
	Generation uint64    // the node's generation after the transition
	TimeNs     uint64    // when it happened (monotonic ns): the arrival, or the instant the silence reached the threshold
	Phi        float64   // phi at TimeNs
	Kind       EventKind // what happened
	From       State     // state before
	To         State     // state after
}

// String formats the event, e.g. "node 7 gen 1 STATE_CHANGED ALIVE -> SUSPECT at 4302585092 ns (phi 4.00)".
func (e Event) String() string {
	return fmt.Sprintf("node %d gen %d %s %s -> %s at %d ns (phi %.2f)",
		e.Node, e.Generation, e.Kind, e.From, e.To, e.TimeNs, e.Phi)
}

// NodeInfo is a node's state and statistics at a query time, from [Monitor.NodeInfo].
type NodeInfo struct {
	Node            uint64  // the node id
	Generation      uint64  // current generation
	State           State   // state the silence implies at the query time
	Phi             float64 // phi at the query time
	HasArrival      bool    // a heartbeat was recorded for the current registration
	LastArrivalNs   uint64  // last heartbeat arrival (monotonic ns); 0 if !HasArrival
	SilenceOriginNs uint64  // what silence is measured from: the last arrival, or the registration time
	Samples         uint64  // intervals in the window (the seed history counts until pushed out)
	MeanNs          float64 // mean interval of the window, ns (without the acceptable pause)
	StdDevNs        float64 // population standard deviation of the window, ns (before the floor)
	// SuspectAfter is the silence after SilenceOriginNs at which the node becomes SUSPECT
	// (saturated at the largest Duration).
	SuspectAfter time.Duration
	// FailAfter is the silence after SilenceOriginNs at which the node becomes FAILED: "how long
	// until this node is declared dead" (saturated at the largest Duration).
	FailAfter time.Duration
	// Version is the highest heartbeat version seen in the current generation
	// (HeartbeatVersion; plain heartbeats count too).
	Version uint64
	// HeartbeatIntervalNs is the sender's own heartbeat interval estimate, ns: time between
	// counted arrivals divided by the versions they advanced, smoothed. About MeanNs for direct
	// heartbeats; with gossip it stays the per-heartbeat interval while MeanNs is the gap between
	// observations.
	HeartbeatIntervalNs float64
	// Confirmations is the number of distinct peers currently reporting the node as suspect
	// (ReportSuspect; at most the configured ConfirmationsExpected).
	Confirmations uint32
}

// Mean returns MeanNs as a Duration (rounded to the nearest nanosecond).
func (i NodeInfo) Mean() time.Duration { return time.Duration(math.Round(i.MeanNs)) }

// StdDev returns StdDevNs as a Duration (rounded to the nearest nanosecond).
func (i NodeInfo) StdDev() time.Duration { return time.Duration(math.Round(i.StdDevNs)) }

// HeartbeatInterval returns HeartbeatIntervalNs as a Duration (rounded to the nearest nanosecond).
func (i NodeInfo) HeartbeatInterval() time.Duration {
	return time.Duration(math.Round(i.HeartbeatIntervalNs))
}

// Stats are a monitor's counters, from [Monitor.Stats].
type Stats struct {
	Nodes           uint64 // nodes currently monitored
	PendingEvents   uint64 // events waiting for Poll
	DroppedEvents   uint64 // events dropped because more than 1,048,576 were waiting
	StaleHeartbeats uint64 // heartbeats rejected with ErrStaleGeneration
	// DuplicateHeartbeats counts versioned heartbeats ignored because their (generation,
	// version) was not newer than what was seen (HeartbeatVersion returned counted false).
	DuplicateHeartbeats uint64
	// PausesDetected counts pauses of this process detected from the gaps between calls.
	PausesDetected uint64
	// LastPauseStartNs is the last call before the last detected pause (monotonic ns; 0 if none).
	LastPauseStartNs uint64
	// LastPauseEndNs is the first call after the last detected pause (monotonic ns; 0 if none).
	LastPauseEndNs uint64
	// GraceUntilNs: no node is convicted before this instant (monotonic ns; 0 if no pause was
	// detected).
	GraceUntilNs uint64
	// LocalHealth is the effective local health score (0 = healthy); convicting takes
	// 1 + LocalHealth times longer. Same as Monitor.LocalHealth.
	LocalHealth uint32
	// RejectedOverCapacity counts heartbeats and registrations of new ids refused with
	// ErrCapacity because Config.SetMaxNodes nodes were monitored.
	RejectedOverCapacity uint64
	// RejectedUnknownNode counts heartbeats from unregistered ids refused under MembershipFixed.
	RejectedUnknownNode uint64
	// RejectedBadGeneration counts heartbeats, registrations and datagrams refused because a
	// generation exceeded MaxGeneration.
	RejectedBadGeneration uint64
	// RejectedMalformed counts datagrams refused as malformed.
	RejectedMalformed uint64
	// RejectedBadMAC counts authenticated datagrams whose MAC did not verify.
	RejectedBadMAC uint64
	// RejectedUnknownKey counts authenticated datagrams naming a key id the keyring lacks.
	RejectedUnknownKey uint64
	// RejectedReplayed counts authenticated datagrams that verified but were replayed or older
	// than what was seen.
	RejectedReplayed uint64
}
