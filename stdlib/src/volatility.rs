//! Dispersion and range: STDDEV, VARIANCE and Bollinger Bands; true range, ATR and NATR.
//!
//! Design choice: the dispersion indicators share one variance, [`ShiftedVariance`] (population variance, divisor
//! `n`, TA-Lib 0.8.1's shifted sums and reseeds, a flat window exactly zero), and the bands' middle is the exact
//! window mean of [`WindowMoments`]. The range family (TRANGE, ATR,
//! NATR) follows TA-Lib 0.8.1 step for step — the true range's operation order, ATR's fused Wilder step — except that
//! ATR's seed, the mean true range of its first `n` bars, is an exact mean like every other window mean here.

use crate::exact::ExactSum;
use crate::indicator::{Indicator, ParamError, any_undefined, length_param, real_param};
use crate::moments::{ShiftedVariance, WindowMoments};

/// Population variance of the last `n` values.
#[derive(Debug, Clone)]
pub struct Variance {
    var: ShiftedVariance,
}

impl Variance {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self { var: ShiftedVariance::new(n) })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.var.push(x)
    }

    /// [`Variance::update`] over a run of values (NaN = undefined: skipped, output NaN), bit for bit the same.
    pub fn update_slice(&mut self, xs: &[f64], out: &mut [f64]) {
        let xs = &xs[..xs.len().min(out.len())];
        self.var.each_variance(xs, |i, v| out[i] = v);
    }

    pub fn reset(&mut self) {
        self.var.reset();
    }
}

crate::single_series_indicator!(Variance, batch);

/// Population standard deviation of the last `n` values, times `mult` (TA-Lib's `nbdev`, default 1).
#[derive(Debug, Clone)]
pub struct StdDev {
    var: ShiftedVariance,
    mult: f64,
}

impl StdDev {
    pub fn new(length: f64, mult: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        let mult = real_param("mult", mult, 0.0, 1e6)?;
        Ok(Self { var: ShiftedVariance::new(n), mult })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        Some(Self::scaled(self.mult, self.var.push(x)?))
    }

    #[inline(always)]
    fn scaled(mult: f64, variance: f64) -> f64 {
        let sd = variance.sqrt();
        if mult != 1.0 { sd * mult } else { sd }
    }

    /// [`StdDev::update`] over a run of values (NaN = undefined: skipped, output NaN), bit for bit the same.
    pub fn update_slice(&mut self, xs: &[f64], out: &mut [f64]) {
        let (mult, xs) = (self.mult, &xs[..xs.len().min(out.len())]);
        self.var.each_variance(xs, |i, v| out[i] = Self::scaled(mult, v));
    }

    pub fn reset(&mut self) {
        self.var.reset();
    }
}

crate::single_series_indicator!(StdDev, batch);

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
    var: ShiftedVariance,
    up: f64,
    down: f64,
}

impl Bbands {
    /// `mult_up` and `mult_down` are TA-Lib's `nbdevup` / `nbdevdn`.
    pub fn new(length: f64, mult_up: f64, mult_down: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        let up = real_param("mult", mult_up, 0.0, 1e6)?;
        let down = real_param("mult_down", mult_down, 0.0, 1e6)?;
        Ok(Self { window: WindowMoments::new(n), var: ShiftedVariance::new(n), up, down })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<Bands> {
        self.window.push(x);
        let variance = self.var.push(x)?;
        Some(self.bands(variance, self.window.mean()))
    }
}

impl Bbands {
    /// [`Bbands::update`] over a run of values (NaN = undefined: skipped, outputs NaN), bit for bit the same: the
    /// middle band in one pass, then the variance with the bands made as each variance comes (each pass with its
    /// state in registers).
    pub fn update_slice(&mut self, xs: &[f64], upper: &mut [f64], middle: &mut [f64], lower: &mut [f64]) {
        let len = xs.len().min(upper.len()).min(middle.len()).min(lower.len());
        let (xs, upper, middle, lower) = (&xs[..len], &mut upper[..len], &mut middle[..len], &mut lower[..len]);
        let mut i = 0;
        while i < len {
            i += self.window.push_means(&xs[i..], &mut middle[i..]);
            if i < len {
                let x = xs[i];
                middle[i] = if x.is_nan() {
                    f64::NAN
                } else {
                    self.window.push(x);
                    if self.window.is_full() { self.window.mean() } else { f64::NAN }
                };
                i += 1;
            }
        }
        // Then the variances, each made into its bands as it comes (off the running sums' dependency chain).
        let (up, down) = (self.up, self.down);
        self.var.each_variance(xs, |i, variance| {
            let b = Self::bands_around(up, down, variance, middle[i]);
            (upper[i], lower[i]) = (b.upper, b.lower);
        });
    }

