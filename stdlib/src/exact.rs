//! Exact floating-point arithmetic for window statistics.
//!
//! A window mean that drifts is a wrong mean: a running `sum += new - old` accumulates rounding error without
//! bound, so a flat window stops averaging to its own price and exact ties between two averages become spurious
//! crosses. The one design choice here is to keep every window sum *exact* (as an unevaluated sum of doubles) and to
//! round only when a value is read, so a window sum is always the correctly rounded sum of the values now in it,
//! however many bars have passed.
//!
//! [`ExactSum`] is the workhorse: a double-double `hi + lo` updated with error-free transformations, which is exact
//! as long as the low part never has to round. Every update checks that; the rare update that would round moves the
//! sum into a Shewchuk [`Expansion`] (exact for any inputs) until it fits in two doubles again.

/// `a + b` as `(s, e)` with `s = fl(a + b)` and `s + e == a + b` exactly (Knuth's TwoSum).
#[inline(always)]
pub fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    let e = (a - (s - bb)) + (b - bb);
    (s, e)
}

/// `a * b` as `(p, e)` with `p = fl(a * b)` and `p + e == a * b` exactly (barring overflow/underflow).
#[inline(always)]
pub fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    #[cfg(target_feature = "fma")]
    {
        (p, a.mul_add(b, -p))
    }
    #[cfg(not(target_feature = "fma"))]
    {
        // Dekker's product: split each factor into two 26-bit halves.
        let (ah, al) = split(a);
        let (bh, bl) = split(b);
        let e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
        (p, e)
    }
}

#[cfg(not(target_feature = "fma"))]
#[inline(always)]
fn split(a: f64) -> (f64, f64) {
    const SPLITTER: f64 = 134_217_729.0; // 2^27 + 1
    let t = SPLITTER * a;
    let hi = t - (t - a);
    (hi, a - hi)
}

/// A non-overlapping expansion: the exact value is the sum of `parts`, stored by increasing magnitude
/// (Shewchuk's grow-expansion with zero elimination, as in Python's `math.fsum`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expansion {
    parts: Vec<f64>,
}

impl Expansion {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `x` exactly.
    pub fn add(&mut self, mut x: f64) {
        let mut kept = 0;
        for j in 0..self.parts.len() {
            let (hi, lo) = two_sum(x, self.parts[j]);
            if lo != 0.0 {
                self.parts[kept] = lo;
                kept += 1;
            }
            x = hi;
        }
        self.parts.truncate(kept);
        self.parts.push(x);
    }

    /// The components, smallest magnitude first; their exact sum is the value.
    pub fn parts(&self) -> &[f64] {
        &self.parts
    }

    pub fn clear(&mut self) {
        self.parts.clear();
    }

    /// The exact value, correctly rounded to the nearest double (ties to even).
    pub fn round(&self) -> f64 {
        round_expansion(&self.parts)
    }
}

/// Correctly rounds the exact sum of a non-overlapping expansion stored by increasing magnitude.
fn round_expansion(parts: &[f64]) -> f64 {
    let mut n = parts.len();
    if n == 0 {
        return 0.0;
    }
    n -= 1;
    let mut hi = parts[n];
    let mut lo = 0.0;
    while n > 0 {
        let x = hi;
        n -= 1;
        let y = parts[n];
        hi = x + y;
        let yr = hi - x;
        lo = y - yr;
        if lo != 0.0 {
            break;
        }
    }
    // Half-way case: the rest of the expansion decides which way the tie rounds.
    if n > 0 && ((lo < 0.0 && parts[n - 1] < 0.0) || (lo > 0.0 && parts[n - 1] > 0.0)) {
        let y = lo * 2.0;
        let x = hi + y;
        let yr = x - hi;
        if y == yr {
            hi = x;
        }
    }
    hi
}

