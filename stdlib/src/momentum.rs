//! Momentum oscillators: RSI.
//!
//! Design choice: follow TA-Lib's arithmetic step for step (Wilder smoothing: the first average is the plain mean of
//! the first `n` changes, then `avg = (avg * (n - 1) + change) / n`), so values equal TA-Lib's to the last bits.
//! One deliberate difference: a stretch with no gains and no losses reads 0 as in TA-Lib, but TA-Lib tests
//! `gain + loss < 1e-14` for that, which misreads tiny-priced assets as flat; we test for exactly zero.

use crate::indicator::{ParamError, length_param};

/// Wilder's Relative Strength Index over `n` changes; first defined after `n + 1` values.
#[derive(Debug, Clone)]
pub struct Rsi {
    n: usize,
    prev: Option<f64>,
    seen: usize,
    gain: f64,
    loss: f64,
}

impl Rsi {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self { n, prev: None, seen: 0, gain: 0.0, loss: 0.0 })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let prev = self.prev.replace(x)?;
        let change = x - prev;
        let n = self.n as f64;
        if self.seen < self.n {
            if change < 0.0 {
                self.loss -= change;
            } else {
                self.gain += change;
            }
            self.seen += 1;
            if self.seen < self.n {
                return None;
            }
            self.loss /= n;
            self.gain /= n;
        } else {
            self.loss *= n - 1.0;
            self.gain *= n - 1.0;
            if change < 0.0 {
                self.loss -= change;
            } else {
                self.gain += change;
            }
            self.loss /= n;
            self.gain /= n;
        }
        let total = self.gain + self.loss;
        Some(if total == 0.0 { 0.0 } else { 100.0 * (self.gain / total) })
    }

    pub fn reset(&mut self) {
        self.prev = None;
        self.seen = 0;
        self.gain = 0.0;
        self.loss = 0.0;
    }
}

crate::single_series_indicator!(Rsi);

use crate::spec::*;

/// The indicators of this module, for the registry.
pub(crate) static SPECS: &[IndicatorSpec] = &[IndicatorSpec {
    name: "rsi",
    summary: "relative strength index (Wilder)",
    definition: "100 × avg gain / (avg gain + avg loss) over `length` changes; the averages start as plain means \
                     of the first `length` changes, then `avg = (avg × (length − 1) + change) / length`. 0 when there \
                     is neither gain nor loss. TA-Lib RSI.",
    inputs: &[SOURCE],
    params: &[LENGTH],
    outputs: &[NUMBER],
    warmup: len,
    build: |p| boxed(Rsi::new(p[0])),
}];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsi_hand_computed() {
        let mut r = Rsi::new(2.0).unwrap();
        assert_eq!(r.update(10.0), None);
        assert_eq!(r.update(11.0), None); // +1
        // changes +1, -0.5: gain 0.5, loss 0.25 -> 100 * 0.5 / 0.75
        assert_eq!(r.update(10.5), Some(100.0 * (0.5 / 0.75)));
        // change +1.5: gain (0.5 + 1.5) / 2 = 1.0, loss 0.25 / 2 = 0.125
        assert_eq!(r.update(12.0), Some(100.0 * (1.0 / 1.125)));
    }

    #[test]
    fn flat_market_reads_zero_like_talib() {
        let mut r = Rsi::new(3.0).unwrap();
        let out: Vec<_> = (0..6).map(|_| r.update(5.0)).collect();
        assert_eq!(out[3], Some(0.0));
        assert_eq!(out[5], Some(0.0));
    }
}
