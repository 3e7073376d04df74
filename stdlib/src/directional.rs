//! Directional movement and trend strength: ADX, +DI, −DI, AROON.
//!
//! These say whether the market trends and which way. The one design choice: ADX, +DI and −DI share one Wilder core
//! ([`Dmi`]) that follows TA-Lib's recurrences operation for operation — they are recursions, not window sums, so
//! TA-Lib's order of operations *is* the definition, and the values agree with TA-Lib to the last bit, zero guards
//! included. AROON needs the *age* of the window's extremes, which [`crate::window::Extreme`] does not keep, so it
//! reads them from its own monotonic deques of (bar, value), where on a tie the most recent bar wins, as in TA-Lib.

use std::collections::VecDeque;

use crate::indicator::{Indicator, ParamError, any_undefined, is_zero, length_param};
use crate::volatility::true_range;

/// Wilder-smoothed directional movement and true range at one bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Movement {
    pub plus_dm: f64,
    pub minus_dm: f64,
    pub tr: f64,
}

impl Movement {
    /// +DI: `100 × (+DM / TR)`, 0 when there has been no range at all (an exact test, so tiny prices still work).
    #[inline]
    pub fn plus_di(&self) -> f64 {
        if self.tr > 0.0 { 100.0 * (self.plus_dm / self.tr) } else { 0.0 }
    }

    /// −DI: `100 × (−DM / TR)`, 0 when there has been no range at all.
    #[inline]
    pub fn minus_di(&self) -> f64 {
        if self.tr > 0.0 { 100.0 * (self.minus_dm / self.tr) } else { 0.0 }
    }

    /// DX = `100 × |−DI − +DI| / (−DI + +DI)`; `None` when there is no range, or no directional movement
    /// (`|−DI + +DI| < 1e-14`).
    #[inline]
    pub fn dx(&self) -> Option<f64> {
        if self.tr <= 0.0 {
            return None;
        }
        let (minus, plus) = (self.minus_di(), self.plus_di());
        let sum = minus + plus;
        (!is_zero(sum)).then(|| 100.0 * ((minus - plus).abs() / sum))
    }
}

/// The directional-movement core of ADX, +DI and −DI, as TA-Lib keeps it.
///
/// Bar 0 only supplies the previous high, low and close. A bar's +DM1 is the rise of the high when it is positive
/// and larger than the fall of the low; −DM1 is the fall of the low when positive and larger than the rise (equal
/// moves count as neither). Bars 1..n−1 sum +DM1, −DM1 and TR; from bar n on, every bar applies Wilder's step
/// `s = s − s / n + today` to each, so the first value (bar n) already includes one step.
#[derive(Debug, Clone)]
pub struct Dmi {
    n: usize,
    /// Bars summed into the seed so far (up to `n - 1`).
    seeded: usize,
    prev: Option<(f64, f64, f64)>,
    plus_dm: f64,
    minus_dm: f64,
    tr: f64,
}

impl Dmi {
    /// `length >= 2` (TA-Lib rejects 1 for ADX, and its +DI/−DI of period 1 are not ×100).
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 2)?;
        Ok(Self { n, seeded: 0, prev: None, plus_dm: 0.0, minus_dm: 0.0, tr: 0.0 })
    }

    /// The smoothed movement, from bar `n` on.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<Movement> {
        let (prev_high, prev_low, prev_close) = self.prev.replace((high, low, close))?;
        let diff_p = high - prev_high;
        let diff_m = prev_low - low;
        let minus = diff_m > 0.0 && diff_p < diff_m;
        let plus = !minus && diff_p > 0.0 && diff_p > diff_m;
        let tr = true_range(high, low, prev_close);
        if self.seeded + 1 < self.n {
            self.seeded += 1;
            if minus {
                self.minus_dm += diff_m;
            } else if plus {
                self.plus_dm += diff_p;
            }
            self.tr += tr;
            return None;
        }
        let n = self.n as f64;
        self.minus_dm -= self.minus_dm / n;
        self.plus_dm -= self.plus_dm / n;
        if minus {
            self.minus_dm += diff_m;
        } else if plus {
            self.plus_dm += diff_p;
        }
        self.tr = self.tr - self.tr / n + tr;
        Some(Movement { plus_dm: self.plus_dm, minus_dm: self.minus_dm, tr: self.tr })
    }

    pub fn reset(&mut self) {
        *self = Self { n: self.n, seeded: 0, prev: None, plus_dm: 0.0, minus_dm: 0.0, tr: 0.0 };
    }
}

/// Plus Directional Indicator over `length` bars (TA-Lib PLUS_DI); first defined after `length` bars.
#[derive(Debug, Clone)]
pub struct PlusDi {
    dmi: Dmi,
}

impl PlusDi {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        Ok(Self { dmi: Dmi::new(length)? })
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        self.dmi.update(high, low, close).map(|m| m.plus_di())
    }

    pub fn reset(&mut self) {
        self.dmi.reset();
    }
}

crate::bar_indicator!(PlusDi, 0, 1, 2);

/// Minus Directional Indicator over `length` bars (TA-Lib MINUS_DI); first defined after `length` bars.
#[derive(Debug, Clone)]
pub struct MinusDi {
    dmi: Dmi,
}

