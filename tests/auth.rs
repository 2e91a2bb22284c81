//! Authenticated heartbeats end to end.
//!
//! * `mac_matches_python_hmac`: the tag of a signed datagram equals what Python's standard
//!   `hmac`/`hashlib` compute over the same 52 bytes with the same key (an implementation that
//!   shares no code with the RustCrypto crates), and the 52 bytes equal the documented layout
//!   built here by hand.
//! * `rotation_across_processes`: key rotation with real processes on UDP loopback. The test
//!   re-executes its own binary as two senders (`PHIFD_AUTH_SENDER` selects the role), driven by
//!   commands on their stdin, while this process receives with a monitor and a keyring: the old
//!   key is accepted while the new one signs, and once removed, datagrams signed with it are
//!   refused and counted. Every sender exits when its stdin closes, on `QUIT`, or after 30 s.

use std::io::{BufRead, BufReader, Write};
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use phifd::auth::{receive, Keyring};
use phifd::wire::Datagram;
use phifd::{Config, Monitor, Status};

const KEY1: &[u8] = b"rotation test key number one....";
const KEY2: &[u8] = b"rotation test key number two, longer one";
const SENDER_LIFETIME: Duration = Duration::from_secs(30);
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn mac_matches_python_hmac() {
    let ring = Keyring::new();
    ring.add_key(0x0102_0304, KEY2).unwrap();
    let d = Datagram::heartbeat(0x1122_3344_5566_7788, 5, 6, 7, 8, true);
    let signed = ring.sign(&d).unwrap();
    // The documented layout, by hand.
    let mut expected = Vec::new();
    expected.extend_from_slice(b"PHHB");
    expected.extend_from_slice(&[2, 0, 1, 0]);
    for v in [0x1122_3344_5566_7788u64, 5, 6, 7, 8] {
        expected.extend_from_slice(&v.to_le_bytes());
    }
    expected.extend_from_slice(&0x0102_0304u32.to_le_bytes());
    assert_eq!(&signed[..52], expected.as_slice());
    let script = "import hmac, hashlib, sys; k, m = (bytes.fromhex(a) for a in sys.argv[1:3]); \
                  print(hmac.new(k, m, hashlib.sha256).hexdigest()[:32])";
    let out = Command::new("python3")
        .args(["-c", script, &hex(KEY2), &hex(&signed[..52])])
        .output()
        .expect("python3 is a prerequisite of the tests (README): install it");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tag = String::from_utf8(out.stdout).unwrap();
    assert_eq!(tag.trim(), hex(&signed[52..]), "tag differs from Python's HMAC-SHA-256");
}

/// A sender: signs a heartbeat every 5 ms (node `id`, generation 1, increasing versions) with its
/// keyring's signing key and sends it to `port`; obeys `ADD id hex`, `SIGN id`, `REMOVE id`,
/// `QUIT` from stdin and acknowledges each with `OK <command>`.
fn run_sender(id: u64, port: u16) {
    let ring = Keyring::new();
    ring.add_key(1, KEY1).unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
        // stdin closed: the channel disconnects and the sender stops.
    });
    let start = Instant::now();
    let mut version = 0u64;
    while start.elapsed() < SENDER_LIFETIME {
        match rx.try_recv() {
            Ok(cmd) => {
                let f: Vec<&str> = cmd.split_whitespace().collect();
                match f.as_slice() {
                    ["ADD", k, key] => ring.add_key(k.parse().unwrap(), &unhex(key)).unwrap(),
                    ["SIGN", k] => ring.set_signing_key(k.parse().unwrap()).unwrap(),
                    ["REMOVE", k] => ring.remove_key(k.parse().unwrap()).unwrap(),
                    ["QUIT"] => {
                        println!("OK QUIT");
                        return;
                    }
                    _ => panic!("sender {id}: unknown command {cmd:?}"),
                }
                println!("OK {cmd}");
                std::io::stdout().flush().unwrap();
            }
            Err(mpsc::TryRecvError::Disconnected) => return,
            Err(mpsc::TryRecvError::Empty) => {}
        }
        version += 1;
        let bytes = ring
            .sign(&Datagram::heartbeat(id, 1, 0, version, phifd::now_ns(), false))
            .unwrap();
        let _ = sock.send_to(&bytes, ("127.0.0.1", port));
        std::thread::sleep(Duration::from_millis(5));
    }
}

struct Sender {
    child: Child,
    acks: BufReader<std::process::ChildStdout>,
}

