//! Exact window sums over arrays, in 64-bit integers.
//!
//! The array paths of the window means (SMA, the bands' middle) need the exact window sum at every bar; a
//! double-double with an exactness check on every update costs about three times TA-Lib's drifting running sum. The
//! one design choice here: a block of prices is, exactly, a block of integers times one power of two. Doubles whose
//! exponents lie within a few binades of each other are all multiples of the smallest binade's last bit, so each is
//! `k · 2^-q` with an integer `k` under 2^63 / n. Integer addition is exact and associative, so the window sums of a
//! block are differences of one running integer sum, `A = P[i] − P[i − n]` (wrapping arithmetic is exact whenever
//! the true result fits, however large the running sum grows), and the window's mean is `fl(A) / (n · 2^q)` — bit for
//! bit `fl(S) / n` of the exact sum `S = A · 2^-q`, the definition [`crate::moments::WindowMoments`] keeps. A block
//! whose values the integers cannot hold (an undefined value, an infinity, a subnormal, or magnitudes too far apart
//! for the window length) is left to the double-double path; price series almost never are.

/// A block's scale: every value is `k · 2^-q` with an integer `k`, and `n` of them sum to under 2^63 in magnitude.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scale {
    /// The lowest biased exponent the block may hold; the last mantissa bit of that binade is the integers' unit.
    lo: u32,
    /// How many binades above `lo` the block may reach.
    spread: u32,
}

/// The 52 stored mantissa bits.
const FRAC_MASK: u64 = (1 << 52) - 1;
/// The implicit leading bit of a normal double.
const HIDDEN: u64 = 1 << 52;

impl Scale {
    /// Binades a window of `n` values may span: `n` integers of up to `53 + spread` bits sum to under 2^63.
    fn spread_for(n: usize) -> Option<u32> {
        let window_bits = usize::BITS - (n.max(1) - 1).leading_zeros(); // ceil(log2 n)
        10u32.checked_sub(window_bits)
    }

    /// A scale centred on `x`'s binade (prices wander both ways), for windows of `n` values; `None` when `n` is too
    /// long for any spread or `x` is not a normal double in range.
    pub(crate) fn around(x: f64, n: usize) -> Option<Scale> {
        let spread = Self::spread_for(n)?;
        let e = ((x.to_bits() >> 52) & 0x7ff) as u32;
        let lo = e.checked_sub(spread / 2)?;
        Scale::new(lo, spread)
    }

    /// The scale of exactly these values (zeros and negative values included), for windows of `n`; `None` when the
    /// integers cannot hold them: a NaN or infinity, a subnormal, or magnitudes spread over too many binades.
    pub(crate) fn exact(parts: &[&[f64]], n: usize) -> Option<Scale> {
        let spread = Self::spread_for(n)?;
        // The smallest nonzero and the largest magnitude, compared as bit patterns (their order for non-negative
        // doubles, and past infinity for NaN).
        let (mut lo, mut hi) = (i64::MAX, 0i64);
        for part in parts {
            for &x in *part {
                let a = (x.to_bits() & !(1 << 63)) as i64;
                lo = lo.min(if a == 0 { i64::MAX } else { a });
                hi = hi.max(a);
            }
        }
        if lo == i64::MAX {
            // All zeros: any scale.
            return Scale::new(1023, spread);
        }
        let (lo, hi) = ((lo >> 52) as u32, (hi >> 52) as u32);
        // Subnormals have exponent bits 0 (refused by `new`), NaN and the infinities 2047 (refused by `new`'s range).
        if hi - lo > spread {
            return None;
        }
        Scale::new(lo, spread)
    }

    /// A scale whose divisor `n · 2^q` (`q = 1075 − lo`) and means stay normal doubles: values between 2^-848 and
    /// 2^900.
    fn new(lo: u32, spread: u32) -> Option<Scale> {
        ((175..=1923).contains(&lo) && lo + spread <= 1923).then_some(Scale { lo, spread })
    }

    /// `2^q`, the inverse of the integers' unit (a normal double by construction).
    pub(crate) fn unit_inverse(self) -> f64 {
        f64::from_bits(((1075 - self.lo as i32 + 1023) as u64) << 52)
    }

    /// Writes each value of `xs` as its integer `k` (`x = k · 2^-q`, exactly), and returns false — leaving `out`
    /// unspecified — unless every value is a positive double in the scale's binades. Branch-free bit arithmetic,
    /// so the loop vectorises; prices take this path.
    pub(crate) fn positive_to_ints(self, xs: &[f64], out: &mut [i64]) -> bool {
        let (lo, spread) = (u64::from(self.lo), u64::from(self.spread));
        let mut outside = false;
        for (o, &x) in out.iter_mut().zip(xs) {
            let bits = x.to_bits();
            // The sign bit lands above the exponent: a negative value (and NaN, infinity, zero, a subnormal, any
            // binade outside the scale) gives a shift out of range.
            let shift = (bits >> 52).wrapping_sub(lo);
            outside |= shift > spread;
            *o = (((bits & FRAC_MASK) | HIDDEN) << (shift & 63)) as i64;
        }
        !outside
    }

