//! Window extremes and sums: highest, lowest, sum.
//!
//! Design choice: highest/lowest keep a monotonic deque of candidates (amortized O(1) per bar, worst case bounded by
//! the window), instead of TA-Lib's rescan when the extreme leaves the window, whose worst case is O(n) per bar.

use std::collections::VecDeque;

use crate::indicator::{ParamError, length_param};
use crate::moments::WindowMoments;

/// Which extreme a [`Extreme`] tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Highest,
    Lowest,
}

/// Highest or lowest value of the last `n` values (the current one included).
#[derive(Debug, Clone)]
pub struct Extreme {
    n: usize,
    side: Side,
    seen: usize,
    /// Candidates (sequence number, value): values strictly decreasing (highest) / increasing (lowest) front to back.
    deque: VecDeque<(usize, f64)>,
}

impl Extreme {
    pub fn new(length: f64, side: Side) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self { n, side, seen: 0, deque: VecDeque::with_capacity(n.min(4096)) })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let i = self.seen;
        self.seen += 1;
        while let Some(&(_, back)) = self.deque.back() {
            let dominated = match self.side {
                Side::Highest => back <= x,
                Side::Lowest => back >= x,
            };
            if !dominated {
                break;
            }
            self.deque.pop_back();
        }
        self.deque.push_back((i, x));
        while let Some(&(j, _)) = self.deque.front() {
            if j + self.n > i {
                break;
            }
            self.deque.pop_front();
        }
        (self.seen >= self.n).then(|| self.deque.front().map_or(x, |&(_, v)| v))
    }

    pub fn reset(&mut self) {
        self.seen = 0;
        self.deque.clear();
    }
}

crate::single_series_indicator!(Extreme);

/// Sum of the last `n` values, correctly rounded.
#[derive(Debug, Clone)]
pub struct Sum {
    window: WindowMoments,
}

impl Sum {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self { window: WindowMoments::new(n, false) })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.window.push(x);
        self.window.is_full().then(|| self.window.sum())
    }

    pub fn reset(&mut self) {
        self.window.reset();
    }
}

crate::single_series_indicator!(Sum);

use crate::spec::*;

/// The indicators of this module, for the registry.
pub(crate) static SPECS: &[IndicatorSpec] = &[
    IndicatorSpec {
        name: "highest",
        summary: "highest value over a window",
        definition: "The largest of the last `length` values, the current one included. TA-Lib MAX.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        build: |p| boxed(Extreme::new(p[0], Side::Highest)),
    },
    IndicatorSpec {
        name: "lowest",
        summary: "lowest value over a window",
        definition: "The smallest of the last `length` values, the current one included. TA-Lib MIN.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        build: |p| boxed(Extreme::new(p[0], Side::Lowest)),
    },
    IndicatorSpec {
        name: "sum",
        summary: "sum over a window",
        definition: "The correctly rounded sum of the last `length` values. TA-Lib SUM.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        build: |p| boxed(Sum::new(p[0])),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(xs: &[f64], n: usize, side: Side) -> Vec<Option<f64>> {
        (0..xs.len())
            .map(|i| {
                (i + 1 >= n).then(|| {
                    let w = &xs[i + 1 - n..=i];
                    match side {
                        Side::Highest => w.iter().cloned().fold(f64::MIN, f64::max),
                        Side::Lowest => w.iter().cloned().fold(f64::MAX, f64::min),
                    }
                })
            })
            .collect()
    }

    #[test]
    fn extremes_match_naive_scan() {
        let xs: Vec<f64> = (0..500).map(|i| ((i * 37) % 101) as f64 - ((i * 11) % 7) as f64).collect();
        for n in [1, 2, 5, 20] {
            for side in [Side::Highest, Side::Lowest] {
                let mut e = Extreme::new(n as f64, side).unwrap();
                let got: Vec<_> = xs.iter().map(|&x| e.update(x)).collect();
                assert_eq!(got, naive(&xs, n, side), "n={n} {side:?}");
            }
        }
    }

    #[test]
    fn sum_hand_computed() {
        let mut s = Sum::new(2.0).unwrap();
        assert_eq!(s.update(0.1), None);
        assert_eq!(s.update(0.2), Some(0.30000000000000004));
        assert_eq!(s.update(0.3), Some(0.5));
    }
}