/// The correctly rounded sum of `values` (like Python's `math.fsum`). Non-finite inputs give the plain sum.
pub fn fsum(values: &[f64]) -> f64 {
    if values.iter().any(|v| !v.is_finite()) {
        return values.iter().sum();
    }
    let mut e = Expansion::new();
    for &v in values {
        e.add(v);
    }
    e.round()
}

/// An exact running sum that supports removal, read as the correctly rounded value of the exact sum.
///
/// Fast path: the exact sum is `hi + lo` (two doubles, not normalised), so reading it is one addition — `fl(hi +
/// lo)` is by definition the correctly rounded value of the exact sum. An update adds the new value's error-free
/// difference to `hi` and the rounding errors to `lo`; the only loop-carried work is one addition on each, so
/// the update runs at throughput, not at the latency of a chain of error-free transformations. Every update checks
/// that `lo` absorbed its terms exactly; the rare one that would round switches to an [`Expansion`] (exact for any
/// inputs), and the sum returns to the fast path as soon as the expansion has two parts again.
#[derive(Debug, Clone, Default)]
pub struct ExactSum {
    hi: f64,
    lo: f64,
    slow: Option<Expansion>,
}

impl ExactSum {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Adds `x` exactly. `x` must be finite.
    #[inline]
    pub fn add(&mut self, x: f64) {
        self.add2(x, 0.0);
    }

    /// Adds `x` and `y` exactly (a window update passes the new value and the negated old one). Both finite.
    #[inline(always)]
    pub fn add2(&mut self, x: f64, y: f64) {
        if self.slow.is_none() {
            if let Some((hi, lo)) = add2_fast(self.hi, self.lo, x, y) {
                self.hi = hi;
                self.lo = lo;
                return;
            }
            self.spill();
        }
        self.slow_add(&[x, y]);
    }

    /// The two doubles `(hi, lo)` of a sum on the fast path (`None` while it is an expansion).
    #[inline]
    pub(crate) fn fast_parts(&self) -> Option<(f64, f64)> {
        if self.slow.is_none() { Some((self.hi, self.lo)) } else { None }
    }

    /// Sets a fast-path sum to `hi + lo`, as a loop that did [`ExactSum::add2`]'s fast path in registers left it.
    #[inline]
    pub(crate) fn set_fast_parts(&mut self, hi: f64, lo: f64) {
        debug_assert!(self.slow.is_none());
        self.hi = hi;
        self.lo = lo;
    }

    /// Sets the sum to `hi + lo`, which must be exact and read as `hi` (`fl(hi + lo) == hi`).
    #[inline]
    pub(crate) fn set_exact(&mut self, hi: f64, lo: f64) {
        debug_assert_eq!(hi + lo, hi);
        *self = Self { hi, lo, slow: None };
    }

    /// The correctly rounded value of the exact sum.
    #[inline]
    pub fn value(&self) -> f64 {
        match &self.slow {
            None => self.hi + self.lo,
            Some(e) => e.round(),
        }
    }

    /// The exact sum as components (smallest first) whose exact total is the sum.
    pub fn parts(&self) -> Parts<'_> {
        match &self.slow {
            None => Parts::Two([self.lo, self.hi]),
            Some(e) => Parts::Many(e.parts()),
        }
    }

    #[cold]
    fn spill(&mut self) {
        let mut e = Expansion::new();
        e.add(self.lo);
        e.add(self.hi);
        self.slow = Some(e);
    }

    #[cold]
    fn slow_add(&mut self, xs: &[f64]) {
        let Some(e) = self.slow.as_mut() else { return };
        for &x in xs {
            e.add(x);
        }
        let parts = e.parts();
        if parts.len() <= 2 {
            let lo = if parts.len() == 2 { parts[0] } else { 0.0 };
            let hi = parts.last().copied().unwrap_or(0.0);
            (self.hi, self.lo) = two_sum(hi, lo);
            self.slow = None;
        }
    }
}

