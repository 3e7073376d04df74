//! Window moments — count, exact sum, exact sum of squares — shared by SMA, SUM, STDDEV, VARIANCE and BBANDS.
//!
//! Design choice: the sums are exact ([`ExactSum`]) and squares enter as exact two-double products, so the mean is
//! the correctly rounded sum divided by the length (the definition the reference backtests use) and the variance is
//! computed from an exactly cancelled numerator. A window of equal values therefore has exactly its value as mean
//! and exactly zero variance, after any number of bars.

use crate::exact::{ExactSum, two_prod, variance_numerator};
use crate::ring::Ring;

#[derive(Debug, Clone)]
pub struct WindowMoments {
    ring: Ring,
    sum: ExactSum,
    sum_sq: Option<ExactSum>,
    /// How many of the newest values are equal to `last` (capped at the window length).
    run: usize,
    last: f64,
}

impl WindowMoments {
    /// A window of `len` values; `squares` keeps the sum of squares too (for variance).
    pub fn new(len: usize, squares: bool) -> Self {
        Self { ring: Ring::new(len), sum: ExactSum::new(), sum_sq: squares.then(ExactSum::new), run: 0, last: f64::NAN }
    }

    /// The window length.
    pub fn window(&self) -> usize {
        self.ring.capacity()
    }

    /// True once the window holds `len` values.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.ring.is_full()
    }

    /// Pushes a finite value.
    #[inline(always)]
    pub fn push(&mut self, x: f64) {
        let old = self.ring.push(x);
        self.sum.add2(x, -old.unwrap_or(0.0));
        if let Some(sq) = self.sum_sq.as_mut() {
            let (p, e) = two_prod(x, x);
            match old {
                Some(o) => {
                    let (op, oe) = two_prod(o, o);
                    sq.add2(p, -op);
                    sq.add2(e, -oe);
                }
                None => sq.add2(p, e),
            }
        }
        // Branch-free: whether a close repeats the last one is data, not something to predict.
        let same = usize::from(x == self.last);
        self.run = (self.run * same + 1).min(self.ring.capacity());
        self.last = x;
    }

    /// True when every value in the full window is the same.
    #[inline]
    pub fn is_flat(&self) -> bool {
        self.run == self.ring.capacity()
    }

    /// The correctly rounded sum of the window.
    #[inline]
    pub fn sum(&self) -> f64 {
        self.sum.value()
    }

    /// The window mean: the correctly rounded sum divided by the length; exactly the value for a flat window.
    #[inline]
    pub fn mean(&self) -> f64 {
        if self.is_flat() { self.last } else { self.sum.value() / self.ring.capacity() as f64 }
    }

    /// The population variance (divisor `len`); exactly zero for a flat window. Requires `squares`.
    #[inline]
    pub fn variance(&self) -> f64 {
        if self.is_flat() {
            return 0.0;
        }
        let Some(sq) = self.sum_sq.as_ref() else {
            return f64::NAN;
        };
        let n = self.ring.capacity() as f64;
        let num = variance_numerator(n, self.sum.parts(), sq.parts());
        if num <= 0.0 { 0.0 } else { num / (n * n) }
    }

    pub fn newest(&self, back: usize) -> Option<f64> {
        self.ring.get_back(back)
    }

    pub fn reset(&mut self) {
        let len = self.ring.capacity();
        *self = Self::new(len, self.sum_sq.is_some());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::fsum;

    #[test]
    fn mean_is_correctly_rounded_sum_over_length() {
        let xs = [2.179012, 2.123457, 2.141975, 2.092592, 2.135803, 2.2];
        let mut m = WindowMoments::new(3, true);
        for (i, &x) in xs.iter().enumerate() {
            m.push(x);
            if i >= 2 {
                assert_eq!(m.mean(), fsum(&xs[i - 2..=i]) / 3.0);
            }
        }
    }

    #[test]
    fn variance_matches_two_pass_definition() {
        let xs = [10.0, 12.0, 11.5, 9.75, 10.25];
        let mut m = WindowMoments::new(5, true);
        for &x in &xs {
            m.push(x);
        }
        let mean = fsum(&xs) / 5.0;
        let two_pass = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 5.0;
        assert!((m.variance() - two_pass).abs() <= 1e-15 * two_pass);
    }

    #[test]
    fn flat_window_is_exact_after_a_million_values() {
        let mut m = WindowMoments::new(20, true);
        let mut x = 1.0;
        for i in 0..1_000_000i64 {
            x = 100.0 + ((i * 7919) % 997) as f64 * 0.013;
            m.push(x);
        }
        for _ in 0..20 {
            m.push(x);
        }
        assert_eq!(m.mean(), x);
        assert_eq!(m.variance(), 0.0);
    }
}
