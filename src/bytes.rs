//! Little-endian byte helpers and the FNV-1a checksum shared by the two
//! fixed-size binary formats (the generation file and the heartbeat datagram).
//! All of them are total: an out-of-range offset reads zeros or writes nothing,
//! so no malformed input can make them panic.

/// FNV-1a 64-bit hash (the checksum of the generation file and the heartbeat datagram).
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The little-endian `u64` at `at`, or 0 if the slice is too short.
pub(crate) fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    if let Some(s) = b.get(at..at.saturating_add(8)) {
        a.copy_from_slice(s);
    }
    u64::from_le_bytes(a)
}

/// The little-endian `u32` at `at`, or 0 if the slice is too short.
pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    if let Some(s) = b.get(at..at.saturating_add(4)) {
        a.copy_from_slice(s);
    }
    u32::from_le_bytes(a)
}

/// Copies `src` into `buf` at offset `at`. Every caller writes a constant range that lies inside
/// a fixed-size array, so the bound check never fails; it exists so that no indexing can panic.
pub(crate) fn put(buf: &mut [u8], at: usize, src: &[u8]) {
    if let Some(dst) = buf.get_mut(at..at.saturating_add(src.len())) {
        dst.copy_from_slice(src);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_fnv1a_64() {
        // Published FNV-1a 64 test vectors: "" and "a".
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn reads_are_little_endian_and_total() {
        let b = [1u8, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(u64_at(&b, 1), 0x0908_0706_0504_0302);
        assert_eq!(u32_at(&b, 0), 0x0403_0201);
        assert_eq!(u64_at(&b, 2), 0, "too short reads zero");
        assert_eq!(u64_at(&b, usize::MAX), 0);
        let mut out = [0u8; 4];
        put(&mut out, 2, &[7, 7, 7]);
        assert_eq!(out, [0, 0, 0, 0], "an out-of-range write writes nothing");
        put(&mut out, 1, &[7, 7]);
        assert_eq!(out, [0, 7, 7, 0]);
    }
}
