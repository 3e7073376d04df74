//! Trend-following and regression: SAR, SUPERTREND, LINEARREG, LINEARREG_SLOPE, CORREL.
//!
//! Design choice: each indicator keeps the arithmetic of the definition it is named after, because trend state is
//! path-dependent and a last-bit difference can flip a reversal. SAR and the least-squares line follow TA-Lib 0.8.1
//! step for step (fused sites included; the regression's running sums are recomputed from the window every
//! `32 × length` bars and when a large value leaves, as TA-Lib does, so they never drift); SUPERTREND follows
//! TradingView's published `ta.supertrend`. CORREL, a ratio of window sums, reads *exact* window sums instead, so a
//! flat window is recognised exactly and nothing is ever recomputed from the window.

use crate::exact::{ExactSum, Expansion, two_prod};
use crate::indicator::{Indicator, ParamError, any_undefined, length_param, real_param};
use crate::ring::Ring;
use crate::volatility::true_range;

/// Wilder's parabolic stop and reverse, exactly as TA-Lib SAR computes it; first defined on the second bar.
///
/// The start direction comes from the first two bars: short when bar 1 has a one-bar −DM (`low[0] - low[1] > 0`
/// and greater than `high[1] - high[0]`), else long. Each bar outputs the SAR computed on the previous bar, or, on a
/// reversal, the extreme point clamped beyond the last two bars' extremes.
#[derive(Debug, Clone)]
pub struct Sar {
    accel: f64,
    max: f64,
    state: SarState,
}

#[derive(Debug, Clone, Copy)]
enum SarState {
    Empty,
    First { high: f64, low: f64 },
    Running { long: bool, sar: f64, ep: f64, af: f64, high: f64, low: f64 },
}

impl Sar {
    /// `accel` is both the starting acceleration factor and its step; `max` caps it. As in TA-Lib, an `accel` above
    /// `max` is lowered to `max`.
    pub fn new(accel: f64, max: f64) -> Result<Self, ParamError> {
        let accel = real_param("accel", accel, 0.0, 1e6)?;
        let max = real_param("max", max, 0.0, 1e6)?;
        Ok(Self { accel: accel.min(max), max, state: SarState::Empty })
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64) -> Option<f64> {
        match self.state {
            SarState::Empty => {
                self.state = SarState::First { high, low };
                None
            }
            SarState::First { high: h0, low: l0 } => {
                let up = high - h0;
                let down = l0 - low;
                let long = !(down > 0.0 && up < down);
                let (sar, ep) = if long { (l0, high) } else { (h0, low) };
                // TA-Lib's first step sees bar 1 as its own previous bar.
                Some(self.step(long, sar, ep, self.accel, (high, low), (high, low)))
            }
            SarState::Running { long, sar, ep, af, high: ph, low: pl } => {
                Some(self.step(long, sar, ep, af, (ph, pl), (high, low)))
            }
        }
    }

    /// One TA-Lib SAR iteration; returns the bar's output and keeps the SAR for the next bar.
    #[inline(always)]
    fn step(
        &mut self,
        mut long: bool,
        mut sar: f64,
        mut ep: f64,
        mut af: f64,
        prev: (f64, f64),
        new: (f64, f64),
    ) -> f64 {
        let ((ph, pl), (nh, nl)) = (prev, new);
        let out;
        if long {
            if nl <= sar {
                long = false;
                sar = ep;
                if sar < ph {
                    sar = ph;
                }
                if sar < nh {
                    sar = nh;
                }
                out = sar;
                af = self.accel;
                ep = nl;
                sar = af.mul_add(ep - sar, sar);
                if sar < ph {
                    sar = ph;
                }
                if sar < nh {
                    sar = nh;
                }
            } else {
                out = sar;
                if nh > ep {
                    ep = nh;
                    af += self.accel;
                    if af > self.max {
                        af = self.max;
                    }
                }
                sar = af.mul_add(ep - sar, sar);
                if sar > pl {
                    sar = pl;
                }
                if sar > nl {
                    sar = nl;
                }
            }
        } else if nh >= sar {
            long = true;
            sar = ep;
            if sar > pl {
                sar = pl;
            }
            if sar > nl {
                sar = nl;
            }
            out = sar;
            af = self.accel;
            ep = nh;
            sar = af.mul_add(ep - sar, sar);
            if sar > pl {
                sar = pl;
            }
            if sar > nl {
                sar = nl;
            }
        } else {
            out = sar;
            if nl < ep {
                ep = nl;
                af += self.accel;
                if af > self.max {
                    af = self.max;
                }
            }
            sar = af.mul_add(ep - sar, sar);
            if sar < ph {
                sar = ph;
            }
            if sar < nh {
                sar = nh;
            }
        }
        self.state = SarState::Running { long, sar, ep, af, high: nh, low: nl };
        out
    }

    pub fn reset(&mut self) {
        self.state = SarState::Empty;
    }
}

crate::pair_indicator!(Sar);

/// One bar of [`Supertrend`]: the line and the trend's direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SupertrendValue {
    /// The final lower band in an uptrend, the final upper band in a downtrend.
    pub value: f64,
    /// +1 in an uptrend (price above the line), −1 in a downtrend.
    pub direction: i8,
}

/// Supertrend, as TradingView's `ta.supertrend(mult, length)` defines it (with the direction's sign flipped: +1 is
/// up here, −1 in Pine).
///
/// ATR is Wilder's RMA of the true range (the first bar's true range is `high - low`), seeded by the exact mean of
/// the first `n` true ranges, so the first value is on bar `n - 1`. Bands around `hl2` ratchet toward the price
/// until the close crosses them; the first bar starts in a downtrend.
#[derive(Debug, Clone)]
pub struct Supertrend {
    n: usize,
    mult: f64,
    alpha: f64,
    keep: f64,
    prev_close: Option<f64>,
    seed: ExactSum,
    seeded: usize,
    atr: Option<f64>,
    /// The previous bar's final (upper, lower) bands.
    bands: Option<(f64, f64)>,
    up: bool,
}

impl Supertrend {
    pub fn new(length: f64, mult: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        let mult = real_param("mult", mult, 0.0, 1e6)?;
        let alpha = 1.0 / n as f64;
        Ok(Self {
            n,
            mult,
            alpha,
            keep: 1.0 - alpha,
            prev_close: None,
            seed: ExactSum::new(),
            seeded: 0,
            atr: None,
            bands: None,
            up: false,
        })
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<SupertrendValue> {
        let prev_close = self.prev_close.replace(close);
        let tr = match prev_close {
            Some(pc) => true_range(high, low, pc),
            None => high - low,
        };
        let atr = match self.atr {
            Some(atr) => self.alpha * tr + self.keep * atr,
            None => {
                self.seed.add(tr);
                self.seeded += 1;
                if self.seeded < self.n {
                    return None;
                }
                self.seed.value() / self.n as f64
            }
        };
        self.atr = Some(atr);
        let hl2 = (high + low) / 2.0;
        let basic_upper = hl2 + self.mult * atr;
        let basic_lower = hl2 - self.mult * atr;
        let (upper, lower, up) = match (self.bands, prev_close) {
            (Some((prev_upper, prev_lower)), Some(pc)) => {
                let upper = if basic_upper < prev_upper || pc > prev_upper { basic_upper } else { prev_upper };
                let lower = if basic_lower > prev_lower || pc < prev_lower { basic_lower } else { prev_lower };
                let up = if self.up { close >= lower } else { close > upper };
                (upper, lower, up)
            }
            _ => (basic_upper, basic_lower, false),
        };
        self.bands = Some((upper, lower));
        self.up = up;
        Some(if up {
            SupertrendValue { value: lower, direction: 1 }
        } else {
            SupertrendValue { value: upper, direction: -1 }
        })
    }

    pub fn reset(&mut self) {
        self.prev_close = None;
        self.seed.reset();
        self.seeded = 0;
        self.atr = None;
        self.bands = None;
        self.up = false;
    }
}

impl Indicator for Supertrend {
    #[inline]
    fn update(&mut self, inputs: &[f64], out: &mut [f64]) {
        let v = if any_undefined(inputs) { None } else { Supertrend::update(self, inputs[0], inputs[1], inputs[2]) };
        match v {
            Some(v) => {
                out[0] = v.value;
                out[1] = f64::from(v.direction);
            }
            None => out[..2].fill(f64::NAN),
        }
    }

