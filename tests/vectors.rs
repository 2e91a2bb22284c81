//! Replays every scenario in tests/vectors/ through the Rust API. The same
//! files are replayed by the C, C++, Python and Go tests.
//!
//! Format (JSON): `config` (only the keys present are set), then `steps`, each
//! with an `op`: `heartbeat`, `add_node`, `remove`, `phi`, `time_until_phi`,
//! `info`, `poll`. `expect_status` (default `PHIFD_OK`) is checked for every
//! op; `expect_phi`/`tolerance`, `expect_ns`/`tolerance_ns`, `expect`
//! (info fields) and `expect_events` (exact list; `time_ns`, `generation` and
//! `phi` compared when present) hold values derived independently of the code.

use phifd::ffi::status::{code, name_str, PHIFD_OK};
use phifd::{Config, Estimator, Monitor};
use serde_json::Value;

fn config(v: &Value) -> Config {
    let mut c = Config::new();
    let Some(o) = v.as_object() else { return c };
    for (k, v) in o {
        let u = || v.as_u64().unwrap_or_else(|| panic!("{k} must be an unsigned integer"));
        match k.as_str() {
            "estimator" => {
                let e = match v.as_str().unwrap() {
                    "akka" => Estimator::Akka,
                    "normal" => Estimator::Normal,
                    "exponential" => Estimator::Exponential,
                    other => panic!("unknown estimator {other}"),
                };
                c.set_estimator(e);
            }
            "threshold" => drop(c.set_threshold(v.as_f64().unwrap()).unwrap()),
            "suspect_threshold" => drop(c.set_suspect_threshold(v.as_f64().unwrap()).unwrap()),
            "window" => drop(c.set_window(u()).unwrap()),
            "heartbeat_interval_ns" => drop(c.set_heartbeat_interval_ns(u()).unwrap()),
            "min_std_deviation_ns" => drop(c.set_min_std_deviation_ns(u()).unwrap()),
            "acceptable_pause_ns" => drop(c.set_acceptable_pause_ns(u()).unwrap()),
            "max_interval_ns" => drop(c.set_max_interval_ns(u()).unwrap()),
            "round_trip_ns" => drop(c.set_round_trip_ns(u()).unwrap()),
            "first_heartbeat_timeout_ns" => drop(c.set_first_heartbeat_timeout_ns(u()).unwrap()),
            "recovery_heartbeats" => drop(c.set_recovery_heartbeats(u() as u32).unwrap()),
            other => panic!("unknown config key {other}"),
        }
    }
    c
}

/// The C name of a call's outcome (the vectors name statuses as the header does).
fn status_name<T>(r: &Result<T, phifd::Error>) -> &'static str {
    match r {
        Ok(_) => name_str(PHIFD_OK),
        Err(e) => name_str(code(e.status)),
    }
}

fn close(got: f64, want: f64, tol: f64) -> bool {
    (got - want).abs() <= tol || (want != 0.0 && ((got - want) / want).abs() <= tol && tol > 0.0 && tol < 1e-3)
}

