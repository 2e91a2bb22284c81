//! A Prometheus text-exposition (format 0.0.4) rendering of a monitor's
//! snapshot, for a server to serve on its metrics endpoint.

use std::fmt::Write;

use crate::monitor::{Monitor, NodeInfo};
use crate::node::State;

const STATES: [State; 4] = [State::Unknown, State::Alive, State::Suspect, State::Failed];

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Computes one per-node gauge from a node's snapshot entry and the render time (ns).
type NodeGauge = fn(&NodeInfo, u64) -> f64;

/// Renders every node's state, phi, generation, statistics and time until
/// conviction at `now_ns`, plus the monitor's counters. Durations are in
/// seconds (Prometheus convention); node ids are the `node` label.
pub fn render(m: &Monitor, now_ns: u64) -> String {
    let nodes = m.snapshot(now_ns);
    let stats = m.stats();
    let mut out = String::with_capacity(256 + nodes.len() * 600);
    let per_node: [(&str, &str, NodeGauge); 7] = [
        (
            "phifd_node_phi",
            "Suspicion level phi of the node (-log10 of the probability that a heartbeat this late is still coming).",
            |i, _| i.phi,
        ),
        (
            "phifd_node_generation",
            "Generation (term, epoch, incarnation) of the node.",
            |i, _| i.generation as f64,
        ),
        (
            "phifd_node_silence_seconds",
            "Time since the node's last heartbeat (or registration).",
            |i, now| now.saturating_sub(i.silence_origin_ns) as f64 / 1e9,
        ),
        (
            "phifd_node_mean_interval_seconds",
            "Mean of the learned inter-arrival intervals.",
            |i, _| i.mean_ns / 1e9,
        ),
        (
            "phifd_node_interval_stddev_seconds",
            "Standard deviation of the learned inter-arrival intervals.",
            |i, _| i.sd_ns / 1e9,
        ),
        (
            "phifd_node_time_until_conviction_seconds",
            "Time left before the node is declared FAILED if no heartbeat arrives (0 once failed).",
            |i, now| i.time_until_failure_ns(now) as f64 / 1e9,
        ),
        ("phifd_node_samples", "Intervals in the node's window.", |i, _| {
            f64::from(i.samples)
        }),
    ];
    for (name, help, f) in per_node {
        family(&mut out, name, "gauge", help);
        for i in &nodes {
            let _ = writeln!(out, "{name}{{node=\"{}\"}} {}", i.node, f(i, now_ns));
        }
    }
    family(
        &mut out,
        "phifd_node_state",
        "gauge",
        "1 for the node's current state, 0 for the others.",
    );
    for i in &nodes {
        for s in STATES {
            let _ = writeln!(
                out,
                "phifd_node_state{{node=\"{}\",state=\"{}\"}} {}",
                i.node,
                s.name().to_lowercase(),
                u8::from(i.state == s)
            );
        }
    }
    let monitor: [(&str, &str, &str, u64); 13] = [
        ("phifd_monitor_nodes", "gauge", "Nodes monitored.", stats.nodes),
        (
            "phifd_monitor_local_health",
            "gauge",
            "Local health score; convicting takes 1 + score times longer.",
            u64::from(stats.local_health),
        ),
        (
            "phifd_monitor_pauses_total",
            "counter",
            "Pauses of this process detected.",
            stats.pauses_detected,
        ),
        (
            "phifd_monitor_stale_heartbeats_total",
            "counter",
            "Heartbeats rejected for a stale generation.",
            stats.stale_heartbeats,
        ),
        (
            "phifd_monitor_duplicate_heartbeats_total",
            "counter",
            "Versioned heartbeats ignored as not new.",
            stats.duplicate_heartbeats,
        ),
        (
            "phifd_monitor_dropped_events_total",
            "counter",
            "Events dropped because nobody polled.",
            stats.dropped_events,
        ),
        (
            "phifd_monitor_rejected_over_capacity_total",
            "counter",
            "Heartbeats and registrations of new ids refused because max_nodes nodes were monitored.",
            stats.rejected_over_capacity,
        ),
        (
            "phifd_monitor_rejected_unknown_node_total",
            "counter",
            "Heartbeats from unregistered ids refused under fixed membership.",
            stats.rejected_unknown_node,
        ),
        (
            "phifd_monitor_rejected_bad_generation_total",
            "counter",
            "Heartbeats, registrations and datagrams refused for a generation above the bound.",
            stats.rejected_bad_generation,
        ),
        (
            "phifd_monitor_rejected_malformed_total",
            "counter",
            "Datagrams refused as malformed.",
            stats.rejected_malformed,
        ),
        (
            "phifd_monitor_rejected_bad_mac_total",
            "counter",
            "Authenticated datagrams whose MAC did not verify.",
            stats.rejected_bad_mac,
        ),
        (
            "phifd_monitor_rejected_unknown_key_total",
            "counter",
            "Authenticated datagrams naming a key id the keyring does not hold.",
            stats.rejected_unknown_key,
        ),
        (
            "phifd_monitor_rejected_replayed_total",
            "counter",
            "Authenticated datagrams that verified but were replayed or older than what was seen.",
            stats.rejected_replayed,
        ),
    ];
    for (name, kind, help, v) in monitor {
        family(&mut out, name, kind, help);
        let _ = writeln!(out, "{name} {v}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    #[test]
    fn renders_every_node_and_family_in_valid_syntax() {
        let mut c = Config::new();
        c.set_estimator(crate::Estimator::Exponential);
        let m = Monitor::new(&c).unwrap();
        for t in 0..5u64 {
            m.heartbeat(1, 2, t * 1_000_000_000).unwrap();
            m.heartbeat(2, 1, t * 1_000_000_000).unwrap();
        }
        let text = render(&m, 6_000_000_000);
        // Exponential, mean 1 s, silence 2 s: phi = 2 / ln 10.
        let want = 2.0 / std::f64::consts::LN_10;
        let phi_line = text
            .lines()
            .find(|l| l.starts_with("phifd_node_phi{node=\"1\"}"))
            .unwrap();
        let v: f64 = phi_line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!((v - want).abs() < 1e-12);
        assert!(text.contains("phifd_node_generation{node=\"1\"} 2\n"));
        assert!(text.contains("phifd_node_state{node=\"2\",state=\"alive\"} 1\n"));
        assert!(text.contains("phifd_monitor_nodes 2\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (name_labels, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
            assert!(name_labels.starts_with("phifd_"), "{line}");
        }
    }
}
