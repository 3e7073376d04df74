//! Moving averages: SMA, EMA, WMA, DEMA, TEMA, TRIMA, KAMA, RMA, HMA.
//!
//! Design choice: each average is a small struct with a typed `update(x) -> Option<f64>` for direct use, and an
//! [`Indicator`](crate::Indicator) impl for the engine. Window averages (SMA, WMA, TRIMA) read exact sums, so they
//! never drift and a flat window averages to exactly its value; recursive averages (EMA and those built on it,
//! KAMA) follow TA-Lib 0.8.1 step for step, fused multiply-add included, so they equal TA-Lib to the last bits.

use crate::exact::{ExactSum, two_prod};
use crate::indicator::{ParamError, length_param};
use crate::moments::WindowMoments;
use crate::ring::Ring;
use crate::spec::*;

/// Simple moving average of the last `n` values: the correctly rounded window sum divided by `n`.
#[derive(Debug, Clone)]
pub struct Sma {
    window: WindowMoments,
}

impl Sma {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self::with_length(n))
    }

    /// An SMA of a length already checked.
    pub fn with_length(n: usize) -> Self {
        Self { window: WindowMoments::new(n.max(1)) }
    }

    #[inline(always)]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.window.push(x);
        self.window.is_full().then(|| self.window.mean())
    }

    /// [`Sma::update`] over a run of values (NaN = undefined: skipped, output NaN), bit for bit the same, with the
    /// window's state kept in registers.
    pub fn update_slice(&mut self, xs: &[f64], out: &mut [f64]) {
        let len = xs.len().min(out.len());
        let mut i = 0;
        while i < len {
            i += self.window.push_means(&xs[i..len], &mut out[i..len]);
            if i < len {
                out[i] = crate::Indicator::update1(self, xs[i]);
                i += 1;
            }
        }
    }

    pub fn reset(&mut self) {
        self.window.reset();
    }
}

crate::single_series_indicator!(Sma, batch);

/// Exponential moving average, TA-Lib's: `k = 2 / (n + 1)`, seeded by the mean of the first `n` values, then
/// `ema = fma(x − ema, k, ema)` (one rounding, as TA-Lib 0.8.1 computes it). Length 1 is the input itself.
#[derive(Debug, Clone)]
pub struct Ema {
    n: usize,
    k: f64,
    seed: WindowMoments,
    value: f64,
    ready: bool,
}

impl Ema {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self::with_length(n))
    }

    /// An EMA of a length already checked.
    pub fn with_length(n: usize) -> Self {
        let n = n.max(1);
        Self { n, k: 2.0 / (n as f64 + 1.0), seed: WindowMoments::new(n), value: f64::NAN, ready: false }
    }

    #[inline(always)]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if self.ready {
            self.value = (x - self.value).mul_add(self.k, self.value);
            return Some(self.value);
        }
        self.warm_up(x)
    }

    #[cold]
    fn warm_up(&mut self, x: f64) -> Option<f64> {
        if self.n == 1 {
            return Some(x);
        }
        self.seed.push(x);
        if !self.seed.is_full() {
            return None;
        }
        self.value = self.seed.mean();
        self.ready = true;
        Some(self.value)
    }

    /// [`Ema::update`] over a run of values (NaN = undefined: skipped, output NaN), bit for bit the same, with the
    /// average in a register.
    pub fn update_slice(&mut self, xs: &[f64], out: &mut [f64]) {
        let len = xs.len().min(out.len());
        let mut i = 0;
        while i < len && (self.n == 1 || !self.ready) {
            out[i] = crate::Indicator::update1(self, xs[i]);
            i += 1;
        }
        let (k, mut v) = (self.k, self.value);
        for (o, &x) in out[i..len].iter_mut().zip(&xs[i..len]) {
            if x.is_nan() {
                *o = f64::NAN;
                continue;
            }
            v = (x - v).mul_add(k, v);
            *o = v;
        }
        self.value = v;
    }

    pub fn length(&self) -> usize {
        self.n
    }

    /// `(k, value)` once the average is seeded and recursive (`ema = fma(x − ema, k, ema)` from here on), for
    /// loops that keep it in a register.
    #[inline]
    pub(crate) fn running(&self) -> Option<(f64, f64)> {
        (self.ready && self.n > 1).then_some((self.k, self.value))
    }

    /// Sets a running average's value, as a loop that did [`Ema::update`] in registers left it.
    #[inline]
    pub(crate) fn set_running(&mut self, value: f64) {
        debug_assert!(self.ready);
        self.value = value;
    }

    pub fn reset(&mut self) {
        self.seed.reset();
        self.value = f64::NAN;
        self.ready = false;
    }
}

crate::single_series_indicator!(Ema, batch);