impl MinusDi {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        Ok(Self { dmi: Dmi::new(length)? })
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        self.dmi.update(high, low, close).map(|m| m.minus_di())
    }

    pub fn reset(&mut self) {
        self.dmi.reset();
    }
}

crate::bar_indicator!(MinusDi, 0, 1, 2);

/// Average Directional Index over `length` bars (TA-Lib ADX); first defined after `2 × length − 1` bars.
#[derive(Debug, Clone)]
pub struct Adx {
    dmi: Dmi,
    /// DX bars seen while seeding (up to `n`).
    seed_bars: usize,
    sum_dx: f64,
    adx: Option<f64>,
}

impl Adx {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        Ok(Self { dmi: Dmi::new(length)?, seed_bars: 0, sum_dx: 0.0, adx: None })
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let dx = self.dmi.update(high, low, close)?.dx();
        let n = self.dmi.n;
        match self.adx.as_mut() {
            // A bar without a DX leaves the ADX as it is (no decay), as in TA-Lib.
            Some(adx) => {
                if let Some(dx) = dx {
                    *adx = ((*adx * (n - 1) as f64) + dx) / n as f64;
                }
            }
            // The seed: the DX of bars n..2n−1 summed, divided by n even when some bars had no DX.
            None => {
                self.sum_dx += dx.unwrap_or(0.0);
                self.seed_bars += 1;
                if self.seed_bars == n {
                    self.adx = Some(self.sum_dx / n as f64);
                }
            }
        }
        self.adx
    }

    pub fn reset(&mut self) {
        self.dmi.reset();
        self.seed_bars = 0;
        self.sum_dx = 0.0;
        self.adx = None;
    }
}

crate::bar_indicator!(Adx, 0, 1, 2);

/// Aroon down and up at one bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AroonValue {
    pub down: f64,
    pub up: f64,
}

/// Aroon over a window of `length + 1` bars (TA-Lib AROON): `up = (100 / length) × (length − bars since the
/// highest high)`, `down` likewise with the lowest low; on a tie the most recent bar counts.
#[derive(Debug, Clone)]
pub struct Aroon {
    n: usize,
    factor: f64,
    seen: usize,
    /// (bar, high) candidates, highs strictly decreasing front to back; the front is the latest highest high.
    highs: VecDeque<(usize, f64)>,
    /// (bar, low) candidates, lows strictly increasing front to back; the front is the latest lowest low.
    lows: VecDeque<(usize, f64)>,
}

impl Aroon {
    /// `length >= 2`, as TA-Lib.
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 2)?;
        let cap = (n + 1).min(4096);
        Ok(Self {
            n,
            factor: 100.0 / n as f64,
            seen: 0,
            highs: VecDeque::with_capacity(cap),
            lows: VecDeque::with_capacity(cap),
        })
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64) -> Option<AroonValue> {
        let t = self.seen;
        self.seen += 1;
        // `<=` / `>=`: an equal value replaces the older candidate, so the most recent extreme wins ties.
        while self.highs.back().is_some_and(|&(_, h)| h <= high) {
            self.highs.pop_back();
        }
        self.highs.push_back((t, high));
        while self.lows.back().is_some_and(|&(_, l)| l >= low) {
            self.lows.pop_back();
        }
        self.lows.push_back((t, low));
        // The window is bars t − n ..= t.
        while self.highs.front().is_some_and(|&(i, _)| i + self.n < t) {
            self.highs.pop_front();
        }
        while self.lows.front().is_some_and(|&(i, _)| i + self.n < t) {
            self.lows.pop_front();
        }
        if t < self.n {
            return None;
        }
        let (hi, lo) = (self.highs.front().map_or(t, |f| f.0), self.lows.front().map_or(t, |f| f.0));
        Some(AroonValue {
            down: self.factor * (self.n - (t - lo)) as f64,
            up: self.factor * (self.n - (t - hi)) as f64,
        })
    }

    pub fn reset(&mut self) {
        self.seen = 0;
        self.highs.clear();
        self.lows.clear();
    }
}

impl Indicator for Aroon {
    #[inline]
    fn update(&mut self, inputs: &[f64], out: &mut [f64]) {
        let v = if any_undefined(inputs) { None } else { Aroon::update(self, inputs[0], inputs[1]) };
        match v {
            Some(v) => {
                out[0] = v.down;
                out[1] = v.up;
            }
            None => out[..2].fill(f64::NAN),
        }
    }

    fn reset(&mut self) {
        Aroon::reset(self)
    }
}

use crate::spec::*;

/// The smoothing shared by the definitions of `plus_di`, `minus_di` and `adx`.
macro_rules! wilder_definition {
    () => {
        "Bar by bar from the previous bar: +DM1 = high − previous high when that is positive and larger than \
         previous low − low; −DM1 = previous low − low when that is positive and larger than the rise (equal moves \
         count as neither); TR1 = the true range. +DM, −DM and TR are the sums of bars 1 .. length − 1; from bar \
         `length` on, each is smoothed by Wilder's step s = s − s / length + today (bar `length` included). "
    };
}

