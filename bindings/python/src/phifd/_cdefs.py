"""ctypes declarations of ``include/phifd.h``: constants, structs and function prototypes.

Generated from include/phifd.h by bindings/python/scripts/gen_cdefs.py: do not edit.
After changing the header run `make python-ffi`; `make check-python-ffi` fails while this
file differs from what the header generates.
"""

from ctypes import (
    POINTER,
    Structure,
    c_bool,
    c_char,
    c_char_p,
    c_double,
    c_size_t,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
)
from typing import Any, Dict, List, Tuple

# Constants: every `#define` of the header.
PHIFD_VERSION_MAJOR = 0
PHIFD_VERSION_MINOR = 1
PHIFD_VERSION_PATCH = 0
PHIFD_VERSION_STRING = "0.1.0"
DEFAULT_MAX_NODES = 65536
MAX_MAX_NODES = 67108864
PHIFD_AUTH_DATAGRAM_SIZE = 68
PHIFD_KEYRING_MAX_KEYS = 16
PHIFD_KEY_MIN_LEN = 16
PHIFD_KEY_MAX_LEN = 64
PHIFD_MAX_GENERATION = 281474976710656
PHIFD_DATAGRAM_SIZE = 56
PHIFD_DATAGRAM_HEARTBEAT = 0
PHIFD_DATAGRAM_STALE_REPLY = 1
PHIFD_DATAGRAM_FLAG_LEADER = 1
PHIFD_QOS_WARMUP_DEFAULT = 18446744073709551615
PHIFD_OK = 0
PHIFD_ERR_NULL_ARG = 1
PHIFD_ERR_INVALID_ARG = 2
PHIFD_ERR_UNKNOWN_NODE = 3
PHIFD_ERR_STALE_GENERATION = 4
PHIFD_ERR_INVALID_HANDLE = 5
PHIFD_ERR_INTERNAL = 6
PHIFD_ERR_BUFFER_TOO_SMALL = 7
PHIFD_ERR_IO = 8
PHIFD_ERR_CORRUPT = 9
PHIFD_ERR_LOCKED = 10
PHIFD_ERR_MALFORMED = 11
PHIFD_ERR_CAPACITY = 12
PHIFD_ERR_AUTH = 13
PHIFD_ERR_UNKNOWN_KEY = 14
PHIFD_ESTIMATOR_AKKA = 0
PHIFD_ESTIMATOR_NORMAL = 1
PHIFD_ESTIMATOR_EXPONENTIAL = 2
PHIFD_MEMBERSHIP_OPEN = 0
PHIFD_MEMBERSHIP_FIXED = 1
PHIFD_STATE_UNKNOWN = 0
PHIFD_STATE_ALIVE = 1
PHIFD_STATE_SUSPECT = 2
PHIFD_STATE_FAILED = 3
PHIFD_EVENT_STATE_CHANGED = 0
PHIFD_EVENT_RESTARTED = 1

# Type aliases: the header's `typedef`s of scalar types.
phifd_status = c_uint32
phifd_estimator = c_uint32
phifd_membership = c_uint32
phifd_state = c_uint32
phifd_event_kind = c_uint32

#: Opaque handle types: passed as ``c_void_p`` (an ``int`` address, or ``None`` for NULL).
OPAQUE = ("phifd_config", "phifd_generation", "phifd_keyring", "phifd_monitor")


class DatagramStruct(Structure):
    """``struct phifd_datagram``."""

    _fields_ = [
        ("kind", c_uint32),
        ("flags", c_uint32),
        ("node", c_uint64),
        ("generation", c_uint64),
        ("term", c_uint64),
        ("version", c_uint64),
        ("send_ns", c_uint64),
    ]


class NodeInfoStruct(Structure):
    """``struct phifd_node_info``."""

    _fields_ = [
        ("size", c_uint32),
        ("state", phifd_state),
        ("node", c_uint64),
        ("generation", c_uint64),
        ("phi", c_double),
        ("last_arrival_ns", c_uint64),
        ("silence_origin_ns", c_uint64),
        ("samples", c_uint64),
        ("mean_ns", c_double),
        ("sd_ns", c_double),
        ("suspect_after_ns", c_uint64),
        ("fail_after_ns", c_uint64),
        ("has_arrival", c_uint32),
        ("reserved", c_uint32),
        ("version", c_uint64),
        ("heartbeat_interval_ns", c_double),
        ("confirmations", c_uint32),
        ("reserved2", c_uint32),
    ]


