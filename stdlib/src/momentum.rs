//! Momentum: RSI, MACD, ROC, MOM.
//!
//! Design choice: follow TA-Lib 0.8.1's arithmetic step for step — Wilder's RSI with the averages scaled by a
//! hoisted `1/n`, MACD's two EMAs seeded on windows that end on the same bar and the signal seeded by the mean of the
//! first MACD values — so values equal TA-Lib's to the last bits and stay inside 1e-9 even where MACD crosses zero.

use crate::average::Ema;
use crate::indicator::{Indicator, ParamError, any_undefined, length_param};
use crate::ring::Ring;
use crate::spec::*;

/// Wilder's Relative Strength Index over `n` changes (TA-Lib 0.8.1): `100 × gain / (gain + loss)`, the averages
/// seeded with the mean of the first `n` changes and smoothed by `avg = (avg × (n − 1) + change) × (1/n)`; 0 when
/// there is neither gain nor loss. First defined after `n + 1` values.
#[derive(Debug, Clone)]
pub struct Rsi {
    n: usize,
    inv: f64,
    prev: Option<f64>,
    seen: usize,
    gain: f64,
    loss: f64,
}

impl Rsi {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 2)?;
        Ok(Self { n, inv: 1.0 / n as f64, prev: None, seen: 0, gain: 0.0, loss: 0.0 })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let prev = self.prev.replace(x)?;
        let d = x - prev;
        let up = if d > 0.0 { d } else { 0.0 };
        if self.seen < self.n {
            self.gain += up;
            self.loss += up - d;
            self.seen += 1;
            if self.seen < self.n {
                return None;
            }
        } else {
            let m = (self.n - 1) as f64;
            self.loss *= m;
            self.gain *= m;
            self.gain += up;
            self.loss += up - d;
        }
        self.loss *= self.inv;
        self.gain *= self.inv;
        let total = self.gain + self.loss;
        Some(if total > 0.0 { 100.0 * (self.gain / total) } else { 0.0 })
    }

    pub fn reset(&mut self) {
        self.prev = None;
        self.seen = 0;
        self.gain = 0.0;
        self.loss = 0.0;
    }
}

crate::single_series_indicator!(Rsi);

/// MACD values for one bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MacdValues {
    pub macd: f64,
    pub signal: f64,
    pub hist: f64,
}

/// Moving Average Convergence/Divergence, TA-Lib's: line = EMA(fast) − EMA(slow), where the fast EMA's seed window
/// ends on the same bar as the slow one's; signal = EMA(signal) of the line seeded with the mean of its first
/// `signal` values; hist = line − signal. Lengths are swapped if `slow < fast`.
#[derive(Debug, Clone)]
pub struct Macd {
    /// Bars the fast EMA skips so that its seed window ends with the slow one's.
    skip: usize,
    seen: usize,
    fast: Ema,
    slow: Ema,
    signal: Ema,
}

impl Macd {
    pub fn new(fast: f64, slow: f64, signal: f64) -> Result<Self, ParamError> {
        let f = length_param("fast", fast, 2)?;
        let s = length_param("slow", slow, 2)?;
        let g = length_param("signal", signal, 1)?;
        let (f, s) = if s < f { (s, f) } else { (f, s) };
        Ok(Self {
            skip: s - f,
            seen: 0,
            fast: Ema::with_length(f),
            slow: Ema::with_length(s),
            signal: Ema::with_length(g),
        })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<MacdValues> {
        let slow = self.slow.update(x);
        let fast = if self.seen >= self.skip { self.fast.update(x) } else { None };
        self.seen += 1;
        let macd = fast? - slow?;
        let signal = self.signal.update(macd)?;
        Some(MacdValues { macd, signal, hist: macd - signal })
    }

    /// [`Macd::update`] over a run of values into `macd`, `signal` and `hist` (NaN = undefined: skipped, outputs
    /// NaN), bit for bit the same. Once the three averages run, their chains go side by side in one loop, so a bar
    /// costs about one average's latency instead of three.
    pub fn update_slice(&mut self, xs: &[f64], macd: &mut [f64], signal: &mut [f64], hist: &mut [f64]) {
        let len = xs.len().min(macd.len()).min(signal.len()).min(hist.len());
        let mut i = 0;
        while i < len {
            if let (Some((kf, mut f)), Some((ks, mut s)), Some((kg, mut g))) =
                (self.fast.running(), self.slow.running(), self.signal.running())
            {
                for j in i..len {
                    let x = xs[j];
                    if x.is_nan() {
                        (macd[j], signal[j], hist[j]) = (f64::NAN, f64::NAN, f64::NAN);
                        continue;
                    }
                    s = (x - s).mul_add(ks, s);
                    f = (x - f).mul_add(kf, f);
                    let m = f - s;
                    g = (m - g).mul_add(kg, g);
                    (macd[j], signal[j], hist[j]) = (m, g, m - g);
                    self.seen += 1;
                }
                self.fast.set_running(f);
                self.slow.set_running(s);
                self.signal.set_running(g);
                return;
            }
            // Warm-up (and a signal of length 1, which never runs recursively): one bar at a time.
            let v = if xs[i].is_nan() { None } else { Macd::update(self, xs[i]) };
            (macd[i], signal[i], hist[i]) = v.map_or((f64::NAN, f64::NAN, f64::NAN), |v| (v.macd, v.signal, v.hist));
            i += 1;
        }
    }

    pub fn reset(&mut self) {
        self.seen = 0;
        self.fast.reset();
        self.slow.reset();
        self.signal.reset();
    }
}

impl Indicator for Macd {
    fn update_slices(&mut self, inputs: &[&[f64]], outs: &mut [&mut [f64]]) {
        if let ([xs, ..], [m, s, h, ..]) = (inputs, outs) {
            self.update_slice(xs, m, s, h);
        }
    }

