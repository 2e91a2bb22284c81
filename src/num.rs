//! Numeric helpers shared by the window statistics and the node deadlines: conversions between
//! integer nanoseconds and `f64` that are exact where they can be and cheap on the hot path.
//! (Kept apart so that `window` and `node` do not import each other.)

/// `x as f64` through a signed conversion where exact and faster (same value: round to nearest).
#[inline]
pub(crate) fn u64_to_f64(x: u64) -> f64 {
    match i64::try_from(x) {
        Ok(v) => v as f64,
        Err(_) => x as f64,
    }
}

/// Rounds a non-negative duration up to whole nanoseconds, saturating; NaN and negatives give 0.
/// (An integer ceiling: `f64::ceil` is a library call on baseline x86-64 and this runs on every
/// heartbeat.) Monotone: `a <= b` implies `to_ns(a) <= to_ns(b)`.
#[inline]
pub(crate) fn to_ns(e: f64) -> u64 {
    // Below 2^62 the signed conversions are single instructions (the unsigned ones are emulated
    // on x86-64); `as` saturates, so NaN and negatives give 0.
    const FAST: f64 = 4_611_686_018_427_387_904.0; // 2^62
    if e < FAST {
        let t = e as i64;
        let up = i64::from((t as f64) < e);
        return (t + up).max(0) as u64;
    }
    let t = e as u64;
    if (t as f64) < e && t < u64::MAX {
        t + 1
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u64_to_f64_equals_the_plain_conversion() {
        for x in [0u64, 1, (1 << 53) + 1, i64::MAX as u64, (1 << 63) + 12345, u64::MAX] {
            assert_eq!(u64_to_f64(x).to_bits(), (x as f64).to_bits(), "{x}");
        }
    }

    #[test]
    fn to_ns_rounds_up_and_saturates() {
        assert_eq!(to_ns(0.0), 0);
        assert_eq!(to_ns(1.0), 1);
        assert_eq!(to_ns(1.000_1), 2);
        assert_eq!(to_ns(-5.0), 0);
        assert_eq!(to_ns(f64::NAN), 0);
        assert_eq!(to_ns(1e30), u64::MAX);
        assert_eq!(to_ns(4_611_686_018_427_387_904.0), 1 << 62);
    }
}
