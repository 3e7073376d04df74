//! Signals between two series: crossover and crossunder.
//!
//! Design choice: a cross compares this bar with the previous *defined* bar of the pair, using the strict/non-strict
//! pair the reference backtests define: `a` crosses over `b` at t when `a[t] > b[t]` and `a[t-1] <= b[t-1]`, so an
//! exact tie followed by a rise is one cross, and a tie held for several bars is none.

use crate::indicator::Indicator;

/// Direction of a [`Cross`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Over,
    Under,
}

/// 1.0 on the bar where `a` crosses `b` in the given direction, else 0.0; undefined on the first defined bar.
#[derive(Debug, Clone)]
pub struct Cross {
    direction: Direction,
    prev: Option<(f64, f64)>,
}

impl Cross {
    pub fn new(direction: Direction) -> Self {
        Self { direction, prev: None }
    }

    #[inline]
    pub fn update(&mut self, a: f64, b: f64) -> Option<bool> {
        let prev = self.prev.replace((a, b))?;
        Some(match self.direction {
            Direction::Over => a > b && prev.0 <= prev.1,
            Direction::Under => a < b && prev.0 >= prev.1,
        })
    }
}

impl Indicator for Cross {
    #[inline]
    fn update(&mut self, inputs: &[f64], out: &mut [f64]) {
        out[0] = self.update2(inputs[0], inputs[1]);
    }

    #[inline]
    fn update2(&mut self, a: f64, b: f64) -> f64 {
        if a.is_nan() || b.is_nan() {
            return f64::NAN;
        }
        match Cross::update(self, a, b) {
            Some(true) => 1.0,
            Some(false) => 0.0,
            None => f64::NAN,
        }
    }

    fn reset(&mut self) {
        self.prev = None;
    }
}

use crate::spec::*;

/// The indicators of this module, for the registry.
pub(crate) static SPECS: &[IndicatorSpec] = &[
    IndicatorSpec {
        name: "crossover",
        summary: "a crosses above b",
        definition: "True on the bar where `a > b` after `a <= b` on the previous bar.",
        inputs: &[input("a"), input("b")],
        params: &[],
        outputs: &[BOOL],
        warmup: |_| 1,
        warmup_text: "1",
        build: |_| Ok(Box::new(Cross::new(Direction::Over))),
    },
    IndicatorSpec {
        name: "crossunder",
        summary: "a crosses below b",
        definition: "True on the bar where `a < b` after `a >= b` on the previous bar.",
        inputs: &[input("a"), input("b")],
        params: &[],
        outputs: &[BOOL],
        warmup: |_| 1,
        warmup_text: "1",
        build: |_| Ok(Box::new(Cross::new(Direction::Under))),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_follow_the_reference_definition() {
        let mut over = Cross::new(Direction::Over);
        let mut under = Cross::new(Direction::Under);
        let a = [1.0, 2.0, 2.0, 3.0, 1.0, 2.0];
        let b = [2.0, 2.0, 2.0, 2.0, 2.0, 2.0];
        let o: Vec<_> = a.iter().zip(&b).map(|(&x, &y)| over.update(x, y)).collect();
        let u: Vec<_> = a.iter().zip(&b).map(|(&x, &y)| under.update(x, y)).collect();
        assert_eq!(o, vec![None, Some(false), Some(false), Some(true), Some(false), Some(false)]);
        assert_eq!(u, vec![None, Some(false), Some(false), Some(false), Some(true), Some(false)]);
    }
}
