package phifd

// #include "gophifd.h"
import "C"

// Status is a status code of the C library (phifd_status). StatusOK is success; the other
// values are failures and never change meaning.
type Status uint32

// The library's status codes.
const (
	StatusOK              Status = C.PHIFD_OK                   // success
	StatusNullArg         Status = C.PHIFD_ERR_NULL_ARG         // a required pointer was NULL
	StatusInvalidArg      Status = C.PHIFD_ERR_INVALID_ARG      // an argument was out of range
	StatusUnknownNode     Status = C.PHIFD_ERR_UNKNOWN_NODE     // the node is not monitored
	StatusStaleGeneration Status = C.PHIFD_ERR_STALE_GENERATION // a heartbeat's generation was too low
	StatusInvalidHandle   Status = C.PHIFD_ERR_INVALID_HANDLE   // a freed or foreign handle
	StatusInternal        Status = C.PHIFD_ERR_INTERNAL         // a bug inside the library
	StatusBufferTooSmall  Status = C.PHIFD_ERR_BUFFER_TOO_SMALL // a caller struct was too small
	StatusIO              Status = C.PHIFD_ERR_IO               // an operating-system I/O error
	StatusCorrupt         Status = C.PHIFD_ERR_CORRUPT          // stored data is damaged
	StatusLocked          Status = C.PHIFD_ERR_LOCKED           // held by another live process
	StatusMalformed       Status = C.PHIFD_ERR_MALFORMED        // untrusted bytes are not a valid message
	StatusCapacity        Status = C.PHIFD_ERR_CAPACITY         // max_nodes reached: a new id was refused
	StatusAuth            Status = C.PHIFD_ERR_AUTH             // a datagram's MAC does not verify
	StatusUnknownKey      Status = C.PHIFD_ERR_UNKNOWN_KEY      // a datagram names a key id not in the keyring
)

// String returns the C name of the status, e.g. "PHIFD_ERR_UNKNOWN_NODE", or
// "PHIFD_UNKNOWN_STATUS" for a code the library does not know.
func (s Status) String() string {
	// phifd_status_name returns a static string owned by the library: copied, never freed.
	return C.GoString(C.phifd_status_name(C.phifd_status(s)))
}

// Error is the error returned by every failing call: the library's status and its description
// of the failure (which function, which argument, why). Compare it with the sentinels using
// errors.Is; read Status and Message with errors.As.
type Error struct {
	// Status is the library's status code (never StatusOK).
	Status Status
	// Message is the library's explanation; empty for the sentinels.
	Message string
	closed  bool
}

// Error formats the error as "phifd: <STATUS NAME>: <message>".
func (e *Error) Error() string {
	if e.Message == "" {
		return "phifd: " + e.Status.String()
	}
	return "phifd: " + e.Status.String() + ": " + e.Message
}

// Is reports whether e matches target: a sentinel (an *Error without a message) matches every
// error with its status; ErrClosed matches only errors about a closed Monitor,
// GenerationClock or Keyring; another *Error matches when status and message are equal.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t.Status != e.Status {
		return false
	}
	if t.closed && !e.closed {
		return false
	}
	return t.Message == "" || t.closed || t.Message == e.Message
}

// Sentinel errors, one per failure status, for use with errors.Is.
var (
	// ErrNullArg: a required pointer argument was NULL (the binding never passes one; seeing it
	// means a bug in the binding).
	ErrNullArg = &Error{Status: StatusNullArg}
	// ErrInvalidArg: an argument was out of range (NaN, infinite, zero or negative where
	// meaningless, an unknown code, mismatched slice lengths), or the configuration breaks the
	// heartbeat timing rule.
	ErrInvalidArg = &Error{Status: StatusInvalidArg}
	// ErrUnknownNode: the node is not monitored.
	ErrUnknownNode = &Error{Status: StatusUnknownNode}
	// ErrStaleGeneration: a heartbeat carried a generation lower than the node's current one;
	// nothing changed.
	ErrStaleGeneration = &Error{Status: StatusStaleGeneration}
	// ErrInvalidHandle: the native object is not live. Errors from a closed Monitor match both
	// this and ErrClosed.
	ErrInvalidHandle = &Error{Status: StatusInvalidHandle}
	// ErrInternal: a bug inside the library (a caught panic); the monitor stays usable.
	ErrInternal = &Error{Status: StatusInternal}
	// ErrBufferTooSmall: a struct passed to the library was too small (a binding bug).
	ErrBufferTooSmall = &Error{Status: StatusBufferTooSmall}
	// ErrIO: an operating-system I/O error (the message carries the path and the OS error).
	ErrIO = &Error{Status: StatusIO}
	// ErrCorrupt: stored data is damaged (the message names the path and the damage).
	ErrCorrupt = &Error{Status: StatusCorrupt}
	// ErrLocked: the resource is held by another owner (an OS lock), e.g. a generation file
	// already opened by OpenGenerationClock, in this process or another one.
	ErrLocked = &Error{Status: StatusLocked}
	// ErrMalformed: untrusted bytes (e.g. a received datagram, see DecodeDatagram) are not a
	// valid message; the message names the defect (wrong length, bad magic, unsupported
	// version, unknown kind, undefined flags, checksum mismatch).
	ErrMalformed = &Error{Status: StatusMalformed}
	// ErrCapacity: the monitor already holds Config.SetMaxNodes nodes, so a heartbeat or
	// registration of a new id was refused; nothing changed, and the refusal is counted in
	// Stats.RejectedOverCapacity. Known nodes are unaffected.
	ErrCapacity = &Error{Status: StatusCapacity}
	// ErrAuth: an authenticated datagram's MAC does not verify (counted in Stats.RejectedBadMAC).
	ErrAuth = &Error{Status: StatusAuth}
	// ErrUnknownKey: an authenticated datagram names a key id the keyring does not hold
	// (counted in Stats.RejectedUnknownKey).
	ErrUnknownKey = &Error{Status: StatusUnknownKey}
	// ErrClosed is returned by every method of a Monitor after Close; errors from a closed
	// GenerationClock or Keyring match it too (their message names the clock or keyring). It has the status
	// StatusInvalidHandle, so errors.Is(err, ErrInvalidHandle) holds for it too.
	ErrClosed = &Error{Status: StatusInvalidHandle, Message: "the monitor is closed", closed: true}
)

// invalidArg builds an ErrInvalidArg error for an argument the binding rejects itself (a
// negative duration, mismatched slice lengths).
func invalidArg(msg string) error {
	return &Error{Status: StatusInvalidArg, Message: msg}
}
