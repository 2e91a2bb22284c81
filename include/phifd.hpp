/*
 * phifd — a phi-accrual failure detector (C++17 API).
 *
 * A header-only layer over the C API in phifd.h; link with the same library (-lphifd).
 *
 *  - Objects own their C handle through std::unique_ptr and free it with the C `_free` function.
 *    They are move-only: copying a Config or a Monitor does not compile. A moved-from object
 *    holds no handle; calling a method on it throws phifd::Error (PHIFD_ERR_NULL_ARG).
 *  - Every failure is reported by throwing phifd::Error (or one of its subclasses), which carries
 *    the phifd_status and the library's explanation (phifd_last_error_message()). Nothing is
 *    ever silently ignored, except where a method's name says so (`try_phi` answers std::nullopt
 *    for an unknown node; the batch calls report per-record results).
 *  - Times are phifd::Clock::time_point values: nanoseconds of the monotonic clock the library
 *    reads (CLOCK_MONOTONIC). Durations are std::chrono::nanoseconds; any coarser std::chrono
 *    duration (seconds, milliseconds, ...) converts implicitly. Every method that takes a time
 *    has an overload without it that uses Clock::now().
 *  - Thread safety is that of the C API: one Monitor, GenerationClock or Keyring may be used by any
 *    number of threads at once (every method); destroying or move-assigning it must not race with other
 *    calls. A Config must not be modified from two threads at once.
 *  - A server's own generation (its term, epoch or incarnation) comes from a GenerationClock:
 *    durable in a file (GenerationClock::open) or in memory (GenerationClock::in_memory).
 */

/* C++17 is required (std::optional, std::filesystem, inline variables). Older standards get
 * this one diagnostic; the body is skipped so no cascade of unrelated errors follows. MSVC
 * reports the standard in _MSVC_LANG unless /Zc:__cplusplus is given. */
#if !defined(PHIFD_HPP) &&                                                                                             \
    ((defined(_MSVC_LANG) && _MSVC_LANG < 201703L) || (!defined(_MSVC_LANG) && __cplusplus < 201703L))
#error                                                                                                                 \
    "phifd.hpp requires C++17 or later: compile with -std=c++17 (CMake: target_compile_features(app PRIVATE cxx_std_17))"
#define PHIFD_HPP
#endif

#ifndef PHIFD_HPP
#define PHIFD_HPP

#include "phifd.h"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <ratio>
#include <stdexcept>
#include <string>
#include <vector>

/** The phifd C++ API. Everything lives in this namespace; `phifd::detail` is not public. */
namespace phifd {

/** A node (peer) identifier, chosen by the caller. */
using NodeId = std::uint64_t;

/** A node's generation (incarnation number): a node that restarts sends a higher one. */
using Generation = std::uint64_t;

/**
 * The largest generation the library accepts: 2^48. A larger value in a generation file or in a
 * peer's message is damage, not history (at a thousand new generations a second it takes 8,900
 * years to reach).
 */
inline constexpr Generation max_generation = PHIFD_MAX_GENERATION;

/** A duration in nanoseconds held as a double, for the statistics that are not whole numbers. */
using FloatNanoseconds = std::chrono::duration<double, std::nano>;

/**
 * Status of a library call: the `PHIFD_OK` / `PHIFD_ERR_*` codes of phifd.h. Codes are append-only,
 * so a newer library may return a value not named here; it is still carried unchanged.
 */
enum class Status : phifd_status {
  Ok = PHIFD_OK,                         ///< Success.
  NullArg = PHIFD_ERR_NULL_ARG,          ///< A required handle or pointer was missing (e.g. a moved-from object).
  InvalidArg = PHIFD_ERR_INVALID_ARG,    ///< An argument was out of range (see the message).
  UnknownNode = PHIFD_ERR_UNKNOWN_NODE,  ///< The node is not monitored.
  StaleGeneration = PHIFD_ERR_STALE_GENERATION,  ///< A heartbeat carried a generation below the node's current one.
  InvalidHandle = PHIFD_ERR_INVALID_HANDLE,      ///< A handle that is not a live library object.
  Internal = PHIFD_ERR_INTERNAL,                 ///< A bug inside the library (please report it).
  BufferTooSmall = PHIFD_ERR_BUFFER_TOO_SMALL,   ///< A caller-provided struct was too small.
  Io = PHIFD_ERR_IO,                   ///< An operating-system I/O error (the message has the path and the OS error).
  Corrupt = PHIFD_ERR_CORRUPT,         ///< Stored data is damaged (the message names the path and the damage).
  Locked = PHIFD_ERR_LOCKED,           ///< The resource is held by another live owner (an OS lock).
  Malformed = PHIFD_ERR_MALFORMED,     ///< Untrusted bytes are not a valid message (the message names the defect).
  Capacity = PHIFD_ERR_CAPACITY,       ///< max_nodes nodes are monitored: a new id was refused (and counted).
  Auth = PHIFD_ERR_AUTH,               ///< A datagram's MAC does not verify.
  UnknownKey = PHIFD_ERR_UNKNOWN_KEY,  ///< A datagram names a key id the keyring does not hold.
};

/** The name of a status, e.g. "PHIFD_ERR_UNKNOWN_NODE" (a static string; never null). Thread-safe. */
inline const char* status_name(Status s) noexcept { return phifd_status_name(static_cast<phifd_status>(s)); }

/** Who may join a monitor by sending a heartbeat (see phifd.h, `PHIFD_MEMBERSHIP_*`). */
enum class Membership : phifd_membership {
  Open = PHIFD_MEMBERSHIP_OPEN,    ///< A heartbeat from an unknown id registers it, up to max_nodes (the default).
  Fixed = PHIFD_MEMBERSHIP_FIXED,  ///< Only ids registered with Monitor::add_node are accepted; others throw
                                   ///< UnknownNode and are counted.
};

/** Which statistical model turns the silence into phi (see phifd.h, `PHIFD_ESTIMATOR_*`). */
enum class Estimator : phifd_estimator {
  Akka = PHIFD_ESTIMATOR_AKKA,                ///< Akka/Pekko-compatible logistic approximation (the default).
  Normal = PHIFD_ESTIMATOR_NORMAL,            ///< The exact normal tail, evaluated in log space.
  Exponential = PHIFD_ESTIMATOR_EXPONENTIAL,  ///< Cassandra-compatible exponential model.
};

/** A node's state (see phifd.h, `PHIFD_STATE_*`). */
enum class State : phifd_state {
  Unknown = PHIFD_STATE_UNKNOWN,  ///< Registered with add_node, no heartbeat yet.
  Alive = PHIFD_STATE_ALIVE,      ///< Heartbeating: phi below the suspect threshold.
  Suspect = PHIFD_STATE_SUSPECT,  ///< phi at or above the suspect threshold, or recovering from Failed.
  Failed = PHIFD_STATE_FAILED,    ///< phi at or above the threshold, or no first heartbeat in time.
};

/** What an Event reports (see phifd.h, `PHIFD_EVENT_*`). */
enum class EventKind : phifd_event_kind {
  StateChanged = PHIFD_EVENT_STATE_CHANGED,  ///< The state changed from `from` to `to`.
  Restarted = PHIFD_EVENT_RESTARTED,         ///< A higher generation arrived: history restarted, now `to` (Alive).
};

/**
 * The name of a state, the library's (phifd_state_name): "UNKNOWN", "ALIVE", "SUSPECT", "FAILED",
 * or "INVALID" for a value that is none of them. A static string; never null. Thread-safe.
 */
inline const char* to_string(State s) noexcept { return phifd_state_name(static_cast<phifd_state>(s)); }

/**
 * The name of an event kind, the library's (phifd_event_kind_name): "STATE_CHANGED", "RESTARTED",
 * or "INVALID" for a value that is neither. A static string; never null. Thread-safe.
 */
inline const char* to_string(EventKind k) noexcept { return phifd_event_kind_name(static_cast<phifd_event_kind>(k)); }

/** The library's version string, e.g. "0.1.0" (static; never null). Compare with PHIFD_VERSION_STRING. */
inline const char* version() noexcept { return phifd_version(); }

/**
 * A failed library call. `status()` is the phifd_status, `message()` the library's explanation
 * (which function, which argument, why) captured when the call failed, and `what()` is
 * "<status name>: <message>". Calls that fail with PHIFD_ERR_INVALID_ARG, PHIFD_ERR_UNKNOWN_NODE,
 * PHIFD_ERR_STALE_GENERATION, PHIFD_ERR_IO, PHIFD_ERR_CORRUPT, PHIFD_ERR_LOCKED, PHIFD_ERR_MALFORMED
 * PHIFD_ERR_CAPACITY, PHIFD_ERR_AUTH or PHIFD_ERR_UNKNOWN_KEY throw the subclasses InvalidArgument,
 * UnknownNode, StaleGeneration, IoError, CorruptError, LockedError, MalformedError, CapacityError,
 * AuthError and UnknownKeyError,
 * so they can be caught separately; every other status throws Error itself.
 */
class Error : public std::runtime_error {
 public:
  /** An error with the given status and explanation. */
  Error(Status status, const std::string& message)
      : std::runtime_error(std::string(status_name(status)) + ": " + message), status_(status), message_(message) {}

  /** The status the call failed with (never Status::Ok). */
  Status status() const noexcept { return status_; }

  /** The library's explanation of the failure (without the status name). */
  const std::string& message() const noexcept { return message_; }

