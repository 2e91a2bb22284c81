//! A cluster node: the template of a real server that uses phifd to watch its
//! peers, in Rust. The same protocol is implemented in C, C++, Python and Go
//! (`examples/nodes/`, `bindings/go/examples/node`), and `examples/demo/demo.py` runs a mixed cluster.
//!
//! ```text
//! cargo build --release --example node
//! target/release/examples/node --id 1 --port 7001 --peers 2:7002,3:7003 --state-dir /tmp/n1 [--interval-ms 100]
//!     [--key-file PATH]
//! ```
//!
//! What it does:
//! - Its incarnation comes from the durable generation clock
//!   `DIR/node-<id>.incarnation` (every start is a new, higher incarnation);
//!   its term is an in-memory generation clock starting at 1.
//! - A sender thread heartbeats every peer over UDP every interval (56-byte
//!   [`phifd::wire::Datagram`]s), polls the monitor, runs the leader logic and
//!   prints a `view` every 5 intervals; the receive thread timestamps each
//!   datagram as it arrives and feeds it to the monitor.
//! - The node with the lowest id leads with term 1. When a node sees its leader
//!   FAILED it waits `id * 2` intervals, and if no newer leader was heard and it
//!   is the lowest id it sees ALIVE, it advances the term and leads. A leader
//!   heartbeat with an older term than ours gets a STALE_REPLY, which makes the
//!   old leader step down.
//! - With `--key-file` (a file whose raw bytes, 16 to 64 of them, are the
//!   cluster's shared key, key id 1) every datagram sent is signed (the 68-byte
//!   authenticated format) and only datagrams that verify under the key are
//!   accepted; without it the 56-byte unauthenticated format is used, which is
//!   for a trusted, isolated network only. Every datagram goes through
//!   [`phifd::auth::receive`], which counts each rejection in the monitor's
//!   stats; view lines carry them (`rejected`). Only the peers named in
//!   `--peers` are monitored (fixed membership).
//! - Output: one JSON object per line on stdout (flushed per line); diagnostics
//!   on stderr.
//! - It exits with status 0 when stdin reaches end of file (the orchestrator
//!   holds the other end of a pipe, so nodes never outlive it). SIGTERM and
//!   SIGINT keep their default action (the process ends at once); this example
//!   uses only the standard library, which has no portable signal handlers.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use phifd::auth::Keyring;
use phifd::config::Membership;
use phifd::wire::{Datagram, Kind, FLAG_LEADER};
use phifd::{Config, Estimator, EventKind, GenerationClock, Monitor, State};

/// The id of the `--key-file` key in every node's keyring.
const KEY_ID: u32 = 1;

/// Command-line options.
struct Options {
    /// This node's id.
    id: u64,
    /// UDP port on 127.0.0.1.
    port: u16,
    /// Peers: id and UDP port on 127.0.0.1.
    peers: Vec<(u64, u16)>,
    /// Directory of the durable incarnation file.
    state_dir: PathBuf,
    /// Heartbeat interval, ms.
    interval_ms: u64,
    /// The shared key file (raw bytes), if any.
    key_file: Option<PathBuf>,
}

const USAGE: &str =
    "usage: node --id N --port P --peers ID:PORT,ID:PORT,... --state-dir DIR [--interval-ms 100] [--key-file PATH]";

fn parse_args() -> Result<Options, String> {
    let mut id = None;
    let mut port = None;
    let mut peers = None;
    let mut state_dir = None;
    let mut interval_ms = 100u64;
    let mut key_file = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--id" => id = Some(value.parse::<u64>().map_err(|e| format!("--id {value}: {e}"))?),
            "--port" => port = Some(value.parse::<u16>().map_err(|e| format!("--port {value}: {e}"))?),
            "--peers" => {
                let mut list = Vec::new();
                for item in value.split(',').filter(|s| !s.is_empty()) {
                    let (i, p) = item
                        .split_once(':')
                        .ok_or_else(|| format!("--peers: {item} is not ID:PORT"))?;
                    let i = i.parse::<u64>().map_err(|e| format!("--peers: id {i}: {e}"))?;
                    let p = p.parse::<u16>().map_err(|e| format!("--peers: port {p}: {e}"))?;
                    list.push((i, p));
                }
                peers = Some(list);
            }
            "--state-dir" => state_dir = Some(PathBuf::from(value)),
            "--interval-ms" => {
                interval_ms = value
                    .parse::<u64>()
                    .map_err(|e| format!("--interval-ms {value}: {e}"))?;
                if interval_ms == 0 {
                    return Err("--interval-ms must be > 0".into());
                }
            }
            "--key-file" => key_file = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    let id = id.ok_or("--id is required")?;
    let peers = peers.ok_or("--peers is required")?;
    if peers.iter().any(|&(p, _)| p == id) {
        return Err(format!("--peers lists this node's own id {id}"));
    }
    Ok(Options {
        id,
        port: port.ok_or("--port is required")?,
        peers,
        state_dir: state_dir.ok_or("--state-dir is required")?,
        interval_ms,
        key_file,
    })
}