/// The fast path of [`ExactSum::add2`]: `hi + lo + x + y` as two doubles `(hi', lo')` with exactly that sum, or
/// `None` when two doubles cannot hold it exactly (the caller spills to an [`Expansion`]).
///
/// The cheap cases are taken when they are provably exact, so the common update costs about half the flops of
/// three TwoSums: `x + y` of a positive value and a negated one within a factor of two of each other is exact
/// (Sterbenz), and adding a term no larger than the sum needs only Fast2Sum (Dekker) for its exact error.
#[inline(always)]
pub(crate) fn add2_fast(hi: f64, lo: f64, x: f64, y: f64) -> Option<(f64, f64)> {
    let (d, de) = if x >= 0.0 && y <= 0.0 && -y <= x + x && x <= -(y + y) { (x + y, 0.0) } else { two_sum(x, y) };
    let (s, e) = if hi.abs() >= d.abs() {
        let s = hi + d;
        (s, d - (s - hi))
    } else {
        two_sum(hi, d)
    };
    let (t, et) = if de == 0.0 { (e, 0.0) } else { two_sum(e, de) };
    let (l, el) = two_sum(lo, t);
    // An overflow shows up as a NaN error term, which fails this test too.
    (et == 0.0 && el == 0.0).then_some((s, l))
}

/// The components of an [`ExactSum`].
#[derive(Debug, Clone, Copy)]
pub enum Parts<'a> {
    Two([f64; 2]),
    Three([f64; 3]),
    Many(&'a [f64]),
}

impl Parts<'_> {
    pub fn as_slice(&self) -> &[f64] {
        match self {
            Parts::Two(p) => p,
            Parts::Three(p) => p,
            Parts::Many(p) => p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(values: &[f64]) -> f64 {
        fsum(values)
    }

    #[test]
    fn two_sum_and_prod_are_exact() {
        let (s, e) = two_sum(1.0, 1e-30);
        assert_eq!(s, 1.0);
        assert_eq!(e, 1e-30);
        let a = 1.0 + f64::EPSILON;
        let (p, e) = two_prod(a, a);
        // (1+u)^2 = 1 + 2u + u^2, and u^2 is below the product's last bit.
        assert_eq!(p, 1.0 + 2.0 * f64::EPSILON);
        assert_eq!(e, f64::EPSILON * f64::EPSILON);
    }

    #[test]
    fn fsum_is_correctly_rounded() {
        assert_eq!(fsum(&[1e100, 1.0, -1e100, 1e-100]), 1.0);
        assert_eq!(fsum(&[0.1; 10]), 1.0);
        // Half-way case decided by the tail: 1 + 2^-53 + 2^-106 rounds up.
        let tiny = 2f64.powi(-53);
        assert_eq!(fsum(&[1.0, tiny, tiny * tiny]), 1.0 + f64::EPSILON);
        assert_eq!(fsum(&[1.0, tiny]), 1.0);
    }

    #[test]
    fn exact_sum_survives_catastrophic_cancellation() {
        let mut s = ExactSum::new();
        s.add(1e20);
        s.add(3.0);
        s.add(1e-20);
        s.add2(-1e20, 0.5);
        assert_eq!(s.value(), exact(&[3.0, 1e-20, 0.5]));
        s.add2(-3.0, -0.5);
        assert_eq!(s.value(), 1e-20);
        s.add(-1e-20);
        assert_eq!(s.value(), 0.0);
    }

    #[test]
    fn sliding_window_never_drifts() {
        let values: Vec<f64> = (0..10_000).map(|i| 100.0 + ((i * 7919) % 1000) as f64 * 0.01).collect();
        let n = 30;
        let mut s = ExactSum::new();
        for (i, &v) in values.iter().enumerate() {
            if i >= n {
                s.add2(v, -values[i - n]);
            } else {
                s.add(v);
            }
            if i + 1 >= n {
                assert_eq!(s.value(), fsum(&values[i + 1 - n..=i]), "bar {i}");
            }
        }
    }
}