 private:
  Status status_;
  std::string message_;
};

/**
 * An Error whose status is always `S`. Each status the library can report for a caller to act on
 * has its own type below (an alias of this template), so that it can be caught separately.
 */
template <Status S>
class StatusError : public Error {
 public:
  /** An error with status `S` and the library's explanation. */
  explicit StatusError(const std::string& message) : Error(S, message) {}
};

/** An argument was out of range (PHIFD_ERR_INVALID_ARG), e.g. a NaN threshold or a negative duration. */
using InvalidArgument = StatusError<Status::InvalidArg>;

/** The node is not monitored by this monitor (PHIFD_ERR_UNKNOWN_NODE). */
using UnknownNode = StatusError<Status::UnknownNode>;

/**
 * A heartbeat carried a generation lower than the node's current one (PHIFD_ERR_STALE_GENERATION);
 * nothing was changed. Answer the sender with the current generation (Monitor::info).
 */
using StaleGeneration = StatusError<Status::StaleGeneration>;

/**
 * An operating-system I/O error (PHIFD_ERR_IO), e.g. a missing directory, a read-only filesystem,
 * permission denied or a full disk. The message carries the path and the OS error text. The
 * operation had no effect (a clock keeps its generation).
 */
using IoError = StatusError<Status::Io>;

/**
 * Stored data is damaged (PHIFD_ERR_CORRUPT): a generation file that is truncated, garbage, fails
 * its checksum or holds a value beyond max_generation. The message names the path (when there is
 * one) and the damage. The file is left as it is, never reset: inspect or repair it by hand.
 */
using CorruptError = StatusError<Status::Corrupt>;

/**
 * The resource is held by another live owner (PHIFD_ERR_LOCKED): a generation file whose lock
 * (`PATH.lock`) is held by another process, or by another open GenerationClock in this one.
 */
using LockedError = StatusError<Status::Locked>;

/**
 * Untrusted bytes are not a valid message (PHIFD_ERR_MALFORMED), e.g. a received datagram that is
 * not exactly a valid 56-byte heartbeat datagram. The message names the defect (wrong length, bad
 * magic, unsupported version, unknown kind, undefined flags, checksum mismatch). Drop the message.
 */
using MalformedError = StatusError<Status::Malformed>;

/**
 * The monitor already holds max_nodes nodes (PHIFD_ERR_CAPACITY): a heartbeat or registration of a
 * new id was refused, nothing changed, and the refusal is counted in Stats::rejected_over_capacity.
 * Known nodes are unaffected. Remove nodes or raise Config::set_max_nodes.
 */
using CapacityError = StatusError<Status::Capacity>;

/**
 * An authenticated datagram's MAC does not verify (PHIFD_ERR_AUTH): forged, damaged or signed with
 * another key under the same id; counted in Stats::rejected_bad_mac. Drop the datagram.
 */
using AuthError = StatusError<Status::Auth>;

/**
 * An authenticated datagram names a key id the keyring does not hold (PHIFD_ERR_UNKNOWN_KEY),
 * counted in Stats::rejected_unknown_key; also thrown by Keyring::remove_key and
 * Keyring::set_signing_key for an id not in the ring, and by Keyring::signing_key for an empty ring.
 */
using UnknownKeyError = StatusError<Status::UnknownKey>;

namespace detail {

/** Throws the exception for a status with the given message. */
[[noreturn]] inline void throw_error(Status s, const std::string& message) {
  switch (s) {
  case Status::InvalidArg: throw InvalidArgument(message);
  case Status::UnknownNode: throw UnknownNode(message);
  case Status::StaleGeneration: throw StaleGeneration(message);
  case Status::Io: throw IoError(message);
  case Status::Corrupt: throw CorruptError(message);
  case Status::Locked: throw LockedError(message);
  case Status::Malformed: throw MalformedError(message);
  case Status::Capacity: throw CapacityError(message);
  case Status::Auth: throw AuthError(message);
  case Status::UnknownKey: throw UnknownKeyError(message);
  default: throw Error(s, message);
  }
}

/** Throws for a failed C call, with this thread's last error message; does nothing on PHIFD_OK. */
inline void check(phifd_status s) {
  if (s != PHIFD_OK) {
    throw_error(static_cast<Status>(s), phifd_last_error_message());
  }
}

/** Deleter calling phifd_config_free. */
struct ConfigDeleter {
  void operator()(phifd_config* c) const noexcept { phifd_config_free(c); }
};

/** Deleter calling phifd_monitor_free. */
struct MonitorDeleter {
  void operator()(phifd_monitor* m) const noexcept { phifd_monitor_free(m); }
};

/** Deleter calling phifd_generation_free. */
struct GenerationDeleter {
  void operator()(phifd_generation* g) const noexcept { phifd_generation_free(g); }
};

/** A non-negative duration as unsigned nanoseconds; throws InvalidArgument if negative. */
inline std::uint64_t duration_ns(std::chrono::nanoseconds d, const char* what) {
  if (d.count() < 0) {
    throw InvalidArgument(std::string(what) + " must not be negative");
  }
  return static_cast<std::uint64_t>(d.count());
}

/** Unsigned nanoseconds as a duration, saturating at nanoseconds::max(). */
inline std::chrono::nanoseconds ns_duration(std::uint64_t ns) noexcept {
  constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::chrono::nanoseconds::rep>::max());
  return std::chrono::nanoseconds(ns > max ? std::numeric_limits<std::chrono::nanoseconds::rep>::max()
                                           : static_cast<std::chrono::nanoseconds::rep>(ns));
}

}  // namespace detail

/**
 * The library's clock: the system's monotonic clock (CLOCK_MONOTONIC), read by phifd_now_ns().
 * A std::chrono clock (TrivialClock), so its time points mix with std::chrono durations; its epoch
 * is the monotonic clock's (usually boot). Times read elsewhere from CLOCK_MONOTONIC (for example
 * where a datagram was received) convert with from_ns(). Thread-safe.
 */
struct Clock {
  using rep = std::int64_t;                           ///< Tick count type.
  using period = std::nano;                           ///< One tick is one nanosecond.
  using duration = std::chrono::nanoseconds;          ///< The clock's duration type.
  using time_point = std::chrono::time_point<Clock>;  ///< The clock's time point type.
  static constexpr bool is_steady = true;             ///< Never goes backwards.

  /** The current time (phifd_now_ns()). Cannot fail. */
  static time_point now() noexcept { return from_ns(phifd_now_ns()); }

  /** The time point `ns` nanoseconds after the clock's epoch (values above INT64_MAX saturate). */
  static time_point from_ns(std::uint64_t ns) noexcept { return time_point(detail::ns_duration(ns)); }

  /** Nanoseconds since the clock's epoch, as the C API takes them. Throws InvalidArgument if `t` is before the epoch.
   */
  static std::uint64_t to_ns(time_point t) { return detail::duration_ns(t.time_since_epoch(), "time point"); }
};

/**
 * Detection-quality targets (Chen, Toueg and Aguilera's metrics; phifd_qos). Give them to
 * Config::set_qos, Monitor::set_qos or Monitor::set_node_qos instead of a threshold: each node
 * then derives its own phi levels from its window so that it meets `min_mistake_recurrence` with
 * the shortest deadline (docs/qos.md). The library checks the values when they are given to one of
 * those calls (InvalidArgument naming the field); a negative duration throws InvalidArgument too.
 * Plain data.
 *
 *     cfg.set_qos(phifd::Qos{std::chrono::seconds(5), std::chrono::hours(1)});  // T_D <= 5 s, one mistake an hour
 */
struct Qos {
  /** Upper bound of the detection time T_D (a crash to the Failed declaration): 1 ns to 10^15 ns. */
  std::chrono::nanoseconds max_detection{0};
  /** Lower bound of the mean time between wrong Failed declarations T_MR (> 0): lambda_M <= 1 / T_MR. */
  std::chrono::nanoseconds min_mistake_recurrence{0};
  /** Upper bound of the mean mistake duration T_M (a wrong declaration to the heartbeat that refutes it); 0 = no bound;
   * at most 10^15 ns. */
  std::chrono::nanoseconds max_mistake_duration{0};

  /** Field-by-field equality. */
  friend bool operator==(const Qos& a, const Qos& b) noexcept {
    return a.max_detection == b.max_detection && a.min_mistake_recurrence == b.min_mistake_recurrence &&
           a.max_mistake_duration == b.max_mistake_duration;
  }

  /** Field-by-field inequality. */
  friend bool operator!=(const Qos& a, const Qos& b) noexcept { return !(a == b); }
};

namespace detail {

/**
 * The phifd_qos of `targets` (std::nullopt for std::nullopt: pass `raw ? &*raw : nullptr` to the C
 * call, which clears the targets for NULL); throws InvalidArgument (naming `what` and the field) for
 * a negative field.
 */
inline std::optional<phifd_qos> qos_to_c(const std::optional<Qos>& targets, const char* what) {
  if (!targets) return std::nullopt;
  const Qos& q = *targets;
  phifd_qos raw{};
  raw.max_detection_ns = duration_ns(q.max_detection, (std::string(what) + ": Qos::max_detection").c_str());
  raw.min_mistake_recurrence_ns =
      duration_ns(q.min_mistake_recurrence, (std::string(what) + ": Qos::min_mistake_recurrence").c_str());
  raw.max_mistake_duration_ns =
      duration_ns(q.max_mistake_duration, (std::string(what) + ": Qos::max_mistake_duration").c_str());
  return raw;
}

}  // namespace detail

/**
 * Settings for a Monitor, built with chained setters (each returns *this and throws on a bad
 * value), then passed to the Monitor constructor, which copies it. Unset settings keep the defaults
 * listed in phifd.h. Move-only; owns a phifd_config. Must not be modified from two threads at once.
 *
 *     phifd::Config cfg;
 *     cfg.set_heartbeat_interval(std::chrono::milliseconds(100)).set_threshold(8.0);
 */
class Config {
 public:
  /** A configuration with every setting at its default. Throws Error if the library cannot create one. */
  Config() {
    phifd_config* raw = nullptr;
    detail::check(phifd_config_new(&raw));
    handle_.reset(raw);
  }

  Config(const Config&) = delete;                  ///< Not copyable (owns a handle).
  Config& operator=(const Config&) = delete;       ///< Not copyable (owns a handle).
  Config(Config&&) noexcept = default;             ///< Takes over the handle; the source becomes empty.
  Config& operator=(Config&&) noexcept = default;  ///< Frees this handle and takes over the source's.
  ~Config() = default;                             ///< Frees the handle (phifd_config_free).

  /** Chooses the estimator. Default Estimator::Akka. Throws InvalidArgument for a code the library does not know. */
  Config& set_estimator(Estimator e) {
    detail::check(phifd_config_set_estimator(handle_.get(), static_cast<phifd_estimator>(e)));
    return *this;
  }

  /** phi at which a node is Failed. Default 8; finite, > 0, <= 1e6, else InvalidArgument. */
  Config& set_threshold(double phi) {
    detail::check(phifd_config_set_threshold(handle_.get(), phi));
    return *this;
  }

  /** phi at which a node is Suspect. Default threshold / 2; finite and > 0 (checked against the threshold by Monitor).
   */
  Config& set_suspect_threshold(double phi) {
    detail::check(phifd_config_set_suspect_threshold(handle_.get(), phi));
    return *this;
  }

  /** How many inter-arrival intervals each node remembers (1 to 1,048,576). Default 1000. */
  Config& set_window(std::uint64_t intervals) {
    detail::check(phifd_config_set_window(handle_.get(), intervals));
    return *this;
  }

  /** Expected heartbeat interval (>= 1 us); also the seed of every node's history. Default 1 s. */
  Config& set_heartbeat_interval(std::chrono::nanoseconds d) {
    detail::check(phifd_config_set_heartbeat_interval_ns(handle_.get(), detail::duration_ns(d, "heartbeat interval")));
    return *this;
  }

  /** Floor of the standard deviation used by phi (> 0). Default heartbeat interval / 4 (the seed history's sd). */
  Config& set_min_std_deviation(std::chrono::nanoseconds d) {
    detail::check(phifd_config_set_min_std_deviation_ns(handle_.get(), detail::duration_ns(d, "min std deviation")));
    return *this;
  }

  /** Pause added to the learned mean (>= 0, at most 11.6 days). Default 0. */
  Config& set_acceptable_pause(std::chrono::nanoseconds d) {
    detail::check(phifd_config_set_acceptable_pause_ns(handle_.get(), detail::duration_ns(d, "acceptable pause")));
    return *this;
  }

