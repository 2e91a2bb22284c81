//! One generation bound everywhere, bounded state (max_nodes, fixed membership) and the
//! rejection counters: through the core and through the C ABI.

use phifd::config::Membership;
use phifd::ffi::config::*;
use phifd::ffi::generation::PHIFD_MAX_GENERATION;
use phifd::ffi::monitor::*;
use phifd::ffi::wire::*;
use phifd::ffi::*;
use phifd::wire::{Datagram, Defect};
use phifd::{Config, Monitor, Status};

const S: u64 = 1_000_000_000;
/// 2^48, written out here rather than taken from the library.
const BOUND: u64 = 281_474_976_710_656;

fn last_error() -> String {
    // SAFETY: the library returns a valid NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(phifd_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

#[test]
fn forged_huge_generation_is_refused_and_a_real_restart_still_counts() {
    let m = Monitor::new(&Config::new()).unwrap();
    m.heartbeat(7, 3, S).unwrap();
    let e = m.heartbeat(7, u64::MAX, 2 * S).unwrap_err();
    assert_eq!(e.status, Status::InvalidArg);
    assert!(e.message.contains("281474976710656"), "{e}");
    assert_eq!(
        m.info(7, 2 * S).unwrap().generation,
        3,
        "the forged generation changed nothing"
    );
    // The versioned path and registration share the bound.
    assert_eq!(
        m.heartbeat_version(7, BOUND + 1, 1, 2 * S).unwrap_err().status,
        Status::InvalidArg
    );
    assert_eq!(m.add_node(8, u64::MAX, 2 * S).unwrap_err().status, Status::InvalidArg);
    assert!(m.info(8, 2 * S).is_err(), "a refused registration adds nothing");
    // The bound itself is valid.
    m.add_node(9, BOUND, 2 * S).unwrap();
    // The real restart: generation 4 after 3.
    m.heartbeat(7, 4, 3 * S).unwrap();
    assert_eq!(m.info(7, 3 * S).unwrap().generation, 4);
    let s = m.stats();
    assert_eq!(s.rejected_bad_generation, 3);
    assert_eq!(s.stale_heartbeats, 0);
    assert_eq!(s.nodes, 2);
}

#[test]
fn over_capacity_is_refused_counted_and_known_nodes_unaffected() {
    let mut c = Config::new();
    c.set_max_nodes(3).unwrap();
    let m = Monitor::new(&c).unwrap();
    for id in 1..=3 {
        m.heartbeat(id, 1, S).unwrap();
    }
    let e = m.heartbeat(4, 1, S).unwrap_err();
    assert_eq!(e.status, Status::Capacity);
    assert!(e.message.contains("max_nodes = 3"), "{e}");
    assert_eq!(m.add_node(5, 1, S).unwrap_err().status, Status::Capacity);
    assert_eq!(m.heartbeat_version(6, 1, 1, S).unwrap_err().status, Status::Capacity);
    // Known nodes still heartbeat and re-registering one is not a new node.
    m.heartbeat(2, 1, 2 * S).unwrap();
    m.add_node(3, 1, 2 * S).unwrap();
    assert_eq!(m.node_count(), 3);
    assert_eq!(m.stats().rejected_over_capacity, 3);
    // Removing a node frees its place.
    m.remove(1).unwrap();
    m.heartbeat(4, 1, 3 * S).unwrap();
    assert_eq!(m.node_count(), 3);
    assert_eq!(m.heartbeat(1, 1, 3 * S).unwrap_err().status, Status::Capacity);
    assert_eq!(m.stats().rejected_over_capacity, 4);
}

#[test]
fn fixed_membership_accepts_only_registered_nodes() {
    let mut c = Config::new();
    c.set_membership(Membership::Fixed);
    let m = Monitor::new(&c).unwrap();
    m.add_node(1, 0, 0).unwrap();
    m.heartbeat(1, 0, S).unwrap();
    let e = m.heartbeat(2, 0, S).unwrap_err();
    assert_eq!(e.status, Status::UnknownNode);
    assert!(e.message.contains("add_node"), "{e}");
    assert_eq!(m.heartbeat_version(3, 0, 1, S).unwrap_err().status, Status::UnknownNode);
    assert_eq!(m.node_count(), 1);
    let s = m.stats();
    assert_eq!((s.rejected_unknown_node, s.rejected_over_capacity), (2, 0));
    m.add_node(2, 0, 2 * S).unwrap();
    m.heartbeat(2, 0, 3 * S).unwrap();
    assert_eq!(m.node_count(), 2);
}

/// The two tests that measure RSS run one at a time (the others allocate little).
static RSS_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// RSS only shows fresh memory: in a process where other tests freed memory, the allocator reuses
/// it and growth reads low (2.3 KB for a 4 KB node was seen). So an RSS measurement runs in a child
/// process of this test binary that runs that one test alone. Returns true in the child (measure
/// there); in the parent it runs the child, fails with its output if it failed, and returns false.
fn measuring_child(test: &str) -> bool {
    const CHILD: &str = "PHIFD_LIMITS_MEASURE_CHILD";
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the measuring child of {test} failed:\n{text}");
    assert!(text.contains("1 passed"), "the child did not run {test}:\n{text}");
    for line in text.lines().filter(|l| l.contains(" B per node")) {
        eprintln!("{line}");
    }
    false
}

/// A bijection of u64 (odd multiplier, xorshift): a million distinct, scattered ids.
fn random_id(i: u64) -> u64 {
    let z = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z ^ (z >> 29)
}

#[test]
fn a_flood_of_random_ids_costs_nothing_beyond_the_bound() {
    if !measuring_child("a_flood_of_random_ids_costs_nothing_beyond_the_bound") {
        return;
    }
    const BOUND_NODES: u64 = 10_000;
    const FLOOD: u64 = 1_000_000;
    let _one_at_a_time = RSS_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let mut c = Config::new();
    c.set_max_nodes(BOUND_NODES).unwrap();
    let m = Monitor::new(&c).unwrap();
    let before = rss_kb();
    for i in 0..BOUND_NODES {
        m.heartbeat(random_id(i), 1, S).unwrap();
    }
    let at_bound = rss_kb();
    let per_node_bytes = (at_bound.saturating_sub(before) * 1024) as f64 / BOUND_NODES as f64;
    for i in BOUND_NODES..FLOOD {
        assert_eq!(
            m.heartbeat(random_id(i), 1, 2 * S).unwrap_err().status,
            Status::Capacity
        );
    }
    let after = rss_kb();
    let s = m.stats();
    assert_eq!(s.nodes, BOUND_NODES);
    assert_eq!(s.rejected_over_capacity, FLOOD - BOUND_NODES);
    eprintln!(
        "flood: RSS {before} kB before, {at_bound} kB at {BOUND_NODES} nodes ({per_node_bytes:.0} B per node), \
         {after} kB after {} refused ids",
        FLOOD - BOUND_NODES
    );
    // 990,000 more ids admitted would cost about 4 GB; refused, they must cost nothing (1 MiB of slack
    // for the allocator and the test harness).
    assert!(
        after <= at_bound + 1024,
        "RSS grew from {at_bound} kB to {after} kB during the refused flood"
    );
    // Nodes admitted by a flood carry one arrival (the seed history), so they cost far less than
    // a full window; the measurement must still see them.
    assert!(
        per_node_bytes > 100.0,
        "the measurement must see the admitted nodes ({per_node_bytes} B per node)"
    );
}

/// What `max_nodes`' default is reasoned from: a node whose default 1000-sample window is full.
#[test]
fn a_node_with_a_full_default_window_costs_about_4_kb() {
    if !measuring_child("a_node_with_a_full_default_window_costs_about_4_kb") {
        return;
    }
    const NODES: u64 = 1_000;
    let _one_at_a_time = RSS_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let m = Monitor::new(&Config::new()).unwrap();
    let before = rss_kb();
    for t in 0..=1_000u64 {
        for id in 0..NODES {
            m.heartbeat(random_id(id), 1, (t + 1) * S).unwrap();
        }
    }
    let after = rss_kb();
    let per_node = (after.saturating_sub(before) * 1024) as f64 / NODES as f64;
    eprintln!("full window: {per_node:.0} B per node (RSS {before} kB -> {after} kB for {NODES} nodes)");
    assert_eq!(m.info(random_id(0), 1_001 * S).unwrap().samples, 1_000);
    // 1000 samples of 4 bytes, plus the node record and its index entry.
    assert!((4_000.0..6_000.0).contains(&per_node), "{per_node} B per node");
}

#[test]
fn datagram_generation_and_term_share_the_bound() {
    let ok = Datagram::heartbeat(1, BOUND, BOUND, 1, 0, false);
    assert_eq!(Datagram::decode(&ok.encode()), Ok(ok));
    for (g, t, field) in [
        (BOUND + 1, 0, "generation"),
        (u64::MAX, 1, "generation"),
        (1, u64::MAX, "term"),
    ] {
        let bytes = Datagram::heartbeat(1, g, t, 1, 0, false).encode();
        let e = Datagram::decode(&bytes).unwrap_err();
        assert!(matches!(e, Defect::BeyondBound(f, _) if f == field), "{e:?}");
        assert!(e.to_string().contains("281474976710656"), "{e}");
    }
}

#[test]
fn c_abi_bounds_membership_capacity_and_counters() {
    assert_eq!(PHIFD_MAX_GENERATION, BOUND);
    assert_eq!(
        (PHIFD_ERR_CAPACITY, PHIFD_ERR_AUTH, PHIFD_ERR_UNKNOWN_KEY),
        (12, 13, 14)
    );
    unsafe {
        let mut cfg = std::ptr::null_mut();
        assert_eq!(phifd_config_new(&mut cfg), PHIFD_OK);
        assert_eq!(phifd_config_set_max_nodes(cfg, 0), PHIFD_ERR_INVALID_ARG);
        assert!(last_error().contains("max_nodes"), "{}", last_error());
        assert_eq!(phifd_config_set_max_nodes(cfg, (1 << 26) + 1), PHIFD_ERR_INVALID_ARG);
        assert_eq!(phifd_config_set_membership(cfg, 2), PHIFD_ERR_INVALID_ARG);
        assert!(last_error().contains("membership"), "{}", last_error());
        assert_eq!(phifd_config_set_max_nodes(std::ptr::null_mut(), 5), PHIFD_ERR_NULL_ARG);
        assert_eq!(phifd_config_set_max_nodes(cfg, 2), PHIFD_OK);
        assert_eq!(phifd_config_set_membership(cfg, PHIFD_MEMBERSHIP_FIXED), PHIFD_OK);
        let mut m = std::ptr::null_mut();
        assert_eq!(phifd_monitor_new(cfg, &mut m), PHIFD_OK);
        phifd_config_free(cfg);

        assert_eq!(phifd_node_add(m, 1, 3, 0), PHIFD_OK);
        assert_eq!(phifd_node_add(m, 2, u64::MAX, 0), PHIFD_ERR_INVALID_ARG);
        assert!(last_error().contains("281474976710656"), "{}", last_error());
        assert_eq!(phifd_heartbeat(m, 1, 3, S), PHIFD_OK);
        assert_eq!(phifd_heartbeat(m, 1, u64::MAX, 2 * S), PHIFD_ERR_INVALID_ARG);
        assert_eq!(
            phifd_heartbeat(m, 1, 4, 3 * S),
            PHIFD_OK,
            "the real restart is accepted"
        );
        assert_eq!(phifd_heartbeat(m, 9, 0, 3 * S), PHIFD_ERR_UNKNOWN_NODE);
        assert_eq!(phifd_node_add(m, 2, 0, 3 * S), PHIFD_OK);
        assert_eq!(phifd_node_add(m, 3, 0, 3 * S), PHIFD_ERR_CAPACITY);
        // Batch: per-record statuses name each refusal.
        let nodes = [1u64, 2, 1, 10];
        let gens = [4u64, 0, BOUND + 1, 0];
        let times = [4 * S; 4];
        let mut st = [99u32; 4];
        assert_eq!(
            phifd_heartbeat_batch(m, nodes.as_ptr(), gens.as_ptr(), times.as_ptr(), 4, st.as_mut_ptr()),
            PHIFD_ERR_INVALID_ARG
        );
        assert_eq!(st, [PHIFD_OK, PHIFD_OK, PHIFD_ERR_INVALID_ARG, PHIFD_ERR_UNKNOWN_NODE]);

        let mut stats = phifd_monitor_stats {
            size: std::mem::size_of::<phifd_monitor_stats>() as u32,
            ..Default::default()
        };
        assert_eq!(phifd_monitor_get_stats(m, &mut stats), PHIFD_OK);
        assert_eq!(stats.size, 144);
        assert_eq!(stats.nodes, 2);
        assert_eq!(stats.rejected_bad_generation, 3);
        assert_eq!(stats.rejected_unknown_node, 2);
        assert_eq!(stats.rejected_over_capacity, 1);
        assert_eq!(
            (
                stats.rejected_malformed,
                stats.rejected_bad_mac,
                stats.rejected_unknown_key,
                stats.rejected_replayed
            ),
            (0, 0, 0, 0)
        );
        // An older caller (version 2, 88 bytes) gets exactly its 88 bytes.
        let mut old = phifd_monitor_stats {
            size: 88,
            ..Default::default()
        };
        old.rejected_bad_generation = 77;
        assert_eq!(phifd_monitor_get_stats(m, &mut old), PHIFD_OK);
        assert_eq!((old.size, old.rejected_bad_generation), (88, 77));
        phifd_monitor_free(m);

        // Datagram encode refuses (nothing written), decode reports MALFORMED.
        let mut d = phifd_datagram {
            kind: PHIFD_DATAGRAM_HEARTBEAT,
            node: 1,
            generation: u64::MAX,
            ..Default::default()
        };
        let mut buf = [0xAAu8; 56];
        let mut written = 0usize;
        assert_eq!(
            phifd_datagram_encode(&d, buf.as_mut_ptr(), 56, &mut written),
            PHIFD_ERR_INVALID_ARG
        );
        assert!(last_error().contains("281474976710656"), "{}", last_error());
        assert!(buf.iter().all(|&b| b == 0xAA) && written == 0);
        d.generation = 1;
        d.term = BOUND + 1;
        assert_eq!(
            phifd_datagram_encode(&d, buf.as_mut_ptr(), 56, &mut written),
            PHIFD_ERR_INVALID_ARG
        );
        assert!(last_error().contains("term"), "{}", last_error());
        let forged = Datagram::heartbeat(1, u64::MAX, 0, 1, 0, false).encode();
        let mut out = phifd_datagram::default();
        assert_eq!(
            phifd_datagram_decode(forged.as_ptr(), forged.len(), &mut out),
            PHIFD_ERR_MALFORMED
        );
        assert!(last_error().contains("generation"), "{}", last_error());
        let name = std::ffi::CStr::from_ptr(phifd_status_name(PHIFD_ERR_CAPACITY));
        assert_eq!(name.to_str().unwrap(), "PHIFD_ERR_CAPACITY");
    }
}
