//! Dispersion: STDDEV, VARIANCE and Bollinger Bands.
//!
//! Design choice: all three read one [`WindowMoments`] (population variance, divisor `n`, as TA-Lib), whose exact
//! sums make a flat window's width exactly zero however long the series.

use crate::indicator::{Indicator, ParamError, any_undefined, length_param, real_param};
use crate::moments::WindowMoments;

/// Population variance of the last `n` values.
#[derive(Debug, Clone)]
pub struct Variance {
    window: WindowMoments,
}

impl Variance {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self { window: WindowMoments::new(n, true) })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.window.push(x);
        self.window.is_full().then(|| self.window.variance())
    }

    pub fn reset(&mut self) {
        self.window.reset();
    }
}

crate::single_series_indicator!(Variance);

/// Population standard deviation of the last `n` values, times `mult` (TA-Lib's `nbdev`, default 1).
#[derive(Debug, Clone)]
pub struct StdDev {
    window: WindowMoments,
    mult: f64,
}

impl StdDev {
    pub fn new(length: f64, mult: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        let mult = real_param("mult", mult, 0.0, 1e6)?;
        Ok(Self { window: WindowMoments::new(n, true), mult })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.window.push(x);
        self.window.is_full().then(|| self.window.variance().sqrt() * self.mult)
    }

    pub fn reset(&mut self) {
        self.window.reset();
    }
}

crate::single_series_indicator!(StdDev);

/// Bollinger Bands values for one bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bands {
    pub upper: f64,
    pub middle: f64,
    pub lower: f64,
}

/// Bollinger Bands: middle = SMA(n), upper/lower = middle ± mult × population stddev(n).
#[derive(Debug, Clone)]
pub struct Bbands {
    window: WindowMoments,
    up: f64,
    down: f64,
}

impl Bbands {
    /// `mult_up` and `mult_down` are TA-Lib's `nbdevup` / `nbdevdn`.
    pub fn new(length: f64, mult_up: f64, mult_down: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        let up = real_param("mult", mult_up, 0.0, 1e6)?;
        let down = real_param("mult_down", mult_down, 0.0, 1e6)?;
        Ok(Self { window: WindowMoments::new(n, true), up, down })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<Bands> {
        self.window.push(x);
        if !self.window.is_full() {
            return None;
        }
        let middle = self.window.mean();
        let sd = self.window.variance().sqrt();
        Some(Bands { upper: middle + self.up * sd, middle, lower: middle - self.down * sd })
    }
}

impl Indicator for Bbands {
    fn update(&mut self, inputs: &[f64], out: &mut [f64]) {
        let b = if any_undefined(inputs) { None } else { Bbands::update(self, inputs[0]) };
        match b {
            Some(b) => {
                out[0] = b.upper;
                out[1] = b.middle;
                out[2] = b.lower;
            }
            None => out[..3].fill(f64::NAN),
        }
    }

    fn reset(&mut self) {
        self.window.reset();
    }
}

use crate::spec::*;

/// The indicators of this module, for the registry.
pub(crate) static SPECS: &[IndicatorSpec] = &[
    IndicatorSpec {
        name: "bbands",
        summary: "Bollinger Bands",
        definition: "middle = SMA(source, length); upper / lower = middle ± mult × population standard deviation of \
                     the window (`mult_down` defaults to `mult`). TA-Lib BBANDS with an SMA.",
        inputs: &[SOURCE],
        params: &[
            LENGTH,
            ParamSpec { name: "mult", kind: ParamKind::Real { min: 0.0, max: 1e6 }, default: ParamDefault::Value(2.0) },
            ParamSpec {
                name: "mult_down",
                kind: ParamKind::Real { min: 0.0, max: 1e6 },
                default: ParamDefault::SameAs(1),
            },
        ],
        outputs: &[
            OutputSpec { name: "upper", kind: ValueKind::Number },
            OutputSpec { name: "middle", kind: ValueKind::Number },
            OutputSpec { name: "lower", kind: ValueKind::Number },
        ],
        warmup: |p| len(p) - 1,
        build: |p| boxed(Bbands::new(p[0], p[1], p[2])),
    },
    IndicatorSpec {
        name: "stddev",
        summary: "standard deviation",
        definition: "Population standard deviation (divisor `length`) of the last `length` values, times `mult`. \
                     TA-Lib STDDEV.",
        inputs: &[SOURCE],
        params: &[
            LENGTH,
            ParamSpec { name: "mult", kind: ParamKind::Real { min: 0.0, max: 1e6 }, default: ParamDefault::Value(1.0) },
        ],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        build: |p| boxed(StdDev::new(p[0], p[1])),
    },
    IndicatorSpec {
        name: "variance",
        summary: "variance",
        definition: "Population variance (divisor `length`) of the last `length` values. TA-Lib VAR.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        build: |p| boxed(Variance::new(p[0])),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_hand_computed() {
        let mut b = Bbands::new(4.0, 2.0, 2.0).unwrap();
        for x in [1.0, 2.0, 3.0] {
            assert_eq!(b.update(x), None);
        }
        // mean 2.5, population variance 1.25
        let v = b.update(4.0).unwrap();
        assert_eq!(v.middle, 2.5);
        assert_eq!(v.upper, 2.5 + 2.0 * 1.25f64.sqrt());
        assert_eq!(v.lower, 2.5 - 2.0 * 1.25f64.sqrt());
    }

    #[test]
    fn flat_window_has_zero_width() {
        let mut b = Bbands::new(20.0, 2.0, 2.0).unwrap();
        let mut last = None;
        for _ in 0..100 {
            last = b.update(40123.17);
        }
        let v = last.unwrap();
        assert_eq!((v.upper, v.middle, v.lower), (40123.17, 40123.17, 40123.17));
    }

    #[test]
    fn stddev_and_variance_agree() {
        let mut s = StdDev::new(3.0, 1.0).unwrap();
        let mut v = Variance::new(3.0).unwrap();
        for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
            if let (Some(a), Some(b)) = (s.update(x), v.update(x)) {
                assert_eq!(a, b.sqrt());
            }
        }
    }
}