    #[inline(always)]
    fn bands(&self, variance: f64, middle: f64) -> Bands {
        Self::bands_around(self.up, self.down, variance, middle)
    }

    /// The bands of a variance around a middle (NaN for an undefined variance).
    #[inline(always)]
    fn bands_around(up: f64, down: f64, variance: f64, middle: f64) -> Bands {
        let sd = if variance != 0.0 { variance.sqrt() } else { 0.0 };
        if up != down {
            return Bands { upper: sd.mul_add(up, middle), middle, lower: middle - sd * down };
        }
        let width = sd * up;
        Bands { upper: middle + width, middle, lower: middle - width }
    }
}

impl Indicator for Bbands {
    fn update_slices(&mut self, inputs: &[&[f64]], outs: &mut [&mut [f64]]) {
        if let ([xs], [upper, middle, lower]) = (inputs, outs) {
            self.update_slice(xs, upper, middle, lower);
        }
    }

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
        self.var.reset();
    }
}

/// The true range of a bar: `max(high - low, |close[1] - high|, |close[1] - low|)`, in TA-Lib's operation order.
#[inline(always)]
pub(crate) fn true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    let mut greatest = high - low;
    let up = (prev_close - high).abs();
    if up > greatest {
        greatest = up;
    }
    let down = (prev_close - low).abs();
    if down > greatest {
        greatest = down;
    }
    greatest
}

/// True range (TA-Lib TRANGE): defined from the second bar, which has a previous close.
#[derive(Debug, Clone, Default)]
pub struct TrueRange {
    prev_close: Option<f64>,
}

impl TrueRange {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        self.prev_close.replace(close).map(|pc| true_range(high, low, pc))
    }

    pub fn reset(&mut self) {
        self.prev_close = None;
    }
}

crate::bar_indicator!(TrueRange, 0, 1, 2);

/// Wilder's average true range over `n` bars (TA-Lib ATR); first defined on bar `n`.
///
/// The true range needs the previous close, so bar 0 only supplies it. The first value is the mean true range of
/// bars `1..=n` (an exact mean); after that `atr = fma(β, atr, α × TR)` with `β = (n - 1) / n` and `α = 1 - β`,
/// TA-Lib 0.8.1's fused Wilder step.
#[derive(Debug, Clone)]
pub struct Atr {
    n: usize,
    alpha: f64,
    beta: f64,
    prev_close: Option<f64>,
    seed: ExactSum,
    seeded: usize,
    value: Option<f64>,
}

impl Atr {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        let beta = (n - 1) as f64 / n as f64;
        Ok(Self { n, alpha: 1.0 - beta, beta, prev_close: None, seed: ExactSum::new(), seeded: 0, value: None })
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let prev_close = self.prev_close.replace(close)?;
        let tr = true_range(high, low, prev_close);
        match self.value.as_mut() {
            Some(atr) => *atr = self.beta.mul_add(*atr, self.alpha * tr),
            None => {
                self.seed.add(tr);
                self.seeded += 1;
                if self.seeded == self.n {
                    self.value = Some(self.seed.value() / self.n as f64);
                }
            }
        }
        self.value
    }

    pub fn reset(&mut self) {
        self.prev_close = None;
        self.seed.reset();
        self.seeded = 0;
        self.value = None;
    }
}