  /** Longest interval that is learned (> 0; longer ones are dropped). Default 2 x interval for Exponential, none
   * otherwise. */
  Config& set_max_interval(std::chrono::nanoseconds d) {
    detail::check(phifd_config_set_max_interval_ns(handle_.get(), detail::duration_ns(d, "max interval")));
    return *this;
  }

  /** Declares the network round trip (> 0), so that Monitor checks timeout > interval > round trip. Optional. */
  Config& set_round_trip(std::chrono::nanoseconds d) {
    detail::check(phifd_config_set_round_trip_ns(handle_.get(), detail::duration_ns(d, "round trip")));
    return *this;
  }

  /** How long a node registered with add_node may stay silent before its first heartbeat (> 0). */
  Config& set_first_heartbeat_timeout(std::chrono::nanoseconds d) {
    detail::check(
        phifd_config_set_first_heartbeat_timeout_ns(handle_.get(), detail::duration_ns(d, "first heartbeat timeout")));
    return *this;
  }

  /** Consecutive heartbeats a Failed node must deliver to be Alive again (1 to 255). Default 2. */
  Config& set_recovery_heartbeats(std::uint32_t heartbeats) {
    detail::check(phifd_config_set_recovery_heartbeats(handle_.get(), heartbeats));
    return *this;
  }

  /**
   * Gap between two calls on the monitor (any heartbeat or poll) beyond which the monitor concludes
   * that its own process was paused (GC, CPU starvation, SIGSTOP); the gap must also exceed 4 x the
   * usual gap between polls, and nothing is judged before 8 polls have established a cadence. After
   * a pause no node is convicted for the grace period (set_local_pause_grace) and no interval
   * spanning the pause is learned. Must be > 0 and at most about 11.6 days. Default: half the
   * steady timeout (the silence phi takes to reach the threshold on a steady history). Poll at
   * least every heartbeat interval for this to work. Throws InvalidArgument (the message names
   * `local_pause_threshold_ns`).
   */
  Config& set_local_pause_threshold(std::chrono::nanoseconds d) {
    detail::check(
        phifd_config_set_local_pause_threshold_ns(handle_.get(), detail::duration_ns(d, "local pause threshold")));
    return *this;
  }

  /**
   * How long after a detected local pause no node is convicted (>= 0, at most about 11.6 days).
   * Default: 2 x the steady timeout, so every healthy peer gets two full timeouts to deliver a
   * heartbeat. Throws InvalidArgument (the message names `local_pause_grace_ns`).
   */
  Config& set_local_pause_grace(std::chrono::nanoseconds d) {
    detail::check(phifd_config_set_local_pause_grace_ns(handle_.get(), detail::duration_ns(d, "local pause grace")));
    return *this;
  }

  /**
   * Burst fraction in [0, 1): an interval shorter than this fraction of the learned mean is not
   * learned (the arrival still counts), since such intervals are backlogs delivered after a stall.
   * 0 learns every interval. Default 0.25. Throws InvalidArgument for NaN, infinite, negative or
   * >= 1 (the message names `burst_fraction`).
   */
  Config& set_burst_fraction(double fraction) {
    detail::check(phifd_config_set_burst_fraction(handle_.get(), fraction));
    return *this;
  }

  /**
   * Largest local health score (0 to 64): time to conviction is multiplied by 1 + the effective
   * score, so at most by 1 + this (Lifeguard's local health multiplier). Default 7. Throws
   * InvalidArgument above 64 (the message names `max_local_health`).
   */
  Config& set_max_local_health(std::uint32_t max_score) {
    detail::check(phifd_config_set_max_local_health(handle_.get(), max_score));
    return *this;
  }

  /**
   * Most nodes the monitor holds, 1 to 2^26. Default 65,536: a node costs about 4 KB once its
   * default 1000-sample window is full, so a flood of heartbeats with made-up ids costs at most
   * about 265 MB. Beyond it a heartbeat or add_node of a new id throws CapacityError and is
   * counted; known nodes are unaffected. Throws InvalidArgument for 0 or above 2^26 (the message
   * names `max_nodes`).
   */
  Config& set_max_nodes(std::uint64_t max_nodes) {
    detail::check(phifd_config_set_max_nodes(handle_.get(), max_nodes));
    return *this;
  }

  /**
   * Membership mode: Membership::Open (default) or Membership::Fixed, where only nodes registered
   * with Monitor::add_node are accepted. Throws InvalidArgument for a value not in the enum.
   */
  Config& set_membership(Membership membership) {
    detail::check(phifd_config_set_membership(handle_.get(), static_cast<phifd_membership>(membership)));
    return *this;
  }

  /**
   * `k`: the number of distinct peers' suspicion reports (Monitor::report_suspect) after which a
   * node's conviction needs only the minimum silence (1 to 64). At most `k` reporters are kept per
   * node. Default 3. Throws InvalidArgument (the message names `confirmations_expected`).
   */
  Config& set_confirmations_expected(std::uint32_t k) {
    detail::check(phifd_config_set_confirmations_expected(handle_.get(), k));
    return *this;
  }

  /**
   * `min / max` in (0, 1]: the fraction of a node's own deadline after which it is convicted once
   * `k` peers report it. With `n` reporters the deadline is
   * `ceil(max * max(r, 1 - (1 - r) * ln(n + 1) / ln(k + 1)))` (Lifeguard). Default 0.5. Throws
   * InvalidArgument for NaN, infinite, <= 0 or > 1 (the message names `confirmation_min_ratio`).
   */
  Config& set_confirmation_min_ratio(double ratio) {
    detail::check(phifd_config_set_confirmation_min_ratio(handle_.get(), ratio));
    return *this;
  }

  /**
   * Judges every node of monitors created from this config by QoS targets instead of the
   * thresholds (docs/qos.md); std::nullopt clears them (the default: judged by the thresholds).
   * The thresholds keep their other uses: the suspect level keeps their ratio, and the
   * first-heartbeat timeout and the pause defaults derive from the threshold. Throws
   * InvalidArgument, keeping the previous targets, for targets the library refuses
   * (max_detection 0 or above 10^15 ns, min_mistake_recurrence 0, max_mistake_duration above
   * 10^15 ns; the message names the field) or a negative field. A running monitor is retuned with
   * Monitor::set_qos.
   */
  Config& set_qos(const std::optional<Qos>& targets) {
    const auto raw = detail::qos_to_c(targets, "Config::set_qos");
    detail::check(phifd_config_set_qos(handle_.get(), raw ? &*raw : nullptr));
    return *this;
  }

  /**
   * The QoS warm-up (phifd_config_set_qos_warmup_ns): for this long after a QoS node's first
   * counted arrival its Failed deadline is at least the T_D bound less the one-way delay (half the
   * declared round trip), scaled by `1 - watched / warmup`, where `watched` is the longer of the
   * time since that arrival and the span of the node's window. A young history has not yet shown
   * the rare gaps a mistake-rate bound is about, so the deadline starts near the T_D bound and
   * falls to what the history supports by the end of the warm-up (docs/qos.md, "Warm-up");
   * QosReport::established says when it is over. std::nullopt (the default): `min(T_MR, 1 h)` of
   * each node's targets; zero: no warm-up. Throws InvalidArgument, keeping the previous value, for
   * a negative duration or one above 10^15 ns (the message names `qos_warmup_ns`).
   */
  Config& set_qos_warmup(std::optional<std::chrono::nanoseconds> warmup) {
    const std::uint64_t ns = warmup ? detail::duration_ns(*warmup, "Config::set_qos_warmup") : PHIFD_QOS_WARMUP_DEFAULT;
    detail::check(phifd_config_set_qos_warmup_ns(handle_.get(), ns));
    return *this;
  }

  // Getters: what the setters stored, read from the library (no copy is kept here). Each throws
  // phifd::Error (Status::NullArg) on a moved-from Config.

  /** The estimator. Default Estimator::Akka. */
  Estimator estimator() const { return static_cast<Estimator>(get(phifd_config_get_estimator)); }

  /** The conviction threshold. Default 8. */
  double threshold() const { return get(phifd_config_get_threshold); }

  /** The suspicion threshold: the one set, or else the current threshold / 2. */
  double suspect_threshold() const { return get(phifd_config_get_suspect_threshold); }

  /** The window length in intervals. Default 1000. */
  std::uint64_t window() const { return get(phifd_config_get_window); }

  /** The expected heartbeat interval. Default 1 s. */
  std::chrono::nanoseconds heartbeat_interval() const { return get_ns(phifd_config_get_heartbeat_interval_ns); }

  /** The floor of the standard deviation: the one set, or else the current heartbeat interval / 4. */
  std::chrono::nanoseconds min_std_deviation() const { return get_ns(phifd_config_get_min_std_deviation_ns); }

  /** The acceptable pause. Default 0. */
  std::chrono::nanoseconds acceptable_pause() const { return get_ns(phifd_config_get_acceptable_pause_ns); }

  /**
   * The longest learned interval: the one set, or else 2 x the current heartbeat interval with
   * Estimator::Exponential; std::nullopt means no limit (the default of the other estimators).
   */
  std::optional<std::chrono::nanoseconds> max_interval() const {
    return get_optional_ns(phifd_config_get_max_interval_ns);
  }

  /** The declared round trip, or std::nullopt if none was declared (the default). */
  std::optional<std::chrono::nanoseconds> round_trip() const { return get_optional_ns(phifd_config_get_round_trip_ns); }

  /**
   * The first-heartbeat timeout: the one set, or else the default Monitor would derive from the
   * current settings. Throws InvalidArgument if it is not set and the settings do not combine.
   */
  std::chrono::nanoseconds first_heartbeat_timeout() const {
    return get_ns(phifd_config_get_first_heartbeat_timeout_ns);
  }

  /** Heartbeats a Failed node must deliver to be Alive again. Default 2. */
  std::uint32_t recovery_heartbeats() const { return get(phifd_config_get_recovery_heartbeats); }

  /**
   * The local pause threshold: the one set, or else the default Monitor would derive (half the
   * steady timeout). Throws InvalidArgument if it is not set and the settings do not combine.
   */
  std::chrono::nanoseconds local_pause_threshold() const { return get_ns(phifd_config_get_local_pause_threshold_ns); }

  /**
   * The grace after a local pause: the one set, or else the default Monitor would derive (2 x the
   * steady timeout). Throws InvalidArgument if it is not set and the settings do not combine.
   */
  std::chrono::nanoseconds local_pause_grace() const { return get_ns(phifd_config_get_local_pause_grace_ns); }

  /** The burst fraction. Default 0.25. */
  double burst_fraction() const { return get(phifd_config_get_burst_fraction); }

  /** The largest local health score. Default 7. */
  std::uint32_t max_local_health() const { return get(phifd_config_get_max_local_health); }

  /** The most nodes a monitor holds. Default 65,536. */
  std::uint64_t max_nodes() const { return get(phifd_config_get_max_nodes); }

  /** The membership mode. Default Membership::Open. */
  Membership membership() const { return static_cast<Membership>(get(phifd_config_get_membership)); }

  /** `k`, the expected number of suspicion confirmations. Default 3. */
  std::uint32_t confirmations_expected() const { return get(phifd_config_get_confirmations_expected); }

