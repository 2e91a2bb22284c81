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
        assert!(
            e.message.contains(p.to_str().unwrap()),
            "{name}: the path is named: {}",
            e.message
        );
        assert_eq!(
            std::fs::read(&p).unwrap(),
            bytes,
            "{name}: the damaged file is left alone"
        );
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

#[test]
fn a_huge_file_is_reported_with_its_real_size() {
    let d = temp_dir("huge");
    let p = d.join("gen");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(10_000_000).unwrap(); // sparse: 10 MB of zeros, nothing written
    drop(f);
    let e = GenerationClock::open(&p).unwrap_err();
    assert_eq!(e.status, Status::Corrupt, "{e}");
    assert!(
        e.message.contains("too long: 10000000 bytes, expected 32"),
        "{}",
        e.message
    );
    assert_eq!(
        std::fs::metadata(&p).unwrap().len(),
        10_000_000,
        "the damaged file is left alone"
    );
    // Just past the limit of what is read (33 bytes), and well past it.
    for size in [33u64, 4096, 4097, 1 << 20] {
        std::fs::File::create(&p).unwrap().set_len(size).unwrap();
        let e = GenerationClock::open(&p).unwrap_err();
        assert!(
            e.message.contains(&format!("too long: {size} bytes")),
            "{size}: {}",
            e.message
        );
    }
}

#[test]
fn a_directory_or_special_file_is_refused_without_a_stray_lock_file() {
    let d = temp_dir("notafile");
    let sub = d.join("state");
    std::fs::create_dir(&sub).unwrap();
    for spelling in [sub.clone(), d.join("state/"), d.join("state/."), d.join("state/sub/..")] {
        std::fs::create_dir_all(sub.join("sub")).unwrap();
        let e = GenerationClock::open(&spelling).unwrap_err();
        assert_eq!(e.status, Status::Io, "{}: {e}", spelling.display());
        assert!(e.message.contains("directory"), "{}", e.message);
        assert!(
            e.message.contains("pass the path of a file"),
            "the message says what to do: {}",
            e.message
        );
    }
    let fifo = d.join("fifo");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let e = GenerationClock::open(&fifo).unwrap_err(); // must not block on the FIFO either
    assert_eq!(e.status, Status::Io, "{e}");
    assert!(e.message.contains("not a regular file"), "{}", e.message);
    let mut left: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["fifo", "state"],
        "no lock file was created next to the directory or the FIFO"
    );
    assert_eq!(
        std::fs::read_dir(&sub).unwrap().count(),
        1,
        "nothing was created inside the directory"
    );
}

#[test]
fn a_symlink_loop_is_an_error_naming_the_path() {
    let d = temp_dir("loop");
    std::os::unix::fs::symlink("b", d.join("a")).unwrap();
    std::os::unix::fs::symlink("a", d.join("b")).unwrap();
    let e = GenerationClock::open(d.join("a")).unwrap_err();
    assert_eq!(e.status, Status::Io, "{e}");
    assert!(
        e.message.contains("symbolic links") && e.message.contains(d.join("a").to_str().unwrap()),
        "{}",
        e.message
    );
    assert!(!d.join("a.lock").exists() && !d.join("b.lock").exists());
}
