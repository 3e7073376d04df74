//! Moving averages: SMA and EMA.
//!
//! Design choice: each average is a small struct with a typed `update(x) -> Option<f64>` for direct use, and an
//! [`Indicator`] impl for the engine. SMA reads exact window moments (no drift); EMA follows TA-Lib: seeded with the
//! mean of its first `n` values, then `ema += (x - ema) * 2 / (n + 1)`.

use crate::indicator::{ParamError, length_param};
use crate::moments::WindowMoments;

/// Simple moving average of the last `n` values: the correctly rounded window sum divided by `n`.
#[derive(Debug, Clone)]
pub struct Sma {
    window: WindowMoments,
}

impl Sma {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self { window: WindowMoments::new(n, false) })
    }

    #[inline(always)]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.window.push(x);
        self.window.is_full().then(|| self.window.mean())
    }

    pub fn reset(&mut self) {
        self.window.reset();
    }
}

crate::single_series_indicator!(Sma);

/// Exponential moving average with `alpha = 2 / (n + 1)`, seeded by the mean of the first `n` values (TA-Lib).
#[derive(Debug, Clone)]
pub struct Ema {
    n: usize,
    alpha: f64,
    seed: WindowMoments,
    value: Option<f64>,
}

impl Ema {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self::with_alpha(n, 2.0 / (n as f64 + 1.0)))
    }

    /// An EMA seeded by the mean of `n` values and then smoothed by `alpha` (Wilder's RMA is `alpha = 1/n`).
    pub fn with_alpha(n: usize, alpha: f64) -> Self {
        Self { n, alpha, seed: WindowMoments::new(n, false), value: None }
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        match self.value.as_mut() {
            Some(v) => {
                *v += (x - *v) * self.alpha;
            }
            None => {
                self.seed.push(x);
                if self.seed.is_full() {
                    self.value = Some(self.seed.mean());
                }
            }
        }
        self.value
    }

    pub fn length(&self) -> usize {
        self.n
    }

    pub fn reset(&mut self) {
        self.seed.reset();
        self.value = None;
    }
}

crate::single_series_indicator!(Ema);

use crate::spec::*;

/// The indicators of this module, for the registry.
pub(crate) static SPECS: &[IndicatorSpec] = &[
    IndicatorSpec {
        name: "sma",
        summary: "simple moving average",
        definition: "The mean of the last `length` values: the correctly rounded sum of the window divided by \
                     `length` (exact, so a flat window averages to exactly its value). TA-Lib SMA.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        build: |p| boxed(Sma::new(p[0])),
    },
    IndicatorSpec {
        name: "ema",
        summary: "exponential moving average",
        definition: "Seeded with the SMA of the first `length` values, then `ema += (x - ema) * 2 / (length + 1)`. \
                     TA-Lib EMA.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        build: |p| boxed(Ema::new(p[0])),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sma_hand_computed() {
        let mut s = Sma::new(3.0).unwrap();
        assert_eq!(s.update(1.0), None);
        assert_eq!(s.update(2.0), None);
        assert_eq!(s.update(3.0), Some(2.0));
        assert_eq!(s.update(7.0), Some(4.0));
    }

    #[test]
    fn ema_seeds_with_sma_then_smooths() {
        let mut e = Ema::new(3.0).unwrap();
        assert_eq!(e.update(1.0), None);
        assert_eq!(e.update(2.0), None);
        assert_eq!(e.update(3.0), Some(2.0));
        // alpha = 0.5: 2 + (6 - 2) * 0.5
        assert_eq!(e.update(6.0), Some(4.0));
    }

    #[test]
    fn bad_lengths_are_rejected() {
        assert!(Sma::new(0.0).is_err());
        assert!(Sma::new(2.5).is_err());
        assert!(Ema::new(f64::NAN).is_err());
        assert!(Ema::new(-3.0).is_err());
    }
}