/// A keyring holding the raw bytes of `path` as key [`KEY_ID`] (which also signs).
/// Errors name the file: unreadable, or not 16 to 64 bytes.
fn load_keyring(path: &std::path::Path) -> Result<Keyring, String> {
    let mut key = std::fs::read(path).map_err(|e| format!("--key-file {}: {e}", path.display()))?;
    let ring = Keyring::new();
    let added = ring.add_key(KEY_ID, &key);
    key.fill(0);
    added.map_err(|e| {
        format!(
            "--key-file {}: {e} (make one with: head -c 32 /dev/urandom > {})",
            path.display(),
            path.display()
        )
    })?;
    Ok(ring)
}

/// Prints one JSON line on stdout and flushes it. Lines from the two threads
/// never interleave (stdout's lock is held for the whole line).
fn emit(line: &str) {
    let out = std::io::stdout();
    let mut out = out.lock();
    // A closed stdout means the orchestrator is gone; stdin EOF ends the process.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// A number as JSON (`null` when not finite, which JSON cannot carry).
fn num(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        "null".to_string()
    }
}

/// Who leads, as this node believes. Guarded by one mutex, shared by both threads.
struct Leadership {
    /// Whether this node leads.
    leading: bool,
    /// The known leader (this node when leading), if any.
    leader: Option<u64>,
    /// The term in which `leader` was last heard leading.
    leader_term: u64,
    /// Highest term of any leader heard (or of our own leadership).
    highest_leader_term: u64,
    /// Set when the leader was seen FAILED: (when to decide, ns; the failed leader's term).
    election: Option<(u64, u64)>,
}

/// Everything the two threads share.
struct NodeState {
    id: u64,
    incarnation: u64,
    interval_ns: u64,
    monitor: Monitor,
    /// `None`: unauthenticated datagrams.
    keyring: Option<Keyring>,
    term: GenerationClock,
    socket: UdpSocket,
    peers: BTreeMap<u64, SocketAddr>,
    leadership: Mutex<Leadership>,
    stop: AtomicBool,
}

impl NodeState {
    fn leadership(&self) -> std::sync::MutexGuard<'_, Leadership> {
        // A panicked thread ends the process anyway; keep going with the data.
        self.leadership.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends a datagram to a peer, signed when there is a keyring; a failed
    /// send is like a lost datagram.
    fn send(&self, to: &SocketAddr, d: &Datagram) {
        match &self.keyring {
            None => {
                let _ = self.socket.send_to(&d.encode(), to);
            }
            Some(k) => match k.sign(d) {
                Ok(bytes) => {
                    let _ = self.socket.send_to(&bytes, to);
                }
                Err(e) => eprintln!("node {}: sign: {e}", self.id),
            },
        }
    }

    /// Handles the bytes of one datagram received at `now` (monotonic ns):
    /// verified (with a key), decoded and recorded by [`phifd::auth::receive`],
    /// which counts every refusal. Only a heartbeat that counted as an arrival
    /// reaches the leader logic: a replay, a duplicate, an older incarnation or
    /// an unknown id changes nothing.
    fn on_datagram(&self, bytes: &[u8], now: u64) {
        let Ok(r) = phifd::auth::receive(&self.monitor, self.keyring.as_ref(), bytes, now) else {
            return;
        };
        let d = &r.datagram;
        let p = d.node;
        if p == self.id || !self.peers.contains_key(&p) {
            return;
        }
        match d.kind {
            Kind::Heartbeat if !matches!(r.applied, Ok(true)) => {}
            Kind::Heartbeat => {
                let claims_lead = d.flags & FLAG_LEADER != 0;
                let our_term = self.term.current();
                if claims_lead && d.term < our_term {
                    let reply = Datagram {
                        kind: Kind::StaleReply,
                        flags: 0,
                        node: self.id,
                        generation: self.incarnation,
                        term: our_term,
                        version: 0,
                        send_ns: phifd::now_ns(),
                    };
                    if let Some(addr) = self.peers.get(&p) {
                        self.send(addr, &reply);
                    }
                    emit(&format!(
                        r#"{{"ev":"stale_reply_sent","node":{},"to":{},"their_term":{},"our_term":{},"t":{}}}"#,
                        self.id,
                        p,
                        d.term,
                        our_term,
                        phifd::now_ns()
                    ));
                    return;
                }
                self.observe_term(d.term, p);
                if claims_lead && d.term >= self.term.current() {
                    let mut l = self.leadership();
                    l.highest_leader_term = l.highest_leader_term.max(d.term);
                    if !l.leading && l.leader != Some(p) {
                        l.leader = Some(p);
                        l.leader_term = d.term;
                        l.election = None;
                        emit(&format!(
                            r#"{{"ev":"follow","node":{},"leader":{},"term":{},"t":{}}}"#,
                            self.id,
                            p,
                            d.term,
                            phifd::now_ns()
                        ));
                    } else if l.leader == Some(p) {
                        l.leader_term = d.term;
                    }
                }
            }
            Kind::StaleReply => self.observe_term(d.term, p),
        }
    }