/// The indicators of this module, for the registry.
pub(crate) static SPECS: &[IndicatorSpec] = &[
    IndicatorSpec {
        name: "adx",
        summary: "average directional index (Wilder)",
        definition: concat!(
            wilder_definition!(),
            "From bar `length` on, DX = 100 × |−DI − +DI| / (−DI + +DI) with ±DI = 100 × (±DM / TR); a bar has no DX \
             when TR is not positive or −DI + +DI is within ±1e-14. The first ADX (bar 2 × length − 1) is the sum of \
             the DX of bars length .. 2 × length − 1 divided by `length`; then adx = (adx × (length − 1) + DX) / \
             length, left unchanged on a bar without DX. TA-Lib ADX."
        ),
        inputs: &[HIGH, LOW, CLOSE],
        params: &[length("length", 2)],
        outputs: &[NUMBER],
        warmup: |p| 2 * len(p) - 1,
        warmup_text: "2 × length − 1",
        build: |p| boxed(Adx::new(p[0])),
    },
    IndicatorSpec {
        name: "plus_di",
        summary: "plus directional indicator (Wilder)",
        definition: concat!(
            wilder_definition!(),
            "+DI = 100 × (+DM / TR), and 0 when TR is not positive (an exact test). First defined at bar `length`. \
             TA-Lib PLUS_DI."
        ),
        inputs: &[HIGH, LOW, CLOSE],
        params: &[length("length", 2)],
        outputs: &[NUMBER],
        warmup: len,
        warmup_text: "length",
        build: |p| boxed(PlusDi::new(p[0])),
    },
    IndicatorSpec {
        name: "minus_di",
        summary: "minus directional indicator (Wilder)",
        definition: concat!(
            wilder_definition!(),
            "−DI = 100 × (−DM / TR), and 0 when TR is not positive (an exact test). First defined at bar `length`. \
             TA-Lib MINUS_DI."
        ),
        inputs: &[HIGH, LOW, CLOSE],
        params: &[length("length", 2)],
        outputs: &[NUMBER],
        warmup: len,
        warmup_text: "length",
        build: |p| boxed(MinusDi::new(p[0])),
    },
    IndicatorSpec {
        name: "aroon",
        summary: "Aroon down and up",
        definition: "Over the last `length` + 1 bars: up = (100 / length) × (length − bars since the highest high), \
                     down = (100 / length) × (length − bars since the lowest low); on a tie the most recent bar \
                     counts, so a flat window reads 100 and 100. TA-Lib AROON.",
        inputs: &[HIGH, LOW],
        params: &[length("length", 2)],
        outputs: &[output("down"), output("up")],
        warmup: len,
        warmup_text: "length",
        build: |p| boxed(Aroon::new(p[0])),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BarField;
    use crate::exact::fsum;
    use crate::spec::InputSpec;

    const NAN: f64 = f64::NAN;

    /// The synthetic bars the TA-Lib values below were computed from, as `[high, low, close, volume]`: 80 bars of a
    /// random walk in 25-cent steps (an LCG), highs and lows 0, 7, 25 or 33 cents off the close (so extremes tie
    /// often), zero volume on every 17th bar from bar 5, and a flat stretch (high = low = close) on bars 40..58.
    /// The same generator in Python fed `talib` 0.8.2 (TA-Lib 0.8.1) to produce the expected values.
    fn bars() -> Vec<[f64; 4]> {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            state >> 33
        };
        let offsets = [0, 7, 25, 33];
        let mut cents: i64 = 10_000;
        (0..80)
            .map(|i| {
                let c = cents as f64 / 100.0;
                if (40..58).contains(&i) {
                    return [c, c, c, 500.0];
                }
                cents += 25 * ((next() % 13) as i64 - 6);
                let hx = offsets[(next() % 4) as usize];
                let lx = offsets[(next() % 4) as usize];
                let v = if i % 17 == 5 { 0 } else { next() % 1000 };
                [(cents + hx) as f64 / 100.0, (cents - lx) as f64 / 100.0, cents as f64 / 100.0, v as f64]
            })
            .collect()
    }

    #[test]
    fn the_generator_is_the_one_talib_saw() {
        let b = bars();
        assert_eq!(b[0], [99.33, 98.93, 99.0, 711.0]);
        assert_eq!(b[40], [82.75, 82.75, 82.75, 500.0]);
        assert_eq!(b[58], [82.25, 82.18, 82.25, 515.0]);
        assert_eq!(b[79], [84.58, 84.18, 84.25, 496.0]);
        assert_eq!(fsum(&b.iter().map(|b| b[2]).collect::<Vec<_>>()), 6919.5);
    }

    /// Which field of a `[high, low, close, volume]` bar an input reads.
    fn field(input: &InputSpec) -> usize {
        match input.implicit {
            Some(BarField::High) => 0,
            Some(BarField::Low) => 1,
            Some(BarField::Volume) => 3,
            _ => 2,
        }
    }

    fn spec(name: &str) -> &'static IndicatorSpec {
        SPECS.iter().find(|s| s.name == name).unwrap()
    }

    /// Feeds `bars` to `ind` through the [`Indicator`] interface: one column per output.
    fn feed(spec: &IndicatorSpec, ind: &mut dyn Indicator, bars: &[[f64; 4]]) -> Vec<Vec<f64>> {
        let mut out = vec![0.0; spec.outputs.len()];
        let mut cols = vec![Vec::new(); spec.outputs.len()];
        for b in bars {
            let inputs: Vec<f64> = spec.inputs.iter().map(|i| b[field(i)]).collect();
            out.fill(0.0);
            ind.update(&inputs, &mut out);
            for (col, &v) in cols.iter_mut().zip(&out) {
                col.push(v);
            }
        }
        cols
    }

    /// Runs this module's registry entry `name` over `bars`.
    fn run(name: &str, params: &[f64], bars: &[[f64; 4]]) -> Vec<Vec<f64>> {
        let spec = spec(name);
        feed(spec, (spec.build)(params).unwrap().as_mut(), bars)
    }

    /// Equal within 1e-9 relative (1e-9 absolute below 1), and NaN exactly where TA-Lib has NaN.
    fn assert_matches(name: &str, got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{name}");
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            if w.is_nan() {
                assert!(g.is_nan(), "{name}[{i}]: got {g}, TA-Lib has NaN");
            } else {
                assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "{name}[{i}]: got {g}, TA-Lib {w}");
            }
        }
    }

    fn same_bits(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }

    #[test]
    fn adx_and_di_match_talib() {
        let b = bars();
        for (name, params, want) in [
            ("adx", 14.0, &ADX_14),
            ("adx", 5.0, &ADX_5),
            ("plus_di", 14.0, &PLUS_DI_14),
            ("plus_di", 5.0, &PLUS_DI_5),
            ("minus_di", 14.0, &MINUS_DI_14),
            ("minus_di", 5.0, &MINUS_DI_5),
        ] {
            let got = &run(name, &[params], &b)[0];
            assert_matches(&format!("{name}({params})"), got, want);
            // A recursion in TA-Lib's order of operations: the same bits.
            assert!(same_bits(got, want), "{name}({params}) is not bit-exact");
        }
    }

    #[test]
    fn aroon_matches_talib() {
        let b = bars();
        for (n, down, up) in [(14.0, &AROON_14_DOWN, &AROON_14_UP), (5.0, &AROON_5_DOWN, &AROON_5_UP)] {
            let r = run("aroon", &[n], &b);
            assert!(same_bits(&r[0], down), "aroon({n}).down");
            assert!(same_bits(&r[1], up), "aroon({n}).up");
        }
    }

    const ALL: [(&str, f64); 4] = [("adx", 5.0), ("plus_di", 5.0), ("minus_di", 5.0), ("aroon", 5.0)];

    #[test]
    fn undefined_bars_are_skipped() {
        let b = bars();
        for (name, n) in ALL {
            // Every 7th bar has one of the indicator's inputs undefined: those bars read NaN and leave the state
            // alone, so the other bars read as if the gaps were not there.
            let fields: Vec<usize> = spec(name).inputs.iter().map(field).collect();
            let mut gappy = b.clone();
            for (i, bar) in gappy.iter_mut().enumerate().filter(|(i, _)| i % 7 == 3) {
                bar[fields[i % fields.len()]] = NAN;
            }
            let dense: Vec<[f64; 4]> = b.iter().enumerate().filter(|(i, _)| i % 7 != 3).map(|(_, &bar)| bar).collect();
            let (with_gaps, without) = (run(name, &[n], &gappy), run(name, &[n], &dense));
            for (col, dense_col) in with_gaps.iter().zip(&without) {
                let kept: Vec<f64> = col.iter().enumerate().filter(|(i, _)| i % 7 != 3).map(|(_, &v)| v).collect();
                assert!(same_bits(&kept, dense_col), "{name}");
                assert!(col.iter().skip(3).step_by(7).all(|v| v.is_nan()), "{name}");
            }
        }
    }

    #[test]
    fn reset_forgets_everything() {
        let b = bars();
        for (name, n) in ALL {
            let spec = spec(name);
            let mut ind = (spec.build)(&[n]).unwrap();
            feed(spec, ind.as_mut(), &b[..30]);
            ind.reset();
            let again = feed(spec, ind.as_mut(), &b);
            for (x, y) in again.iter().zip(&run(name, &[n], &b)) {
                assert!(same_bits(x, y), "{name}");
            }
        }
    }

    /// The range tests are exact (`TR > 0`), so an instrument quoted at 1e-20 reads exactly as one quoted at 100
    /// (TA-Lib 0.8.1 does the same): scaling by a power of two changes no bit.
    #[test]
    fn tiny_prices_read_like_normal_ones() {
        let b = bars();
        let scale = 2f64.powi(-70);
        let tiny: Vec<[f64; 4]> = b.iter().map(|&[h, l, c, v]| [h * scale, l * scale, c * scale, v]).collect();
        for (name, n) in ALL {
            let (a, z) = (run(name, &[n], &b), run(name, &[n], &tiny));
            for (x, y) in a.iter().zip(&z) {
                assert!(same_bits(x, y), "{name}");
            }
        }
    }

    #[test]
    fn bad_lengths_are_rejected() {
        for length in [1.0, 0.0, 2.5, f64::NAN] {
            assert!(Adx::new(length).is_err());
            assert!(PlusDi::new(length).is_err());
            assert!(MinusDi::new(length).is_err());
            assert!(Aroon::new(length).is_err());
        }
    }

    /// Bars for the hand-computed cases: (high, low, close).
    const HLC: [(f64, f64, f64); 5] =
        [(10.0, 8.0, 9.0), (11.0, 9.0, 10.0), (12.0, 9.0, 11.0), (11.5, 8.0, 8.5), (12.5, 10.0, 12.0)];

    #[test]
    fn di_and_adx_hand_computed() {
        // Bar 1: +DM1 1, TR1 2 (the seed, n − 1 = 1 bar). Bar 2: +DM1 1, TR1 3; Wilder: +DM 1 − 1/2 + 1 = 1.5,
        // −DM 0, TR 2 − 2/2 + 3 = 4. Bar 3: −DM1 1, TR1 3.5: +DM 0.75, −DM 1, TR 5.5.
        let (mut p, mut m, mut a) = (PlusDi::new(2.0).unwrap(), MinusDi::new(2.0).unwrap(), Adx::new(2.0).unwrap());
        let plus: Vec<_> = HLC.iter().map(|&(h, l, c)| p.update(h, l, c)).collect();
        let minus: Vec<_> = HLC.iter().map(|&(h, l, c)| m.update(h, l, c)).collect();
        let adx: Vec<_> = HLC.iter().map(|&(h, l, c)| a.update(h, l, c)).collect();
        assert_eq!(plus[..2], [None; 2]);
        assert_eq!(plus[2], Some(37.5));
        assert_eq!(minus[2], Some(0.0));
        assert_eq!(plus[3], Some(100.0 * (0.75 / 5.5)));
        assert_eq!(minus[3], Some(100.0 * (1.0 / 5.5)));
        // ADX(2) from bar 3: (DX of bar 2 (100) + DX of bar 3) / 2.
        let (minus3, plus3): (f64, f64) = (100.0 * (1.0 / 5.5), 100.0 * (0.75 / 5.5));
        let dx3 = 100.0 * ((minus3 - plus3).abs() / (minus3 + plus3));
        assert_eq!(adx[..3], [None; 3]);
        assert_eq!(adx[3], Some((100.0 + dx3) / 2.0));
        // TA-Lib: +DI 37.5, 13.636363636363635, 20.37037037037037; −DI 0, 18.181818181818183, 7.4074074074074066;
        // ADX 57.142857142857146, 51.904761904761905.
        assert_eq!(plus[3..], [Some(13.636363636363635), Some(20.37037037037037)]);
        assert_eq!(minus[3..], [Some(18.181818181818183), Some(7.4074074074074066)]);
        assert_eq!(adx[3..], [Some(57.142857142857146), Some(51.904761904761905)]);
    }

    #[test]
    fn no_range_and_no_direction_read_zero() {
        // Flat from the start: TR is 0, so both DIs read 0 and no bar has a DX; the seed 0 / n is the ADX.
        let (mut p, mut a) = (PlusDi::new(3.0).unwrap(), Adx::new(3.0).unwrap());
        for i in 0..10 {
            let (di, adx) = (p.update(5.0, 5.0, 5.0), a.update(5.0, 5.0, 5.0));
            assert_eq!(di, (i >= 3).then_some(0.0));
            assert_eq!(adx, (i >= 5).then_some(0.0));
        }
        // Inside bars: a range but no directional movement. DI 0, DX undefined, ADX 0.
        let (mut p, mut a) = (PlusDi::new(3.0).unwrap(), Adx::new(3.0).unwrap());
        for (i, c) in [1.5, 1.2, 1.8, 1.3, 1.7, 1.1, 1.9, 1.5].into_iter().enumerate() {
            assert_eq!(p.update(2.0, 1.0, c), (i >= 3).then_some(0.0));
            assert_eq!(a.update(2.0, 1.0, c), (i >= 5).then_some(0.0));
        }
        // Equal moves up and down (an outside bar growing both ways) count as neither.
        let (mut p, mut m) = (PlusDi::new(2.0).unwrap(), MinusDi::new(2.0).unwrap());
        for (i, (h, l)) in [(10.0, 9.0), (11.0, 8.0), (12.0, 7.0), (13.0, 6.0)].into_iter().enumerate() {
            assert_eq!(p.update(h, l, h), (i >= 2).then_some(0.0));
            assert_eq!(m.update(h, l, h), (i >= 2).then_some(0.0));
        }
    }

    #[test]
    fn adx_holds_through_bars_without_dx() {
        // A rise, a fall, then 120 inside bars: no new movement, TR 3 a bar, so +DM and −DM halve every bar
        // (length 2) and from bar 56 the DIs sum below 1e-14. Those bars have no DX and ADX holds — it neither
        // decays toward 0 nor keeps converging. Values from TA-Lib.
        let mut bars = vec![(8.0, 6.0, 7.0), (9.0, 7.0, 8.0), (10.0, 8.0, 9.0), (11.0, 9.0, 10.0), (11.0, 8.0, 9.0)];
        bars.extend((0..120).map(|i| (11.0, 8.0, if i % 2 == 0 { 10.0 } else { 9.5 })));
        let (mut a, mut p) = (Adx::new(2.0).unwrap(), PlusDi::new(2.0).unwrap());
        let adx: Vec<_> = bars.iter().map(|&(h, l, c)| a.update(h, l, c)).collect();
        let plus: Vec<_> = bars.iter().map(|&(h, l, c)| p.update(h, l, c)).collect();
        assert_eq!(adx[4], Some(53.333333333333336));
        assert_eq!(adx[54], Some(6.666666666666708));
        assert!(adx[55..].iter().all(|&v| v == Some(6.666666666666682)));
        // The DIs keep their tiny values: the range test is exact, not 1e-14.
        assert_eq!(plus[124], Some(1.0971280607674684e-35));
    }

    #[test]
    fn aroon_hand_computed_and_ties() {
        let mut a = Aroon::new(2.0).unwrap();
        let out: Vec<_> =
            [(1.0, 5.0), (3.0, 4.0), (2.0, 4.0), (3.0, 6.0), (1.0, 2.0)].iter().map(|&(h, l)| a.update(h, l)).collect();
        assert_eq!(out[..2], [None; 2]);
        // Bar 2: highest 3 one bar ago, lowest 4 on bars 1 and 2: the most recent counts.
        assert_eq!(out[2], Some(AroonValue { down: 100.0, up: 50.0 }));
        // Bar 3: highs 3, 2, 3: the newest 3 counts.
        assert_eq!(out[3], Some(AroonValue { down: 50.0, up: 100.0 }));
        assert_eq!(out[4], Some(AroonValue { down: 100.0, up: 50.0 }));
        // A flat window reads 100 and 100.
        let mut a = Aroon::new(3.0).unwrap();
        let out: Vec<_> = (0..8).map(|_| a.update(7.0, 7.0)).collect();
        assert_eq!(out[3..], [Some(AroonValue { down: 100.0, up: 100.0 }); 5]);
    }

    // Expected values: Python `talib` 0.8.2 (TA-Lib 0.8.1) on the bars of `bars()`, printed with `repr` (NaN while
    // TA-Lib's output is undefined).
    #[rustfmt::skip]
    const ADX_14: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN,
        NAN, NAN, NAN, NAN, NAN, 68.70182708350404, 69.2296450768196, 69.59970855593762, 70.26054404978176,
        71.09643850979022, 69.8894350385345, 69.11188948143426, 68.44450407893638, 67.99665427516095,
        67.7735791021231, 66.0277174921698, 65.06311812778992, 63.913497355469175, 62.84599235259991,
        61.85473770707845, 60.93428696480852, 60.0795827041293, 59.285928747784304, 58.54896435974967,
        57.86464028514608, 57.229196501585605, 56.63914155970802, 56.09123339939312, 55.58246153624357,
        55.11003052046185, 54.67134457723596, 54.2639933442405, 53.88573862788756, 53.53450210555984,
        53.208353906255525, 52.90550200690152, 53.27481702194408, 54.50567165163976, 56.08066853236687,
        57.62997117316805, 56.885123144073575, 55.563641022047726, 52.12466657556882, 48.931333160981254,
        46.33976524337295, 43.93330931987953, 42.939533815587296, 40.566599802941994, 37.95675823454835,
        35.69416086746056, 34.770698833154775, 34.28970310015955, 33.84306420523541, 33.12660635649116,
        30.828976587434454, 29.411599130968785, 28.955466379818308, 28.3051860992818,
    ];

    #[rustfmt::skip]
    const ADX_5: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, 57.863021643889034, 52.670118577579544, 49.59346992123472,
        52.39935338446912, 54.982342911960515, 59.71858111456945, 64.14662310052142, 68.67202703601599,
        72.71651385026485, 75.25834238391991, 72.70877724854948, 71.1245255064814, 70.7175949604459,
        70.39205052361748, 70.13161497415476, 71.72768498334688, 74.88822159567322, 77.41665088553428,
        80.18606156357384, 82.59538149333345, 83.08614947852348, 84.93882590436496, 86.97237145640993,
        75.38746147558464, 69.41016704653401, 65.13511697494314, 63.33052227251265, 63.538551216977524,
        53.34650574205345, 51.338019961607245, 48.10845901101275, 45.52481025053715, 43.45789124215667,
        41.80435603545229, 40.48152787008878, 39.42326533779798, 38.57665531196533, 37.899367291299214,
        37.357536874766325, 36.92407254154001, 36.57730107495896, 36.299883901694116, 36.07795016308224,
        35.900403172192746, 35.75836557948114, 35.64473550531186, 35.553831445976435, 35.481108198508096,
        35.42292960053343, 47.03663540111313, 57.253736762609876, 65.58445505071253, 72.27406317182059,
        63.79132144187158, 53.62767532656183, 49.81447002659619, 46.763905786623674, 40.77826384113214,
        35.98975028473891, 35.66167445013652, 30.289499415154857, 30.64002337525593, 25.47626321150843,
        26.546721281484196, 29.35614822137044, 31.603689773279438, 30.960310179147548, 30.212418998111133,
        32.82485822001603, 38.13076262916117, 40.446501368817785,
    ];

    #[rustfmt::skip]
    const PLUS_DI_14: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, 16.02071798535451, 14.701148507528524,
        12.894051536059203, 11.82413268439864, 12.005966098125716, 15.065083982760044, 14.422932112815753,
        13.598927813786418, 12.81073127598382, 12.514837502838239, 11.843177227346935, 10.51092834535151,
        10.194759714227605, 9.257605468565384, 8.820983311316283, 9.231965575417348, 7.965941426905737,
        7.049745031368864, 18.518412556102877, 16.915113639202914, 16.44230194570259, 15.629643664944345,
        14.606662953760145, 24.094489463118784, 20.688415252084496, 22.177771283962123, 22.177771283962123,
        22.177771283962123, 22.177771283962123, 22.177771283962127, 22.177771283962123, 22.177771283962123,
        22.177771283962123, 22.177771283962123, 22.177771283962123, 22.17777128396212, 22.17777128396212,
        22.17777128396212, 22.17777128396212, 22.177771283962116, 22.177771283962116, 22.177771283962116,
        22.177771283962116, 22.17777128396212, 18.65530983916722, 13.362381853670598, 10.689964470329391,
        9.581680581010867, 23.047549458353316, 26.031093969990334, 40.13465427609282, 38.72031435725473,
        35.19421780097118, 33.59671064885445, 27.959010998485496, 36.16045881491107, 41.210220938909806,
        36.92002560164138, 30.86447369182433, 28.478662590188414, 27.593070400433334, 28.995595949756137,
        40.0967538000113, 43.72788986331461, 49.902636043730716, 47.47981925699696,
    ];

    #[rustfmt::skip]
    const PLUS_DI_5: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, 16.778523489932944, 14.282313734825083, 29.27601698868232, 20.70024996528253,
        14.266988596129757, 29.67320714454063, 27.606193862225375, 16.859958104301214, 14.881505593545738,
        9.683065004651912, 7.817698918037356, 5.663077996768865, 4.583677391888438, 5.631022191502316,
        14.668591160859446, 12.86082584316654, 10.687546269891758, 8.823709216037296, 8.15068580440459,
        6.695256640396566, 4.495005282214766, 4.067285171530877, 2.965147585433808, 2.535700919450547,
        4.543785101719946, 2.825026203332938, 1.9949447182846347, 30.854494112487433, 24.437865895504004,
        22.624027689588154, 19.499219122074734, 15.889589843103744, 40.361684339350965, 26.900336125449602,
        30.380887163096286, 30.380887163096286, 30.380887163096286, 30.380887163096286, 30.380887163096286,
        30.380887163096286, 30.380887163096286, 30.380887163096293, 30.380887163096293, 30.380887163096293,
        30.380887163096293, 30.380887163096293, 30.380887163096293, 30.380887163096297, 30.380887163096293,
        30.380887163096293, 30.380887163096297, 30.380887163096297, 30.380887163096293, 3.2326429151831877,
        0.9012796488193462, 0.5186967369023411, 0.4036683655184071, 30.347710281454386, 35.177713596000004,
        58.10823376658421, 53.833135152719414, 43.31652040872141, 38.73088267918176, 25.054609167884667,
        42.33876885789854, 50.64152552249015, 40.01407650012923, 27.424541535572526, 23.113245212206376,
        21.485467128054754, 25.55133319770478, 51.10310094360063, 56.41257292777148, 66.76601984739035,
        59.178518926555334,
    ];

    #[rustfmt::skip]
    const MINUS_DI_14: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, 73.91796154075145, 73.34815368905001,
        74.67928535076824, 74.24491024722097, 71.86638292594141, 68.89522801358363, 67.49306309997685,
        66.49365749473488, 62.63967199375669, 61.192862401428336, 63.275607201316795, 66.77681610099326,
        64.7681700667159, 65.70873199575176, 64.96785137873667, 62.92245529183228, 67.36711595914102,
        71.12036107254644, 62.34517508026124, 65.60527849500986, 65.2961340102052, 67.01136732510624, 68.559637743963,
        60.942158781793324, 66.46350032819295, 64.74007238504589, 64.74007238504589, 64.74007238504588,
        64.74007238504588, 64.74007238504588, 64.74007238504588, 64.74007238504588, 64.74007238504588,
        64.74007238504588, 64.74007238504588, 64.74007238504588, 64.74007238504586, 64.74007238504586,
        64.74007238504586, 64.74007238504586, 64.74007238504585, 64.74007238504585, 64.74007238504585,
        64.74007238504585, 70.34035268281191, 77.25086882742161, 80.50432695312637, 76.62678447864785,
        64.25724455661776, 58.46401034524408, 46.566116377954984, 44.92513258361261, 45.38727946484438,
        43.32709719370412, 51.947224184053866, 43.94552490907265, 38.01825015674585, 41.86823996817523,
        49.05978444110162, 50.669141274020724, 49.093498610613864, 47.12097089485964, 39.33438202736189,
        35.07125802275869, 31.222884183704135, 31.751233235949822,
    ];

    #[rustfmt::skip]
    const MINUS_DI_5: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, 76.06263982102915, 77.54106165198789, 63.97761029141024, 67.74883696708814,
        70.06078425068044, 57.47086426344996, 60.433411858141305, 75.83545845794103, 70.92622515423527,
        81.08234076233168, 78.3694889054472, 79.97014514568102, 77.96391325020167, 71.64205976468449,
        63.58584113549007, 60.18614676012369, 58.464846358880926, 48.26896563567223, 44.587277681919446,
        54.48206372252849, 67.60023054236234, 61.16776244177109, 64.91596997328519, 62.755668204023806,
        56.239472133867295, 71.02734618703396, 79.54042244610854, 56.11815362721126, 65.2440039044002,
        64.44993139176324, 69.36007208319423, 73.30427657477834, 51.976248570031615, 67.99303407138324,
        63.37312624984133, 63.37312624984131, 63.37312624984131, 63.37312624984133, 63.37312624984131,
        63.37312624984133, 63.37312624984133, 63.37312624984133, 63.37312624984134, 63.37312624984134,
        63.37312624984133, 63.37312624984134, 63.37312624984134, 63.37312624984134, 63.37312624984133,
        63.37312624984133, 63.37312624984134, 63.37312624984134, 63.37312624984133, 96.10276015647159,
        95.08891225446766, 94.42229805859355, 83.04161394814818, 56.18740142225662, 45.66558865563172,
        28.25847513337353, 26.179462228629387, 30.832942246571506, 27.568859583779233, 51.27248652688362,
        35.48927861957664, 26.06358315541427, 36.333204182566654, 51.869857953126484, 54.70108054097197,
        50.8486911743337, 45.80794211162168, 29.23451545622635, 22.334904963397598, 17.02963074727841,
        19.879304644883167,
    ];

    #[rustfmt::skip]
    const AROON_14_DOWN: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, 100.0, 100.0, 100.0, 100.0,
        92.85714285714286, 85.71428571428572, 78.57142857142857, 71.42857142857143, 64.28571428571429,
        57.142857142857146, 100.0, 100.0, 100.0, 100.0, 100.0, 92.85714285714286, 100.0, 100.0, 92.85714285714286,
        85.71428571428572, 78.57142857142857, 100.0, 100.0, 92.85714285714286, 100.0, 92.85714285714286,
        85.71428571428572, 78.57142857142857, 71.42857142857143, 64.28571428571429, 57.142857142857146, 50.0,
        42.85714285714286, 35.714285714285715, 28.571428571428573, 21.42857142857143, 14.285714285714286,
        7.142857142857143, 0.0, 0.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 92.85714285714286,
        85.71428571428572, 78.57142857142857, 71.42857142857143, 64.28571428571429, 57.142857142857146, 50.0,
        42.85714285714286, 35.714285714285715, 28.571428571428573, 21.42857142857143, 14.285714285714286,
        7.142857142857143, 0.0, 92.85714285714286, 85.71428571428572, 78.57142857142857, 71.42857142857143,
    ];

    #[rustfmt::skip]
    const AROON_14_UP: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, 14.285714285714286, 7.142857142857143,
        0.0, 0.0, 0.0, 14.285714285714286, 7.142857142857143, 0.0, 0.0, 7.142857142857143, 0.0, 0.0, 0.0, 0.0, 0.0,
        0.0, 28.571428571428573, 21.42857142857143, 14.285714285714286, 7.142857142857143, 0.0, 7.142857142857143,
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 7.142857142857143, 0.0, 14.285714285714286, 7.142857142857143, 0.0, 0.0, 0.0,
        14.285714285714286, 7.142857142857143, 0.0, 7.142857142857143, 0.0, 100.0, 100.0, 100.0, 100.0,
        92.85714285714286, 85.71428571428572, 78.57142857142857, 71.42857142857143, 64.28571428571429,
        57.142857142857146, 100.0, 100.0, 100.0, 92.85714285714286, 85.71428571428572, 100.0, 100.0,
        92.85714285714286, 85.71428571428572, 78.57142857142857, 71.42857142857143, 64.28571428571429,
        57.142857142857146, 50.0, 100.0, 92.85714285714286,
    ];

    #[rustfmt::skip]
    const AROON_5_DOWN: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, 100.0, 100.0, 80.0, 100.0, 100.0, 80.0, 60.0, 100.0, 100.0, 100.0, 100.0, 100.0,
        100.0, 80.0, 60.0, 40.0, 20.0, 0.0, 80.0, 100.0, 100.0, 100.0, 100.0, 100.0, 80.0, 100.0, 100.0, 80.0, 60.0,
        40.0, 100.0, 100.0, 80.0, 100.0, 80.0, 60.0, 40.0, 20.0, 0.0, 0.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0,
        100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 80.0, 60.0, 40.0, 20.0, 0.0, 0.0,
        0.0, 80.0, 60.0, 40.0, 100.0, 100.0, 80.0, 100.0, 80.0, 60.0, 40.0, 20.0,
    ];

    #[rustfmt::skip]
    const AROON_5_UP: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, 40.0, 20.0, 0.0, 0.0, 0.0, 40.0, 20.0, 0.0, 0.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        80.0, 60.0, 40.0, 20.0, 0.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 20.0, 0.0, 40.0, 20.0, 0.0, 0.0, 0.0, 40.0,
        20.0, 0.0, 20.0, 0.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0,
        100.0, 80.0, 60.0, 40.0, 20.0, 0.0, 0.0, 100.0, 100.0, 100.0, 80.0, 60.0, 100.0, 100.0, 80.0, 60.0, 40.0,
        20.0, 0.0, 0.0, 100.0, 100.0, 80.0,
    ];
}