    /// [`Scale::positive_to_ints`] for values of any sign and zeros. Every value must lie in the scale (as
    /// [`Scale::exact`] found it).
    pub(crate) fn signed_to_ints(self, xs: &[f64], out: &mut [i64]) {
        let lo = i64::from(self.lo);
        for (o, &x) in out.iter_mut().zip(xs) {
            let bits = x.to_bits();
            let e = ((bits >> 52) & 0x7ff) as i64;
            let m = if e == 0 { 0 } else { (bits & FRAC_MASK) | HIDDEN };
            // Zeros have e = 0 and m = 0: their shift is clamped and shifts nothing in.
            let k = (m << (e - lo).clamp(0, 63)) as i64;
            let sign = (bits as i64) >> 63;
            *o = (k ^ sign) - sign;
        }
    }
}

/// Turns `p` into its running sums from `p[start]` on, continuing from `p[start − 1]` (wrapping: only differences of
/// running sums are ever read, and those are exact when they fit).
pub(crate) fn running_sums(p: &mut [i64], start: usize) {
    let mut a = if start == 0 { 0 } else { p[start - 1] };
    for v in &mut p[start..] {
        a = a.wrapping_add(*v);
        *v = a;
    }
}

/// `v` as the nearest double (ties to even), written so that a loop of it vectorises: the high and low 32-bit halves
/// convert exactly through the 2^52 bias trick and one addition rounds their sum. Any `i64`.
#[inline(always)]
pub(crate) fn i64_to_f64(v: i64) -> f64 {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    const TWO_52_PLUS_51: f64 = 6_755_399_441_055_744.0;
    // High half, signed, |h| <= 2^31: 2^52 + 2^51 + h has h in its low mantissa bits.
    let h = v >> 32;
    let high = (f64::from_bits((h as u64).wrapping_add(TWO_52_PLUS_51.to_bits())) - TWO_52_PLUS_51) * 4_294_967_296.0;
    // Low half, unsigned, < 2^32.
    let low = f64::from_bits((v as u64 & 0xffff_ffff) | TWO_52.to_bits()) - TWO_52;
    high + low
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_conversion_is_correctly_rounded() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let r = next();
            let bits = 1 + (r % 63) as u32;
            let v = ((next() >> (64 - bits)) as i64) * if r & (1 << 40) != 0 { -1 } else { 1 };
            assert_eq!(i64_to_f64(v).to_bits(), (v as f64).to_bits(), "{v}");
        }
        for v in [0, 1, -1, i64::MIN, i64::MAX, (1 << 53) + 1, -(1 << 53) - 1, (1 << 62) - 1, (1 << 54) + 2] {
            assert_eq!(i64_to_f64(v).to_bits(), (v as f64).to_bits(), "{v}");
        }
    }

    fn unit_multiples(s: Scale, xs: &[f64], ks: &[i64]) {
        for (&x, &k) in xs.iter().zip(ks) {
            assert_eq!(k as f64 / s.unit_inverse(), x, "{x}");
        }
    }

    #[test]
    fn ints_are_exact_multiples_of_the_unit() {
        let prices = [46_430.12, 46_431.5, 40_000.0, 65_535.999, 32_768.0, 131_071.99];
        let s = Scale::around(46_430.12, 200).expect("a scale");
        let mut ks = [0i64; 6];
        assert!(s.positive_to_ints(&prices, &mut ks));
        unit_multiples(s, &prices, &ks);
        // Half the reference's binade is outside a 200-window scale centred on it.
        assert!(!s.positive_to_ints(&[16_000.0], &mut ks));
        assert!(!s.positive_to_ints(&[262_144.0], &mut ks));

        let mixed = [46_430.12, -46_000.25, 0.0, -0.0, 40_000.0, 65_535.999];
        assert!(!s.positive_to_ints(&mixed, &mut ks), "zeros and negative values are not positive");
        let s = Scale::exact(&[&mixed], 200).expect("one binade");
        s.signed_to_ints(&mixed, &mut ks);
        unit_multiples(s, &mixed, &ks);
        assert_eq!((ks[2], ks[3]), (0, 0));
    }

    #[test]
    fn scales_refuse_what_integers_cannot_hold() {
        let mut ks = [0i64; 2];
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 5e-324, 0.0, -1.0] {
            let s = Scale::around(1.0, 10).expect("a scale");
            assert!(!s.positive_to_ints(&[1.0, bad], &mut ks), "{bad}");
        }
        assert_eq!(Scale::exact(&[&[1.0, f64::NAN]], 10), None);
        assert_eq!(Scale::exact(&[&[1.0, f64::INFINITY]], 10), None);
        assert_eq!(Scale::exact(&[&[1.0, 5e-324]], 10), None);
        // 53 bits + 2 binades + ceil(log2 200) = 63: fits; one more binade does not.
        assert!(Scale::exact(&[&[1.0, 7.9]], 200).is_some());
        assert_eq!(Scale::exact(&[&[1.0, 8.0]], 200), None);
        assert_eq!(Scale::exact(&[&[1.0], &[8.0]], 200), None);
        assert_eq!(Scale::exact(&[&[1e-300, 2e-300]], 2), None);
        assert_eq!(Scale::exact(&[&[1e300]], 2), None);
        assert!(Scale::exact(&[&[0.0, -0.0]], 1000).is_some());
        // Windows over 1,024 values leave no room at all.
        assert_eq!(Scale::around(1.0, 1025), None);
        assert_eq!(Scale::exact(&[&[1.0]], 1025), None);
    }

    #[test]
    fn running_sums_wrap_and_their_differences_stay_exact() {
        let mut p = vec![i64::MAX - 1, 5, 7, -3];
        running_sums(&mut p, 0);
        assert_eq!(p[2].wrapping_sub(p[0]), 12);
        assert_eq!(p[3].wrapping_sub(p[1]), 4);
    }
}