    /// Adopts a term seen from peer `from`; a leader that learns of a newer
    /// term steps down.
    fn observe_term(&self, term: u64, from: u64) {
        match self.term.observe(term) {
            Ok(true) => {
                let mut l = self.leadership();
                if l.leading {
                    l.leading = false;
                    l.leader = None;
                    emit(&format!(
                        r#"{{"ev":"step_down","node":{},"term":{},"told_by":{},"t":{}}}"#,
                        self.id,
                        self.term.current(),
                        from,
                        phifd::now_ns()
                    ));
                }
            }
            Ok(false) => {}
            Err(e) => eprintln!("node {}: term {term} from {from}: {e}", self.id),
        }
    }

    /// One interval's work: heartbeats, events, leader choice, and every 5th time a view.
    fn tick(&self, seq: u64, events: &mut Vec<phifd::Event>) {
        let leading = self.leadership().leading;
        let hb = Datagram::heartbeat(
            self.id,
            self.incarnation,
            self.term.current(),
            seq,
            phifd::now_ns(),
            leading,
        );
        for addr in self.peers.values() {
            self.send(addr, &hb);
        }

        let now = phifd::now_ns();
        events.clear();
        while self.monitor.poll(now, events, 64) == 64 {}
        for e in events.iter() {
            let kind = match e.kind {
                EventKind::StateChanged => "STATE_CHANGED",
                EventKind::Restarted => "RESTARTED",
            };
            emit(&format!(
                r#"{{"ev":"state","node":{},"peer":{},"kind":"{}","from":"{}","to":"{}","phi":{},"generation":{},"time_ns":{}}}"#,
                self.id,
                e.node,
                kind,
                e.from.name(),
                e.to.name(),
                num(e.phi, 3),
                e.generation,
                e.time_ns
            ));
            if e.to == State::Failed {
                let mut l = self.leadership();
                if !l.leading && l.leader == Some(e.node) && l.election.is_none() {
                    let wait = self.id.saturating_mul(2).saturating_mul(self.interval_ns);
                    l.election = Some((now.saturating_add(wait), l.leader_term));
                    l.leader = None;
                }
            }
        }
        self.maybe_lead(now);
        if seq.is_multiple_of(5) {
            self.print_view(now);
        }
    }

    /// Takes the lead if an election wait is over, no newer leader was heard,
    /// and this node has the lowest id among the nodes it sees ALIVE.
    fn maybe_lead(&self, now: u64) {
        let mut l = self.leadership();
        let Some((deadline, failed_term)) = l.election else {
            return;
        };
        if now < deadline {
            return;
        }
        if l.highest_leader_term > failed_term {
            l.election = None;
            return;
        }
        let lowest_alive = self
            .monitor
            .snapshot(now)
            .iter()
            .filter(|n| n.state == State::Alive)
            .map(|n| n.node)
            .min()
            .map_or(self.id, |m| m.min(self.id));
        if lowest_alive != self.id {
            return; // keep waiting: a lower node should take over, or we try again next interval
        }
        match self.term.advance() {
            Ok(term) => {
                l.leading = true;
                l.leader = Some(self.id);
                l.leader_term = term;
                l.highest_leader_term = term;
                l.election = None;
                emit(&format!(
                    r#"{{"ev":"leader","node":{},"term":{},"t":{}}}"#,
                    self.id,
                    term,
                    phifd::now_ns()
                ));
            }
            Err(e) => eprintln!("node {}: cannot advance the term: {e}", self.id),
        }
    }

    fn print_view(&self, now: u64) {
        let (leader, role) = {
            let l = self.leadership();
            (l.leader, if l.leading { "leader" } else { "follower" })
        };
        let st = self.monitor.stats();
        let rejected = format!(
            r#"{{"malformed":{},"bad_mac":{},"unknown_key":{},"replayed":{},"unknown_node":{},"bad_generation":{}}}"#,
            st.rejected_malformed,
            st.rejected_bad_mac,
            st.rejected_unknown_key,
            st.rejected_replayed,
            st.rejected_unknown_node,
            st.rejected_bad_generation
        );
        let peers: Vec<String> = self
            .monitor
            .snapshot(now)
            .iter()
            .map(|n| {
                format!(
                    r#"{{"peer":{},"state":"{}","phi":{},"generation":{},"mean_ms":{},"until_fail_ms":{}}}"#,
                    n.node,
                    n.state.name(),
                    num(n.phi, 3),
                    n.generation,
                    num(n.mean_ns / 1e6, 1),
                    num(n.time_until_failure_ns(now) as f64 / 1e6, 1)
                )
            })
            .collect();
        emit(&format!(
            r#"{{"ev":"view","node":{},"t":{},"term":{},"leader":{},"role":"{}","peers":[{}],"rejected":{}}}"#,
            self.id,
            now,
            self.term.current(),
            leader.map_or("null".to_string(), |x| x.to_string()),
            role,
            peers.join(","),
            rejected
        ));
    }
}