/// Wilder's moving average (RMA, SMMA): `alpha = 1 / n`, seeded by the SMA of the first `n` values, then
/// `rma = alpha × x + (1 − alpha) × rma` — TradingView's `ta.rma`.
#[derive(Debug, Clone)]
pub struct Rma {
    alpha: f64,
    seed: WindowMoments,
    value: Option<f64>,
}

impl Rma {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self::with_length(n))
    }

    /// An RMA of a length already checked.
    pub fn with_length(n: usize) -> Self {
        let n = n.max(1);
        Self { alpha: 1.0 / n as f64, seed: WindowMoments::new(n), value: None }
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        match self.value.as_mut() {
            Some(v) => *v = self.alpha * x + (1.0 - self.alpha) * *v,
            None => {
                self.seed.push(x);
                if self.seed.is_full() {
                    self.value = Some(self.seed.mean());
                }
            }
        }
        self.value
    }

    pub fn reset(&mut self) {
        self.seed.reset();
        self.value = None;
    }
}

crate::single_series_indicator!(Rma);

/// Linearly weighted moving average: weights 1 (oldest) … n (newest), divided by n(n+1)/2. The weighted and
/// plain window sums are exact, so the average never drifts.
#[derive(Debug, Clone)]
pub struct Wma {
    n: usize,
    ring: Ring,
    /// Σ x (the window).
    plain: ExactSum,
    /// Σ w·x with w = 1 (oldest) … n (newest).
    weighted: ExactSum,
    divider: f64,
    run: usize,
    last: f64,
}

impl Wma {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self::with_length(n))
    }

    /// A WMA of a length already checked.
    pub fn with_length(n: usize) -> Self {
        let n = n.max(1);
        let nf = n as f64;
        Self {
            n,
            ring: Ring::new(n),
            plain: ExactSum::new(),
            weighted: ExactSum::new(),
            divider: nf * (nf + 1.0) / 2.0,
            run: 0,
            last: f64::NAN,
        }
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let filled = self.ring.len();
        let old = self.ring.push(x);
        // Every weight drops by one (Σw·x −= Σx), then the new value enters with weight n (or its rank while the
        // window fills) — all exactly.
        let (p, e) = two_prod(x, if old.is_some() { self.n as f64 } else { (filled + 1) as f64 });
        if let Some(o) = old {
            match self.plain.parts() {
                crate::exact::Parts::Two([lo, hi]) => self.weighted.add2(-hi, -lo),
                other => {
                    for &part in other.as_slice() {
                        self.weighted.add(-part);
                    }
                }
            }
            self.plain.add2(x, -o);
        } else {
            self.plain.add(x);
        }
        self.weighted.add2(p, e);
        let same = usize::from(x == self.last);
        self.run = (self.run * same + 1).min(self.n);
        self.last = x;
        if !self.ring.is_full() {
            return None;
        }
        Some(if self.run == self.n { x } else { self.weighted.value() / self.divider })
    }

    pub fn reset(&mut self) {
        *self = Self::with_length(self.n);
    }
}

crate::single_series_indicator!(Wma);

/// Double EMA: `2 × EMA(x) − EMA(EMA(x))`, both EMAs TA-Lib's (the second seeded by the mean of the first one's
/// first `n` values). TA-Lib DEMA.
#[derive(Debug, Clone)]
pub struct Dema {
    e1: Ema,
    e2: Ema,
}

impl Dema {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self { e1: Ema::with_length(n), e2: Ema::with_length(n) })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let a = self.e1.update(x)?;
        let b = self.e2.update(a)?;
        Some(2.0 * a - b)
    }

    pub fn reset(&mut self) {
        self.e1.reset();
        self.e2.reset();
    }
}

crate::single_series_indicator!(Dema);

/// Triple EMA: `3 × EMA − 3 × EMA² + EMA³` of three chained TA-Lib EMAs, computed as `e3 + (3·e1 − 3·e2)`.
/// TA-Lib TEMA.
#[derive(Debug, Clone)]
pub struct Tema {
    e1: Ema,
    e2: Ema,
    e3: Ema,
}

impl Tema {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self { e1: Ema::with_length(n), e2: Ema::with_length(n), e3: Ema::with_length(n) })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let a = self.e1.update(x)?;
        let b = self.e2.update(a)?;
        let c = self.e3.update(b)?;
        Some(c + (3.0 * a - 3.0 * b))
    }

    pub fn reset(&mut self) {
        self.e1.reset();
        self.e2.reset();
        self.e3.reset();
    }
}

crate::single_series_indicator!(Tema);

