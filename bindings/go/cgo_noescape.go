//go:build go1.24

package phifd

// The library functions the binding passes pointers to Go memory: outputs (variables of the
// calling method) and slices. None of them keeps a pointer after it returns or calls back into
// Go, which the directives below declare (Go 1.24 and newer), so that cgo does not move those
// variables to the heap: Phi, for one, then allocates nothing. With older Go this file is left
// out and the variables escape, which is correct but slower.

/*
#cgo noescape phifd_heartbeat_version
#cgo nocallback phifd_heartbeat_version
#cgo noescape phifd_phi
#cgo nocallback phifd_phi
#cgo noescape phifd_node_get_info
#cgo nocallback phifd_node_get_info
#cgo noescape phifd_node_time_until_phi
#cgo nocallback phifd_node_time_until_phi
#cgo noescape phifd_monitor_get_local_health
#cgo nocallback phifd_monitor_get_local_health
#cgo noescape phifd_monitor_node_count
#cgo nocallback phifd_monitor_node_count
#cgo noescape phifd_monitor_get_stats
#cgo nocallback phifd_monitor_get_stats
#cgo noescape phifd_monitor_poll
#cgo nocallback phifd_monitor_poll
#cgo noescape phifd_monitor_snapshot
#cgo nocallback phifd_monitor_snapshot
#cgo noescape phifd_monitor_render_prometheus
#cgo nocallback phifd_monitor_render_prometheus
#cgo noescape phifd_heartbeat_batch
#cgo nocallback phifd_heartbeat_batch
#cgo noescape phifd_phi_batch
#cgo nocallback phifd_phi_batch
#cgo noescape phifd_generation_current
#cgo nocallback phifd_generation_current
#cgo noescape phifd_generation_advance
#cgo nocallback phifd_generation_advance
#cgo noescape phifd_generation_observe
#cgo nocallback phifd_generation_observe
#cgo noescape phifd_generation_parse
#cgo nocallback phifd_generation_parse
#cgo noescape phifd_generation_new_in_memory
#cgo nocallback phifd_generation_new_in_memory
#cgo noescape phifd_keyring_get_signing_key
#cgo nocallback phifd_keyring_get_signing_key
#cgo noescape phifd_keyring_add_key
#cgo nocallback phifd_keyring_add_key
#cgo noescape phifd_datagram_encode
#cgo nocallback phifd_datagram_encode
#cgo noescape phifd_datagram_decode
#cgo nocallback phifd_datagram_decode
#cgo noescape phifd_datagram_encode_auth
#cgo nocallback phifd_datagram_encode_auth
#cgo noescape phifd_datagram_decode_auth
#cgo nocallback phifd_datagram_decode_auth
#cgo noescape phifd_monitor_receive
#cgo nocallback phifd_monitor_receive
#cgo noescape phifd_config_get_estimator
#cgo nocallback phifd_config_get_estimator
#cgo noescape phifd_config_get_threshold
#cgo nocallback phifd_config_get_threshold
#cgo noescape phifd_config_get_suspect_threshold
#cgo nocallback phifd_config_get_suspect_threshold
#cgo noescape phifd_config_get_window
#cgo nocallback phifd_config_get_window
#cgo noescape phifd_config_get_heartbeat_interval_ns
#cgo nocallback phifd_config_get_heartbeat_interval_ns
#cgo noescape phifd_config_get_min_std_deviation_ns
#cgo nocallback phifd_config_get_min_std_deviation_ns
#cgo noescape phifd_config_get_acceptable_pause_ns
#cgo nocallback phifd_config_get_acceptable_pause_ns
#cgo noescape phifd_config_get_max_interval_ns
#cgo nocallback phifd_config_get_max_interval_ns
#cgo noescape phifd_config_get_round_trip_ns
#cgo nocallback phifd_config_get_round_trip_ns
#cgo noescape phifd_config_get_first_heartbeat_timeout_ns
#cgo nocallback phifd_config_get_first_heartbeat_timeout_ns
#cgo noescape phifd_config_get_recovery_heartbeats
#cgo nocallback phifd_config_get_recovery_heartbeats
#cgo noescape phifd_config_get_local_pause_threshold_ns
#cgo nocallback phifd_config_get_local_pause_threshold_ns
#cgo noescape phifd_config_get_local_pause_grace_ns
#cgo nocallback phifd_config_get_local_pause_grace_ns
#cgo noescape phifd_config_get_burst_fraction
#cgo nocallback phifd_config_get_burst_fraction
#cgo noescape phifd_config_get_max_local_health
#cgo nocallback phifd_config_get_max_local_health
#cgo noescape phifd_config_get_confirmations_expected
#cgo nocallback phifd_config_get_confirmations_expected
#cgo noescape phifd_config_get_confirmation_min_ratio
#cgo nocallback phifd_config_get_confirmation_min_ratio
#cgo noescape phifd_config_get_max_nodes
#cgo nocallback phifd_config_get_max_nodes
#cgo noescape phifd_config_get_membership
#cgo nocallback phifd_config_get_membership
#cgo noescape phifd_config_new
#cgo nocallback phifd_config_new
#cgo noescape phifd_monitor_new
#cgo nocallback phifd_monitor_new
#cgo noescape phifd_keyring_new
#cgo nocallback phifd_keyring_new
#cgo noescape phifd_generation_open
#cgo nocallback phifd_generation_open
#cgo noescape phifd_config_set_qos
#cgo nocallback phifd_config_set_qos
#cgo noescape phifd_config_get_qos
#cgo nocallback phifd_config_get_qos
#cgo noescape phifd_config_get_qos_warmup_ns
#cgo nocallback phifd_config_get_qos_warmup_ns
#cgo noescape phifd_monitor_set_qos
#cgo nocallback phifd_monitor_set_qos
#cgo noescape phifd_node_set_qos
#cgo nocallback phifd_node_set_qos
#cgo noescape phifd_node_get_qos_report
#cgo nocallback phifd_node_get_qos_report
#include "gophifd.h"
*/
import "C"