  /** `min / max` of the confirmation rule. Default 0.5. */
  double confirmation_min_ratio() const { return get(phifd_config_get_confirmation_min_ratio); }

  /** The QoS targets, or std::nullopt if none are set (the default). */
  std::optional<Qos> qos() const {
    phifd_qos raw{};
    bool set = false;
    detail::check(phifd_config_get_qos(handle_.get(), &raw, &set));
    if (!set) return std::nullopt;
    return Qos{detail::ns_duration(raw.max_detection_ns), detail::ns_duration(raw.min_mistake_recurrence_ns),
               detail::ns_duration(raw.max_mistake_duration_ns)};
  }

  /**
   * The QoS warm-up set, or std::nullopt for the default (`min(T_MR, 1 h)` of each node's
   * targets); zero means no warm-up.
   */
  std::optional<std::chrono::nanoseconds> qos_warmup() const {
    const std::uint64_t ns = get(phifd_config_get_qos_warmup_ns);
    if (ns == PHIFD_QOS_WARMUP_DEFAULT) return std::nullopt;
    return detail::ns_duration(ns);
  }

  /** The C handle (still owned by this object), or nullptr if moved from. */
  const phifd_config* native_handle() const noexcept { return handle_.get(); }

  /** The C handle (still owned by this object), or nullptr if moved from. */
  phifd_config* native_handle() noexcept { return handle_.get(); }

 private:
  /** Calls a phifd_config_get_* function and returns what it wrote; throws on failure. */
  template <typename T>
  T get(phifd_status (*getter)(const phifd_config*, T*)) const {
    T value{};
    detail::check(getter(handle_.get(), &value));
    return value;
  }

  std::chrono::nanoseconds get_ns(phifd_status (*getter)(const phifd_config*, std::uint64_t*)) const {
    return detail::ns_duration(get(getter));
  }

  /** A duration getter whose 0 means "none". */
  std::optional<std::chrono::nanoseconds> get_optional_ns(phifd_status (*getter)(const phifd_config*,
                                                                                 std::uint64_t*)) const {
    const std::uint64_t ns = get(getter);
    if (ns == 0) return std::nullopt;
    return detail::ns_duration(ns);
  }

  std::unique_ptr<phifd_config, detail::ConfigDeleter> handle_;
};

/** Size of an encoded heartbeat datagram, bytes (PHIFD_DATAGRAM_SIZE). */
inline constexpr std::size_t datagram_size = PHIFD_DATAGRAM_SIZE;

/** Size of an authenticated datagram, bytes (PHIFD_AUTH_DATAGRAM_SIZE; see Keyring). */
inline constexpr std::size_t auth_datagram_size = PHIFD_AUTH_DATAGRAM_SIZE;

class Keyring;
struct Received;

/** Datagram flag (Datagram::flags): the sender believes it is the leader. */
inline constexpr std::uint32_t datagram_flag_leader = PHIFD_DATAGRAM_FLAG_LEADER;

/** What a Datagram is (see phifd.h, `PHIFD_DATAGRAM_*`). */
enum class DatagramKind : std::uint32_t {
  Heartbeat = PHIFD_DATAGRAM_HEARTBEAT,  ///< A heartbeat.
  StaleReply =
      PHIFD_DATAGRAM_STALE_REPLY,  ///< The answer to a leader's heartbeat with an older term; `term` is the newer one.
};

/**
 * A heartbeat datagram: the fixed 56-byte, little-endian, checksummed wire format every phifd
 * binding speaks (magic "PHHB", format version 1; see the README's wire format). Plain data;
 * encoding and decoding are thread-safe and allocate nothing.
 *
 *     phifd::Datagram d{phifd::DatagramKind::Heartbeat, 0, my_id, incarnation, term, ++seq, phifd_now_ns()};
 *     const auto bytes = d.encode();                       // std::array<std::uint8_t, 56>
 *     sendto(fd, bytes.data(), bytes.size(), 0, ...);
 *     // receiver: take the arrival time first, then
 *     const phifd::Datagram in = phifd::Datagram::decode(buf, n);  // throws MalformedError
 */
struct Datagram {
  DatagramKind kind = DatagramKind::Heartbeat;  ///< What it is.
  std::uint32_t flags = 0;                      ///< `datagram_flag_leader` or 0; other bits are invalid.
  NodeId node = 0;                              ///< Sender's node id.
  Generation generation = 0;  ///< Sender's incarnation (increases when it restarts): pass it to Monitor::heartbeat.
  Generation term = 0;        ///< Sender's term (cluster epoch); a stale reply carries the receiver's newer term.
  std::uint64_t version = 0;  ///< Heartbeat sequence number, incremented by the sender per heartbeat.
  std::uint64_t send_ns = 0;  ///< Send time on the sender's monotonic clock, ns (informational, never an arrival time).

  /** True if the leader flag is set. */
  bool leader() const noexcept { return (flags & datagram_flag_leader) != 0; }

  /**
   * The 56-byte wire form. Throws InvalidArgument for a kind this library does not know or
   * undefined flag bits.
   */
  std::array<std::uint8_t, datagram_size> encode() const {
    const phifd_datagram raw = to_c();
    std::array<std::uint8_t, datagram_size> out{};
    std::size_t written = 0;
    detail::check(phifd_datagram_encode(&raw, out.data(), out.size(), &written));
    return out;
  }

  /**
   * Decodes `len` untrusted bytes at `data` (e.g. straight from recvfrom). Never reads beyond
   * `len`. Throws MalformedError for anything that is not exactly a valid datagram (the message
   * names the defect), Error(Status::NullArg) if `data` is null and `len` is not 0.
   */
  static Datagram decode(const void* data, std::size_t len) {
    phifd_datagram raw{};
    detail::check(phifd_datagram_decode(static_cast<const std::uint8_t*>(data), len, &raw));
    Datagram d;
    d.kind = static_cast<DatagramKind>(raw.kind);
    d.flags = raw.flags;
    d.node = raw.node;
    d.generation = raw.generation;
    d.term = raw.term;
    d.version = raw.version;
    d.send_ns = raw.send_ns;
    return d;
  }

  /** decode(bytes.data(), bytes.size()). */
  static Datagram decode(const std::vector<std::uint8_t>& bytes) { return decode(bytes.data(), bytes.size()); }

  /** decode(bytes.data(), bytes.size()). */
  static Datagram decode(const std::array<std::uint8_t, datagram_size>& bytes) {
    return decode(bytes.data(), bytes.size());
  }

  /** The 68-byte authenticated wire form, signed with the keyring's signing key (see Keyring). */
  std::array<std::uint8_t, auth_datagram_size> encode_auth(const Keyring& keyring) const;

  /** Verifies and decodes an authenticated datagram with any key of `keyring` (see Keyring). */
  static Datagram decode_auth(const void* data, std::size_t len, const Keyring& keyring);

  /** decode_auth(bytes.data(), bytes.size(), keyring). */
  static Datagram decode_auth(const std::vector<std::uint8_t>& bytes, const Keyring& keyring);

  /** decode_auth(bytes.data(), bytes.size(), keyring). */
  static Datagram decode_auth(const std::array<std::uint8_t, auth_datagram_size>& bytes, const Keyring& keyring);

  /** The C struct with the same fields. */
  phifd_datagram to_c() const noexcept {
    phifd_datagram raw{};
    raw.kind = static_cast<std::uint32_t>(kind);
    raw.flags = flags;
    raw.node = node;
    raw.generation = generation;
    raw.term = term;
    raw.version = version;
    raw.send_ns = send_ns;
    return raw;
  }

  /** Field-by-field equality. */
  friend bool operator==(const Datagram& a, const Datagram& b) noexcept {
    return a.kind == b.kind && a.flags == b.flags && a.node == b.node && a.generation == b.generation &&
           a.term == b.term && a.version == b.version && a.send_ns == b.send_ns;
  }

  /** Field-by-field inequality. */
  friend bool operator!=(const Datagram& a, const Datagram& b) noexcept { return !(a == b); }
};

/** One node in a Monitor::snapshot. Plain data. */
struct SnapshotEntry {
  NodeId node = 0;                   ///< The node.
  Generation generation = 0;         ///< Its generation.
  Clock::time_point last_arrival{};  ///< Its last heartbeat arrival; the clock's epoch (0 ns) before the first one.
  double phi = 0.0;                  ///< phi at the snapshot time.
  FloatNanoseconds mean{0.0};        ///< Mean interval of its window.
  FloatNanoseconds sd{0.0};          ///< Standard deviation of its window.
  std::chrono::nanoseconds time_until_failure{
      0};                           ///< Time left before it is Failed if no heartbeat arrives (zero once past).
  std::uint64_t version = 0;        ///< Highest heartbeat version seen.
  State state = State::Unknown;     ///< State at the snapshot time.
  std::uint32_t confirmations = 0;  ///< Distinct peers reporting it as suspect.
};

/** One state transition reported by Monitor::poll. Plain data. */
struct Event {
  NodeId node = 0;            ///< The node.
  Generation generation = 0;  ///< The node's generation after the transition.
  Clock::time_point time{};   ///< When it happened: the arrival for heartbeat-driven transitions, the instant the
                              ///< threshold was reached for silence-driven ones.
  double phi = 0.0;           ///< phi at `time`.
  EventKind kind = EventKind::StateChanged;  ///< What happened.
  State from = State::Unknown;               ///< State before.
  State to = State::Unknown;                 ///< State after.
};

/** A node's statistics at one time, from Monitor::info. Plain data. */
struct NodeInfo {
  NodeId node = 0;                                ///< The node.
  State state = State::Unknown;                   ///< State implied by the silence at the query time.
  Generation generation = 0;                      ///< Current generation.
  double phi = 0.0;                               ///< phi at the query time.
  std::optional<Clock::time_point> last_arrival;  ///< Last heartbeat arrival; empty before the first heartbeat.
  Clock::time_point silence_origin{};  ///< What silence is measured from: the last arrival, or the registration time.
  std::uint64_t samples = 0;           ///< Intervals in the window (seed history included until pushed out).
  FloatNanoseconds mean{0.0};          ///< Mean interval of the window (without the acceptable pause).
  FloatNanoseconds sd{0.0};            ///< Population standard deviation of the window (before the floor).
  std::chrono::nanoseconds suspect_after{0};  ///< Silence after silence_origin at which the node becomes Suspect.
  std::chrono::nanoseconds fail_after{
      0};  ///< Silence after silence_origin at which the node becomes Failed (local health and confirmations included).
  std::uint64_t version =
      0;  ///< Highest heartbeat version seen in the current generation (plain heartbeats count too).
  /**
   * The sender's own heartbeat interval estimate: time between counted arrivals divided by the
   * versions they advanced, smoothed. About `mean` for direct heartbeats; with gossip it stays the
   * per-heartbeat interval while `mean` is the gap between observations.
   */
  FloatNanoseconds heartbeat_interval{0.0};
  std::uint32_t confirmations =
      0;  ///< Distinct peers currently reporting the node as suspect (at most confirmations_expected).
};