impl Sender {
    fn spawn(id: u64, port: u16) -> Sender {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "rotation_across_processes",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("PHIFD_AUTH_SENDER", id.to_string())
            .env("PHIFD_AUTH_PORT", port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let acks = BufReader::new(child.stdout.take().unwrap());
        Sender { child, acks }
    }

    /// Sends a command and waits for its acknowledgement (the test harness prints its own lines
    /// too; they are skipped).
    fn command(&mut self, cmd: &str) {
        writeln!(self.child.stdin.as_mut().unwrap(), "{cmd}").unwrap();
        let mut line = String::new();
        loop {
            line.clear();
            assert!(
                self.acks.read_line(&mut line).unwrap() > 0,
                "sender exited before acknowledging {cmd:?}"
            );
            // libtest's "test ... " prefix may share the first line.
            if line.trim_end().ends_with(&format!("OK {cmd}")) {
                return;
            }
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the receiver saw.
#[derive(Default, Debug)]
struct Tally {
    /// Counted arrivals per (node, key id).
    counted: std::collections::HashMap<(u64, u32), u64>,
    unknown_key: u64,
    other_errors: Vec<String>,
}

struct Receiver {
    sock: UdpSocket,
    monitor: Monitor,
    ring: Keyring,
    tally: Tally,
}

impl Receiver {
    fn pump_until(&mut self, what: &str, mut done: impl FnMut(&Tally) -> bool) {
        let start = Instant::now();
        let mut buf = [0u8; 256];
        while !done(&self.tally) {
            assert!(
                start.elapsed() < STEP_TIMEOUT,
                "timed out waiting for {what}: {:?}",
                self.tally
            );
            let Ok(n) = self.sock.recv(&mut buf) else { continue };
            let bytes = &buf[..n];
            match receive(&self.monitor, Some(&self.ring), bytes, phifd::now_ns()) {
                Ok(r) => {
                    if r.applied == Ok(true) {
                        let key = u32::from_le_bytes(bytes[48..52].try_into().unwrap());
                        *self.tally.counted.entry((r.datagram.node, key)).or_default() += 1;
                    }
                }
                Err(e) if e.status == Status::UnknownKey => self.tally.unknown_key += 1,
                Err(e) => self.tally.other_errors.push(e.to_string()),
            }
        }
        assert!(
            self.tally.other_errors.is_empty(),
            "unexpected rejections: {:?}",
            self.tally.other_errors
        );
    }

    fn count(&self, node: u64, key: u32) -> u64 {
        self.tally.counted.get(&(node, key)).copied().unwrap_or(0)
    }
}

#[test]
fn rotation_across_processes() {
    if let Ok(id) = std::env::var("PHIFD_AUTH_SENDER") {
        let port = std::env::var("PHIFD_AUTH_PORT").unwrap().parse().unwrap();
        run_sender(id.parse().unwrap(), port);
        return;
    }
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    let port = sock.local_addr().unwrap().port();
    let ring = Keyring::new();
    ring.add_key(1, KEY1).unwrap();
    let mut rx = Receiver {
        sock,
        monitor: Monitor::new(&Config::new()).unwrap(),
        ring,
        tally: Tally::default(),
    };
    let mut s1 = Sender::spawn(1, port);
    let mut s2 = Sender::spawn(2, port);

    rx.pump_until("both senders on key 1", |t| {
        t.counted.get(&(1, 1)).is_some_and(|&n| n >= 5) && t.counted.get(&(2, 1)).is_some_and(|&n| n >= 5)
    });

    // Step 1: the new key everywhere. Step 2: sender 1 signs with it; sender 2 not yet.
    rx.ring.add_key(2, KEY2).unwrap();
    s1.command(&format!("ADD 2 {}", hex(KEY2)));
    s2.command(&format!("ADD 2 {}", hex(KEY2)));
    s1.command("SIGN 2");
    let node2_old = rx.count(2, 1);
    rx.pump_until("sender 1 on key 2 while sender 2 stays on key 1", |t| {
        t.counted.get(&(1, 2)).is_some_and(|&n| n >= 5) && t.counted.get(&(2, 1)).is_some_and(|&n| n >= node2_old + 5)
    });

    // Sender 2 switches; then the receiver drops the old key.
    s2.command("SIGN 2");
    rx.pump_until("sender 2 on key 2", |t| t.counted.get(&(2, 2)).is_some_and(|&n| n >= 5));
    rx.ring.set_signing_key(2).unwrap();
    rx.ring.remove_key(1).unwrap();
    let node2_key1 = rx.count(2, 1);

    // A straggler still signing with the removed key: refused, counted, never an arrival.
    s2.command("SIGN 1");
    let before = phifd::now_ns();
    let node1_now = rx.count(1, 2);
    rx.pump_until("the old key refused", |t| {
        t.unknown_key >= 5 && t.counted.get(&(1, 2)).is_some_and(|&n| n >= node1_now + 5)
    });
    let info = rx.monitor.info(2, phifd::now_ns()).unwrap();
    assert!(
        info.last_arrival_ns.unwrap() < before + 20_000_000,
        "node 2 kept arriving with a removed key: {info:?}"
    );
    assert_eq!(
        rx.count(2, 1),
        node2_key1,
        "no arrival counted with key 1 after its removal"
    );
    let stats = rx.monitor.stats();
    assert_eq!(stats.rejected_unknown_key, rx.tally.unknown_key);
    assert_eq!(stats.rejected_bad_mac, 0);
    s1.command("QUIT");
    s2.command("QUIT");
}