impl Atr {
    /// [`Atr::update`] over runs of high, low and close (a bar with any NaN is skipped, output NaN), bit for bit
    /// the same, with the average and the previous close in registers once the ATR is defined.
    pub fn update_slice(&mut self, high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
        let len = out.len().min(high.len()).min(low.len()).min(close.len());
        let mut i = 0;
        while i < len && self.value.is_none() {
            let (h, l, c) = (high[i], low[i], close[i]);
            out[i] = if h.is_nan() || l.is_nan() || c.is_nan() {
                f64::NAN
            } else {
                self.update(h, l, c).unwrap_or(f64::NAN)
            };
            i += 1;
        }
        let (Some(mut atr), Some(mut prev_close)) = (self.value, self.prev_close) else { return };
        let (alpha, beta) = (self.alpha, self.beta);
        for (((o, &h), &l), &c) in out[i..len].iter_mut().zip(&high[i..len]).zip(&low[i..len]).zip(&close[i..len]) {
            if h.is_nan() || l.is_nan() || c.is_nan() {
                *o = f64::NAN;
                continue;
            }
            let tr = true_range(h, l, prev_close);
            prev_close = c;
            atr = beta.mul_add(atr, alpha * tr);
            *o = atr;
        }
        (self.value, self.prev_close) = (Some(atr), Some(prev_close));
    }
}

impl Indicator for Atr {
    #[inline]
    fn update(&mut self, inputs: &[f64], out: &mut [f64]) {
        out[0] = if any_undefined(inputs) {
            f64::NAN
        } else {
            Atr::update(self, inputs[0], inputs[1], inputs[2]).unwrap_or(f64::NAN)
        };
    }

    fn update_slices(&mut self, inputs: &[&[f64]], outs: &mut [&mut [f64]]) {
        if let ([high, low, close], [out]) = (inputs, outs) {
            self.update_slice(high, low, close, out);
        }
    }

    fn reset(&mut self) {
        Atr::reset(self)
    }
}

/// Normalised ATR (TA-Lib NATR): `100 × ATR(n) / close`, 0 when the close is exactly 0.
#[derive(Debug, Clone)]
pub struct Natr {
    atr: Atr,
}

impl Natr {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        Ok(Self { atr: Atr::new(length)? })
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let atr = self.atr.update(high, low, close)?;
        Some(if close != 0.0 { (atr / close) * 100.0 } else { 0.0 })
    }

    pub fn reset(&mut self) {
        self.atr.reset();
    }
}