/** A monitor's counters, from Monitor::stats. Plain data. */
struct Stats {
  std::uint64_t nodes = 0;             ///< Nodes currently monitored.
  std::uint64_t pending_events = 0;    ///< Events waiting for poll.
  std::uint64_t dropped_events = 0;    ///< Events dropped because more than 1,048,576 were waiting.
  std::uint64_t stale_heartbeats = 0;  ///< Heartbeats rejected as stale.
  std::uint64_t duplicate_heartbeats =
      0;  ///< Versioned heartbeats ignored: their (generation, version) was not newer than what was seen.
  std::uint64_t pauses_detected = 0;  ///< Pauses of this process detected from the gaps between calls.
  std::optional<Clock::time_point>
      last_pause_start;  ///< The last detected pause: the last call before it; empty if none.
  std::optional<Clock::time_point>
      last_pause_end;  ///< The last detected pause: the first call after it; empty if none.
  std::optional<Clock::time_point>
      grace_until;  ///< No node is convicted before this instant; empty if no pause was detected.
  std::uint32_t local_health =
      0;  ///< Effective local health score (0 = healthy); convicting takes 1 + score times longer.
  std::uint64_t rejected_over_capacity =
      0;  ///< New ids refused with CapacityError because max_nodes nodes were monitored.
  std::uint64_t rejected_unknown_node = 0;  ///< Heartbeats from unregistered ids refused under Membership::Fixed.
  std::uint64_t rejected_bad_generation =
      0;  ///< Heartbeats, registrations and datagrams refused: generation above PHIFD_MAX_GENERATION.
  std::uint64_t rejected_malformed = 0;    ///< Datagrams refused as malformed.
  std::uint64_t rejected_bad_mac = 0;      ///< Authenticated datagrams whose MAC did not verify.
  std::uint64_t rejected_unknown_key = 0;  ///< Authenticated datagrams naming a key id the keyring does not hold.
  std::uint64_t rejected_replayed =
      0;  ///< Authenticated datagrams that verified but were replayed or older than what was seen.
};

/**
 * What a node's window predicts of its detection quality, from Monitor::qos_report
 * (phifd_qos_report). For a QoS-configured node the predictions are those of its last derivation;
 * for another node they are computed at the call. Durations saturate at nanoseconds::max(). Plain data.
 */
struct QosReport {
  bool qos = false;  ///< The node is QoS-configured (its own targets or the monitor's).
  /**
   * The targets are achievable on the current estimate (always true when `qos` is false), judged
   * on `best_detection`. When false the node keeps the deadline that meets the mistake-rate bound,
   * and `best_detection` says how far the bound on T_D is out of reach.
   */
  bool feasible = true;
  double threshold = 0.0;                ///< The phi threshold in use (derived from the targets under QoS).
  double suspect_threshold = 0.0;        ///< The suspect threshold in use.
  std::chrono::nanoseconds deadline{0};  ///< Silence after the last arrival at which the node is declared Failed,
                                         ///< before local health and confirmations.
  std::chrono::nanoseconds predicted_detection{
      0};  ///< Predicted T_D: `deadline` plus the one-way delay (half the declared round trip, 0 if none).
  std::optional<std::chrono::nanoseconds>
      predicted_mistake_recurrence;  ///< Predicted T_MR (mean time between wrong declarations); std::nullopt when none
                                     ///< is expected.
  std::chrono::nanoseconds predicted_mistake_duration{0};  ///< Predicted T_M (mean mistake duration).
  /**
   * Shortest T_D that meets the mistake-rate bound on the current estimate: the T_D of the deadline
   * the history alone supports. Under QoS it equals `predicted_detection` once the node is
   * `established` and may be below it during the warm-up; without QoS it equals
   * `predicted_detection`.
   */
  std::chrono::nanoseconds best_detection{0};
  double loss_rate =
      0.0;  ///< Fraction of heartbeats lost, from version gaps (heartbeat_version); 0 without versions or without QoS.
  /**
   * Intervals the estimate rests on: the window's length (below 32 the tail is the estimator's model
   * alone), or, once a QoS node's long memory of large gaps is in use, the intervals seen over that
   * memory's span (docs/qos.md).
   */
  std::uint32_t samples = 0;
  /**
   * The node's QoS warm-up is over (Config::set_qos_warmup): its deadline is the one its history
   * supports. False during the warm-up: the deadline is held longer (towards the T_D bound) and
   * the mistake-rate prediction rests on less history than the bound is about. Always true when
   * `qos` is false.
   */
  bool established = true;
};

/** One record for Monitor::heartbeat_batch. */
struct Heartbeat {
  NodeId node = 0;            ///< The sender.
  Generation generation = 0;  ///< The generation it carried.
  Clock::time_point time{};   ///< When it was received.
};

/**
 * A failure detector for many nodes (peers). Move-only; owns a phifd_monitor, freed on
 * destruction. Thread-safe: any number of threads may call any method of one Monitor at once
 * (share it by reference or through a std::shared_ptr); only destruction and move-assignment must
 * not race with other calls. Methods throw phifd::Error (or a subclass) on failure.
 */
class Monitor {
 public:
  /** A monitor with every setting at its default. Throws Error if the library cannot create one. */
  Monitor() : handle_(create(nullptr)) {}

  /**
   * A monitor with the given settings (copied; `cfg` may be changed or destroyed afterwards).
   * Throws InvalidArgument if the combination of settings is inconsistent (the message names
   * the settings), Error(Status::NullArg) if `cfg` was moved from.
   */
  explicit Monitor(const Config& cfg) : handle_(create(checked(cfg))) {}

  Monitor(const Monitor&) = delete;                  ///< Not copyable (owns a handle).
  Monitor& operator=(const Monitor&) = delete;       ///< Not copyable (owns a handle).
  Monitor(Monitor&&) noexcept = default;             ///< Takes over the handle; the source becomes empty.
  Monitor& operator=(Monitor&&) noexcept = default;  ///< Frees this monitor and takes over the source's.
  ~Monitor() = default;                              ///< Frees the monitor and its nodes (phifd_monitor_free).

  /**
   * Records a heartbeat from `node` with `generation`, received at `time` (take it where the
   * message was received). An unknown node is added. A higher generation restarts the node's
   * history (a Restarted event). Throws StaleGeneration if `generation` is below the current one
   * (nothing changes).
   */
  void heartbeat(NodeId node, Generation generation, Clock::time_point time) {
    detail::check(phifd_heartbeat(handle_.get(), node, generation, Clock::to_ns(time)));
  }

  /** heartbeat(node, generation, Clock::now()). */
  void heartbeat(NodeId node, Generation generation) { heartbeat(node, generation, Clock::now()); }

  /**
   * Records a heartbeat that carries a version (a counter the sender increments with every
   * heartbeat, as gossip spreads it), received at `time`. It counts only if `(generation, version)`
   * is newer than anything seen for the node: the same version relayed by many peers is one
   * arrival, and an old version arriving late is ignored. Returns true if it counted, false for a
   * duplicate or old version (nothing changes except Stats::duplicate_heartbeats). A counted
   * arrival clears every suspicion report about the node. An unknown node is added; a higher
   * generation restarts the node's history (any version counts). Throws StaleGeneration if
   * `generation` is below the current one (nothing changes).
   */
  bool heartbeat_version(NodeId node, Generation generation, std::uint64_t version, Clock::time_point time) {
    bool counted = false;
    detail::check(phifd_heartbeat_version(handle_.get(), node, generation, version, Clock::to_ns(time), &counted));
    return counted;
  }

  /** heartbeat_version(node, generation, version, Clock::now()). */
  bool heartbeat_version(NodeId node, Generation generation, std::uint64_t version) {
    return heartbeat_version(node, generation, version, Clock::now());
  }

  /** Verifies and records one authenticated datagram received at `time` (see Keyring). */
  Received receive(const void* data, std::size_t len, Clock::time_point time, const Keyring& keyring);

  /** Records one unauthenticated 56-byte datagram received at `time` (see Keyring). */
  Received receive(const void* data, std::size_t len, Clock::time_point time);

  /**
   * Records that peer `reporter` suspects `node` (suspicion spread by gossip). Distinct reporters
   * shorten the silence needed to convict `node` by Lifeguard's formula (see
   * Config::set_confirmation_min_ratio); the same reporter counts once, at most
   * confirmations_expected reporters are kept, and the node's next counted heartbeat clears them.
   * Throws UnknownNode if `node` is not monitored, InvalidArgument if `reporter == node`.
   */
  void report_suspect(NodeId node, NodeId reporter) {
    detail::check(phifd_node_report_suspect(handle_.get(), node, reporter));
  }

  /**
   * Sets this host's own health score, 0 (healthy) to max_local_health (default 7): raise it when
   * the host struggles (failed probes, event-loop lag, deep queues), lower it when it recovers.
   * Every node's time to conviction is multiplied by 1 + the effective score (the host's plus the
   * monitor's own, raised by late polls and detected pauses, capped at max_local_health). Throws
   * InvalidArgument if `score` is above max_local_health.
   */
  void set_local_health(std::uint32_t score) { detail::check(phifd_monitor_set_local_health(handle_.get(), score)); }

  /** The effective local health score: the host's (set_local_health) plus the monitor's own, capped. */
  std::uint32_t local_health() const {
    std::uint32_t out = 0;
    detail::check(phifd_monitor_get_local_health(handle_.get(), &out));
    return out;
  }

  /**
   * Records `count` heartbeats in order, as heartbeat() would, in one library call. Every record
   * is processed even if some fail; returns each record's status (Status::Ok or e.g.
   * Status::StaleGeneration) rather than throwing for them. Throws only if the call as a whole
   * fails (moved-from monitor, a time before the clock's epoch). `records` may be null if `count` is 0.
   */
  std::vector<Status> heartbeat_batch(const Heartbeat* records, std::size_t count) {
    std::vector<std::uint64_t> nodes(count), generations(count), times(count);
    for (std::size_t i = 0; i < count; ++i) {
      nodes[i] = records[i].node;
      generations[i] = records[i].generation;
      times[i] = Clock::to_ns(records[i].time);
    }
    std::vector<phifd_status> raw(count, PHIFD_OK);
    const phifd_status s =
        phifd_heartbeat_batch(handle_.get(), nodes.data(), generations.data(), times.data(), count, raw.data());
    if (s != PHIFD_OK && (handle_ == nullptr || s == PHIFD_ERR_INVALID_HANDLE || s == PHIFD_ERR_NULL_ARG)) {
      detail::check(s);
    }
    std::vector<Status> out;
    out.reserve(count);
    for (phifd_status r : raw) {
      out.push_back(static_cast<Status>(r));
    }
    return out;
  }

  /** heartbeat_batch(records.data(), records.size()). */
  std::vector<Status> heartbeat_batch(const std::vector<Heartbeat>& records) {
    return heartbeat_batch(records.data(), records.size());
  }

  /**
   * Registers `node` at `time` before its first heartbeat (state Unknown), so that it becomes
   * Failed if no heartbeat arrives within the first-heartbeat timeout. A node already monitored
   * is left unchanged.
   */
  void add_node(NodeId node, Generation generation, Clock::time_point time) {
    detail::check(phifd_node_add(handle_.get(), node, generation, Clock::to_ns(time)));
  }

