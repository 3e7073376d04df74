//! Window extremes and sums, and event memory: highest, lowest, sum, barssince, valuewhen.
//!
//! Design choice: highest/lowest keep a monotonic deque of candidates (amortized O(1) per bar, worst case bounded by
//! the window), instead of TA-Lib's rescan when the extreme leaves the window, whose worst case is O(n) per bar.

use std::collections::VecDeque;

use crate::indicator::{ParamError, length_param};
use crate::moments::WindowMoments;
use crate::ring::Ring;

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
        Ok(Self { window: WindowMoments::new(n) })
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

/// Bars since a condition was last true: 0 on a bar where it is true; undefined until it has been true once.
#[derive(Debug, Clone, Default)]
pub struct BarsSince {
    since: Option<usize>,
}

impl BarsSince {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub fn update(&mut self, cond: bool) -> Option<f64> {
        self.since = if cond { Some(0) } else { self.since.map(|s| s + 1) };
        self.since.map(|s| s as f64)
    }

    pub fn reset(&mut self) {
        self.since = None;
    }
}

impl crate::indicator::Indicator for BarsSince {
    fn update(&mut self, inputs: &[f64], out: &mut [f64]) {
        out[0] = self.update1(inputs[0]);
    }

    #[inline]
    fn update1(&mut self, c: f64) -> f64 {
        if c.is_nan() { f64::NAN } else { BarsSince::update(self, c != 0.0).unwrap_or(f64::NAN) }
    }

    fn reset(&mut self) {
        BarsSince::reset(self)
    }
}

/// The value of `source` on the bar where `cond` was true, `occurrence` such bars back (0 = the most recent);
/// undefined until the condition has been true `occurrence + 1` times.
#[derive(Debug, Clone)]
pub struct ValueWhen {
    occurrence: usize,
    seen: Ring,
}

impl ValueWhen {
    pub fn new(occurrence: f64) -> Result<Self, ParamError> {
        let k = length_param("occurrence", occurrence, 0)?;
        Ok(Self { occurrence: k, seen: Ring::new(k + 1) })
    }

    #[inline]
    pub fn update(&mut self, cond: bool, source: f64) -> Option<f64> {
        if cond {
            self.seen.push(source);
        }
        self.seen.get_back(self.occurrence)
    }

    pub fn reset(&mut self) {
        self.seen.clear();
    }
}

impl crate::indicator::Indicator for ValueWhen {
    fn update(&mut self, inputs: &[f64], out: &mut [f64]) {
        out[0] = self.update2(inputs[0], inputs[1]);
    }

    #[inline]
    fn update2(&mut self, c: f64, x: f64) -> f64 {
        if c.is_nan() || x.is_nan() { f64::NAN } else { ValueWhen::update(self, c != 0.0, x).unwrap_or(f64::NAN) }
    }

    fn reset(&mut self) {
        ValueWhen::reset(self)
    }
}

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
        warmup_text: "length − 1",
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
        warmup_text: "length − 1",
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
        warmup_text: "length − 1",
        build: |p| boxed(Sum::new(p[0])),
    },
    IndicatorSpec {
        name: "barssince",
        summary: "bars since a condition was true",
        definition: "0 on a bar where `cond` is true, then 1, 2, … until it is true again; undefined before it has \
                     been true once.",
        inputs: &[condition("cond")],
        params: &[],
        outputs: &[NUMBER],
        warmup: |_| 0,
        warmup_text: "0 (undefined until the condition has been true)",
        build: |_| Ok(Box::new(BarsSince::new())),
    },
    IndicatorSpec {
        name: "valuewhen",
        summary: "a value captured when a condition was true",
        definition: "The value of `source` on the bar where `cond` was true, `occurrence` such bars back (0 = the \
                     most recent, the current bar included); undefined until `cond` has been true occurrence + 1 \
                     times.",
        inputs: &[condition("cond"), input("source")],
        params: &[length_or("occurrence", 0, 0.0)],
        outputs: &[NUMBER],
        warmup: |_| 0,
        warmup_text: "0 (undefined until the condition has been true occurrence + 1 times)",
        build: |p| boxed(ValueWhen::new(p[0])),
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
    fn barssince_and_valuewhen() {
        let conds = [false, true, false, false, true, false];
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut b = BarsSince::new();
        let got: Vec<_> = conds.iter().map(|&c| b.update(c)).collect();
        assert_eq!(got, vec![None, Some(0.0), Some(1.0), Some(2.0), Some(0.0), Some(1.0)]);
        let mut v0 = ValueWhen::new(0.0).unwrap();
        let mut v1 = ValueWhen::new(1.0).unwrap();
        let a: Vec<_> = conds.iter().zip(xs).map(|(&c, x)| v0.update(c, x)).collect();
        let b: Vec<_> = conds.iter().zip(xs).map(|(&c, x)| v1.update(c, x)).collect();
        assert_eq!(a, vec![None, Some(2.0), Some(2.0), Some(2.0), Some(5.0), Some(5.0)]);
        assert_eq!(b, vec![None, None, None, None, Some(2.0), Some(2.0)]);
    }

    #[test]
    fn sum_hand_computed() {
        let mut s = Sum::new(2.0).unwrap();
        assert_eq!(s.update(0.1), None);
        assert_eq!(s.update(0.2), Some(0.30000000000000004));
        assert_eq!(s.update(0.3), Some(0.5));
    }
}