fn run(o: Options) -> Result<(), String> {
    let keyring = o.key_file.as_deref().map(load_keyring).transpose()?;
    let interval_ns = o.interval_ms * 1_000_000;
    let clock_path = o.state_dir.join(format!("node-{}.incarnation", o.id));
    let incarnation_clock = GenerationClock::open(&clock_path).map_err(|e| e.to_string())?;
    let incarnation = incarnation_clock.current();
    let term = GenerationClock::in_memory(1).map_err(|e| e.to_string())?;

    let mut cfg = Config::new();
    cfg.set_estimator(Estimator::Normal);
    cfg.set_heartbeat_interval_ns(interval_ns).map_err(|e| e.to_string())?;
    cfg.set_threshold(8.0).map_err(|e| e.to_string())?;
    cfg.set_suspect_threshold(3.0).map_err(|e| e.to_string())?;
    cfg.set_membership(Membership::Fixed); // only the peers added below
    let monitor = Monitor::new(&cfg).map_err(|e| e.to_string())?;
    let now = phifd::now_ns();
    for &(p, _) in &o.peers {
        monitor.add_node(p, 0, now).map_err(|e| e.to_string())?;
    }

    let socket = UdpSocket::bind(("127.0.0.1", o.port)).map_err(|e| format!("bind 127.0.0.1:{}: {e}", o.port))?;
    let peers: BTreeMap<u64, SocketAddr> = o
        .peers
        .iter()
        .map(|&(p, port)| (p, SocketAddr::from(([127, 0, 0, 1], port))))
        .collect();
    let lowest = peers.keys().copied().chain([o.id]).min().unwrap_or(o.id);
    let leading = lowest == o.id;
    let node = Arc::new(NodeState {
        id: o.id,
        incarnation,
        interval_ns,
        monitor,
        keyring,
        term,
        socket,
        peers,
        leadership: Mutex::new(Leadership {
            leading,
            leader: Some(lowest),
            leader_term: 1,
            highest_leader_term: 1,
            election: None,
        }),
        stop: AtomicBool::new(false),
    });
    emit(&format!(
        r#"{{"ev":"start","node":{},"lang":"rust","pid":{},"generation":{},"term":{},"auth":{},"t":{}}}"#,
        o.id,
        std::process::id(),
        incarnation,
        node.term.current(),
        node.keyring.is_some(),
        phifd::now_ns()
    ));

    // Receive thread: timestamp first, then decode and handle.
    let rx = Arc::clone(&node);
    thread::spawn(move || {
        let mut buf = [0u8; 2048];
        loop {
            let (n, _) = match rx.socket.recv_from(&mut buf) {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("node {}: recv: {e}", rx.id);
                    thread::sleep(Duration::from_millis(10));
                    continue;
                }
            };
            let now = phifd::now_ns();
            rx.on_datagram(buf.get(..n).unwrap_or(&[]), now);
        }
    });

    // Stdin thread: end of file (the orchestrator closed the pipe or died) stops the node.
    let st = Arc::clone(&node);
    thread::spawn(move || {
        let mut sink = [0u8; 256];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        st.stop.store(true, Ordering::Release);
    });

    // Sender: a fixed schedule (next deadline += interval), so a slow tick does not drift.
    let mut events = Vec::new();
    let mut seq = 1u64;
    let mut next = phifd::now_ns();
    while !node.stop.load(Ordering::Acquire) {
        node.tick(seq, &mut events);
        seq += 1;
        next += interval_ns;
        let now = phifd::now_ns();
        if next <= now {
            // Fell behind (e.g. the process was stopped): resume from now instead of bursting.
            next = now + interval_ns;
        }
        // Sleep in short slices so end of stdin is noticed promptly.
        let mut left = next - now;
        while left > 0 && !node.stop.load(Ordering::Acquire) {
            let slice = left.min(20_000_000);
            thread::sleep(Duration::from_nanos(slice));
            left = next.saturating_sub(phifd::now_ns());
        }
    }
    drop(incarnation_clock);
    Ok(())
}

fn main() {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("node: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(opts) {
        eprintln!("node: {e}");
        std::process::exit(1);
    }
}