/// Replays one vector; appends `name step hexbits` for every phi query to `bits`.
fn replay(path: &std::path::Path, bits: &mut Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let name = v["name"].as_str().unwrap_or("?").to_string();
    let m = Monitor::new(&config(&v["config"])).unwrap_or_else(|e| panic!("{name}: {e}"));
    for (i, step) in v["steps"].as_array().unwrap().iter().enumerate() {
        let ctx = format!("{name} step {i} ({step})");
        let node = step["node"].as_u64().unwrap_or(0);
        let t = step["time_ns"].as_u64().unwrap_or(0);
        let want_status = step["expect_status"].as_str().unwrap_or("PHIFD_OK");
        match step["op"].as_str().unwrap() {
            "heartbeat" => {
                let r = m.heartbeat(node, step["generation"].as_u64().unwrap(), t);
                assert_eq!(status_name(&r), want_status, "{ctx}");
            }
            "add_node" => {
                let r = m.add_node(node, step["generation"].as_u64().unwrap(), t);
                assert_eq!(status_name(&r), want_status, "{ctx}");
            }
            "remove" => assert_eq!(status_name(&m.remove(node)), want_status, "{ctx}"),
            "phi" => {
                let r = m.phi(node, t);
                assert_eq!(status_name(&r), want_status, "{ctx}");
                if let Ok(p) = r {
                    bits.push(format!("{name} {i} {:016x}", p.to_bits()));
                }
                if let (Ok(p), Some(want)) = (r, step["expect_phi"].as_f64()) {
                    let tol = step["tolerance"].as_f64().unwrap_or(1e-9);
                    assert!(close(p, want, tol), "{ctx}: phi {p}, want {want} ± {tol}");
                }
            }
            "time_until_phi" => {
                let r = m.time_until_phi(node, step["phi"].as_f64().unwrap());
                assert_eq!(status_name(&r), want_status, "{ctx}");
                if let (Ok(ns), Some(want)) = (r, step["expect_ns"].as_f64()) {
                    let tol = step["tolerance_ns"].as_f64().unwrap_or(1.0);
                    assert!((ns as f64 - want).abs() <= tol, "{ctx}: {ns} ns, want {want} ± {tol}");
                }
            }
            "info" => {
                let r = m.info(node, t);
                assert_eq!(status_name(&r), want_status, "{ctx}");
                let Ok(info) = r else { continue };
                let tol = step["tolerance"].as_f64().unwrap_or(1e-9);
                for (k, want) in step["expect"].as_object().unwrap() {
                    match k.as_str() {
                        "state" => assert_eq!(info.state.name(), want.as_str().unwrap(), "{ctx}"),
                        "generation" => assert_eq!(info.generation, want.as_u64().unwrap(), "{ctx}"),
                        "samples" => assert_eq!(u64::from(info.samples), want.as_u64().unwrap(), "{ctx}"),
                        "mean_ns" => assert!(
                            close(info.mean_ns, want.as_f64().unwrap(), tol),
                            "{ctx}: mean {}",
                            info.mean_ns
                        ),
                        "sd_ns" => assert!(
                            close(info.sd_ns, want.as_f64().unwrap(), tol),
                            "{ctx}: sd {}",
                            info.sd_ns
                        ),
                        other => panic!("{ctx}: unknown info field {other}"),
                    }
                }
            }
            "poll" => {
                let mut got = Vec::new();
                m.poll(t, &mut got, 1 << 20);
                let want = step["expect_events"].as_array().unwrap();
                assert_eq!(got.len(), want.len(), "{ctx}: got {got:?}");
                for (g, w) in got.iter().zip(want) {
                    assert_eq!(g.node, w["node"].as_u64().unwrap(), "{ctx}");
                    let kind = match g.kind {
                        phifd::EventKind::StateChanged => "STATE_CHANGED",
                        phifd::EventKind::Restarted => "RESTARTED",
                    };
                    assert_eq!(kind, w["kind"].as_str().unwrap(), "{ctx}");
                    assert_eq!(g.from.name(), w["from"].as_str().unwrap(), "{ctx}");
                    assert_eq!(g.to.name(), w["to"].as_str().unwrap(), "{ctx}");
                    if let Some(x) = w["time_ns"].as_u64() {
                        assert_eq!(g.time_ns, x, "{ctx}");
                    }
                    if let Some(x) = w["generation"].as_u64() {
                        assert_eq!(g.generation, x, "{ctx}");
                    }
                    if let Some(x) = w["phi"].as_f64() {
                        assert!(close(g.phi, x, 1e-6), "{ctx}: event phi {}", g.phi);
                    }
                }
            }
            other => panic!("{ctx}: unknown op {other}"),
        }
    }
}

#[test]
fn all_vectors_pass() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().map_or(false, |e| e == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 6, "expected the scenario vectors, found {}", paths.len());
    let mut bits = Vec::new();
    for p in &paths {
        replay(p, &mut bits);
    }
    // The exact bits of every phi the core computed for the vectors. Every binding compares its
    // own replay with this file bit for bit: a binding must add nothing to the numbers.
    // Regenerate with PHIFD_UPDATE_GOLDEN=1 after a deliberate change to the math.
    let golden = dir.join("phi_bits.txt");
    let text = bits.join("\n") + "\n";
    if std::env::var("PHIFD_UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::write(&golden, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&golden).unwrap_or_default();
    assert_eq!(
        committed, text,
        "tests/vectors/phi_bits.txt is stale; rerun with PHIFD_UPDATE_GOLDEN=1 if the change is deliberate"
    );
}