    fn reset(&mut self) {
        Supertrend::reset(self)
    }
}

/// TA-Lib 0.8.1's least-squares sums over the last `n` values, with x = bars ago (`n - 1` for the oldest value, 0
/// for the newest): running sums, recomputed from the window every `32 n` outputs and whenever the departing value
/// outweighs the window (`|n × y_out| > 100 Σ|y|`). A window of one repeated value is recognised exactly: its slope
/// is 0 and its line is the value, whatever residue the running sums carry.
#[derive(Debug, Clone)]
struct RegressionSums {
    window: Ring,
    n: f64,
    sum_x: f64,
    divisor: f64,
    sum_y: f64,
    sum_xy: f64,
    sum_abs: f64,
    until_reseed: usize,
    /// How many of the newest values equal the newest (capped at n): a flat window has slope exactly 0.
    run: usize,
    last: f64,
}

impl RegressionSums {
    fn new(n: usize) -> Self {
        let nf = n as f64;
        let sum_x = nf * (nf - 1.0) * 0.5;
        let sum_x_sqr = nf * (nf - 1.0) * (2.0 * nf - 1.0) / 6.0;
        Self {
            window: Ring::new(n),
            n: nf,
            sum_x,
            divisor: sum_x * sum_x - nf * sum_x_sqr,
            sum_y: 0.0,
            sum_xy: 0.0,
            sum_abs: 0.0,
            until_reseed: 0,
            run: 0,
            last: f64::NAN,
        }
    }

    /// True when the full window holds one value repeated.
    #[inline]
    fn is_flat(&self) -> bool {
        self.run == self.window.capacity()
    }

    /// Pushes `y`; once the window is full, returns the slope per bar (positive when the values rise).
    #[inline]
    fn push(&mut self, y: f64) -> Option<f64> {
        let same = usize::from(y == self.last);
        self.run = (self.run * same + 1).min(self.window.capacity());
        self.last = y;
        match self.window.push(y) {
            None if !self.window.is_full() => return None,
            None => self.reseed(),
            Some(trailing) => {
                let weighted = self.n * trailing;
                self.sum_xy = self.sum_xy + self.sum_y - weighted;
                self.sum_y = self.sum_y - trailing + y;
                self.sum_abs = self.sum_abs - trailing.abs() + y.abs();
                self.until_reseed -= 1;
                if self.until_reseed == 0 || weighted.abs() > 100.0 * self.sum_abs {
                    self.reseed();
                }
            }
        }
        if self.is_flat() {
            return Some(0.0);
        }
        Some((self.n * self.sum_xy - self.sum_x * self.sum_y) / self.divisor)
    }

    #[cold]
    fn reseed(&mut self) {
        self.until_reseed = 32 * self.window.capacity();
        let (mut sum_y, mut sum_xy, mut sum_abs) = (0.0, 0.0, 0.0);
        let mut x = self.n - 1.0;
        for y in self.window.iter() {
            sum_y += y;
            sum_xy += x * y;
            sum_abs += y.abs();
            x -= 1.0;
        }
        (self.sum_y, self.sum_xy, self.sum_abs) = (sum_y, sum_xy, sum_abs);
    }

    fn reset(&mut self) {
        self.window.clear();
        self.sum_y = 0.0;
        self.sum_xy = 0.0;
        self.sum_abs = 0.0;
        self.until_reseed = 0;
        self.run = 0;
        self.last = f64::NAN;
    }
}

/// The end point of the least-squares line through the last `n` values (TA-Lib LINEARREG); first defined after
/// `n` values.
#[derive(Debug, Clone)]
pub struct LinearReg {
    sums: RegressionSums,
}

impl LinearReg {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 2)?;
        Ok(Self { sums: RegressionSums::new(n) })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let m = self.sums.push(x)?;
        let s = &self.sums;
        if s.is_flat() {
            return Some(x);
        }
        let b = (s.sum_y - m * s.sum_x) / s.n;
        Some(m.mul_add(s.n - 1.0, b))
    }

    pub fn reset(&mut self) {
        self.sums.reset();
    }
}

crate::single_series_indicator!(LinearReg);

/// The slope per bar of the least-squares line through the last `n` values (TA-Lib LINEARREG_SLOPE).
#[derive(Debug, Clone)]
pub struct LinearRegSlope {
    sums: RegressionSums,
}

impl LinearRegSlope {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 2)?;
        Ok(Self { sums: RegressionSums::new(n) })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.sums.push(x)
    }

    pub fn reset(&mut self) {
        self.sums.reset();
    }
}

crate::single_series_indicator!(LinearRegSlope);

/// Adds `x` to an exact window sum, removing the value that left the window.
#[inline(always)]
fn slide(sum: &mut ExactSum, x: f64, old: Option<f64>) {
    sum.add2(x, -old.unwrap_or(0.0));
}

/// Adds the exact product `a × b` to an exact window sum, removing the product of the pair that left the window.
#[inline(always)]
fn slide_product(sum: &mut ExactSum, a: f64, b: f64, old: Option<(f64, f64)>) {
    let (p, e) = two_prod(a, b);
    match old {
        Some((oa, ob)) => {
            let (op, oe) = two_prod(oa, ob);
            sum.add2(p, -op);
            sum.add2(e, -oe);
        }
        None => sum.add2(p, e),
    }
}

/// The correctly rounded `n × sum_ab - sum_a × sum_b` of exact sums: `n²` times the window's covariance (or variance,
/// when `a` is `b`), exactly cancelled, so a flat window gives exactly zero. `scratch` avoids an allocation a bar.
fn co_moment(n: f64, sum_ab: &ExactSum, sum_a: &ExactSum, sum_b: &ExactSum, scratch: &mut Expansion) -> f64 {
    scratch.clear();
    for &t in sum_ab.parts().as_slice() {
        let (p, e) = two_prod(n, t);
        scratch.add(p);
        scratch.add(e);
    }
    let (a, b) = (sum_a.parts(), sum_b.parts());
    for &x in a.as_slice() {
        for &y in b.as_slice() {
            let (p, e) = two_prod(x, y);
            scratch.add(-p);
            scratch.add(-e);
        }
    }
    scratch.round()
}

