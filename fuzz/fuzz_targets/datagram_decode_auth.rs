//! libFuzzer entry point; the property checks live in `phifd_fuzz::datagram_decode_auth`
//! (fuzz/src/lib.rs) so that the committed seeds can also be replayed by `cargo test` without
//! libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    phifd_fuzz::datagram_decode_auth(data);
});