  /** add_node(node, generation, Clock::now()). */
  void add_node(NodeId node, Generation generation) { add_node(node, generation, Clock::now()); }

  /** Stops monitoring `node`, forgetting its history and generation. Throws UnknownNode if it is not monitored. */
  void remove(NodeId node) { detail::check(phifd_node_remove(handle_.get(), node)); }

  /**
   * phi of `node` at `time`: never NaN or negative, finite, non-decreasing in `time` until the
   * next heartbeat. Throws UnknownNode if the node is not monitored. Read-only.
   */
  double phi(NodeId node, Clock::time_point time) const {
    double out = 0.0;
    detail::check(phifd_phi(handle_.get(), node, Clock::to_ns(time), &out));
    return out;
  }

  /** phi(node, Clock::now()). */
  double phi(NodeId node) const { return phi(node, Clock::now()); }

  /** phi of `node` at `time`, or std::nullopt if the node is not monitored. Other failures throw. */
  std::optional<double> try_phi(NodeId node, Clock::time_point time) const {
    double out = 0.0;
    const phifd_status s = phifd_phi(handle_.get(), node, Clock::to_ns(time), &out);
    if (s == PHIFD_ERR_UNKNOWN_NODE) {
      return std::nullopt;
    }
    detail::check(s);
    return out;
  }

  /** try_phi(node, Clock::now()). */
  std::optional<double> try_phi(NodeId node) const { return try_phi(node, Clock::now()); }

  /**
   * phi of each of `count` nodes at one `time`, in one library call; std::nullopt for a node
   * that is not monitored. `nodes` may be null if `count` is 0.
   */
  std::vector<std::optional<double>> phi_batch(const NodeId* nodes, std::size_t count, Clock::time_point time) const {
    std::vector<double> phis(count, 0.0);
    std::vector<phifd_status> raw(count, PHIFD_OK);
    const phifd_status s = phifd_phi_batch(handle_.get(), nodes, count, Clock::to_ns(time), phis.data(), raw.data());
    if (s != PHIFD_OK && s != PHIFD_ERR_UNKNOWN_NODE) {
      detail::check(s);
    }
    std::vector<std::optional<double>> out(count);
    for (std::size_t i = 0; i < count; ++i) {
      if (raw[i] == PHIFD_OK) {
        out[i] = phis[i];
      }
    }
    return out;
  }

  /** phi_batch(nodes.data(), nodes.size(), time). */
  std::vector<std::optional<double>> phi_batch(const std::vector<NodeId>& nodes, Clock::time_point time) const {
    return phi_batch(nodes.data(), nodes.size(), time);
  }

  /** phi_batch(nodes, Clock::now()). */
  std::vector<std::optional<double>> phi_batch(const std::vector<NodeId>& nodes) const {
    return phi_batch(nodes, Clock::now());
  }

  /**
   * `node`'s state, phi, generation and statistics as of `time`. Read-only: the state is the one
   * the silence implies at `time` (events come from heartbeats and poll). Throws UnknownNode.
   */
  NodeInfo info(NodeId node, Clock::time_point time) const {
    phifd_node_info raw{};
    raw.size = static_cast<std::uint32_t>(sizeof raw);
    detail::check(phifd_node_get_info(handle_.get(), node, Clock::to_ns(time), &raw));
    NodeInfo out;
    out.node = raw.node;
    out.state = static_cast<State>(raw.state);
    out.generation = raw.generation;
    out.phi = raw.phi;
    if (raw.has_arrival != 0) {
      out.last_arrival = Clock::from_ns(raw.last_arrival_ns);
    }
    out.silence_origin = Clock::from_ns(raw.silence_origin_ns);
    out.samples = raw.samples;
    out.mean = FloatNanoseconds(raw.mean_ns);
    out.sd = FloatNanoseconds(raw.sd_ns);
    out.suspect_after = detail::ns_duration(raw.suspect_after_ns);
    out.fail_after = detail::ns_duration(raw.fail_after_ns);
    out.version = raw.version;
    out.heartbeat_interval = FloatNanoseconds(raw.heartbeat_interval_ns);
    out.confirmations = raw.confirmations;
    return out;
  }

  /** info(node, Clock::now()). */
  NodeInfo info(NodeId node) const { return info(node, Clock::now()); }

  /**
   * The silence after `node`'s last arrival at which its phi first reaches `phi` on its current
   * history (with the threshold: how long until it is declared dead); zero if phi is already there.
   * Saturates at nanoseconds::max(). Throws UnknownNode, or InvalidArgument for a NaN, infinite
   * or negative `phi`.
   */
  std::chrono::nanoseconds time_until_phi(NodeId node, double phi) const {
    std::uint64_t out = 0;
    detail::check(phifd_node_time_until_phi(handle_.get(), node, phi, &out));
    return detail::ns_duration(out);
  }

  /**
   * Evaluates every node at `time` and returns every pending transition, oldest first (the queue
   * is drained). Never holds the monitor's locks for long, so heartbeats from other threads are
   * not blocked behind it.
   */
  std::vector<Event> poll(Clock::time_point time) { return poll(time, std::numeric_limits<std::size_t>::max()); }

  /** poll(Clock::now()). */
  std::vector<Event> poll() { return poll(Clock::now()); }

  /** Like poll(time), but returns at most `max` events; the rest stay queued for the next call. */
  std::vector<Event> poll(Clock::time_point time, std::size_t max) {
    constexpr std::size_t chunk = 256;
    const std::uint64_t now_ns = Clock::to_ns(time);
    std::vector<Event> out;
    phifd_event buf[chunk];
    for (;;) {
      const std::size_t cap = (max - out.size()) < chunk ? (max - out.size()) : chunk;
      std::size_t written = 0;
      detail::check(phifd_monitor_poll(handle_.get(), now_ns, cap == 0 ? nullptr : buf, cap, &written));
      for (std::size_t i = 0; i < written; ++i) {
        Event e;
        e.node = buf[i].node;
        e.generation = buf[i].generation;
        e.time = Clock::from_ns(buf[i].time_ns);
        e.phi = buf[i].phi;
        e.kind = static_cast<EventKind>(buf[i].kind);
        e.from = static_cast<State>(buf[i].from);
        e.to = static_cast<State>(buf[i].to);
        out.push_back(e);
      }
      if (written < cap || cap == 0 || out.size() >= max) {
        return out;
      }
    }
  }

  /** Number of monitored nodes. */
  std::uint64_t node_count() const {
    std::uint64_t out = 0;
    detail::check(phifd_monitor_node_count(handle_.get(), &out));
    return out;
  }

  /** The monitor's counters. */
  Stats stats() const {
    phifd_monitor_stats raw{};
    raw.size = static_cast<std::uint32_t>(sizeof raw);
    detail::check(phifd_monitor_get_stats(handle_.get(), &raw));
    Stats out;
    out.nodes = raw.nodes;
    out.pending_events = raw.pending_events;
    out.dropped_events = raw.dropped_events;
    out.stale_heartbeats = raw.stale_heartbeats;
    out.duplicate_heartbeats = raw.duplicate_heartbeats;
    out.pauses_detected = raw.pauses_detected;
    if (raw.pauses_detected != 0) {
      out.last_pause_start = Clock::from_ns(raw.last_pause_start_ns);
      out.last_pause_end = Clock::from_ns(raw.last_pause_end_ns);
      out.grace_until = Clock::from_ns(raw.grace_until_ns);
    }
    out.local_health = raw.local_health;
    out.rejected_over_capacity = raw.rejected_over_capacity;
    out.rejected_unknown_node = raw.rejected_unknown_node;
    out.rejected_bad_generation = raw.rejected_bad_generation;
    out.rejected_malformed = raw.rejected_malformed;
    out.rejected_bad_mac = raw.rejected_bad_mac;
    out.rejected_unknown_key = raw.rejected_unknown_key;
    out.rejected_replayed = raw.rejected_replayed;
    return out;
  }

  /**
   * Every node's state at `time`, sorted by node id. Read-only; locks one node at a time, so
   * the entries are each consistent but not one atomic picture of all nodes.
   */
  std::vector<SnapshotEntry> snapshot(Clock::time_point time) const {
    const std::uint64_t now_ns = Clock::to_ns(time);
    std::vector<phifd_snapshot_entry> raw;
    std::size_t total = 0;
    detail::check(phifd_monitor_snapshot(handle_.get(), now_ns, nullptr, 0, &total));
    // Nodes may be added by other threads between the calls: grow and ask again.
    while (total > raw.size()) {
      raw.resize(total + total / 4 + 1);
      detail::check(phifd_monitor_snapshot(handle_.get(), now_ns, raw.data(), raw.size(), &total));
    }
    std::vector<SnapshotEntry> out;
    out.reserve(total);
    for (std::size_t i = 0; i < total; ++i) {
      const phifd_snapshot_entry& r = raw[i];
      SnapshotEntry e;
      e.node = r.node;
      e.generation = r.generation;
      e.last_arrival = Clock::from_ns(r.last_arrival_ns);
      e.phi = r.phi;
      e.mean = FloatNanoseconds(r.mean_ns);
      e.sd = FloatNanoseconds(r.sd_ns);
      e.time_until_failure = detail::ns_duration(r.time_until_failure_ns);
      e.version = r.version;
      e.state = static_cast<State>(r.state);
      e.confirmations = r.confirmations;
      out.push_back(e);
    }
    return out;
  }

  /** snapshot(Clock::now()). */
  std::vector<SnapshotEntry> snapshot() const { return snapshot(Clock::now()); }

  /**
   * The monitor's snapshot at `time` in the Prometheus text exposition format (0.0.4), ready to
   * serve on a metrics endpoint (see phifd.h, phifd_monitor_render_prometheus, for the families).
   */
  std::string prometheus(Clock::time_point time) const {
    const std::uint64_t now_ns = Clock::to_ns(time);
    std::vector<char> buf;
    std::size_t needed = 0;
    for (;;) {
      const phifd_status s = phifd_monitor_render_prometheus(handle_.get(), now_ns, buf.empty() ? nullptr : buf.data(),
                                                             buf.size(), &needed);
      if (s == PHIFD_OK) {
        return std::string(buf.data(), needed);
      }
      if (s != PHIFD_ERR_BUFFER_TOO_SMALL) {
        detail::check(s);
      }
      // The text may grow between calls (nodes added concurrently): leave some room.
      buf.resize(needed + needed / 8 + 64);
    }
  }

  /** prometheus(Clock::now()). */
  std::string prometheus() const { return prometheus(Clock::now()); }