/// Triangular moving average: an SMA of an SMA — lengths `(n+1)/2` and `(n+1)/2` for odd n, `n/2` and `n/2 + 1`
/// for even n — so the weights rise linearly to the middle of the window and fall again. TA-Lib TRIMA.
#[derive(Debug, Clone)]
pub struct Trima {
    first: Sma,
    second: Sma,
}

impl Trima {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        let (a, b) = if n % 2 == 1 { (n.div_ceil(2), n.div_ceil(2)) } else { (n / 2, n / 2 + 1) };
        Ok(Self { first: Sma::with_length(a), second: Sma::with_length(b) })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let m = self.first.update(x)?;
        self.second.update(m)
    }

    pub fn reset(&mut self) {
        self.first.reset();
        self.second.reset();
    }
}

crate::single_series_indicator!(Trima);

/// Kaufman's adaptive moving average, TA-Lib's: efficiency ratio `er = |x − x[n]| / Σ|x[i] − x[i−1]|` over the
/// last `n` changes (1 when the path is zero or shorter than the move), smoothing
/// `sc = (er × (2/3 − 2/31) + 2/31)²`, `kama = fma(x − kama, sc, kama)`, seeded with the price before the first
/// output. The path length is an exact window sum.
#[derive(Debug, Clone)]
pub struct Kama {
    n: usize,
    prices: Ring,
    path: WindowMoments,
    value: Option<f64>,
}

const KAMA_FAST: f64 = 2.0 / (2.0 + 1.0);
const KAMA_SLOW: f64 = 2.0 / (30.0 + 1.0);

impl Kama {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self { n, prices: Ring::new(n + 1), path: WindowMoments::new(n), value: None })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if self.n == 1 {
            return Some(x);
        }
        if let Some(prev) = self.prices.get_back(0) {
            self.path.push((prev - x).abs());
        }
        self.prices.push(x);
        if !self.prices.is_full() {
            return None;
        }
        let prev_kama = match self.value {
            Some(v) => v,
            None => self.prices.get_back(1).unwrap_or(x),
        };
        let oldest = self.prices.get_back(self.n).unwrap_or(x);
        let roc = x - oldest;
        let sum = self.path.sum();
        let er = if sum <= roc || crate::indicator::is_zero(sum) { 1.0 } else { (roc / sum).abs() };
        let mut sc = er.mul_add(KAMA_FAST - KAMA_SLOW, KAMA_SLOW);
        sc *= sc;
        let v = (x - prev_kama).mul_add(sc, prev_kama);
        self.value = Some(v);
        Some(v)
    }

    pub fn reset(&mut self) {
        self.prices.clear();
        self.path.reset();
        self.value = None;
    }
}

crate::single_series_indicator!(Kama);

/// Hull moving average: `WMA(2 × WMA(x, ⌊n/2⌋) − WMA(x, n), ⌊√n⌋)`.
#[derive(Debug, Clone)]
pub struct Hma {
    half: Wma,
    full: Wma,
    smooth: Wma,
}

impl Hma {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 2)?;
        Ok(Self { half: Wma::with_length(n / 2), full: Wma::with_length(n), smooth: Wma::with_length(hma_smooth(n)) })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let h = self.half.update(x);
        let f = self.full.update(x)?;
        self.smooth.update(2.0 * h? - f)
    }

    pub fn reset(&mut self) {
        self.half.reset();
        self.full.reset();
        self.smooth.reset();
    }
}

crate::single_series_indicator!(Hma);

