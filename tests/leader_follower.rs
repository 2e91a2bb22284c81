//! The full leader–follower cycle with real processes on loopback:
//! three nodes, node 1 leads with generation (term) 1; it is frozen with
//! SIGSTOP; the followers convict it by phi; node 2 advances its durable
//! generation clock and leads; node 1 is resumed with SIGCONT, still sends
//! heartbeats with term 1, is answered with the current term, and steps down.
//!
//! The test re-executes its own binary as each node (`PHIFD_LF_NODE` selects
//! the node role), and asserts only on what the processes print.

use phifd::{Config, Estimator, GenerationClock, Monitor, State};
use std::io::{BufRead, BufReader, Write};
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const INTERVAL_NS: u64 = 50_000_000;
const ELECTION_DELAY_PER_ID_NS: u64 = 150_000_000;
const MAX_LIFETIME: Duration = Duration::from_secs(30);

/// One node: a minimal Raft-shaped heartbeat loop (no log replication).
fn run_node(id: u64, ports: &[u16], dir: &str) {
    let sock = UdpSocket::bind(("127.0.0.1", ports[(id - 1) as usize])).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(2))).unwrap();
    let clock = GenerationClock::open(format!("{dir}/node{id}.generation")).unwrap();
    let mut cfg = Config::new();
    cfg.set_estimator(Estimator::Normal);
    cfg.set_heartbeat_interval_ns(INTERVAL_NS).unwrap();
    let monitor = Monitor::new(&cfg).unwrap();
    let out = |line: String| {
        let mut o = std::io::stdout().lock();
        writeln!(o, "{line}").unwrap();
        o.flush().unwrap();
    };
    let peers: Vec<u64> = (1..=ports.len() as u64).filter(|&p| p != id).collect();
    let send = |to: u64, msg: String| {
        let _ = sock.send_to(msg.as_bytes(), ("127.0.0.1", ports[(to - 1) as usize]));
    };
    let mut leading = id == 1;
    let mut leader: Option<u64> = None;
    let mut election_at: Option<u64> = None;
    if leading {
        out(format!("LEADER term={}", clock.current()));
    }
    let start = Instant::now();
    let mut next_send = phifd::now_ns();
    let mut buf = [0u8; 128];
    let mut events = Vec::new();
    while start.elapsed() < MAX_LIFETIME {
        let now = phifd::now_ns();
        // Heartbeats go out on their own timer, never waiting for replies; convicted peers are skipped.
        if leading && now >= next_send {
            for &p in &peers {
                if monitor.info(p, now).map_or(true, |i| i.state != State::Failed) {
                    send(p, format!("HB {id} {}", clock.current()));
                }
            }
            next_send = now + INTERVAL_NS;
        }
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            let received_at = phifd::now_ns(); // taken where the datagram arrives
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            let f: Vec<&str> = text.split_whitespace().collect();
            let (from, term): (u64, u64) = (f[1].parse().unwrap(), f[2].parse().unwrap());
            match f[0] {
                "HB" if term < clock.current() => {
                    // A stale leader: answer with our generation so it learns and steps down.
                    out(format!(
                        "REJECTED_STALE from={from} term={term} current={}",
                        clock.current()
                    ));
                    send(from, format!("STALE {id} {}", clock.current()));
                }
                "HB" => {
                    if clock.observe(term).unwrap() && leading {
                        leading = false;
                        out(format!("STEPPED_DOWN term={term}"));
                    }
                    monitor.heartbeat(from, term, received_at).unwrap();
                    if leader != Some(from) {
                        leader = Some(from);
                        election_at = None;
                        out(format!("FOLLOW leader={from} term={term}"));
                    }
                }
                "STALE" => {
                    if clock.observe(term).unwrap() && leading {
                        leading = false;
                        leader = None;
                        out(format!("STEPPED_DOWN term={term} told_by={from}"));
                    }
                }
                _ => {}
            }
        }
        events.clear();
        monitor.poll(phifd::now_ns(), &mut events, 64);
        for e in &events {
            if Some(e.node) == leader && e.to == State::Failed && !leading {
                out(format!("DETECTED leader={} phi={:.1}", e.node, e.phi));
                election_at = Some(e.time_ns + id * ELECTION_DELAY_PER_ID_NS);
            }
        }
        if let Some(at) = election_at {
            if phifd::now_ns() >= at {
                election_at = None;
                let term = clock.advance().unwrap();
                leading = true;
                leader = Some(id);
                next_send = 0;
                out(format!("LEADER term={term}"));
            }
        }
    }
}