/// Pearson's correlation coefficient of two series over the last `n` bars (TA-Lib CORREL), from exact window sums.
///
/// `r = (nΣab - ΣaΣb) / √((nΣa² - (Σa)²)(nΣb² - (Σb)²))`, each numerator exactly cancelled, clamped to `[-1, 1]`;
/// 0 when either window is flat.
#[derive(Debug, Clone)]
pub struct Correl {
    a: Ring,
    b: Ring,
    sum_a: ExactSum,
    sum_b: ExactSum,
    sum_aa: ExactSum,
    sum_bb: ExactSum,
    sum_ab: ExactSum,
    scratch: Expansion,
}

impl Correl {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self {
            a: Ring::new(n),
            b: Ring::new(n),
            sum_a: ExactSum::new(),
            sum_b: ExactSum::new(),
            sum_aa: ExactSum::new(),
            sum_bb: ExactSum::new(),
            sum_ab: ExactSum::new(),
            scratch: Expansion::new(),
        })
    }

    #[inline]
    pub fn update(&mut self, a: f64, b: f64) -> Option<f64> {
        let old_a = self.a.push(a);
        let old_b = self.b.push(b);
        slide(&mut self.sum_a, a, old_a);
        slide(&mut self.sum_b, b, old_b);
        slide_product(&mut self.sum_aa, a, a, old_a.map(|o| (o, o)));
        slide_product(&mut self.sum_bb, b, b, old_b.map(|o| (o, o)));
        slide_product(&mut self.sum_ab, a, b, old_a.zip(old_b));
        if !self.a.is_full() {
            return None;
        }
        let n = self.a.capacity() as f64;
        let var_a = co_moment(n, &self.sum_aa, &self.sum_a, &self.sum_a, &mut self.scratch);
        let var_b = co_moment(n, &self.sum_bb, &self.sum_b, &self.sum_b, &mut self.scratch);
        if var_a <= 0.0 || var_b <= 0.0 {
            return Some(0.0);
        }
        let cov = co_moment(n, &self.sum_ab, &self.sum_a, &self.sum_b, &mut self.scratch);
        Some((cov / (var_a.sqrt() * var_b.sqrt())).clamp(-1.0, 1.0))
    }

    pub fn reset(&mut self) {
        self.a.clear();
        self.b.clear();
        self.sum_a.reset();
        self.sum_b.reset();
        self.sum_aa.reset();
        self.sum_bb.reset();
        self.sum_ab.reset();
    }
}

crate::pair_indicator!(Correl);

use crate::spec::*;