/// ⌊√n⌋, the smoothing length of an HMA.
fn hma_smooth(n: usize) -> usize {
    ((n as f64).sqrt().floor() as usize).max(1)
}

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
        warmup_text: "length − 1",
        build: |p| boxed(Sma::new(p[0])),
    },
    IndicatorSpec {
        name: "ema",
        summary: "exponential moving average",
        definition: "Seeded with the SMA of the first `length` values, then `ema = ema + (x − ema) × 2 / (length + \
                     1)` with a single rounding (fused multiply-add, as TA-Lib 0.8.1). Length 1 is the input. \
                     TA-Lib EMA.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        warmup_text: "length − 1",
        build: |p| boxed(Ema::new(p[0])),
    },
    IndicatorSpec {
        name: "wma",
        summary: "linearly weighted moving average",
        definition: "Σ wᵢ·xᵢ / (n(n+1)/2) over the last n values with weights 1 (oldest) to n (newest), from exact \
                     sums. TA-Lib WMA.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        warmup_text: "length − 1",
        build: |p| boxed(Wma::new(p[0])),
    },
    IndicatorSpec {
        name: "dema",
        summary: "double exponential moving average",
        definition: "2 × EMA(x, n) − EMA(EMA(x, n), n), the second EMA seeded with the mean of the first one's first \
                     n values. TA-Lib DEMA.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| 2 * (len(p) - 1),
        warmup_text: "2 × (length − 1)",
        build: |p| boxed(Dema::new(p[0])),
    },
    IndicatorSpec {
        name: "tema",
        summary: "triple exponential moving average",
        definition: "e3 + (3·e1 − 3·e2) with e1 = EMA(x, n), e2 = EMA(e1, n), e3 = EMA(e2, n), each seeded with the \
                     mean of its input's first n values. TA-Lib TEMA.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| 3 * (len(p) - 1),
        warmup_text: "3 × (length − 1)",
        build: |p| boxed(Tema::new(p[0])),
    },
    IndicatorSpec {
        name: "trima",
        summary: "triangular moving average",
        definition: "SMA(SMA(x, a), b) with a = b = (n+1)/2 for odd n, a = n/2 and b = n/2 + 1 for even n. TA-Lib \
                     TRIMA.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        warmup_text: "length − 1",
        build: |p| boxed(Trima::new(p[0])),
    },
    IndicatorSpec {
        name: "kama",
        summary: "Kaufman adaptive moving average",
        definition: "er = |x − x[n]| / Σ|Δx| over the last n changes (1 if that sum is zero or not above the change), \
                     sc = (er × (2/3 − 2/31) + 2/31)², kama = kama + (x − kama) × sc, seeded with the previous \
                     price on the first output. TA-Lib KAMA (fast 2, slow 30).",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| if len(p) == 1 { 0 } else { len(p) },
        warmup_text: "length (0 for length 1)",
        build: |p| boxed(Kama::new(p[0])),
    },
    IndicatorSpec {
        name: "rma",
        summary: "Wilder's moving average (SMMA)",
        definition: "Seeded with the SMA of the first n values, then rma = (1/n) × x + (1 − 1/n) × rma. \
                     TradingView's ta.rma; the smoothing of Wilder's RSI and ATR.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        warmup_text: "length − 1",
        build: |p| boxed(Rma::new(p[0])),
    },
    IndicatorSpec {
        name: "hma",
        summary: "Hull moving average",
        definition: "WMA(2 × WMA(x, ⌊n/2⌋) − WMA(x, n), ⌊√n⌋) (Alan Hull's definition, as TradingView's ta.hma).",
        inputs: &[SOURCE],
        params: &[length("length", 2)],
        outputs: &[NUMBER],
        warmup: |p| (len(p) - 1) + (hma_smooth(len(p)) - 1),
        warmup_text: "length − 1 + ⌊√length⌋ − 1",
        build: |p| boxed(Hma::new(p[0])),
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
    fn rma_hand_computed() {
        let mut r = Rma::new(3.0).unwrap();
        let out: Vec<_> = [1.0, 2.0, 3.0, 4.0, 1.0].iter().map(|&x| r.update(x)).collect();
        assert_eq!(&out[..3], &[None, None, Some(2.0)]);
        let third = 1.0 / 3.0;
        let v3 = third * 4.0 + (1.0 - third) * 2.0;
        assert_eq!(out[3], Some(v3));
        assert_eq!(out[4], Some(third * 1.0 + (1.0 - third) * v3));
    }

    #[test]
    fn hma_has_no_lag_on_a_line() {
        // For x = t + 1: WMA(2) = t + 2/3, WMA(4) = t, so 2·WMA(2) − WMA(4) = t + 4/3 and its WMA(2) is t + 1.
        let mut h = Hma::new(4.0).unwrap();
        let out: Vec<_> = (1..=8).map(|x| h.update(x as f64)).collect();
        assert_eq!(&out[..4], &[None; 4]);
        for (t, v) in out.iter().enumerate().skip(4) {
            assert!((v.unwrap() - (t + 1) as f64).abs() < 1e-12, "bar {t}: {v:?}");
        }
    }

    #[test]
    fn wma_hand_computed_and_flat() {
        let mut w = Wma::new(3.0).unwrap();
        let out: Vec<_> = [1.0, 2.0, 3.0, 6.0].iter().map(|&x| w.update(x)).collect();
        assert_eq!(out, vec![None, None, Some((1.0 + 4.0 + 9.0) / 6.0), Some((2.0 + 6.0 + 18.0) / 6.0)]);
        let mut w = Wma::new(7.0).unwrap();
        let mut last = None;
        for _ in 0..10 {
            last = w.update(0.1);
        }
        assert_eq!(last, Some(0.1));
    }

    #[test]
    fn bad_lengths_are_rejected() {
        assert!(Sma::new(0.0).is_err());
        assert!(Sma::new(2.5).is_err());
        assert!(Ema::new(f64::NAN).is_err());
        assert!(Ema::new(-3.0).is_err());
    }
}