  /**
   * Live retuning. Precedence: a node's own tuning (set_node_thresholds, set_node_qos) comes
   * before the monitor's (its QoS targets if set, else its thresholds). Every change keeps the
   * history: windows, states, generations and suspicion reports stay, and the new deadlines apply
   * from each node's next evaluation. A node already past its new Failed deadline is declared at
   * the next poll, the event's time being the instant that deadline passed: the event a monitor
   * configured that way from the start gives. The first-heartbeat timeout and the pause defaults
   * derived from the threshold at creation keep their values. A monitor-wide change walks every
   * node once, each under its own lock; heartbeats to other nodes are not blocked. Thread-safe.
   *
   * set_thresholds changes the threshold and suspect threshold of every node without a tuning of
   * its own; nodes registered later get them too. It replaces a monitor-wide QoS configuration.
   * Throws InvalidArgument (nothing changed) for a value that is NaN, infinite, not above 0 (or
   * subnormal) or above 1e6, for `suspect_threshold >= threshold`, and for a threshold that
   * breaks the timing rule (a steady sender would be declared within one heartbeat interval).
   */
  void set_thresholds(double threshold, double suspect_threshold) {
    detail::check(phifd_monitor_set_thresholds(handle_.get(), threshold, suspect_threshold));
  }

  /**
   * Judges every node without a tuning of its own by the QoS `targets` (copied): each derives its
   * phi levels from its window at once and again as the window moves (every max(64, window / 16)
   * learned intervals); nodes registered later too. std::nullopt: back to the monitor's
   * thresholds. Throws InvalidArgument (nothing changed) for targets as Config::set_qos refuses them.
   */
  void set_qos(const std::optional<Qos>& targets) {
    const auto raw = detail::qos_to_c(targets, "Monitor::set_qos");
    detail::check(phifd_monitor_set_qos(handle_.get(), raw ? &*raw : nullptr));
  }

  /**
   * Gives `node` thresholds of its own; monitor-wide changes then pass it by until
   * clear_node_tuning. Throws what set_thresholds throws, and UnknownNode (nothing changed).
   */
  void set_node_thresholds(NodeId node, double threshold, double suspect_threshold) {
    detail::check(phifd_node_set_thresholds(handle_.get(), node, threshold, suspect_threshold));
  }

  /**
   * Gives `node` QoS targets of its own (copied); monitor-wide changes then pass it by until
   * clear_node_tuning. std::nullopt pins the node to the monitor's thresholds as they are now, as
   * its own tuning, even while the monitor is QoS-configured. The suspect level keeps the ratio of
   * the thresholds the node was judged by. Throws UnknownNode, or InvalidArgument for targets as
   * Config::set_qos refuses them (nothing changed either way).
   */
  void set_node_qos(NodeId node, const std::optional<Qos>& targets) {
    const auto raw = detail::qos_to_c(targets, "Monitor::set_node_qos");
    detail::check(phifd_node_set_qos(handle_.get(), node, raw ? &*raw : nullptr));
  }

  /**
   * Drops `node`'s own tuning (set_node_thresholds or set_node_qos): it follows the monitor's
   * thresholds or QoS targets again, history kept. A node without a tuning of its own is left as
   * it is. Throws UnknownNode.
   */
  void clear_node_tuning(NodeId node) { detail::check(phifd_node_clear_tuning(handle_.get(), node)); }

  /**
   * What `node`'s window predicts of its detection quality at the deadline in use: levels,
   * deadline, predicted T_D, T_MR and T_M, whether its QoS targets are met and the shortest T_D
   * that meets its mistake-rate bound (see QosReport). `time` is the query time; the report
   * depends on the node's history only. Read-only; O(window) for a node without QoS. Throws UnknownNode.
   */
  QosReport qos_report(NodeId node, Clock::time_point time) const {
    phifd_qos_report raw{};
    detail::check(phifd_node_get_qos_report(handle_.get(), node, Clock::to_ns(time), &raw));
    QosReport out;
    out.qos = raw.qos != 0;
    out.feasible = raw.feasible != 0;
    out.threshold = raw.threshold;
    out.suspect_threshold = raw.suspect_threshold;
    out.deadline = detail::ns_duration(raw.deadline_ns);
    out.predicted_detection = detail::ns_duration(raw.predicted_detection_ns);
    if (raw.predicted_mistake_recurrence_ns != std::numeric_limits<std::uint64_t>::max()) {
      out.predicted_mistake_recurrence = detail::ns_duration(raw.predicted_mistake_recurrence_ns);
    }
    out.predicted_mistake_duration = detail::ns_duration(raw.predicted_mistake_duration_ns);
    out.best_detection = detail::ns_duration(raw.best_detection_ns);
    out.loss_rate = raw.loss_rate;
    out.samples = raw.samples;
    out.established = raw.established != 0;
    return out;
  }

  /** qos_report(node, Clock::now()). */
  QosReport qos_report(NodeId node) const { return qos_report(node, Clock::now()); }

  /** The C handle (still owned by this object), or nullptr if moved from. */
  phifd_monitor* native_handle() const noexcept { return handle_.get(); }

 private:
  // The handle of a Config that still owns one (a moved-from Config must not mean "defaults").
  static const phifd_config* checked(const Config& cfg) {
    if (cfg.native_handle() == nullptr) {
      throw Error(Status::NullArg, "Monitor: the Config was moved from");
    }
    return cfg.native_handle();
  }

  // A new monitor from `cfg` (nullptr: defaults).
  static phifd_monitor* create(const phifd_config* cfg) {
    phifd_monitor* raw = nullptr;
    detail::check(phifd_monitor_new(cfg, &raw));
    return raw;
  }

  std::unique_ptr<phifd_monitor, detail::MonitorDeleter> handle_;
};

/**
 * A server's own generation clock: the term, epoch or incarnation it stamps on everything it sends
 * (heartbeats, replies, requests). It never goes backwards and never hands out the same generation
 * twice, across crashes at any instant, when it is durable (open): every new value is written to
 * `PATH.tmp`, fsynced, renamed over `PATH` and the directory fsynced before the method returns.
 *
 * Move-only; owns a phifd_generation, freed on destruction (which releases the file lock).
 * Thread-safe: any number of threads may call any method of one clock at once; only destruction and
 * move-assignment must not race with other calls. A moved-from clock holds no handle; its methods
 * throw Error(Status::NullArg).
 *
 *     auto clock = phifd::GenerationClock::open("/var/lib/myserver/generation");  // stored + 1
 *     phifd::Generation term = clock.current();   // stamp it on every heartbeat
 *     term = clock.advance();                     // a new term: start an election
 *     if (clock.observe(remote_term)) { ... }     // someone newer exists: step down
 */
class GenerationClock {
 public:
  /**
   * Opens (or creates) the durable clock stored in the file `path` and starts a new incarnation:
   * the generation becomes the stored value plus one (1 for a new file), durable before this
   * returns. The file is created owner-only (0600); the lock file `path` + ".lock" is held (an OS
   * lock) while the returned clock (or the clock it is moved into) lives.
   *
   * Throws LockedError if another live clock, in this process or another, holds the file;
   * CorruptError if the file is truncated, garbage, fails its checksum or holds a value beyond
   * max_generation (the message names the path and the damage; the file is left unchanged);
   * IoError for a missing directory, a read-only filesystem or missing permissions (the message
   * has the path and the OS error); InvalidArgument for an empty path or one containing a NUL
   * character; InvalidArgument if the stored generation already is max_generation.
   */
  static GenerationClock open(const std::filesystem::path& path) {
    const std::string native = path.string();
    if (native.find('\0') != std::string::npos) {
      throw InvalidArgument("GenerationClock::open: the path contains a NUL character");
    }
    phifd_generation* raw = nullptr;
    detail::check(phifd_generation_open(native.c_str(), &raw));
    return GenerationClock(raw);
  }

  /**
   * A clock without a file, starting at `start` (for tests, and for servers that persist their
   * term elsewhere, e.g. in a replicated log). Throws InvalidArgument if `start` is beyond
   * max_generation.
   */
  static GenerationClock in_memory(Generation start) {
    phifd_generation* raw = nullptr;
    detail::check(phifd_generation_new_in_memory(start, &raw));
    return GenerationClock(raw);
  }

  GenerationClock(const GenerationClock&) = delete;             ///< Not copyable (owns a handle and a lock).
  GenerationClock& operator=(const GenerationClock&) = delete;  ///< Not copyable (owns a handle and a lock).
  GenerationClock(GenerationClock&&) noexcept =
      default;  ///< Takes over the handle (and lock); the source becomes empty.
  GenerationClock& operator=(GenerationClock&&) noexcept = default;  ///< Closes this clock and takes over the source's.
  ~GenerationClock() = default;  ///< Closes the clock and releases its file lock (phifd_generation_free).

  /** The current generation. Read-only. Throws Error(Status::NullArg) if moved from. */
  Generation current() const {
    std::uint64_t out = 0;
    detail::check(phifd_generation_current(handle_.get(), &out));
    return out;
  }

  /**
   * Moves to a new generation (a new term or epoch, e.g. when starting an election), durable before
   * it returns, and returns it. Throws IoError if it cannot be stored (the generation is unchanged),
   * InvalidArgument if the current generation is max_generation.
   */
  Generation advance() {
    std::uint64_t out = 0;
    detail::check(phifd_generation_advance(handle_.get(), &out));
    return out;
  }

  /**
   * Adopts a generation seen in a message from a peer (any heartbeat, reply or request). If `remote`
   * is above the current generation it becomes the current one (durably) and the answer is true:
   * someone newer exists, and a leader must step down to follower. Otherwise nothing changes and
   * the answer is false. Throws InvalidArgument if `remote` is beyond max_generation (damage or an
   * attack, not a term), IoError if it cannot be stored (unchanged).
   */
  bool observe(Generation remote) {
    bool step_down = false;
    detail::check(phifd_generation_observe(handle_.get(), remote, &step_down));
    return step_down;
  }

  /** The C handle (still owned by this object), or nullptr if moved from. */
  phifd_generation* native_handle() const noexcept { return handle_.get(); }

 private:
  explicit GenerationClock(phifd_generation* raw) noexcept : handle_(raw) {}

  std::unique_ptr<phifd_generation, detail::GenerationDeleter> handle_;
};

/**
 * Parses the contents of a generation file (`len` bytes at `bytes`) without touching any file, for
 * tools that inspect or repair clocks; returns the stored generation. Throws CorruptError if the
 * bytes are not a valid generation file (wrong length, bad magic, unknown version, checksum
 * mismatch, a value beyond max_generation; the message names the damage), Error(Status::NullArg)
 * if `bytes` is null and `len` is not 0. Thread-safe.
 */
inline Generation parse_generation_file(const std::uint8_t* bytes, std::size_t len) {
  std::uint64_t out = 0;
  detail::check(phifd_generation_parse(bytes, len, &out));
  return out;
}

/** parse_generation_file(bytes.data(), bytes.size()). */
inline Generation parse_generation_file(const std::vector<std::uint8_t>& bytes) {
  return parse_generation_file(bytes.data(), bytes.size());
}

// ---------------------------------------------------------------------------------------------
// Authenticated heartbeats (see docs/security.md: threat model, format, rotation, replays).
// ---------------------------------------------------------------------------------------------

/** A key id: names one key of a Keyring for its whole life (never reuse an id for a new key). */
using KeyId = std::uint32_t;