class EventStruct(Structure):
    """``struct phifd_event``."""

    _fields_ = [
        ("node", c_uint64),
        ("generation", c_uint64),
        ("time_ns", c_uint64),
        ("phi", c_double),
        ("kind", phifd_event_kind),
        ("from_", phifd_state),
        ("to", phifd_state),
        ("reserved", c_uint32),
    ]


class MonitorStatsStruct(Structure):
    """``struct phifd_monitor_stats``."""

    _fields_ = [
        ("size", c_uint32),
        ("reserved", c_uint32),
        ("nodes", c_uint64),
        ("pending_events", c_uint64),
        ("dropped_events", c_uint64),
        ("stale_heartbeats", c_uint64),
        ("duplicate_heartbeats", c_uint64),
        ("pauses_detected", c_uint64),
        ("last_pause_start_ns", c_uint64),
        ("last_pause_end_ns", c_uint64),
        ("grace_until_ns", c_uint64),
        ("local_health", c_uint32),
        ("reserved2", c_uint32),
        ("rejected_over_capacity", c_uint64),
        ("rejected_unknown_node", c_uint64),
        ("rejected_bad_generation", c_uint64),
        ("rejected_malformed", c_uint64),
        ("rejected_bad_mac", c_uint64),
        ("rejected_unknown_key", c_uint64),
        ("rejected_replayed", c_uint64),
    ]


class SnapshotEntryStruct(Structure):
    """``struct phifd_snapshot_entry``."""

    _fields_ = [
        ("node", c_uint64),
        ("generation", c_uint64),
        ("last_arrival_ns", c_uint64),
        ("phi", c_double),
        ("mean_ns", c_double),
        ("sd_ns", c_double),
        ("time_until_failure_ns", c_uint64),
        ("version", c_uint64),
        ("state", phifd_state),
        ("confirmations", c_uint32),
        ("reserved", c_uint64),
    ]


class QosStruct(Structure):
    """``struct phifd_qos``."""

    _fields_ = [
        ("max_detection_ns", c_uint64),
        ("min_mistake_recurrence_ns", c_uint64),
        ("max_mistake_duration_ns", c_uint64),
    ]


class QosReportStruct(Structure):
    """``struct phifd_qos_report``."""

    _fields_ = [
        ("qos", c_uint32),
        ("feasible", c_uint32),
        ("threshold", c_double),
        ("suspect_threshold", c_double),
        ("deadline_ns", c_uint64),
        ("predicted_detection_ns", c_uint64),
        ("predicted_mistake_recurrence_ns", c_uint64),
        ("predicted_mistake_duration_ns", c_uint64),
        ("best_detection_ns", c_uint64),
        ("loss_rate", c_double),
        ("samples", c_uint32),
        ("established", c_uint32),
    ]


#: C name -> ctypes class of every struct of the header.
STRUCTS = {
    "phifd_datagram": DatagramStruct,
    "phifd_node_info": NodeInfoStruct,
    "phifd_event": EventStruct,
    "phifd_monitor_stats": MonitorStatsStruct,
    "phifd_snapshot_entry": SnapshotEntryStruct,
    "phifd_qos": QosStruct,
    "phifd_qos_report": QosReportStruct,
}

