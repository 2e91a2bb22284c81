//! libFuzzer entry point; the property checks live in `phifd_fuzz::generation_parse` (fuzz/src/lib.rs) so
//! that the committed seeds can also be replayed by `cargo test` without libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    phifd_fuzz::generation_parse(data);
});
