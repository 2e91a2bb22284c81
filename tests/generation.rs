//! The durable generation clock: damage, permissions, locking, and a crash
//! test that kills a process advancing its clock at random instants.
//!
//! The crash test re-executes this test binary as the child (selected by the
//! environment variable `PHIFD_CRASH_CHILD`), so no extra program is needed.

use phifd::generation::{encode, GenerationClock, MAX_GENERATION};
use phifd::Status;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("phifd-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn open_is_a_new_incarnation_and_survives_reopen() {
    let d = temp_dir("reopen");
    let p = d.join("gen");
    {
        let c = GenerationClock::open(&p).unwrap();
        assert_eq!(c.current(), 1);
        assert_eq!(c.advance().unwrap(), 2);
        assert!(c.observe(10).unwrap());
        assert!(!c.observe(9).unwrap());
    }
    let c = GenerationClock::open(&p).unwrap();
    assert_eq!(c.current(), 11, "reopening after 10 gives a new incarnation 11");
    let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "owner-only permissions");
    // The bytes on disk are exactly the documented format.
    assert_eq!(std::fs::read(&p).unwrap(), encode(11).to_vec());
}

#[test]
fn a_live_holder_locks_out_a_second_open() {
    let d = temp_dir("lock");
    let p = d.join("gen");
    let c = GenerationClock::open(&p).unwrap();
    let e = GenerationClock::open(&p).unwrap_err();
    assert_eq!(e.status, Status::Locked, "{e}");
    assert!(e.message.contains("another live process"));
    drop(c);
    assert_eq!(GenerationClock::open(&p).unwrap().current(), 2);
}

#[test]
fn damaged_files_are_errors_never_resets() {
    let d = temp_dir("damage");
    let good = encode(41);
    let mut bad_sum = good;
    bad_sum[20] ^= 0x10;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "truncated"),
        ("short", good[..20].to_vec(), "truncated"),
        ("long", [good.as_slice(), b"x"].concat(), "too long"),
        ("garbage", b"hello, this is not a generation!".to_vec(), "bad magic"),
        ("checksum", bad_sum.to_vec(), "checksum mismatch"),
        ("future", encode(MAX_GENERATION + 5).to_vec(), "beyond the sane bound"),
    ];
    for (name, bytes, want) in cases {
        let p = d.join(name);
        std::fs::write(&p, &bytes).unwrap();
        let e = GenerationClock::open(&p).unwrap_err();
        assert_eq!(e.status, Status::Corrupt, "{name}: {e}");
        assert!(e.message.contains(want), "{name}: {}", e.message);
        assert!(e.message.contains(p.to_str().unwrap()), "{name}: the path is named: {}", e.message);
        assert_eq!(std::fs::read(&p).unwrap(), bytes, "{name}: the damaged file is left alone");
    }
}

#[test]
fn io_errors_carry_path_and_os_text() {
    let e = GenerationClock::open("/nonexistent-dir-phifd/sub/gen").unwrap_err();
    assert_eq!(e.status, Status::Io);
    assert!(e.message.contains("/nonexistent-dir-phifd/sub/gen"), "{}", e.message);
    assert!(e.message.contains("No such file or directory"), "{}", e.message);
    // /proc is not a place files can be created in, even for root.
    let e = GenerationClock::open("/proc/phifd-generation").unwrap_err();
    assert_eq!(e.status, Status::Io, "{e}");
    assert!(GenerationClock::open("").is_err());
}

const CHILD_ENV: &str = "PHIFD_CRASH_CHILD";

/// The child: open the clock, then advance in a tight loop, printing each
/// generation only after `advance` returned (i.e. after it is durable).
#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let c = GenerationClock::open(&path).unwrap();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", c.current()).unwrap();
    out.flush().unwrap();
    loop {
        let g = c.advance().unwrap();
        writeln!(out, "{g}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn sigkill_at_random_moments_never_reuses_a_generation() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let d = temp_dir("crash");
    let path = d.join("gen");
    let exe = std::env::current_exe().unwrap();
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15 ^ u64::from(std::process::id());
    let mut max_reported = 0u64;
    let started = Instant::now();
    let mut kills = 0;
    let mut advances = 0u64;
    while kills < 200 {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        // Wait for the first (new incarnation) line, then let it run a random while.
        let first: u64 = loop {
            let l = lines.next().expect("child printed its generation").unwrap();
            if let Ok(v) = l.trim().parse() {
                break v;
            }
        };
        assert!(first > max_reported, "restart {kills}: incarnation {first} <= previously reported {max_reported}");
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        std::thread::sleep(Duration::from_micros(rng % 20_000));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        max_reported = max_reported.max(first);
        for l in lines.map_while(Result::ok) {
            if let Ok(v) = l.trim().parse::<u64>() {
                assert!(v > max_reported || v == first, "generation {v} handed out twice");
                advances += 1;
                max_reported = max_reported.max(v);
            }
        }
        kills += 1;
    }
    assert!(started.elapsed() < Duration::from_secs(120));
    assert!(advances > 200, "the children must have been killed mid-loop, not at start ({advances} advances)");
    eprintln!("crash test: 200 SIGKILLs, {advances} durable advances, final generation {max_reported}");
    let c = GenerationClock::open(&path).unwrap();
    assert!(c.current() > max_reported);
}