/** Most keys a Keyring holds at once (PHIFD_KEYRING_MAX_KEYS). */
inline constexpr std::size_t keyring_max_keys = PHIFD_KEYRING_MAX_KEYS;

/** Shortest key accepted, bytes (PHIFD_KEY_MIN_LEN). */
inline constexpr std::size_t key_min_len = PHIFD_KEY_MIN_LEN;

/** Longest key accepted, bytes (PHIFD_KEY_MAX_LEN). */
inline constexpr std::size_t key_max_len = PHIFD_KEY_MAX_LEN;

namespace detail {

/** Deleter calling phifd_keyring_free (which overwrites every key with zeros). */
struct KeyringDeleter {
  void operator()(phifd_keyring* k) const noexcept { phifd_keyring_free(k); }
};

}  // namespace detail

/**
 * A set of shared secret keys by id, one of them the signing key (a C phifd_keyring), for the
 * authenticated 68-byte datagram: the fields, the key id and an HMAC-SHA-256 tag truncated to 16
 * bytes. Datagram::encode_auth signs with the signing key; Datagram::decode_auth and
 * Monitor::receive accept a datagram signed with any key in the ring, so keys rotate without
 * downtime: add_key the new key on every node, then set_signing_key to it on every node, then
 * remove_key the old one everywhere.
 *
 *     phifd::Keyring ring;
 *     ring.add_key(1, key.data(), key.size());      // 16..64 random bytes; the first key signs
 *     const auto wire = datagram.encode_auth(ring);  // std::array<std::uint8_t, 68>
 *     // receiver, with the same key under the same id:
 *     const phifd::Received r = monitor.receive(buf, n, phifd::Clock::now(), ring);
 *
 * Keys are key_min_len (16) to key_max_len (64) bytes of random data (use 32). The library copies
 * them and overwrites its copy with zeros when a key is removed or the keyring destroyed; the
 * caller's buffer is left as it is. No method returns key bytes. Move-only (RAII). Thread-safe:
 * any number of threads may sign and verify with one keyring while another adds, removes or
 * switches keys; destroying or move-assigning it must not race with other calls. Methods of a
 * moved-from keyring throw Error(Status::NullArg).
 */
class Keyring {
 public:
  /** An empty keyring (no key, hence no signing key). Throws Error if the library cannot create one. */
  Keyring() : handle_(create()) {}

  Keyring(const Keyring&) = delete;                  ///< Not copyable (owns the keys).
  Keyring& operator=(const Keyring&) = delete;       ///< Not copyable (owns the keys).
  Keyring(Keyring&&) noexcept = default;             ///< Takes over the handle; the source becomes empty.
  Keyring& operator=(Keyring&&) noexcept = default;  ///< Frees (and wipes) this keyring and takes over the source's.
  ~Keyring() = default;                              ///< Frees the keyring, overwriting every key with zeros.

  /**
   * Adds the `len` bytes at `key` (copied) under `id`. The first key added becomes the signing key;
   * later keys only verify until set_signing_key selects them. Throws (nothing changes)
   * InvalidArgument when `len` is outside key_min_len..key_max_len, `id` is already in the ring,
   * or the ring already holds keyring_max_keys keys; Error(Status::NullArg) for a null `key` with
   * `len` > 0.
   */
  void add_key(KeyId id, const std::uint8_t* key, std::size_t len) {
    detail::check(phifd_keyring_add_key(handle_.get(), id, key, len));
  }

  /** add_key(id, key.data(), key.size()). */
  void add_key(KeyId id, const std::vector<std::uint8_t>& key) { add_key(id, key.data(), key.size()); }

  /** add_key(id, key.data(), N). */
  template <std::size_t N>
  void add_key(KeyId id, const std::array<std::uint8_t, N>& key) {
    add_key(id, key.data(), N);
  }

  /**
   * Removes the key `id` (the library wipes its copy): datagrams signed with it throw
   * UnknownKeyError from now on. Throws UnknownKeyError (no such id), InvalidArgument (it is the
   * signing key: select another one first, so the node never stops signing).
   */
  void remove_key(KeyId id) { detail::check(phifd_keyring_remove_key(handle_.get(), id)); }

  /** Makes the key `id` the one Datagram::encode_auth signs with. Throws UnknownKeyError if it is not in the ring. */
  void set_signing_key(KeyId id) { detail::check(phifd_keyring_set_signing_key(handle_.get(), id)); }

  /** The id of the signing key. Throws UnknownKeyError while the ring holds no key. */
  KeyId signing_key() const {
    std::uint32_t out = 0;
    detail::check(phifd_keyring_get_signing_key(handle_.get(), &out));
    return out;
  }

  /** The C handle (still owned by this object), or nullptr if moved from. */
  phifd_keyring* native_handle() const noexcept { return handle_.get(); }

 private:
  static phifd_keyring* create() {
    phifd_keyring* raw = nullptr;
    detail::check(phifd_keyring_new(&raw));
    return raw;
  }

  std::unique_ptr<phifd_keyring, detail::KeyringDeleter> handle_;
};

/** What Monitor::receive returns. Plain data. */
struct Received {
  Datagram datagram;     ///< The decoded (and, with a keyring, verified) datagram.
  bool counted = false;  ///< True if it counted as an arrival; false for a stale reply and for a duplicate, replayed or
                         ///< older version.
};

/**
 * Thrown by Monitor::receive for a heartbeat of an older generation (PHIFD_ERR_STALE_GENERATION;
 * nothing changed): a StaleGeneration that also carries the (verified) datagram, so the caller can
 * answer its sender. Catching StaleGeneration catches it too.
 */
class StaleDatagram : public StaleGeneration {
 public:
  /** The error for `datagram`, with the library's message. */
  StaleDatagram(const std::string& message, const Datagram& datagram) : StaleGeneration(message), datagram_(datagram) {}

  /** The datagram that carried the older generation. */
  const Datagram& datagram() const noexcept { return datagram_; }

 private:
  Datagram datagram_;
};

namespace detail {

/** The keyring's handle; throws Error(Status::NullArg) for a moved-from keyring (never "no keyring"). */
inline const phifd_keyring* keyring_handle(const Keyring& keyring, const char* what) {
  const phifd_keyring* k = keyring.native_handle();
  if (k == nullptr) {
    throw Error(Status::NullArg, std::string(what) + ": the keyring was moved from");
  }
  return k;
}

/** The Datagram with the fields of a C datagram. */
inline Datagram from_c(const phifd_datagram& raw) noexcept {
  Datagram d;
  d.kind = static_cast<DatagramKind>(raw.kind);
  d.flags = raw.flags;
  d.node = raw.node;
  d.generation = raw.generation;
  d.term = raw.term;
  d.version = raw.version;
  d.send_ns = raw.send_ns;
  return d;
}

/** phifd_monitor_receive with `keyring` (null: unauthenticated), mapped to Received or an exception. */
inline Received receive(phifd_monitor* m, const phifd_keyring* keyring, const void* data, std::size_t len,
                        Clock::time_point time) {
  const std::uint64_t now = Clock::to_ns(time);
  phifd_datagram raw{};
  bool counted = false;
  const phifd_status s =
      phifd_monitor_receive(m, keyring, static_cast<const std::uint8_t*>(data), len, now, &raw, &counted);
  if (s == PHIFD_ERR_STALE_GENERATION) {
    throw StaleDatagram(phifd_last_error_message(), from_c(raw));
  }
  check(s);
  return Received{from_c(raw), counted};
}

}  // namespace detail

/**
 * Throws InvalidArgument when the keyring holds no key, the kind is unknown, flag bits are
 * undefined, or the generation or term exceeds max_generation; Error(Status::NullArg) for a
 * moved-from keyring. Thread-safe; allocates nothing.
 */
inline std::array<std::uint8_t, auth_datagram_size> Datagram::encode_auth(const Keyring& keyring) const {
  const phifd_keyring* k = detail::keyring_handle(keyring, "Datagram::encode_auth");
  const phifd_datagram raw = to_c();
  std::array<std::uint8_t, auth_datagram_size> out{};
  std::size_t written = 0;
  detail::check(phifd_datagram_encode_auth(k, &raw, out.data(), out.size(), &written));
  return out;
}

/**
 * Reads only `len` bytes at `data` (untrusted, e.g. straight from recvfrom). Checks, in this order:
 * the length (exactly 68), magic and format version (MalformedError; a 56-byte unauthenticated
 * datagram is malformed here), the key id (UnknownKeyError), the MAC, compared in constant time
 * (AuthError), and only then the fields (MalformedError: unknown kind, undefined flags, a
 * generation or term above max_generation). Nothing of an unverified datagram is returned. Also
 * Error(Status::NullArg) for null `data` with `len` > 0 or a moved-from keyring. Thread-safe.
 */
inline Datagram Datagram::decode_auth(const void* data, std::size_t len, const Keyring& keyring) {
  const phifd_keyring* k = detail::keyring_handle(keyring, "Datagram::decode_auth");
  phifd_datagram raw{};
  detail::check(phifd_datagram_decode_auth(k, static_cast<const std::uint8_t*>(data), len, &raw));
  return detail::from_c(raw);
}

inline Datagram Datagram::decode_auth(const std::vector<std::uint8_t>& bytes, const Keyring& keyring) {
  return decode_auth(bytes.data(), bytes.size(), keyring);
}

inline Datagram Datagram::decode_auth(const std::array<std::uint8_t, auth_datagram_size>& bytes,
                                      const Keyring& keyring) {
  return decode_auth(bytes.data(), bytes.size(), keyring);
}

/**
 * Verifies the `len` untrusted bytes at `data` with any key of `keyring`, as Datagram::decode_auth
 * does, and records a heartbeat as heartbeat_version(node, generation, version, time) would; a
 * stale reply is decoded but not applied. `counted` is true only when the heartbeat's
 * `(generation, version)` is newer than anything the node has shown, so a replayed, duplicated or
 * reordered old datagram never counts (Stats::rejected_replayed grows instead). Throws, each refusal
 * counted in Stats: MalformedError (rejected_malformed, or rejected_bad_generation for a generation
 * beyond max_generation), UnknownKeyError (rejected_unknown_key), AuthError (rejected_bad_mac);
 * then what heartbeat_version throws: StaleDatagram (a StaleGeneration carrying the datagram, for
 * the answer), CapacityError, UnknownNode (fixed membership). Error(Status::NullArg) for a
 * moved-from keyring. Thread-safe.
 */
inline Received Monitor::receive(const void* data, std::size_t len, Clock::time_point time, const Keyring& keyring) {
  return detail::receive(handle_.get(), detail::keyring_handle(keyring, "Monitor::receive"), data, len, time);
}

/**
 * As the keyring overload, for the unauthenticated 56-byte datagram (as Datagram::decode checks
 * it). Only for a trusted, isolated network: anyone who can send a packet can forge one.
 */
inline Received Monitor::receive(const void* data, std::size_t len, Clock::time_point time) {
  return detail::receive(handle_.get(), nullptr, data, len, time);
}

}  // namespace phifd

#endif  // PHIFD_HPP