#: Function name -> (restype, argtypes) of every function of the header, in header order.
FUNCTIONS: Dict[str, Tuple[Any, List[Any]]] = {
    "phifd_version": (c_char_p, []),
    "phifd_now_ns": (c_uint64, []),
    "phifd_last_error_message": (c_char_p, []),
    "phifd_status_name": (c_char_p, [phifd_status]),
    "phifd_keyring_new": (phifd_status, [POINTER(c_void_p)]),
    "phifd_keyring_free": (None, [c_void_p]),
    "phifd_keyring_add_key": (phifd_status, [c_void_p, c_uint32, c_char_p, c_size_t]),
    "phifd_keyring_remove_key": (phifd_status, [c_void_p, c_uint32]),
    "phifd_keyring_set_signing_key": (phifd_status, [c_void_p, c_uint32]),
    "phifd_keyring_get_signing_key": (phifd_status, [c_void_p, POINTER(c_uint32)]),
    "phifd_datagram_encode_auth": (
        phifd_status,
        [
            c_void_p,
            POINTER(DatagramStruct),
            POINTER(c_uint8),
            c_size_t,
            POINTER(c_size_t),
        ],
    ),
    "phifd_datagram_decode_auth": (phifd_status, [c_void_p, c_char_p, c_size_t, POINTER(DatagramStruct)]),
    "phifd_monitor_receive": (
        phifd_status,
        [
            c_void_p,
            c_void_p,
            c_char_p,
            c_size_t,
            c_uint64,
            POINTER(DatagramStruct),
            POINTER(c_bool),
        ],
    ),
    "phifd_config_new": (phifd_status, [POINTER(c_void_p)]),
    "phifd_config_free": (None, [c_void_p]),
    "phifd_config_set_estimator": (phifd_status, [c_void_p, phifd_estimator]),
    "phifd_config_set_threshold": (phifd_status, [c_void_p, c_double]),
    "phifd_config_set_suspect_threshold": (phifd_status, [c_void_p, c_double]),
    "phifd_config_set_window": (phifd_status, [c_void_p, c_uint64]),
    "phifd_config_set_heartbeat_interval_ns": (phifd_status, [c_void_p, c_uint64]),
    "phifd_config_set_min_std_deviation_ns": (phifd_status, [c_void_p, c_uint64]),
    "phifd_config_set_acceptable_pause_ns": (phifd_status, [c_void_p, c_uint64]),
    "phifd_config_set_max_interval_ns": (phifd_status, [c_void_p, c_uint64]),
    "phifd_config_set_round_trip_ns": (phifd_status, [c_void_p, c_uint64]),
    "phifd_config_set_first_heartbeat_timeout_ns": (phifd_status, [c_void_p, c_uint64]),
    "phifd_config_set_recovery_heartbeats": (phifd_status, [c_void_p, c_uint32]),
    "phifd_config_set_local_pause_threshold_ns": (phifd_status, [c_void_p, c_uint64]),
    "phifd_config_set_local_pause_grace_ns": (phifd_status, [c_void_p, c_uint64]),
    "phifd_config_set_burst_fraction": (phifd_status, [c_void_p, c_double]),
    "phifd_config_set_max_local_health": (phifd_status, [c_void_p, c_uint32]),
    "phifd_config_set_confirmations_expected": (phifd_status, [c_void_p, c_uint32]),
    "phifd_config_set_confirmation_min_ratio": (phifd_status, [c_void_p, c_double]),
    "phifd_config_set_max_nodes": (phifd_status, [c_void_p, c_uint64]),
    "phifd_config_set_membership": (phifd_status, [c_void_p, phifd_membership]),
    "phifd_config_get_estimator": (phifd_status, [c_void_p, POINTER(phifd_estimator)]),
    "phifd_config_get_threshold": (phifd_status, [c_void_p, POINTER(c_double)]),
    "phifd_config_get_suspect_threshold": (phifd_status, [c_void_p, POINTER(c_double)]),
    "phifd_config_get_window": (phifd_status, [c_void_p, POINTER(c_uint64)]),
    "phifd_config_get_heartbeat_interval_ns": (phifd_status, [c_void_p, POINTER(c_uint64)]),
    "phifd_config_get_min_std_deviation_ns": (phifd_status, [c_void_p, POINTER(c_uint64)]),
    "phifd_config_get_acceptable_pause_ns": (phifd_status, [c_void_p, POINTER(c_uint64)]),
    "phifd_config_get_max_interval_ns": (phifd_status, [c_void_p, POINTER(c_uint64)]),
    "phifd_config_get_round_trip_ns": (phifd_status, [c_void_p, POINTER(c_uint64)]),
    "phifd_config_get_first_heartbeat_timeout_ns": (phifd_status, [c_void_p, POINTER(c_uint64)]),
    "phifd_config_get_recovery_heartbeats": (phifd_status, [c_void_p, POINTER(c_uint32)]),
    "phifd_config_get_local_pause_threshold_ns": (phifd_status, [c_void_p, POINTER(c_uint64)]),
    "phifd_config_get_local_pause_grace_ns": (phifd_status, [c_void_p, POINTER(c_uint64)]),
    "phifd_config_get_burst_fraction": (phifd_status, [c_void_p, POINTER(c_double)]),
    "phifd_config_get_max_local_health": (phifd_status, [c_void_p, POINTER(c_uint32)]),
    "phifd_config_get_confirmations_expected": (phifd_status, [c_void_p, POINTER(c_uint32)]),
    "phifd_config_get_confirmation_min_ratio": (phifd_status, [c_void_p, POINTER(c_double)]),
    "phifd_config_get_max_nodes": (phifd_status, [c_void_p, POINTER(c_uint64)]),
    "phifd_config_get_membership": (phifd_status, [c_void_p, POINTER(phifd_membership)]),
    "phifd_generation_open": (phifd_status, [c_char_p, POINTER(c_void_p)]),
    "phifd_generation_new_in_memory": (phifd_status, [c_uint64, POINTER(c_void_p)]),
    "phifd_generation_free": (None, [c_void_p]),
    "phifd_generation_current": (phifd_status, [c_void_p, POINTER(c_uint64)]),
    "phifd_generation_advance": (phifd_status, [c_void_p, POINTER(c_uint64)]),
    "phifd_generation_observe": (phifd_status, [c_void_p, c_uint64, POINTER(c_bool)]),
    "phifd_generation_parse": (phifd_status, [c_char_p, c_size_t, POINTER(c_uint64)]),
    "phifd_state_name": (c_char_p, [phifd_state]),
    "phifd_event_kind_name": (c_char_p, [phifd_event_kind]),
    "phifd_monitor_new": (phifd_status, [c_void_p, POINTER(c_void_p)]),
    "phifd_monitor_free": (None, [c_void_p]),
    "phifd_heartbeat": (phifd_status, [c_void_p, c_uint64, c_uint64, c_uint64]),
    "phifd_heartbeat_version": (phifd_status, [c_void_p, c_uint64, c_uint64, c_uint64, c_uint64, POINTER(c_bool)]),
    "phifd_node_report_suspect": (phifd_status, [c_void_p, c_uint64, c_uint64]),
    "phifd_monitor_set_local_health": (phifd_status, [c_void_p, c_uint32]),
    "phifd_monitor_get_local_health": (phifd_status, [c_void_p, POINTER(c_uint32)]),
    "phifd_node_add": (phifd_status, [c_void_p, c_uint64, c_uint64, c_uint64]),
    "phifd_node_remove": (phifd_status, [c_void_p, c_uint64]),
    "phifd_phi": (phifd_status, [c_void_p, c_uint64, c_uint64, POINTER(c_double)]),
    "phifd_node_get_info": (phifd_status, [c_void_p, c_uint64, c_uint64, POINTER(NodeInfoStruct)]),
    "phifd_node_time_until_phi": (phifd_status, [c_void_p, c_uint64, c_double, POINTER(c_uint64)]),
    "phifd_monitor_poll": (phifd_status, [c_void_p, c_uint64, POINTER(EventStruct), c_size_t, POINTER(c_size_t)]),
    "phifd_monitor_node_count": (phifd_status, [c_void_p, POINTER(c_uint64)]),
    "phifd_monitor_get_stats": (phifd_status, [c_void_p, POINTER(MonitorStatsStruct)]),
    "phifd_heartbeat_batch": (
        phifd_status,
        [
            c_void_p,
            POINTER(c_uint64),
            POINTER(c_uint64),
            POINTER(c_uint64),
            c_size_t,
            POINTER(phifd_status),
        ],
    ),
    "phifd_phi_batch": (
        phifd_status,
        [
            c_void_p,
            POINTER(c_uint64),
            c_size_t,
            c_uint64,
            POINTER(c_double),
            POINTER(phifd_status),
        ],
    ),
    "phifd_datagram_encode": (phifd_status, [POINTER(DatagramStruct), POINTER(c_uint8), c_size_t, POINTER(c_size_t)]),
    "phifd_datagram_decode": (phifd_status, [c_char_p, c_size_t, POINTER(DatagramStruct)]),
    "phifd_monitor_render_prometheus": (
        phifd_status,
        [
            c_void_p,
            c_uint64,
            POINTER(c_char),
            c_size_t,
            POINTER(c_size_t),
        ],
    ),
    "phifd_monitor_snapshot": (
        phifd_status,
        [
            c_void_p,
            c_uint64,
            POINTER(SnapshotEntryStruct),
            c_size_t,
            POINTER(c_size_t),
        ],
    ),
    "phifd_config_set_qos": (phifd_status, [c_void_p, POINTER(QosStruct)]),
    "phifd_config_get_qos": (phifd_status, [c_void_p, POINTER(QosStruct), POINTER(c_bool)]),
    "phifd_config_set_qos_warmup_ns": (phifd_status, [c_void_p, c_uint64]),
    "phifd_config_get_qos_warmup_ns": (phifd_status, [c_void_p, POINTER(c_uint64)]),
    "phifd_monitor_set_thresholds": (phifd_status, [c_void_p, c_double, c_double]),
    "phifd_monitor_set_qos": (phifd_status, [c_void_p, POINTER(QosStruct)]),
    "phifd_node_set_thresholds": (phifd_status, [c_void_p, c_uint64, c_double, c_double]),
    "phifd_node_set_qos": (phifd_status, [c_void_p, c_uint64, POINTER(QosStruct)]),
    "phifd_node_clear_tuning": (phifd_status, [c_void_p, c_uint64]),
    "phifd_node_get_qos_report": (phifd_status, [c_void_p, c_uint64, c_uint64, POINTER(QosReportStruct)]),
}
