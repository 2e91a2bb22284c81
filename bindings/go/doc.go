// Package phifd is the Go binding of phifd, a phi-accrual failure detector.
//
// A [Monitor] tracks many peers ("nodes", identified by a uint64). Feed it the arrival time of
// every heartbeat with [Monitor.Heartbeat]; ask it how suspicious a node's silence is with
// [Monitor.Phi] (phi = -log10 of the probability that a heartbeat is still on its way), for a
// node's statistics with [Monitor.NodeInfo], and for state transitions (ALIVE, SUSPECT, FAILED)
// with [Monitor.Poll].
//
// For gossip-based membership, [Monitor.HeartbeatVersion] counts a heartbeat relayed by many
// peers once, [Monitor.ReportSuspect] lets peers' suspicions shorten a node's deadline
// (Lifeguard's confirmations), and [Monitor.SetLocalHealth] stretches every deadline while this
// host struggles. The monitor also notices pauses of its own process (from the gaps between
// calls; poll regularly) and convicts no one during a grace period after one.
//
// A [GenerationClock] is the server's own generation (its term, epoch or incarnation), stamped
// on every heartbeat it sends: [OpenGenerationClock] keeps it in a file that survives crashes,
// [GenerationClock.Advance] starts a new term, and [GenerationClock.Observe] adopts a newer one
// seen from a peer and reports that a leader must step down. [ParseGenerationFile] checks a
// clock file's bytes.
//
// # Time
//
// Points in time are uint64 nanoseconds of a monotonic clock, supplied by the caller, so that
// arrival times can be taken where a datagram is received and tests are deterministic. [NowNs]
// reads the library's clock (CLOCK_MONOTONIC, the clock of clock_gettime in C). Lengths of time
// (configuration, [Monitor.TimeUntilPhi], [NodeInfo] thresholds) are [time.Duration].
//
// # Errors
//
// Every failure is an [*Error] carrying the library's status and its message (which function,
// which argument, why). Test for a kind of failure with errors.Is and the sentinels
// [ErrNullArg], [ErrInvalidArg], [ErrUnknownNode], [ErrStaleGeneration], [ErrInvalidHandle],
// [ErrInternal], [ErrBufferTooSmall], [ErrIO], [ErrCorrupt], [ErrLocked] and [ErrClosed]; use
// errors.As to read the message.
//
// # Concurrency and resources
//
// A Monitor may be used by any number of goroutines at once. [Monitor.Close] frees its native
// memory; it is idempotent, safe to call while other goroutines use the monitor (they then get
// [ErrClosed]), and a finalizer calls it for monitors that become unreachable unclosed. Close
// monitors explicitly: the finalizer may run late or never. A [GenerationClock] follows the same
// rules; a durable clock also holds an OS lock on its file until it is closed.
//
// # Building
//
// The package links the static library libphifd.a of an installed phifd (the Debian package
// libphifd-dev, or `make install PREFIX=...` in the phifd repository), found with
// `pkg-config phifd-static`: set PKG_CONFIG_PATH=<prefix>/lib/pkgconfig for a non-system prefix.
// Programs need no shared library and no LD_LIBRARY_PATH at run time. With the build tag
// phifd_nopkgconfig the package links -lphifd and takes the rest from CGO_CFLAGS and
// CGO_LDFLAGS. Building without cgo fails with an error naming cgo. The package refuses to start
// (panics when initialised) if the linked library's major version differs from the header's or
// its minor version is older. See README.md for installing, the module's tags and every build
// failure message with its fix.
package phifd