    fn update(&mut self, inputs: &[f64], out: &mut [f64]) {
        match if any_undefined(inputs) { None } else { Macd::update(self, inputs[0]) } {
            Some(v) => {
                out[0] = v.macd;
                out[1] = v.signal;
                out[2] = v.hist;
            }
            None => out[..3].fill(f64::NAN),
        }
    }

    fn reset(&mut self) {
        Macd::reset(self)
    }
}

/// Rate of change in percent: `(x / x[n] − 1) × 100`, 0 when `x[n]` is exactly 0. TA-Lib ROC.
#[derive(Debug, Clone)]
pub struct Roc {
    n: usize,
    ring: Ring,
}

impl Roc {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self { n, ring: Ring::new(n + 1) })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.ring.push(x);
        let prev = self.ring.get_back(self.n)?;
        Some(if prev != 0.0 { ((x / prev) - 1.0) * 100.0 } else { 0.0 })
    }

    pub fn reset(&mut self) {
        self.ring.clear();
    }
}

crate::single_series_indicator!(Roc);

/// Momentum: `x − x[n]`. TA-Lib MOM.
#[derive(Debug, Clone)]
pub struct Mom {
    n: usize,
    ring: Ring,
}

impl Mom {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self { n, ring: Ring::new(n + 1) })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.ring.push(x);
        Some(x - self.ring.get_back(self.n)?)
    }

    pub fn reset(&mut self) {
        self.ring.clear();
    }
}

crate::single_series_indicator!(Mom);

/// The indicators of this module, for the registry.
pub(crate) static SPECS: &[IndicatorSpec] = &[
    IndicatorSpec {
        name: "rsi",
        summary: "relative strength index (Wilder)",
        definition: "100 × gain / (gain + loss), where gain and loss average the last `length` price changes:                      seeded with the mean of the first `length` changes, then avg = (avg × (length − 1) + change) ×                      (1/length). 0 when there is neither gain nor loss. TA-Lib RSI.",
        inputs: &[SOURCE],
        params: &[length("length", 2)],
        outputs: &[NUMBER],
        warmup: len,
        warmup_text: "length",
        build: |p| boxed(Rsi::new(p[0])),
    },
    IndicatorSpec {
        name: "macd",
        summary: "moving average convergence/divergence",
        definition: "macd = EMA(x, fast) − EMA(x, slow), the two EMAs seeded on windows that end on the same bar                      (bar slow − 1); signal = EMA(macd, signal) seeded with the mean of the first `signal` macd                      values; hist = macd − signal. All three start together. TA-Lib MACD.",
        inputs: &[SOURCE],
        params: &[length_or("fast", 2, 12.0), length_or("slow", 2, 26.0), length_or("signal", 1, 9.0)],
        outputs: &[output("macd"), output("signal"), output("hist")],
        warmup: |p| (len_at(p, 0).max(len_at(p, 1)) - 1) + (len_at(p, 2) - 1),
        warmup_text: "max(fast, slow) − 1 + signal − 1",
        build: |p| boxed(Macd::new(p[0], p[1], p[2])),
    },
    IndicatorSpec {
        name: "roc",
        summary: "rate of change, percent",
        definition: "(x / x[length] − 1) × 100; 0 when x[length] is exactly 0. TA-Lib ROC.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: len,
        warmup_text: "length",
        build: |p| boxed(Roc::new(p[0])),
    },
    IndicatorSpec {
        name: "mom",
        summary: "momentum",
        definition: "x − x[length]. TA-Lib MOM.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: len,
        warmup_text: "length",
        build: |p| boxed(Mom::new(p[0])),
    },
];

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
