//! Replays the committed seed corpus (`fuzz/seeds/<target>/`) through the same property checks
//! the fuzz targets run, without libFuzzer: `cargo test --manifest-path fuzz/Cargo.toml`.
//! Also runs each check on a deterministic stream of pseudo-random inputs, so the properties are
//! exercised on every `make test` even where cargo-fuzz is not installed.

use std::fs;
use std::path::Path;

fn replay(target: &str, f: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds").join(target);
    let mut n = 0;
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .collect();
    entries.sort_by_key(|e| e.as_ref().map(|e| e.path()).ok());
    for e in entries {
        let path = e.unwrap().path();
        let bytes = fs::read(&path).unwrap();
        let r = std::panic::catch_unwind(|| f(&bytes));
        assert!(r.is_ok(), "seed {} fails its properties", path.display());
        n += 1;
    }
    n
}

/// xorshift64*: a fixed pseudo-random byte stream.
fn random_inputs(count: usize, max_len: usize, f: fn(&[u8])) {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        s.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    for _ in 0..count {
        let len = (next() as usize) % (max_len + 1);
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        f(&bytes);
    }
}

/// The seeds and the pseudo-random stream run with every check after every step
/// (`Checks::Full`), and again in the fuzz target's sampled mode, which must agree.
#[test]
fn monitor_ops_seeds() {
    assert!(replay("monitor_ops", phifd_fuzz::monitor_ops_full) >= 3);
    random_inputs(300, 600, phifd_fuzz::monitor_ops_full);
    assert!(replay("monitor_ops", phifd_fuzz::monitor_ops) >= 3);
    random_inputs(300, 600, phifd_fuzz::monitor_ops);
}

#[test]
fn generation_parse_seeds() {
    assert!(replay("generation_parse", phifd_fuzz::generation_parse) >= 3);
    random_inputs(2000, 40, phifd_fuzz::generation_parse);
}

#[test]
fn datagram_decode_seeds() {
    assert!(replay("datagram_decode", phifd_fuzz::datagram_decode) >= 3);
    random_inputs(2000, 64, phifd_fuzz::datagram_decode);
}

#[test]
fn datagram_decode_auth_seeds() {
    assert!(replay("datagram_decode_auth", phifd_fuzz::datagram_decode_auth) >= 4);
    random_inputs(2000, 80, phifd_fuzz::datagram_decode_auth);
}
