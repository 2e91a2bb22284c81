//! The durable generation clock: damage, permissions, locking, I/O errors.
//! (The crash test lives in its own binary, `generation_crash.rs`: the children
//! it spawns briefly share open file descriptions between fork and exec, which
//! would hold other tests' locks for that instant.)

use phifd::generation::{encode, GenerationClock, MAX_GENERATION};
use phifd::Status;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

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