crate::bar_indicator!(Natr, 0, 1, 2);

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
        warmup_text: "length − 1",
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
        warmup_text: "length − 1",
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
        warmup_text: "length − 1",
        build: |p| boxed(Variance::new(p[0])),
    },
    IndicatorSpec {
        name: "atr",
        summary: "average true range (Wilder)",
        definition: "Wilder's average of the true range TR = max(high − low, |high − close[1]|, |low − close[1]|), \
                     which starts on the second bar (it needs the previous close). The first ATR, on bar `length`, \
                     is the mean TR of bars 1..`length` (an exact mean); then `atr = β·atr + α·TR` with \
                     β = (length − 1) / length and α = 1 − β, as one fused multiply-add. TA-Lib ATR.",
        inputs: &[HIGH, LOW, CLOSE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: len,
        warmup_text: "length",
        build: |p| boxed(Atr::new(p[0])),
    },
    IndicatorSpec {
        name: "natr",
        summary: "normalised average true range, in percent of the close",
        definition: "100 × atr(length) / close of the same bar, computed as (atr / close) × 100; 0 when the close is \
                     exactly 0. TA-Lib NATR, except at length 1, where TA-Lib returns the raw true range: here it is \
                     normalised like every other length.",
        inputs: &[HIGH, LOW, CLOSE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: len,
        warmup_text: "length",
        build: |p| boxed(Natr::new(p[0])),
    },
    IndicatorSpec {
        name: "trange",
        summary: "true range",
        definition: "max(high − low, |high − close[1]|, |low − close[1]|): the bar's range extended to the previous \
                     close. Defined from the second bar. TA-Lib TRANGE.",
        inputs: &[HIGH, LOW, CLOSE],
        params: &[],
        outputs: &[NUMBER],
        warmup: |_| 1,
        warmup_text: "1",
        build: |_| Ok(Box::new(TrueRange::new())),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    use super::synthetic::{N, assert_matches, assert_samples, series};

    #[test]
    fn signatures() {
        assert_eq!(crate::registry::lookup("atr").unwrap().signature(), "atr(length)");
        assert_eq!(crate::registry::lookup("natr").unwrap().signature(), "natr(length)");
        assert_eq!(crate::registry::lookup("trange").unwrap().signature(), "trange()");
    }

    /// Runs a three-input indicator (high, low, close) through the [`Indicator`] interface.
    fn run_hlc(ind: &mut dyn Indicator, high: &[f64], low: &[f64], close: &[f64]) -> Vec<f64> {
        let mut out = [f64::NAN];
        (0..close.len())
            .map(|i| {
                ind.update(&[high[i], low[i], close[i]], &mut out);
                out[0]
            })
            .collect()
    }

    #[test]
    fn true_range_atr_natr_hand_computed() {
        // TR: bar 1 = max(1, |9 - 12|, |9 - 11|) = 3; bar 2 = max(0.5, 0.5, 1) = 1; bar 3 = max(1, 0.25, 0.75) = 1.
        let bars = [(10.0, 8.0, 9.0), (12.0, 11.0, 11.5), (11.0, 10.5, 10.75), (11.0, 10.0, 10.5)];
        let mut tr = TrueRange::new();
        let mut atr = Atr::new(2.0).unwrap();
        let mut natr = Natr::new(2.0).unwrap();
        let got: Vec<_> =
            bars.iter().map(|&(h, l, c)| (tr.update(h, l, c), atr.update(h, l, c), natr.update(h, l, c))).collect();
        assert_eq!(got[0], (None, None, None));
        assert_eq!(got[1], (Some(3.0), None, None));
        // Seed: the mean TR of bars 1..2 = (3 + 1) / 2.
        assert_eq!(got[2], (Some(1.0), Some(2.0), Some(2.0 / 10.75 * 100.0)));
        // Wilder step: 0.5 × 2 + 0.5 × 1.
        assert_eq!(got[3], (Some(1.0), Some(1.5), Some(1.5 / 10.5 * 100.0)));
    }

    #[test]
    fn atr_of_length_one_is_the_true_range() {
        let s = series(80);
        let mut atr = Atr::new(1.0).unwrap();
        let mut tr = TrueRange::new();
        for i in 0..80 {
            assert_eq!(atr.update(s.high[i], s.low[i], s.close[i]), tr.update(s.high[i], s.low[i], s.close[i]));
        }
    }

    #[test]
    fn flat_bars_have_zero_range_and_zero_close_gives_zero_natr() {
        let mut atr = Atr::new(3.0).unwrap();
        let mut natr = Natr::new(3.0).unwrap();
        for _ in 0..10 {
            atr.update(101.25, 101.25, 101.25);
            natr.update(0.0, 0.0, 0.0);
        }
        assert_eq!(atr.update(101.25, 101.25, 101.25), Some(0.0));
        assert_eq!(natr.update(1.0, -1.0, 0.0), Some(0.0));
    }

    #[test]
    fn undefined_bars_are_skipped() {
        let spec = crate::registry::lookup("atr").unwrap();
        let mut ind = (spec.build)(&[2.0]).unwrap();
        let bars = [(10.0, 8.0, 9.0), (12.0, 11.0, 11.5), (f64::NAN, 10.0, 10.0), (11.0, 10.5, 10.75)];
        let mut out = [0.0];
        let mut got = vec![];
        for (h, l, c) in bars {
            ind.update(&[h, l, c], &mut out);
            got.push(out[0]);
        }
        assert!(got[..3].iter().all(|v| v.is_nan()));
        assert_eq!(got[3], 2.0);
    }

    #[test]
    fn range_family_matches_talib() {
        let s = series(80);
        let (h, l, c) = (&s.high, &s.low, &s.close);
        assert_matches("ATR(14)", &run_hlc(&mut Atr::new(14.0).unwrap(), h, l, c), &ATR_14);
        assert_matches("NATR(5)", &run_hlc(&mut Natr::new(5.0).unwrap(), h, l, c), &NATR_5);
        assert_matches("TRANGE", &run_hlc(&mut TrueRange::new(), h, l, c), &TRANGE);
        let long = series(2000);
        let got = run_hlc(&mut Atr::new(14.0).unwrap(), &long.high, &long.low, &long.close);
        assert_samples("ATR(14), long", &got, &LONG_ATR_14);
    }

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

    const ATR_14: [f64; 80] = [
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        1.0164285714285728,
        1.0173979591836737,
        1.0411552478134118,
        1.0025013015410253,
        0.9973226371452373,
        0.9575138773491487,
        0.960548600395638,
        0.9990808432245211,
        0.9712893544227695,
        0.9554829719640003,
        0.9465199025380002,
        0.9796256237852856,
        0.963223793514908,
        1.0165649511209855,
        1.0153817403266294,
        0.9964259017318702,
        0.9252526230367366,
        0.8591631499626841,
        0.7977943535367781,
        0.7408090425698654,
        0.6878941109577321,
        0.6387588173178941,
        0.5931331875094731,
        0.5507665312587965,
        0.511426064740311,
        0.47489563154457454,
        0.44097451500567636,
        0.4094763353624138,
        0.4159423114079557,
        0.4605178605931011,
        0.466909441979308,
        0.5407016246950717,
        0.5377943657882809,
        0.552951911089118,
        0.6155982031541815,
        0.6459126172145975,
        0.7197760016992696,
        0.7576491444350361,
        0.7692456341182479,
        0.7857280888240873,
        0.7738903681937956,
        1.2836124847513812,
        1.2633544501262826,
        1.2695434179744047,
        1.2860046024048044,
        1.2541471308044616,
        1.2267080500327148,
        1.1748003321732352,
        1.1344574513037184,
        1.0841390619248819,
        1.0995577003588186,
        1.6517321503331883,
        1.6008941395951033,
        1.5286874153383105,
        1.4809240285284313,
        1.4608580264906865,
        1.4186538817413512,
        1.424464318759826,
        1.3584311531341242,
        1.350686070767401,
        1.3613513514268725,
        1.3183976834678106,
        1.3135121346486813,
        1.3118326964594902,
        1.3252732181409552,
        1.3020394168451728,
    ];

    const NATR_5: [f64; 80] = [
        N,
        N,
        N,
        N,
        N,
        0.9427135678391985,
        1.0914621780571903,
        1.1087447826529582,
        1.0665737990371835,
        1.1803885111133694,
        1.2061197915602353,
        1.2120393261619666,
        1.0712218020907354,
        1.072401670703765,
        0.9074889192525278,
        0.931305219276049,
        1.0105432434995063,
        0.9072110089383921,
        0.9212750957261272,
        0.8246893029976823,
        0.8648481669383515,
        1.0010833212697243,
        0.9242812144615534,
        0.891631877709047,
        0.8853058169988185,
        1.0057026574639107,
        0.9598430436014894,
        1.1319928242244517,
        1.1113721063367532,
        1.0392205888128117,
        0.8313764710502494,
        0.6651011768401995,
        0.5320809414721596,
        0.42566475317772773,
        0.34053180254218224,
        0.2724254420337458,
        0.21794035362699668,
        0.17435228290159732,
        0.13948182632127784,
        0.1115854610570223,
        0.08926836884561784,
        0.07141469507649427,
        0.16129008358860192,
        0.3423042427304574,
        0.38838761142731426,
        0.6254420610691879,
        0.6046766760372844,
        0.6396581855248666,
        0.8037975289541082,
        0.8628866616133157,
        1.0296628334479818,
        1.0812551076879249,
        1.0645654101887883,
        1.0610080933255013,
        0.9842450749777684,
        2.2688291683490758,
        1.9965153011182573,
        1.8734139590670056,
        1.794249892095312,
        1.6125519790785334,
        1.4738496231302354,
        1.2721297769925644,
        1.1313702657761229,
        0.9937120581594152,
        1.0570098220215363,
        2.8220383229716863,
        2.4485866102305813,
        2.0986894142370116,
        1.8474299497279851,
        1.752374625892287,
        1.5962457190355641,
        1.6049873355357223,
        1.3890049559957804,
        1.3820892178034507,
        1.437274530628762,
        1.326242222622013,
        1.3457266134550743,
        1.3538616217479795,
        1.4246892638401663,
        1.36359734930831,
    ];

    const TRANGE: [f64; 80] = [
        N,
        0.6800000000000068,
        1.4099999999999966,
        0.5,
        1.1000000000000085,
        1.0,
        1.6299999999999955,
        1.1400000000000006,
        0.8500000000000085,
        1.6500000000000057,
        1.25,
        1.25,
        0.5,
        1.019999999999996,
        0.25,
        1.029999999999987,
        1.3500000000000085,
        0.5,
        0.9299999999999926,
        0.4399999999999977,
        1.0,
        1.5,
        0.6099999999999994,
        0.75,
        0.8299999999999983,
        1.4099999999999966,
        0.75,
        1.7099999999999937,
        1.0,
        0.75,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.5,
        1.039999999999992,
        0.5499999999999972,
        1.5,
        0.5,
        0.75,
        1.4300000000000068,
        1.0400000000000063,
        1.6800000000000068,
        1.25,
        0.9200000000000017,
        1.0,
        0.6200000000000045,
        7.909999999999997,
        1.0,
        1.3499999999999943,
        1.5,
        0.8400000000000034,
        0.8700000000000045,
        0.5,
        0.6099999999999994,
        0.4300000000000068,
        1.2999999999999972,
        8.829999999999998,
        0.9399999999999977,
        0.5900000000000034,
        0.8599999999999994,
        1.2000000000000028,
        0.8699999999999903,
        1.5,
        0.5,
        1.25,
        1.5,
        0.7600000000000051,
        1.25,
        1.2900000000000063,
        1.5,
        1.0,
    ];

    const LONG_ATR_14: [(usize, f64); 39] = [
        (458, 0.8834633389965357),
        (459, 0.8675016719253543),
        (460, 0.8812515525021148),
        (461, 0.9225907273233929),
        (462, 0.9166913896574355),
        (463, 0.8797848618247609),
        (464, 0.9255145145515634),
        (465, 0.9129777635121661),
        (499, 1.0058400279291424),
        (500, 71429.52756574018),
        (501, 137755.93416818726),
        (502, 127916.3138704596),
        (503, 118779.50573685535),
        (504, 110295.32961279426),
        (505, 102417.13464045181),
        (506, 95101.71430899097),
        (507, 88308.82828692018),
        (508, 82001.12626642588),
        (509, 76143.95653310975),
        (510, 70705.15606645907),
        (511, 65654.87706171199),
        (512, 60965.30012873256),
        (513, 56610.70726239452),
        (514, 52567.20531508063),
        (515, 48812.47636400344),
        (516, 45325.933052288914),
        (517, 42088.45569141114),
        (518, 39082.208856310346),
        (519, 36290.69893800247),
        (700, 0.9619442671806672),
        (850, 1.100207568658936),
        (1000, 1.0134438772557277),
        (1150, 0.9160002438758365),
        (1300, 0.9063932433153113),
        (1450, 0.9279167346083711),
        (1600, 1.091101991401256),
        (1750, 0.9558594739541236),
        (1900, 0.7962393224107739),
        (1999, 1.072410760734247),
    ];
}

/// The synthetic OHLCV series the TA-Lib comparison tests of the volatility, volume and trend modules run on, and
/// the comparison itself.
///
/// A 64-bit LCG drives a random walk in whole cents, so the series is exact in both Rust and Python: closes move by
/// up to ±1.00 a bar, highs and lows sit 0, 0.25, 0.50 or 0.75 away (many ties), volumes are 0 to 500 in hundreds
/// (zero volumes), bars 30..42 are a flat stretch (high = low = close, volume 0 then 700), bars 55 and 65 gap up 8
/// and down 9 (SAR reversals through the SAR), and bar 500 is a one-bar spike of +1,000,000 (long series only).
/// `other` is a second series, loosely tied to the close, for CORREL. The expected values were computed from the
/// same series by TA-Lib 0.8.1 (Python `talib` 0.8.2):
///
/// ```python
/// def bars(n):
///     s = 0x2545F4914F6CDD1D
///     def nxt():
///         nonlocal s
///         s = (s * 6364136223846793005 + 1442695040888963407) % 2**64
///         return s >> 33
///     c = 10_000
///     H, L, C, V, B = [], [], [], [], []
///     for i in range(n):
///         r = [nxt() for _ in range(5)]
///         if 30 <= i < 42:
///             h = l = c
///             v = 0 if i < 36 else 700
///             b = c // 2 + r[4] % 41 - 20
///         else:
///             c += r[0] % 201 - 100
///             if i == 55: c += 800
///             if i == 65: c -= 900
///             if i == 500: c += 100_000_000
///             if i == 501: c -= 100_000_000
///             h = c + (r[1] % 4) * 25
///             l = c - (r[2] % 4) * 25
///             v = (r[3] % 6) * 100
///             b = c // 2 + r[4] % 301 - 150
///         H.append(h / 100.0); L.append(l / 100.0); C.append(c / 100.0); V.append(float(v)); B.append(b / 100.0)
///     return [np.array(x) for x in (H, L, C, V, B)]
/// ```
#[cfg(test)]
pub(crate) mod synthetic {
    /// Undefined, as TA-Lib's NaN in the embedded expected values.
    pub const N: f64 = f64::NAN;

    pub struct Series {
        pub high: Vec<f64>,
        pub low: Vec<f64>,
        pub close: Vec<f64>,
        pub volume: Vec<f64>,
        pub other: Vec<f64>,
    }

    pub fn series(n: usize) -> Series {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as i64
        };
        let mut c: i64 = 10_000;
        let mut s = Series { high: vec![], low: vec![], close: vec![], volume: vec![], other: vec![] };
        for i in 0..n {
            let r: [i64; 5] = std::array::from_fn(|_| next());
            let (h, l, v, b);
            if (30..42).contains(&i) {
                (h, l) = (c, c);
                v = if i < 36 { 0 } else { 700 };
                b = c / 2 + r[4] % 41 - 20;
            } else {
                c += r[0] % 201 - 100;
                match i {
                    55 => c += 800,
                    65 => c -= 900,
                    500 => c += 100_000_000,
                    501 => c -= 100_000_000,
                    _ => {}
                }
                h = c + (r[1] % 4) * 25;
                l = c - (r[2] % 4) * 25;
                v = (r[3] % 6) * 100;
                b = c / 2 + r[4] % 301 - 150;
            }
            s.high.push(h as f64 / 100.0);
            s.low.push(l as f64 / 100.0);
            s.close.push(c as f64 / 100.0);
            s.volume.push(v as f64);
            s.other.push(b as f64 / 100.0);
        }
        s
    }

    fn close_enough(got: f64, want: f64) -> bool {
        (got - want).abs() <= 1e-9 * want.abs().max(1.0)
    }

    /// `got` equals TA-Lib's `want` to 1e-9 relative (1e-9 absolute below 1), and is NaN exactly where `want` is.
    pub fn assert_matches(name: &str, got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{name}: length");
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            if w.is_nan() {
                assert!(g.is_nan(), "{name}[{i}]: TA-Lib is undefined, got {g}");
            } else {
                assert!(close_enough(g, w), "{name}[{i}]: got {g}, TA-Lib {w}");
            }
        }
    }

    /// [`assert_matches`] at sampled bars of a long series.
    pub fn assert_samples(name: &str, got: &[f64], want: &[(usize, f64)]) {
        for &(i, w) in want {
            assert!(close_enough(got[i], w), "{name}[{i}]: got {}, TA-Lib {w}", got[i]);
        }
    }
}