/// The indicators of this module, for the registry.
pub(crate) static SPECS: &[IndicatorSpec] = &[
    IndicatorSpec {
        name: "sar",
        summary: "parabolic stop and reverse (Wilder)",
        definition: "TA-Lib SAR, defined from the second bar. Start: short if bar 1 has a one-bar −DM (low[0] − \
                     low[1] > 0 and > high[1] − high[0]), else long; long starts with sar = low[0], ep = high[1], \
                     short with sar = high[0], ep = low[1]; af = accel (an accel above max is lowered to max). Each \
                     bar outputs the SAR computed on the previous bar, unless the bar reaches it (long: low ≤ sar; \
                     short: high ≥ sar): then the position reverses, the output is the old ep pushed beyond the \
                     previous and current bar's high (to short) or low (to long), af restarts at accel and ep is \
                     the bar's low (now short) or high (now long). Otherwise a new extreme beyond ep moves ep to it \
                     and raises af by accel, at most max. Then sar = af × (ep − sar) + sar as one fused \
                     multiply-add, kept at or below the last two bars' lows when long, at or above their highs when \
                     short.",
        inputs: &[HIGH, LOW],
        params: &[real_or("accel", 0.0, 1e6, 0.02), real_or("max", 0.0, 1e6, 0.2)],
        outputs: &[NUMBER],
        warmup: |_| 1,
        warmup_text: "1",
        build: |p| boxed(Sar::new(p[0], p[1])),
    },
    IndicatorSpec {
        name: "supertrend",
        summary: "Supertrend: an ATR trailing line and the trend's direction",
        definition: "TradingView's ta.supertrend(mult, length), direction sign flipped. TR = max(high − low, \
                     |high − close[1]|, |low − close[1]|), and high − low on the first bar; ATR = Wilder's RMA of \
                     TR: the exact mean of the first `length` TRs (first defined on bar length − 1), then \
                     atr = (1/length)·TR + (1 − 1/length)·atr. hl2 = (high + low) / 2; basic upper = hl2 + \
                     mult·ATR, basic lower = hl2 − mult·ATR. Final lower = basic lower if basic lower > previous \
                     final lower or the previous close < previous final lower, else the previous final lower; final \
                     upper = basic upper if basic upper < previous final upper or the previous close > previous \
                     final upper, else the previous final upper (on the first bar the final bands are the basic \
                     ones). Direction: −1 (down) on the first bar; after a down bar it turns +1 (up) when the close \
                     is above this bar's final upper band; after an up bar it turns −1 when the close is below this \
                     bar's final lower band. `value` is the final lower band when the direction is +1, the final \
                     upper band when it is −1.",
        inputs: &[HIGH, LOW, CLOSE],
        params: &[length_or("length", 1, 10.0), real_or("mult", 0.0, 1e6, 3.0)],
        outputs: &[output("value"), output("direction")],
        warmup: |p| len(p) - 1,
        warmup_text: "length − 1",
        build: |p| boxed(Supertrend::new(p[0], p[1])),
    },
    IndicatorSpec {
        name: "linearreg",
        summary: "linear regression: end point of the least-squares line",
        definition: "The value at the current bar of the least-squares line through the last `length` values. With \
                     x = bars ago (length − 1 for the oldest value, 0 for the current one), n = length: slope m = \
                     (n·Σxy − Σx·Σy) / ((Σx)² − n·Σx²) (the slope per bar forward in time), b = (Σy − m·Σx) / n, \
                     value = m·(n − 1) + b as one fused multiply-add. The sums are TA-Lib's running sums, recomputed \
                     from the window every 32·length bars and whenever the departing value outweighs the window \
                     (|n·y_out| > 100·Σ|y|), so they never drift. Defined from bar length − 1. TA-Lib LINEARREG.",
        inputs: &[SOURCE],
        params: &[length("length", 2)],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        warmup_text: "length − 1",
        build: |p| boxed(LinearReg::new(p[0])),
    },
    IndicatorSpec {
        name: "linearreg_slope",
        summary: "slope per bar of the least-squares line",
        definition: "The slope per bar of the least-squares line through the last `length` values: with x = bars \
                     ago and n = length, (n·Σxy − Σx·Σy) / ((Σx)² − n·Σx²), positive when the values rise. Same \
                     running sums and recomputation as linearreg. Defined from bar length − 1. TA-Lib \
                     LINEARREG_SLOPE.",
        inputs: &[SOURCE],
        params: &[length("length", 2)],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        warmup_text: "length − 1",
        build: |p| boxed(LinearRegSlope::new(p[0])),
    },
    IndicatorSpec {
        name: "correl",
        summary: "Pearson correlation of two series",
        definition: "Pearson's correlation of `a` and `b` over the last `length` bars: (n·Σab − Σa·Σb) / \
                     √((n·Σa² − (Σa)²) · (n·Σb² − (Σb)²)), n = length, from exact window sums with each numerator \
                     exactly cancelled and correctly rounded; clamped to [−1, 1]; 0 when either window is flat (all \
                     its values equal; always at length 1). Defined from bar length − 1. TA-Lib CORREL.",
        inputs: &[input("a"), input("b")],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        warmup_text: "length − 1",
        build: |p| boxed(Correl::new(p[0])),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volatility::synthetic::{N, assert_matches, assert_samples, series};

    #[test]
    fn signatures() {
        assert_eq!(crate::registry::lookup("sar").unwrap().signature(), "sar(accel = 0.02, max = 0.2)");
        assert_eq!(crate::registry::lookup("supertrend").unwrap().signature(), "supertrend(length = 10, mult = 3)");
        assert_eq!(crate::registry::lookup("linearreg").unwrap().signature(), "linearreg(source, length)");
        assert_eq!(crate::registry::lookup("linearreg_slope").unwrap().signature(), "linearreg_slope(source, length)");
        assert_eq!(crate::registry::lookup("correl").unwrap().signature(), "correl(a, b, length)");
    }

    #[test]
    fn sar_hand_computed_with_reversals_and_gaps() {
        let mut s = Sar::new(0.02, 0.2).unwrap();
        assert_eq!(s.update(10.0, 9.0), None);
        // Bar 1: no −DM, so long: sar = low[0] = 9, ep = high[1] = 11.
        assert_eq!(s.update(11.0, 9.5), Some(9.0));
        let sar = 0.02f64.mul_add(11.0 - 9.0, 9.0);
        // Bar 2: new high 12 moves ep and raises af to 0.04.
        assert_eq!(s.update(12.0, 10.0), Some(sar));
        let sar = 0.04f64.mul_add(12.0 - sar, sar);
        assert!(sar < 9.5);
        // Bar 3: low 9 <= sar ≈ 9.158: reverse to short at ep = 12; the next SAR, 12 + 0.02 × (9 − 12), is pushed
        // back up to the previous high 12.
        assert_eq!(s.update(11.5, 9.0), Some(12.0));
        // Bar 4: new low 8.5, af 0.04: sar = 12 + 0.04 × (8.5 − 12).
        assert_eq!(s.update(11.0, 8.5), Some(12.0));
        let sar = 0.04f64.mul_add(8.5 - 12.0, 12.0);
        assert_eq!(sar, 11.86);
        // Bar 5 gaps up through the SAR: reverse to long at ep = 8.5 (already below both lows).
        assert_eq!(s.update(14.0, 13.0), Some(8.5));
        // Bar 6 gaps down through it (the SAR was held at the previous low 8.5): reverse to short at ep = 14.
        assert_eq!(s.update(7.0, 6.0), Some(14.0));
    }

    #[test]
    fn sar_start_direction() {
        // A one-bar −DM starts short: sar = high[0], ep = low[1].
        let mut s = Sar::new(0.02, 0.2).unwrap();
        s.update(10.0, 9.0);
        assert_eq!(s.update(9.8, 8.0), Some(10.0));
        assert_eq!(s.update(9.5, 7.5), Some(0.02f64.mul_add(8.0 - 10.0, 10.0)));
        // Equal moves up and down start long, at sar = low[0] = 9; bar 1's own low 8.5 reaches it, so bar 1 already
        // reverses to short at ep = high[1], and bar 2's high 11 reverses back to long at ep = 8.5.
        let mut s = Sar::new(0.02, 0.2).unwrap();
        s.update(10.0, 9.0);
        assert_eq!(s.update(10.5, 8.5), Some(10.5));
        assert_eq!(s.update(11.0, 9.0), Some(8.5));
        // An acceleration above the maximum is lowered to it.
        let mut a = Sar::new(0.3, 0.2).unwrap();
        let mut b = Sar::new(0.2, 0.2).unwrap();
        let s = series(80);
        for i in 0..80 {
            assert_eq!(a.update(s.high[i], s.low[i]), b.update(s.high[i], s.low[i]));
        }
    }

    #[test]
    fn supertrend_hand_computed() {
        // length 2, mult 1. TR: 2 (high − low on the first bar), 2, 2, 2, 4.5, 2; ATR from bar 1: 2, 2, 2, 3.25, 2.625.
        let mut st = Supertrend::new(2.0, 1.0).unwrap();
        let bars = [
            (10.0, 8.0, 9.0),
            (11.0, 9.0, 10.5),
            (12.0, 10.0, 11.8),
            (13.0, 11.0, 12.5),
            (12.0, 8.0, 8.5),
            (9.0, 7.0, 8.0),
        ];
        let got: Vec<_> = bars.iter().map(|&(h, l, c)| st.update(h, l, c).map(|v| (v.value, v.direction))).collect();
        assert_eq!(
            got,
            vec![
                None,
                // hl2 10: bands 12 / 8; the first bar is down, on the upper band.
                Some((12.0, -1)),
                // hl2 11: basic 13 / 9; upper stays 12 (13 is not below it), lower rises to 9; close 11.8 <= 12.
                Some((12.0, -1)),
                // hl2 12: basic 14 / 10; upper stays 12, lower 10; close 12.5 > 12: up, on the lower band.
                Some((10.0, 1)),
                // hl2 10, ATR 3.25: basic 13.25 / 6.75; the previous close 12.5 was above the upper band, so it
                // resets to 13.25; lower stays 10; close 8.5 < 10: down, on the upper band.
                Some((13.25, -1)),
                // hl2 8, ATR 2.625: basic 10.625 / 5.375; upper falls to 10.625; the previous close 8.5 was below
                // the lower band, so it resets to 5.375; close 8 <= 10.625: still down.
                Some((10.625, -1)),
            ]
        );
    }

    #[test]
    fn supertrend_flips_on_this_bars_final_band() {
        // TradingView compares the close with the current bar's final upper band, which can be below the previous
        // bar's. length 1 (ATR = TR), mult 0.25.
        let mut st = Supertrend::new(1.0, 0.25).unwrap();
        // Bar 0: TR 2, hl2 10, bands 10.5 / 9.5, down.
        assert_eq!(st.update(11.0, 9.0, 9.75), Some(SupertrendValue { value: 10.5, direction: -1 }));
        // Bar 1: TR max(1, |9.75 − 10.5|, |9.75 − 9.5|) = 1, hl2 10, basic upper 10.25 < 10.5, so the final upper
        // band is 10.25; the close 10.4 is above it (though not above 10.5): up, on the lower band 9.75.
        assert_eq!(st.update(10.5, 9.5, 10.4), Some(SupertrendValue { value: 9.75, direction: 1 }));
    }

    #[test]
    fn supertrend_outputs_through_the_interface() {
        let spec = crate::registry::lookup("supertrend").unwrap();
        let mut ind = (spec.build)(&spec.fill_defaults(&[])).unwrap();
        let mut typed = Supertrend::new(10.0, 3.0).unwrap();
        let s = series(80);
        let mut out = [0.0; 2];
        let mut flips = 0;
        let mut last = 0.0;
        for i in 0..80 {
            ind.update(&[s.high[i], s.low[i], s.close[i]], &mut out);
            match typed.update(s.high[i], s.low[i], s.close[i]) {
                None => assert!(out[0].is_nan() && out[1].is_nan() && i < 9),
                Some(v) => {
                    assert_eq!((out[0], out[1]), (v.value, f64::from(v.direction)));
                    flips += usize::from(last != 0.0 && last != out[1]);
                    last = out[1];
                }
            }
        }
        assert!(flips >= 2, "the synthetic series should flip the trend, got {flips}");
        ind.update(&[f64::NAN, 1.0, 1.0], &mut out);
        assert!(out[0].is_nan() && out[1].is_nan());
    }

    /// The expected values come from a line-by-line Python transcription of the Pine code TradingView publishes
    /// for `ta.supertrend` (`pine_supertrend`, with `nz`, `na` and the `prevSuperTrend == prevUpperBand` test as
    /// written; its direction negated), run on the synthetic series.
    #[test]
    fn supertrend_matches_tradingview_pine() {
        let s = series(80);
        for (length, mult, values, directions) in [
            (10.0, 3.0, &SUPERTREND_10_3, &SUPERTREND_10_3_DIRECTION),
            (3.0, 0.5, &SUPERTREND_3_HALF, &SUPERTREND_3_HALF_DIRECTION),
        ] {
            let mut st = Supertrend::new(length, mult).unwrap();
            let got: Vec<_> = (0..80).map(|i| st.update(s.high[i], s.low[i], s.close[i])).collect();
            let got_values: Vec<f64> = got.iter().map(|v| v.map_or(f64::NAN, |v| v.value)).collect();
            assert_matches("supertrend value", &got_values, values);
            let got_directions: Vec<i8> = got.iter().map(|v| v.map_or(0, |v| v.direction)).collect();
            assert_eq!(&got_directions[..], &directions[..], "supertrend({length}, {mult}) direction");
            assert!(directions.windows(2).filter(|w| w[0] * w[1] < 0).count() >= 2);
        }
    }

    #[test]
    fn linearreg_hand_computed() {
        let mut lr = LinearReg::new(3.0).unwrap();
        let mut slope = LinearRegSlope::new(3.0).unwrap();
        assert_eq!((lr.update(1.0), slope.update(1.0)), (None, None));
        assert_eq!((lr.update(2.0), slope.update(2.0)), (None, None));
        // 1, 2, 4 at x = 0, 1, 2: slope (3 × 10 − 3 × 7) / (3 × 5 − 9) = 1.5; end point 7/3 + 1.5 = 23/6.
        assert_eq!(slope.update(4.0), Some(1.5));
        assert!((lr.update(4.0).unwrap() - 23.0 / 6.0).abs() < 1e-15);
        // 2, 4, 7: slope (3 × 18 − 3 × 13) / 6 = 2.5; end point 13/3 + 2.5 = 41/6.
        assert_eq!(slope.update(7.0), Some(2.5));
        assert!((lr.update(7.0).unwrap() - 41.0 / 6.0).abs() < 1e-14);
        // A flat window: slope 0, end point the value.
        for _ in 0..3 {
            slope.update(5.0);
            lr.update(5.0);
        }
        assert_eq!(slope.update(5.0), Some(0.0));
        assert_eq!(lr.update(5.0), Some(5.0));
    }

    /// The least-squares line of `ys` (x = 0, 1, …), computed directly: (slope, end point).
    fn direct_fit(ys: &[f64]) -> (f64, f64) {
        let n = ys.len() as f64;
        let mean_x = (n - 1.0) / 2.0;
        let mean_y = ys.iter().sum::<f64>() / n;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (i, &y) in ys.iter().enumerate() {
            let dx = i as f64 - mean_x;
            sxy += dx * (y - mean_y);
            sxx += dx * dx;
        }
        let m = sxy / sxx;
        (m, mean_y + m * (n - 1.0 - mean_x))
    }

    #[test]
    fn regression_sums_never_drift() {
        // A long walk at a high price level with a spike: the running sums are recomputed, so the values stay on
        // the direct fit.
        let n = 20;
        let mut lr = LinearReg::new(n as f64).unwrap();
        let mut slope = LinearRegSlope::new(n as f64).unwrap();
        let mut ys = vec![];
        let mut y = 40_000.0;
        for i in 0..200_000u64 {
            y += ((i * 7919) % 201) as f64 * 0.01 - 1.0;
            let v = if i == 150_000 { 1e9 } else { y };
            ys.push(v);
            let (got_lr, got_slope) = (lr.update(v), slope.update(v));
            if i as usize >= n && (i % 9973 == 0 || (150_000..150_030).contains(&i)) {
                let (m, end) = direct_fit(&ys[ys.len() - n..]);
                let (got_m, got_end) = (got_slope.unwrap(), got_lr.unwrap());
                assert!((got_m - m).abs() <= 1e-9 * m.abs().max(1.0), "bar {i}: slope {got_m} vs {m}");
                assert!((got_end - end).abs() <= 1e-9 * end.abs(), "bar {i}: end {got_end} vs {end}");
            }
        }
    }

    #[test]
    fn correl_hand_computed_and_flat() {
        let mut c = Correl::new(3.0).unwrap();
        assert_eq!(c.update(1.0, 2.0), None);
        assert_eq!(c.update(2.0, 4.0), None);
        // b = 2a: r = 1.
        assert!((c.update(3.0, 6.0).unwrap() - 1.0).abs() < 1e-15);
        let mut c = Correl::new(3.0).unwrap();
        c.update(1.0, 3.0);
        c.update(2.0, 1.0);
        // 3 × 11 − 6 × 6 = −3 over √(6 × 6): r = −0.5.
        assert!((c.update(3.0, 2.0).unwrap() + 0.5).abs() < 1e-15);
        // a flat window reads 0, whatever b does.
        for b in [1.0, 5.0, 2.0] {
            c.update(7.25, b);
        }
        assert_eq!(c.update(7.25, 4.0), Some(0.0));
        // Length 1 is always flat.
        let mut c1 = Correl::new(1.0).unwrap();
        assert_eq!(c1.update(1.0, 2.0), Some(0.0));
        assert_eq!(c1.update(3.0, -2.0), Some(0.0));
    }

    #[test]
    fn correl_is_clamped_and_exact_on_a_high_price_level() {
        // Perfectly correlated windows far from zero: rounding must not push r beyond 1.
        let mut c = Correl::new(4.0).unwrap();
        for i in 0..1000u32 {
            let a = 1e8 + f64::from(i % 7) * 0.01;
            if let Some(r) = c.update(a, 3.0 * a - 5.0) {
                assert!(r <= 1.0 && (r - 1.0).abs() < 1e-9, "bar {i}: {r}");
            }
        }
    }

    #[test]
    fn undefined_bars_are_skipped() {
        let mut c = Correl::new(2.0).unwrap();
        assert!(c.update2(1.0, 1.0).is_nan());
        assert!(c.update2(f64::NAN, 5.0).is_nan());
        assert!(c.update2(2.0, f64::NAN).is_nan());
        assert_eq!(c.update2(2.0, 3.0), 1.0);
        let mut s = Sar::new(0.02, 0.2).unwrap();
        assert!(s.update2(10.0, 9.0).is_nan());
        assert!(s.update2(f64::NAN, 9.5).is_nan());
        assert_eq!(s.update2(11.0, 9.5), 9.0);
    }

    #[test]
    fn trend_family_matches_talib() {
        let s = series(80);
        let pairs = |ind: &mut dyn Indicator, a: &[f64], b: &[f64]| -> Vec<f64> {
            a.iter().zip(b).map(|(&x, &y)| ind.update2(x, y)).collect()
        };
        let singles = |ind: &mut dyn Indicator, a: &[f64]| -> Vec<f64> { a.iter().map(|&x| ind.update1(x)).collect() };
        assert_matches("SAR", &pairs(&mut Sar::new(0.02, 0.2).unwrap(), &s.high, &s.low), &SAR);
        assert_matches("SAR(0.3, 0.2)", &pairs(&mut Sar::new(0.3, 0.2).unwrap(), &s.high, &s.low), &SAR_FAST);
        assert_matches("LINEARREG(14)", &singles(&mut LinearReg::new(14.0).unwrap(), &s.close), &LINEARREG_14);
        let got = singles(&mut LinearRegSlope::new(5.0).unwrap(), &s.close);
        assert_matches("LINEARREG_SLOPE(5)", &got, &LINEARREG_SLOPE_5);
        assert_matches("CORREL(10)", &pairs(&mut Correl::new(10.0).unwrap(), &s.close, &s.other), &CORREL_10);

        let long = series(2000);
        assert_samples("SAR, long", &pairs(&mut Sar::new(0.02, 0.2).unwrap(), &long.high, &long.low), &LONG_SAR);
        let got = singles(&mut LinearReg::new(14.0).unwrap(), &long.close);
        assert_samples("LINEARREG(14), long", &got, &LONG_LINEARREG_14);
        let got = singles(&mut LinearRegSlope::new(14.0).unwrap(), &long.close);
        assert_samples("LINEARREG_SLOPE(14), long", &got, &LONG_LINEARREG_SLOPE_14);
        let got = pairs(&mut Correl::new(10.0).unwrap(), &long.close, &long.other);
        assert_samples("CORREL(10), long", &got, &LONG_CORREL_10);
    }

    const SAR: [f64; 80] = [
        N,
        100.71,
        101.64,
        101.64,
        101.6068,
        101.52092800000001,
        101.36967232,
        101.0896985344,
        100.72872868096,
        100.3268812392448,
        99.97325549053542,
        99.60879972186046,
        99.2953677608,
        99.04,
        99.03,
        97.37,
        97.40180000000001,
        97.49812800000001,
        97.59060288,
        97.6793787648,
        97.764603614208,
        99.81,
        99.7594,
        99.709812,
        99.66121576,
        99.61359144480001,
        99.48784778700801,
        99.36713387552768,
        99.11710584299603,
        98.88207949241627,
        98.66115472287129,
        98.453485439499,
        98.25827631312906,
        98.07477973434132,
        97.90229295028084,
        97.74015537326399,
        97.58774605086815,
        97.44448128781606,
        97.3098124105471,
        97.18322366591427,
        97.06423024595941,
        96.95237643120184,
        96.84723384532973,
        95.2,
        95.242,
        97.3,
        97.25959999999999,
        97.22000799999999,
        95.28,
        95.324,
        95.36712,
        95.4672352,
        95.563345792,
        97.87,
        97.81880000000001,
        95.31,
        95.44,
        95.7732,
        96.093072,
        96.40014912000001,
        96.69494315520001,
        96.977945428992,
        97.24962761183232,
        97.51044250735903,
        97.76082480706467,
        103.77,
        103.5358,
        103.30628399999999,
        103.08135831999999,
        102.86093115359999,
        102.64491253052799,
        102.20711602930687,
        101.55268906754846,
        100.93752772349555,
        100.35927606008582,
        99.62013397527895,
        98.76912057775105,
        97.70602610842093,
        96.77050297541042,
        95.74563255885296,
    ];

    const SAR_FAST: [f64; 80] = [
        N,
        100.71,
        101.64,
        101.64,
        101.308,
        100.9384,
        100.55072,
        100.014576,
        99.50766080000001,
        97.38,
        99.28,
        99.28,
        99.04,
        99.04,
        99.03,
        97.37,
        97.68,
        98.10600000000001,
        98.44680000000001,
        98.59,
        99.81,
        99.494,
        99.23,
        98.84,
        98.64,
        98.46,
        98.062,
        97.7436,
        97.41,
        96.968,
        96.93,
        95.2,
        95.504,
        95.7472,
        95.94176,
        96.097408,
        96.2219264,
        96.32154112,
        96.40123289600001,
        96.46498631680001,
        96.51598905344001,
        96.55679124275201,
        96.76,
        96.26,
        96.26,
        97.3,
        97.0,
        96.78,
        95.28,
        97.48,
        95.69,
        95.69,
        96.126,
        97.87,
        97.358,
        95.31,
        95.44,
        97.106,
        98.4388,
        99.50504,
        100.358032,
        103.77,
        103.16799999999999,
        102.68639999999999,
        102.30112,
        101.86889599999999,
        101.39,
        99.524,
        98.0312,
        96.83696,
        95.881568,
        95.0452544,
        94.29620352,
        93.69696281600001,
        93.2175702528,
        93.04,
        92.65400000000001,
        92.10520000000001,
        91.7,
        91.7,
    ];

    const LINEARREG_14: [f64; 80] = [
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
        97.43285714285709,
        97.37171428571428,
        97.59485714285705,
        97.99028571428562,
        98.48457142857131,
        98.64799999999988,
        98.86228571428559,
        98.89428571428563,
        98.75885714285707,
        98.57171428571426,
        98.51657142857145,
        98.29142857142865,
        97.92771428571436,
        97.59200000000013,
        96.9457142857144,
        96.43457142857154,
        96.1880000000001,
        96.11257142857157,
        96.14114285714302,
        96.11685714285733,
        96.17314285714302,
        96.24542857142869,
        96.30371428571442,
        96.41514285714298,
        96.57714285714299,
        96.73457142857151,
        96.79514285714288,
        96.85428571428572,
        96.78171428571426,
        96.60171428571421,
        96.69971428571418,
        96.71114285714269,
        96.53657142857122,
        96.37399999999974,
        96.2448571428569,
        96.30971428571405,
        96.23542857142832,
        96.41542857142828,
        96.5814285714282,
        96.49971428571392,
        96.39971428571394,
        96.1591428571425,
        97.86057142857105,
        99.49342857142815,
        100.8131428571425,
        101.88057142857105,
        102.46542857142822,
        102.66199999999964,
        102.85542857142829,
        103.15399999999961,
        103.1179999999996,
        102.92342857142823,
        100.54199999999965,
        98.26514285714252,
        95.90199999999966,
        93.76857142857104,
        92.50428571428529,
        91.53428571428533,
        90.72771428571379,
        90.25914285714235,
        89.96171428571375,
        89.69914285714233,
        89.56542857142797,
        89.62885714285665,
        90.0971428571423,
        90.59371428571377,
        90.20542857142802,
    ];

    const LINEARREG_SLOPE_5: [f64; 80] = [
        N,
        N,
        N,
        N,
        -0.33299999999999275,
        -0.455,
        -0.47799999999997456,
        -0.5749999999999819,
        -0.5429999999999745,
        -0.29299999999997456,
        -0.11999999999998182,
        0.08600000000004002,
        0.18100000000004002,
        -0.08799999999997453,
        -0.06599999999996725,
        -0.07599999999994907,
        0.22600000000004003,
        0.4900000000000364,
        0.23800000000004728,
        -0.007999999999956344,
        -0.23999999999996363,
        -0.30899999999996,
        -0.165,
        -0.14799999999999272,
        -0.10200000000002546,
        -0.23800000000001093,
        -0.3700000000000182,
        -0.5490000000000146,
        -0.4420000000000255,
        -0.1230000000000291,
        0.03899999999995998,
        0.20799999999993815,
        0.10799999999991997,
        -7.275957614183426e-14,
        -5.456968210637569e-14,
        -5.456968210637569e-14,
        -5.456968210637569e-14,
        -5.456968210637569e-14,
        -5.456968210637569e-14,
        -5.456968210637569e-14,
        -5.456968210637569e-14,
        -5.456968210637569e-14,
        -0.09200000000006185,
        0.01999999999994543,
        0.03899999999995998,
        -0.08900000000006912,
        -0.1540000000000691,
        -0.2750000000000546,
        -0.0020000000000436557,
        0.10499999999994543,
        0.23799999999995636,
        0.25099999999994904,
        -0.016000000000021827,
        -0.11900000000001455,
        -0.4410000000000036,
        1.0730000000000108,
        2.1450000000000364,
        2.1300000000000727,
        1.390000000000091,
        -0.3459999999998945,
        -0.6529999999998836,
        -0.4529999999998472,
        -0.1599999999998363,
        0.07000000000016371,
        0.042000000000207365,
        -1.7879999999997744,
        -2.586999999999753,
        -2.5199999999997273,
        -1.4889999999997052,
        -0.02099999999967622,
        -0.21899999999966893,
        -0.2539999999996507,
        -0.29799999999962895,
        -0.046999999999625286,
        -0.0419999999996071,
        -0.22999999999959983,
        -0.493999999999578,
        -0.4139999999995416,
        -0.34999999999954523,
        -0.2309999999995125,
    ];

    const CORREL_10: [f64; 80] = [
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        0.39872221625270987,
        0.5523422202227753,
        0.4184380886762877,
        0.40565882523878954,
        -0.21182811541449503,
        -0.12975185385328097,
        -0.03179951863685343,
        0.19017816939564197,
        0.3705346895286203,
        0.5819397427099122,
        0.561984199606636,
        0.4059829957439382,
        0.5134127643851297,
        0.5109012058151564,
        0.6296403206716503,
        0.33552549686059957,
        0.6587044502499964,
        0.7264328226094137,
        0.6605819333452619,
        0.6326840499327702,
        0.7044705777309067,
        0.604634346203679,
        0.7194860536141238,
        0.6470790564929614,
        0.5403148854791481,
        -0.37552256348784835,
        -0.13851888780735488,
        0.08351987280705046,
        0.08680228027358415,
        0.0,
        0.0,
        0.0,
        0.0,
        -0.8009247216024992,
        0.01962755402319468,
        -0.0016451753345609005,
        -0.585679737712847,
        0.24298829824006715,
        0.1374232353091483,
        0.06797793026980554,
        0.030525517085272624,
        0.2768480057750529,
        0.4192930306331311,
        0.47821911339902623,
        0.3854689998822764,
        0.3886143290962874,
        0.7272249759963697,
        0.8943346885338207,
        0.9172881141819159,
        0.9202485035242806,
        0.9086195729780651,
        0.9113892092300651,
        0.9182133976505938,
        0.8825588214833695,
        0.8184828207347282,
        0.8625877674919303,
        0.879420209099788,
        0.9301900102254984,
        0.970478938400098,
        0.970519661461859,
        0.9741908169307818,
        0.9731109384020267,
        0.9635352314281952,
        0.9083776511069646,
        0.8343735209010222,
        0.48675365467727993,
        0.674650769347815,
        0.6980465212038551,
        0.6225180584657333,
        0.6650629207941203,
        0.6656879367272317,
    ];

    const LONG_SAR: [(usize, f64); 39] = [
        (458, 115.008228),
        (459, 114.88669888),
        (460, 114.7700309248),
        (461, 114.658029687808),
        (462, 111.97),
        (463, 112.0254),
        (464, 112.07969200000001),
        (465, 112.24090432000001),
        (499, 118.34170370867199),
        (500, 115.32),
        (501, 116.04),
        (502, 1000116.85),
        (503, 980116.8432),
        (504, 940916.822272),
        (505, 884468.7597356801),
        (506, 831407.5809515392),
        (507, 764904.1880754161),
        (508, 703721.0666293829),
        (509, 647432.5948990323),
        (510, 582700.850409129),
        (511, 512790.5063600336),
        (512, 441015.7954696289),
        (513, 379289.5441038808),
        (514, 326204.9679293375),
        (515, 274030.3586606435),
        (516, 230203.68687494055),
        (517, 193389.28257495008),
        (518, 162465.18296295806),
        (519, 136488.93928888478),
        (700, 113.20008543769599),
        (850, 125.29195136804042),
        (1000, 119.2),
        (1150, 122.52226229120001),
        (1300, 122.9322177425879),
        (1450, 125.8),
        (1600, 118.41596251668017),
        (1750, 125.99),
        (1900, 126.4026),
        (1999, 136.76880414399997),
    ];

    const LONG_LINEARREG_14: [(usize, f64); 39] = [
        (458, 113.65371428571143),
        (459, 113.25971428571141),
        (460, 112.9919999999972),
        (461, 112.98114285714281),
        (462, 113.19999999999996),
        (463, 113.39342857142846),
        (464, 113.87199999999993),
        (465, 114.49571428571417),
        (499, 116.31628571428557),
        (500, 257258.95828571427),
        (501, 228687.5642857143),
        (502, 200116.2185714286),
        (503, 171544.894),
        (504, 142973.4394285714),
        (505, 114401.86914285718),
        (506, 85830.28000000006),
        (507, 57258.87171428577),
        (508, 28687.342857142903),
        (509, 115.81171428574999),
        (510, -28455.830285714284),
        (511, -57027.638571428535),
        (512, -85599.24599999993),
        (513, -114170.79685714284),
        (514, 114.59885714285716),
        (515, 114.60342857142861),
        (516, 114.46399999999994),
        (517, 114.38571428571427),
        (518, 114.45028571428574),
        (519, 114.62314285714287),
        (700, 115.00171428571667),
        (850, 123.45657142857839),
        (1000, 120.6791428571435),
        (1150, 120.4482857142873),
        (1300, 124.9794285714339),
        (1450, 126.14257142857109),
        (1600, 115.69942857142584),
        (1750, 124.75228571428103),
        (1900, 127.1945714285716),
        (1999, 134.38314285714225),
    ];

    const LONG_LINEARREG_SLOPE_14: [(usize, f64); 39] = [
        (458, 0.10320879120835295),
        (459, 0.02314285714241597),
        (460, -0.04112087912130896),
        (461, -0.06334065934066556),
        (462, -0.0542857142857216),
        (463, -0.04156043956045637),
        (464, 0.016681318681311005),
        (465, 0.10626373626372164),
        (499, -0.2401318681318886),
        (500, 28571.178087912085),
        (501, 24175.592417582422),
        (502, 19780.026593406594),
        (503, 15384.46632967033),
        (504, 10988.87936263736),
        (505, 6593.279868131871),
        (506, 2197.6786813186886),
        (507, -2197.9035824175767),
        (508, -6593.494395604388),
        (509, -10989.08907692307),
        (510, -15384.70674725275),
        (511, -19780.354395604394),
        (512, -24175.983340659335),
        (513, -28571.593362637363),
        (514, -0.189736263736263),
        (515, -0.16276923076922564),
        (516, -0.15520879120879924),
        (517, -0.14087912087912455),
        (518, -0.11270329670329414),
        (519, -0.08072527472527034),
        (700, 0.15290109890147063),
        (850, -0.11810989010880052),
        (1000, -0.09057142857131928),
        (1150, -0.11795604395579797),
        (1300, 0.28903296703380077),
        (1450, -0.24268131868138337),
        (1600, -0.23525274725317635),
        (1750, 0.05243956043883526),
        (1900, -0.10413186813184182),
        (1999, -0.176879120879217),
    ];

    const LONG_CORREL_10: [(usize, f64); 39] = [
        (458, 0.2732766371013036),
        (459, 0.3506000298136302),
        (460, 0.2995036905233428),
        (461, 0.16030603361146673),
        (462, 0.5040845664725917),
        (463, 0.38076599056861576),
        (464, 0.5941162177850171),
        (465, 0.6161859033573293),
        (499, 0.29650116656978825),
        (500, 0.9999999999826433),
        (501, 0.999999999984269),
        (502, 0.999999999984231),
        (503, 0.999999999981669),
        (504, 0.9999999999863844),
        (505, 0.9999999999866788),
        (506, 0.999999999983941),
        (507, 0.9999999999867945),
        (508, 0.9999999999872587),
        (509, 0.9999999999871058),
        (510, 0.3736959790293965),
        (511, 0.34383667987802563),
        (512, 0.3211440729962859),
        (513, 0.5100177964065501),
        (514, 0.5129754062851624),
        (515, 0.7227026908830005),
        (516, 0.6545781266524828),
        (517, 0.6132169297915443),
        (518, 0.5575121981378645),
        (519, 0.2837175397113495),
        (700, 0.12390980110803046),
        (850, 0.4885700979588683),
        (1000, 0.1036276453150022),
        (1150, 0.4955740296947497),
        (1300, 0.4869028385723267),
        (1450, 0.18148687283808124),
        (1600, 0.5124828363269247),
        (1750, 0.4079294217435561),
        (1900, -0.4556427896603841),
        (1999, 0.4872467477857052),
    ];

    const SUPERTREND_10_3: [f64; 80] = [
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        101.94300000000001,
        101.32920000000001,
        101.32920000000001,
        101.32920000000001,
        100.8103818,
        100.73784362,
        100.73784362,
        100.73784362,
        100.73784362,
        100.73784362,
        100.73784362,
        100.73784362,
        100.73784362,
        100.73784362,
        100.73784362,
        100.36924274362983,
        99.85831846926685,
        99.85831846926685,
        98.63003796010615,
        98.63003796010615,
        98.63003796010615,
        98.63003796010615,
        98.63003796010615,
        98.63003796010615,
        98.63003796010615,
        98.47350773570109,
        98.29815696213099,
        98.14034126591788,
        97.9983071393261,
        97.87047642539349,
        97.75542878285414,
        97.65188590456873,
        97.55869731411185,
        97.41482758270067,
        97.41482758270067,
        97.41482758270067,
        97.41482758270067,
        97.41482758270067,
        97.41482758270067,
        97.41482758270067,
        97.41482758270067,
        97.41482758270067,
        97.41482758270067,
        97.41482758270067,
        97.41482758270067,
        97.41482758270067,
        98.39398728921843,
        98.84708856029658,
        98.84708856029658,
        98.84708856029658,
        98.84708856029658,
        98.84708856029658,
        98.84708856029658,
        98.84708856029658,
        98.84708856029658,
        98.84708856029658,
        98.41245235982359,
        98.41245235982359,
        97.8550364114571,
        97.8550364114571,
        97.14392949328025,
        96.44003654395223,
        96.44003654395223,
        96.23192960060132,
        96.23192960060132,
        96.05296297648707,
        95.22766667883835,
        94.50340001095452,
        94.50340001095452,
        94.08770400887316,
        93.97143360798584,
    ];

    const SUPERTREND_10_3_DIRECTION: [i8; 80] = [
        0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    ];

    const SUPERTREND_3_HALF: [f64; 80] = [
        N,
        N,
        101.12,
        100.73666666666666,
        100.17777777777778,
        99.97851851851851,
        99.21067901234568,
        98.43878600823045,
        98.03585733882029,
        98.02609510745313,
        98.62260326169792,
        98.62260326169792,
        98.62260326169792,
        98.13910467013272,
        98.13910467013272,
        98.16150903549656,
        98.92767269033105,
        99.0984484602207,
        99.27603435985287,
        99.26902290656858,
        99.13934860437905,
        98.55289906958603,
        98.55289906958603,
        98.51017736426046,
        98.05178490950696,
        97.48618993967132,
        97.48618993967132,
        96.17275108429837,
        95.86483261046777,
        95.86483261046777,
        96.38548116020789,
        96.4969874401386,
        96.5713249600924,
        96.62088330672826,
        96.65392220448551,
        96.67594813632367,
        96.69063209088245,
        96.70042139392163,
        96.70694759594775,
        96.7112983972985,
        96.71419893153234,
        96.71613262102156,
        96.59591158598563,
        96.94439227600958,
        96.99540514932694,
        96.44360343288463,
        96.35906895525642,
        96.35906895525642,
        96.49874713099715,
        96.68416857933524,
        96.51055428044317,
        96.51055428044317,
        97.1280869864697,
        96.3520579909798,
        95.90470532731986,
        101.34686311512009,
        102.01790874341339,
        102.01790874341339,
        102.01790874341339,
        102.66765666861825,
        101.55843777907883,
        101.53562518605257,
        101.16791654263163,
        101.19194436175441,
        101.23037042549706,
        94.46691361699804,
        94.46691361699804,
        93.77973938533246,
        93.77973938533246,
        93.18266194903664,
        92.5867746326911,
        92.5867746326911,
        92.57301094786271,
        92.57301094786271,
        92.49578264349454,
        91.77885509566302,
        91.10590339710868,
        91.10590339710868,
        90.72206817649275,
        90.65804545099517,
    ];

    const SUPERTREND_3_HALF_DIRECTION: [i8; 80] = [
        0, 0, -1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, 1, -1, -1, -1, -1, 1, -1, 1, 1, -1, -1, -1, 1, 1, 1, 1, -1, -1, -1, 1,
        1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    ];
}
