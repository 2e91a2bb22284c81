//! Crash test of the durable generation clock: a child process advances its
//! clock in a tight loop and is killed with SIGKILL at random moments, 200
//! times; after every restart the generation is strictly greater than every
//! generation it ever reported. The test re-executes this binary as the child
//! (selected by the environment variable `PHIFD_CRASH_CHILD`).

use phifd::GenerationClock;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("phifd-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
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
        let mut numbers = lines
            .by_ref()
            .map_while(Result::ok)
            .filter_map(|l| l.trim().parse::<u64>().ok());
        let first: u64 = numbers.next().expect("child printed its generation");
        // Wait for one durable advance too, so every kill lands in the middle of the loop.
        let second: u64 = numbers.next().expect("child advanced once");
        assert!(second > first);
        advances += 1;
        assert!(
            first > max_reported,
            "restart {kills}: incarnation {first} <= previously reported {max_reported}"
        );
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        std::thread::sleep(Duration::from_micros(rng % 20_000));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        max_reported = max_reported.max(second);
        for l in lines.map_while(Result::ok) {
            if let Ok(v) = l.trim().parse::<u64>() {
                assert!(v > max_reported, "generation {v} handed out twice");
                advances += 1;
                max_reported = max_reported.max(v);
            }
        }
        kills += 1;
    }
    assert!(started.elapsed() < Duration::from_secs(120));
    assert!(
        advances >= 200,
        "every child advanced at least once before it was killed ({advances} advances)"
    );
    eprintln!("crash test: 200 SIGKILLs, {advances} durable advances, final generation {max_reported}");
    let c = GenerationClock::open(&path).unwrap();
    assert!(c.current() > max_reported);
}