#[test]
fn lf_node() {
    let Ok(id) = std::env::var("PHIFD_LF_NODE") else { return };
    let ports: Vec<u16> = std::env::var("PHIFD_LF_PORTS")
        .unwrap()
        .split(',')
        .map(|p| p.parse().unwrap())
        .collect();
    run_node(id.parse().unwrap(), &ports, &std::env::var("PHIFD_LF_DIR").unwrap());
}

struct Cluster {
    children: Vec<Child>,
    lines: Vec<Arc<Mutex<Vec<String>>>>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = Command::new("kill").args(["-CONT", &c.id().to_string()]).status();
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Cluster {
    fn wait_for(&self, node: usize, prefix: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(l) = self.lines[node - 1]
                .lock()
                .unwrap()
                .iter()
                .find(|l| l.starts_with(prefix))
            {
                return l.clone();
            }
            if Instant::now() > deadline {
                let all: Vec<_> = self.lines.iter().map(|l| l.lock().unwrap().clone()).collect();
                panic!("node {node} never printed {prefix:?} within {timeout:?}; outputs: {all:#?}");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    fn signal(&self, node: usize, sig: &str) {
        let pid = self.children[node - 1].id().to_string();
        assert!(Command::new("kill").args([sig, &pid]).status().unwrap().success());
    }
}

fn free_ports(n: usize) -> Vec<u16> {
    let socks: Vec<UdpSocket> = (0..n).map(|_| UdpSocket::bind("127.0.0.1:0").unwrap()).collect();
    socks.iter().map(|s| s.local_addr().unwrap().port()).collect()
}

#[test]
fn frozen_leader_is_replaced_and_steps_down_when_resumed() {
    if std::env::var("PHIFD_LF_NODE").is_ok() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("phifd-lf-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ports = free_ports(3);
    let ports_s = ports.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(",");
    let exe = std::env::current_exe().unwrap();
    let mut cluster = Cluster {
        children: Vec::new(),
        lines: Vec::new(),
    };
    for id in 1..=3 {
        let mut child = Command::new(&exe)
            .args(["--exact", "lf_node", "--nocapture", "--test-threads=1"])
            .env("PHIFD_LF_NODE", id.to_string())
            .env("PHIFD_LF_PORTS", &ports_s)
            .env("PHIFD_LF_DIR", &dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                // libtest prints "test lf_node ... " before the node's first line.
                let l = l.rsplit("... ").next().unwrap_or(&l).to_string();
                sink.lock().unwrap().push(l);
            }
        });
        cluster.children.push(child);
        cluster.lines.push(lines);
    }
    let t = Duration::from_secs(5);
    cluster.wait_for(1, "LEADER term=1", t);
    cluster.wait_for(2, "FOLLOW leader=1 term=1", t);
    cluster.wait_for(3, "FOLLOW leader=1 term=1", t);
    std::thread::sleep(Duration::from_millis(500)); // let the followers learn the pattern

    cluster.signal(1, "-STOP");
    let d2 = cluster.wait_for(2, "DETECTED leader=1", t);
    cluster.wait_for(3, "DETECTED leader=1", t);
    let phi: f64 = d2.rsplit("phi=").next().unwrap().parse().unwrap();
    assert!(phi >= 8.0, "convicted at phi {phi}");
    cluster.wait_for(2, "LEADER term=2", t);
    cluster.wait_for(3, "FOLLOW leader=2 term=2", t);

    cluster.signal(1, "-CONT");
    let down = cluster.wait_for(1, "STEPPED_DOWN term=2", t);
    assert!(
        down.contains("told_by="),
        "the old leader learned it from a reply: {down}"
    );
    let rejected = [2, 3].iter().any(|&n| {
        cluster.lines[n - 1]
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("REJECTED_STALE from=1 term=1"))
    });
    assert!(rejected, "a follower rejected the old leader's term-1 heartbeat");
    // Node 3 never elected itself: node 2's heartbeats arrived before its later election time.
    assert!(!cluster.lines[2].lock().unwrap().iter().any(|l| l.starts_with("LEADER")));
    let _ = std::fs::remove_dir_all(&dir);
}
