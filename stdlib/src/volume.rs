//! Volume indicators: OBV, AD, ADOSC, VWMA, VWAP.
//!
//! Design choice: the cumulative lines TA-Lib defines (OBV, the Chaikin A/D line and its oscillator ADOSC) follow
//! TA-Lib 0.8.1 step for step — ADOSC is the difference of two EMAs of one line, which cancels, so only TA-Lib's exact
//! operations (both EMAs seeded with the first A/D value, fused steps) reproduce its values. The volume-weighted
//! averages TA-Lib does not define (VWMA, VWAP) are ratios of *exact* sums ([`ExactSum`], products entering exactly),
//! so they never drift, and a stretch at one price averages to exactly that price.

use crate::exact::{ExactSum, two_prod};
use crate::indicator::{ParamError, length_param, real_param};
use crate::ring::Ring;

/// On-balance volume (TA-Lib OBV): starts at the first bar's volume, then adds the volume of a bar that closes
/// higher than the previous bar and subtracts that of a bar that closes lower.
#[derive(Debug, Clone, Default)]
pub struct Obv {
    prev_close: Option<f64>,
    value: f64,
}

impl Obv {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub fn update(&mut self, close: f64, volume: f64) -> Option<f64> {
        match self.prev_close.replace(close) {
            None => self.value = volume,
            Some(prev) if close > prev => self.value += volume,
            Some(prev) if close < prev => self.value -= volume,
            Some(_) => {}
        }
        Some(self.value)
    }

    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

crate::pair_indicator!(Obv);

/// Adds a bar's money flow volume to the A/D line, in TA-Lib's operation order; a bar with no range adds nothing.
#[inline(always)]
fn accumulate(ad: &mut f64, high: f64, low: f64, close: f64, volume: f64) {
    let range = high - low;
    if range > 0.0 {
        *ad += (((close - low) - (high - close)) / range) * volume;
    }
}

/// Chaikin accumulation/distribution line (TA-Lib AD): the running sum of
/// `((close - low) - (high - close)) / (high - low) × volume`, bars with `high == low` adding nothing.
#[derive(Debug, Clone, Default)]
pub struct Ad {
    value: f64,
}

impl Ad {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Option<f64> {
        accumulate(&mut self.value, high, low, close, volume);
        Some(self.value)
    }

    pub fn reset(&mut self) {
        self.value = 0.0;
    }
}

crate::bar_indicator!(Ad, 0, 1, 2, 3);

/// Chaikin A/D oscillator (TA-Lib ADOSC): `EMA(fast)` − `EMA(slow)` of the A/D line.
///
/// As TA-Lib computes it, not through TA-Lib's EMA: both EMAs start at the first bar's A/D value (no SMA seed) and
/// step `ema = fma(1 - k, ema, k × ad)` with `k = 2 / (length + 1)`; the output starts on bar `max(fast, slow) - 1`.
#[derive(Debug, Clone)]
pub struct Adosc {
    fast_k: f64,
    fast_keep: f64,
    slow_k: f64,
    slow_keep: f64,
    lookback: usize,
    seen: usize,
    ad: f64,
    fast: f64,
    slow: f64,
}

impl Adosc {
    pub fn new(fast: f64, slow: f64) -> Result<Self, ParamError> {
        let f = length_param("fast", fast, 2)?;
        let s = length_param("slow", slow, 2)?;
        let fast_k = 2.0 / (f + 1) as f64;
        let slow_k = 2.0 / (s + 1) as f64;
        Ok(Self {
            fast_k,
            fast_keep: 1.0 - fast_k,
            slow_k,
            slow_keep: 1.0 - slow_k,
            lookback: f.max(s) - 1,
            seen: 0,
            ad: 0.0,
            fast: 0.0,
            slow: 0.0,
        })
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Option<f64> {
        accumulate(&mut self.ad, high, low, close, volume);
        if self.seen == 0 {
            self.fast = self.ad;
            self.slow = self.ad;
        } else {
            self.fast = self.fast_keep.mul_add(self.fast, self.fast_k * self.ad);
            self.slow = self.slow_keep.mul_add(self.slow, self.slow_k * self.ad);
        }
        if self.seen < self.lookback {
            self.seen += 1;
            return None;
        }
        self.seen = self.lookback + 1;
        Some(self.fast - self.slow)
    }

    pub fn reset(&mut self) {
        self.seen = 0;
        self.ad = 0.0;
        self.fast = 0.0;
        self.slow = 0.0;
    }
}

crate::bar_indicator!(Adosc, 0, 1, 2, 3);

/// Volume-weighted moving average: `sum(source × volume) / sum(volume)` over the last `n` bars.
///
/// Both sums are exact (each product enters as an exact two-double product), so the value is the correctly rounded
/// sum of products divided by the correctly rounded volume sum, with no drift. A window whose sources are all equal
/// averages to exactly that value. Undefined until `n` bars are in, and while the window's volume sum is 0.
#[derive(Debug, Clone)]
pub struct Vwma {
    sources: Ring,
    volumes: Ring,
    weighted: ExactSum,
    volume: ExactSum,
    /// How many of the newest sources equal `last` (capped at the window length).
    run: usize,
    last: f64,
}

impl Vwma {
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 1)?;
        Ok(Self {
            sources: Ring::new(n),
            volumes: Ring::new(n),
            weighted: ExactSum::new(),
            volume: ExactSum::new(),
            run: 0,
            last: f64::NAN,
        })
    }

    #[inline]
    pub fn update(&mut self, source: f64, volume: f64) -> Option<f64> {
        let old_source = self.sources.push(source);
        let old_volume = self.volumes.push(volume);
        let (p, e) = two_prod(source, volume);
        match (old_source, old_volume) {
            (Some(os), Some(ov)) => {
                let (op, oe) = two_prod(os, ov);
                self.weighted.add2(p, -op);
                self.weighted.add2(e, -oe);
                self.volume.add2(volume, -ov);
            }
            _ => {
                self.weighted.add2(p, e);
                self.volume.add(volume);
            }
        }
        let n = self.sources.capacity();
        self.run = if source == self.last { (self.run + 1).min(n) } else { 1 };
        self.last = source;
        if !self.sources.is_full() {
            return None;
        }
        let volume = self.volume.value();
        if volume == 0.0 {
            return None;
        }
        Some(if self.run == n { source } else { self.weighted.value() / volume })
    }

    pub fn reset(&mut self) {
        self.sources.clear();
        self.volumes.clear();
        self.weighted.reset();
        self.volume.reset();
        self.run = 0;
        self.last = f64::NAN;
    }
}

crate::pair_indicator!(Vwma);

/// Milliseconds in a day.
const DAY_MS: f64 = 86_400_000.0;

/// Session-anchored volume-weighted average price.
///
/// A session is a UTC day shifted by `offset_minutes`: it starts at midnight UTC plus the offset, and a bar belongs to
/// the session containing its timestamp (epoch milliseconds). The value is `sum(tp × volume) / sum(volume)` over the
/// session's bars so far, `tp = (high + low + close) / 3`, with both sums exact; it is undefined until the session has
/// volume, and restarts on the first bar of each new session. A session whose traded bars all share one typical price
/// has exactly that price as VWAP.
#[derive(Debug, Clone)]
pub struct Vwap {
    offset_ms: f64,
    /// Start (epoch ms) of the current session.
    session: Option<f64>,
    weighted: ExactSum,
    volume: ExactSum,
    /// The typical price of the session's first bar with volume, while every such bar has had it.
    uniform: Option<f64>,
    mixed: bool,
}

impl Vwap {
    pub fn new(offset_minutes: f64) -> Result<Self, ParamError> {
        let offset = real_param("offset_minutes", offset_minutes, -1440.0, 1440.0)?;
        Ok(Self {
            offset_ms: offset * 60_000.0,
            session: None,
            weighted: ExactSum::new(),
            volume: ExactSum::new(),
            uniform: None,
            mixed: false,
        })
    }

    /// The start of the session containing `time` (epoch ms): midnight UTC plus the offset, on or before `time`.
    #[inline]
    fn session_start(&self, time: f64) -> f64 {
        let t = time - self.offset_ms;
        t - t.rem_euclid(DAY_MS) + self.offset_ms
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64, time: f64) -> Option<f64> {
        let session = self.session_start(time);
        if self.session != Some(session) {
            self.reset();
            self.session = Some(session);
        }
        let tp = (high + low + close) / 3.0;
        let (p, e) = two_prod(tp, volume);
        self.weighted.add2(p, e);
        self.volume.add(volume);
        if volume != 0.0 {
            match self.uniform {
                None => self.uniform = Some(tp),
                Some(u) => self.mixed |= u != tp,
            }
        }
        let total = self.volume.value();
        if total == 0.0 {
            return None;
        }
        match self.uniform {
            Some(u) if !self.mixed => Some(u),
            _ => Some(self.weighted.value() / total),
        }
    }

    pub fn reset(&mut self) {
        self.session = None;
        self.weighted.reset();
        self.volume.reset();
        self.uniform = None;
        self.mixed = false;
    }
}

crate::bar_indicator!(Vwap, 0, 1, 2, 3, 4);

use crate::spec::*;

/// The indicators of this module, for the registry.
pub(crate) static SPECS: &[IndicatorSpec] = &[
    IndicatorSpec {
        name: "obv",
        summary: "on-balance volume",
        definition: "Starts at the first bar's volume; then each bar adds its volume if it closes above the previous \
                     close, subtracts it if it closes below, and leaves the line unchanged on an equal close. \
                     TA-Lib OBV.",
        inputs: &[CLOSE, VOLUME],
        params: &[],
        outputs: &[NUMBER],
        warmup: |_| 0,
        warmup_text: "0",
        build: |_| Ok(Box::new(Obv::new())),
    },
    IndicatorSpec {
        name: "ad",
        summary: "Chaikin accumulation/distribution line",
        definition: "The running sum, from the first bar, of ((close − low) − (high − close)) / (high − low) × volume; \
                     a bar with high − low ≤ 0 adds nothing. TA-Lib AD.",
        inputs: &[HIGH, LOW, CLOSE, VOLUME],
        params: &[],
        outputs: &[NUMBER],
        warmup: |_| 0,
        warmup_text: "0",
        build: |_| Ok(Box::new(Ad::new())),
    },
    IndicatorSpec {
        name: "adosc",
        summary: "Chaikin A/D oscillator",
        definition: "EMA(fast) − EMA(slow) of the A/D line (`ad`), with k = 2 / (length + 1). Both EMAs start at the \
                     first bar's A/D value (no SMA seed) and then step ema = (1 − k) × ema + k × ad as one fused \
                     multiply-add. Defined from bar max(fast, slow) − 1. TA-Lib ADOSC.",
        inputs: &[HIGH, LOW, CLOSE, VOLUME],
        params: &[length_or("fast", 2, 3.0), length_or("slow", 2, 10.0)],
        outputs: &[NUMBER],
        warmup: |p| len_at(p, 0).max(len_at(p, 1)) - 1,
        warmup_text: "max(fast, slow) − 1",
        build: |p| boxed(Adosc::new(p[0], p[1])),
    },
    IndicatorSpec {
        name: "vwma",
        summary: "volume-weighted moving average",
        definition: "sum(source × volume) / sum(volume) over the last `length` bars (volume read from the bar). Both \
                     sums are exact, so the value is the correctly rounded sum of products over the correctly \
                     rounded volume sum, and a window of equal sources gives exactly that value. Undefined while the \
                     window's volume sum is 0. Not in TA-Lib.",
        inputs: &[SOURCE, VOLUME],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        warmup_text: "length − 1",
        build: |p| boxed(Vwma::new(p[0])),
    },
    IndicatorSpec {
        name: "vwap",
        summary: "volume-weighted average price, anchored to daily sessions",
        definition: "sum(tp × volume) / sum(volume) over the bars of the current session so far, with the typical \
                     price tp = (high + low + close) / 3 and exact sums. Sessions are UTC days shifted by \
                     `offset_minutes`: each starts at midnight UTC + offset, and a bar belongs to the session that \
                     contains its timestamp, so the sums restart on the first bar of each new session. Undefined \
                     until the session has volume. Not in TA-Lib.",
        inputs: &[HIGH, LOW, CLOSE, VOLUME, TIME],
        params: &[real_or("offset_minutes", -1440.0, 1440.0, 0.0)],
        outputs: &[NUMBER],
        warmup: |_| 0,
        warmup_text: "0 (undefined until the session has volume)",
        build: |p| boxed(Vwap::new(p[0])),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::Indicator;
    use crate::volatility::synthetic::{N, assert_matches, assert_samples, series};

    #[test]
    fn signatures() {
        assert_eq!(crate::registry::lookup("obv").unwrap().signature(), "obv()");
        assert_eq!(crate::registry::lookup("ad").unwrap().signature(), "ad()");
        assert_eq!(crate::registry::lookup("adosc").unwrap().signature(), "adosc(fast = 3, slow = 10)");
        assert_eq!(crate::registry::lookup("vwma").unwrap().signature(), "vwma(source, length)");
        assert_eq!(crate::registry::lookup("vwap").unwrap().signature(), "vwap(offset_minutes = 0)");
    }

    /// Runs an indicator of the bar's high, low, close and volume through the [`Indicator`] interface.
    fn run_hlcv(ind: &mut dyn Indicator, len: usize, s: &crate::volatility::synthetic::Series) -> Vec<f64> {
        let mut out = [f64::NAN];
        (0..len)
            .map(|i| {
                ind.update(&[s.high[i], s.low[i], s.close[i], s.volume[i]], &mut out);
                out[0]
            })
            .collect()
    }

    #[test]
    fn obv_hand_computed() {
        let mut o = Obv::new();
        // Starts at the first volume; up adds, down subtracts, unchanged keeps.
        let got: Vec<_> = [(10.0, 100.0), (11.0, 50.0), (11.0, 70.0), (9.0, 30.0), (9.5, 0.0)]
            .iter()
            .map(|&(c, v)| o.update(c, v))
            .collect();
        assert_eq!(got, vec![Some(100.0), Some(150.0), Some(150.0), Some(120.0), Some(120.0)]);
    }

    #[test]
    fn ad_hand_computed() {
        let mut a = Ad::new();
        // ((9 - 8) - (10 - 9)) / 2 × 100 = 0; ((11.5 - 10) - (12 - 11.5)) / 2 × 40 = 20; a bar with no range adds 0;
        // ((10 - 9) - (13 - 10)) / 4 × 10 = -5.
        let bars =
            [(10.0, 8.0, 9.0, 100.0), (12.0, 10.0, 11.5, 40.0), (11.0, 11.0, 11.0, 500.0), (13.0, 9.0, 10.0, 10.0)];
        let got: Vec<_> = bars.iter().map(|&(h, l, c, v)| a.update(h, l, c, v)).collect();
        assert_eq!(got, vec![Some(0.0), Some(20.0), Some(20.0), Some(15.0)]);
    }

    #[test]
    fn adosc_hand_computed() {
        // fast 2 (k = 2/3), slow 3 (k = 1/2): both EMAs start at AD[0] = 30, output from bar 2.
        let mut o = Adosc::new(2.0, 3.0).unwrap();
        // AD: 30 (close at high), then 30 + 60 = 90, then 90 - 30 = 60.
        assert_eq!(o.update(10.0, 8.0, 10.0, 30.0), None);
        assert_eq!(o.update(10.0, 8.0, 10.0, 60.0), None);
        let (k, keep): (f64, f64) = (2.0 / 3.0, 1.0 - 2.0 / 3.0);
        let (f1, s1) = (keep.mul_add(30.0, k * 90.0), 0.5f64.mul_add(30.0, 0.5 * 90.0));
        let (f2, s2) = (keep.mul_add(f1, k * 60.0), 0.5f64.mul_add(s1, 0.5 * 60.0));
        assert_eq!(o.update(10.0, 8.0, 8.0, 30.0), Some(f2 - s2));
        // In exact arithmetic: fast 70 then 63.33…, slow 60 then 60.
        assert!((f2 - s2 - 10.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn vwma_hand_computed_and_zero_volume() {
        let mut w = Vwma::new(2.0).unwrap();
        assert_eq!(w.update(10.0, 100.0), None);
        // (10 × 100 + 13 × 200) / 300
        assert_eq!(w.update(13.0, 200.0), Some(12.0));
        // (13 × 200 + 7 × 0) / 200
        assert_eq!(w.update(7.0, 0.0), Some(13.0));
        // No volume in the window: undefined.
        assert_eq!(w.update(8.0, 0.0), None);
        assert_eq!(w.update(9.0, 50.0), Some(9.0));
    }

    #[test]
    fn vwma_flat_window_is_exact_and_never_drifts() {
        let mut w = Vwma::new(5.0).unwrap();
        let mut last = None;
        for i in 0..10_000u32 {
            let price = 100.0 + f64::from(i % 97) * 0.013;
            last = w.update(price, 1.0 + f64::from(i % 13) * 0.37);
        }
        assert!(last.is_some());
        for i in 0..5 {
            last = w.update(40123.17, 0.1 * f64::from(i + 1));
        }
        assert_eq!(last, Some(40123.17));
        // A window sum that never drifts: the value equals a direct computation over the window.
        let xs = [(101.5, 3.3), (99.25, 0.7), (100.125, 12.9), (98.0, 1.1), (103.75, 5.0)];
        for &(x, v) in &xs {
            last = w.update(x, v);
        }
        let num = crate::exact::fsum(
            &xs.iter()
                .flat_map(|&(x, v)| {
                    let (p, e) = two_prod(x, v);
                    [p, e]
                })
                .collect::<Vec<_>>(),
        );
        let den = crate::exact::fsum(&xs.iter().map(|&(_, v)| v).collect::<Vec<_>>());
        assert_eq!(last, Some(num / den));
    }

    const T0: f64 = 1_700_006_400_000.0; // 2023-11-15 00:00 UTC
    const MIN: f64 = 60_000.0;

    #[test]
    fn vwap_resets_at_the_session_boundary() {
        let mut v = Vwap::new(0.0).unwrap();
        // 23:58 and 23:59: tp 10 × 100 and tp 13 × 200 → (1000 + 2600) / 300 = 12.
        assert_eq!(v.update(11.0, 9.0, 10.0, 100.0, T0 - 2.0 * MIN), Some(10.0));
        assert_eq!(v.update(14.0, 12.0, 13.0, 200.0, T0 - MIN), Some(12.0));
        // 00:00 opens a new session: no volume yet is undefined, then tp 20 alone, then (20 × 50 + 26 × 150) / 200.
        assert_eq!(v.update(21.0, 19.0, 20.0, 0.0, T0), None);
        assert_eq!(v.update(21.0, 19.0, 20.0, 50.0, T0 + MIN), Some(20.0));
        assert_eq!(v.update(27.0, 24.0, 27.0, 150.0, T0 + 2.0 * MIN), Some(24.5));
    }

    #[test]
    fn vwap_offset_moves_the_boundary() {
        // Sessions start at 01:00 UTC: 00:30 still belongs to the previous day's session, 01:00 starts a new one.
        let mut v = Vwap::new(60.0).unwrap();
        assert_eq!(v.update(11.0, 9.0, 10.0, 100.0, T0 - 30.0 * MIN), Some(10.0));
        assert_eq!(v.update(14.0, 12.0, 13.0, 200.0, T0 + 30.0 * MIN), Some(12.0));
        assert_eq!(v.update(21.0, 19.0, 20.0, 10.0, T0 + 60.0 * MIN), Some(20.0));
        // A negative offset: sessions start at 23:00 UTC of the previous day.
        let mut v = Vwap::new(-60.0).unwrap();
        assert_eq!(v.update(11.0, 9.0, 10.0, 100.0, T0 - 61.0 * MIN), Some(10.0));
        assert_eq!(v.update(14.0, 12.0, 13.0, 200.0, T0 - 60.0 * MIN), Some(13.0));
        assert_eq!(v.update(21.0, 19.0, 20.0, 200.0, T0 + 22.0 * 60.0 * MIN), Some(16.5));
    }

    #[test]
    fn vwap_of_one_price_is_exact() {
        let mut v = Vwap::new(0.0).unwrap();
        let mut last = None;
        for i in 0..1000u32 {
            last = v.update(0.3, 0.1, 0.2, 0.1 + f64::from(i) * 0.01, T0 + f64::from(i) * MIN);
        }
        assert_eq!(last, Some((0.3 + 0.1 + 0.2) / 3.0));
    }

    #[test]
    fn undefined_bars_are_skipped() {
        let spec = crate::registry::lookup("vwap").unwrap();
        let mut ind = (spec.build)(&[0.0]).unwrap();
        let mut out = [0.0];
        ind.update(&[11.0, 9.0, 10.0, 100.0, T0], &mut out);
        assert_eq!(out[0], 10.0);
        ind.update(&[f64::NAN, 9.0, 10.0, 100.0, T0 + MIN], &mut out);
        assert!(out[0].is_nan());
        ind.update(&[14.0, 12.0, 13.0, 200.0, f64::NAN], &mut out);
        assert!(out[0].is_nan());
        ind.update(&[14.0, 12.0, 13.0, 200.0, T0 + 2.0 * MIN], &mut out);
        assert_eq!(out[0], 12.0);
        let mut obv = Obv::new();
        assert_eq!(obv.update2(10.0, 5.0), 5.0);
        assert!(obv.update2(f64::NAN, 5.0).is_nan());
        assert_eq!(obv.update2(11.0, 2.0), 7.0);
    }

    #[test]
    fn lines_match_talib() {
        let s = series(80);
        let mut obv = Obv::new();
        let got: Vec<f64> = (0..80).map(|i| obv.update2(s.close[i], s.volume[i])).collect();
        assert_matches("OBV", &got, &OBV);
        assert_matches("AD", &run_hlcv(&mut Ad::new(), 80, &s), &AD);
        assert_matches("ADOSC(3, 10)", &run_hlcv(&mut Adosc::new(3.0, 10.0).unwrap(), 80, &s), &ADOSC_3_10);
        assert_matches("ADOSC(5, 2)", &run_hlcv(&mut Adosc::new(5.0, 2.0).unwrap(), 80, &s), &ADOSC_5_2);
        let long = series(2000);
        let got = run_hlcv(&mut Adosc::new(3.0, 10.0).unwrap(), 2000, &long);
        assert_samples("ADOSC(3, 10), long", &got, &LONG_ADOSC_3_10);
    }

    const OBV: [f64; 80] = [
        300.0, 700.0, 600.0, 800.0, 700.0, 200.0, 100.0, -400.0, -700.0, -300.0, -500.0, -500.0, -600.0, -1000.0,
        -900.0, -800.0, -700.0, -600.0, -800.0, -800.0, -1100.0, -1500.0, -1500.0, -1200.0, -1200.0, -1200.0, -1700.0,
        -2200.0, -2000.0, -1800.0, -1800.0, -1800.0, -1800.0, -1800.0, -1800.0, -1800.0, -1800.0, -1800.0, -1800.0,
        -1800.0, -1800.0, -1800.0, -1800.0, -1400.0, -1400.0, -1400.0, -1800.0, -1700.0, -1700.0, -1700.0, -1300.0,
        -1300.0, -1800.0, -2300.0, -2500.0, -2500.0, -2300.0, -2600.0, -2600.0, -2700.0, -3200.0, -3000.0, -2500.0,
        -2500.0, -3000.0, -3100.0, -2600.0, -2600.0, -2600.0, -2600.0, -2700.0, -3200.0, -3200.0, -3200.0, -3300.0,
        -3400.0, -3400.0, -3200.0, -3400.0, -3400.0,
    ];

    const AD: [f64; 80] = [
        -150.0,
        -150.0,
        -170.0,
        30.0,
        30.0,
        30.0,
        30.0,
        530.0,
        830.0,
        750.0,
        710.0,
        710.0,
        610.0,
        1010.0,
        1110.0,
        1076.6666666666667,
        1043.3333333333335,
        1043.3333333333335,
        843.3333333333335,
        843.3333333333335,
        693.3333333333335,
        693.3333333333335,
        693.3333333333335,
        793.3333333333335,
        793.3333333333335,
        793.3333333333335,
        626.6666666666669,
        1126.666666666667,
        1026.666666666667,
        1226.666666666667,
        1226.666666666667,
        1226.666666666667,
        1226.666666666667,
        1226.666666666667,
        1226.666666666667,
        1226.666666666667,
        1226.666666666667,
        1226.666666666667,
        1226.666666666667,
        1226.666666666667,
        1226.666666666667,
        1226.666666666667,
        1226.666666666667,
        826.666666666667,
        826.666666666667,
        826.666666666667,
        826.666666666667,
        793.3333333333336,
        793.3333333333336,
        793.3333333333336,
        793.3333333333336,
        793.3333333333336,
        293.3333333333336,
        543.3333333333336,
        543.3333333333336,
        543.3333333333336,
        643.3333333333336,
        583.3333333333336,
        583.3333333333336,
        483.3333333333336,
        -16.6666666666664,
        183.3333333333336,
        683.3333333333336,
        683.3333333333336,
        783.3333333333336,
        803.3333333333336,
        636.666666666667,
        636.666666666667,
        636.666666666667,
        636.666666666667,
        736.666666666667,
        736.666666666667,
        736.666666666667,
        736.666666666667,
        736.666666666667,
        636.666666666667,
        636.666666666667,
        536.666666666667,
        576.666666666667,
        576.666666666667,
    ];

    const ADOSC_3_10: [f64; 80] = [
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        355.3138355789216,
        309.4790757009359,
        262.59403068712936,
        187.72341857356042,
        267.30149374768575,
        307.37420688731106,
        285.21841921225075,
        239.61968008346093,
        199.18204315955052,
        100.89555140344623,
        51.51511828472667,
        -21.0964332897247,
        -48.883301362025236,
        -55.806719995055005,
        -21.747507618107647,
        -5.837147316801179,
        1.2022861988970135,
        -49.057547320338244,
        93.9322978145509,
        112.07066193204639,
        172.93902344083574,
        182.11798738162827,
        169.31683741362258,
        148.6875635709273,
        126.73126394701308,
        106.22811737841084,
        88.18336492958156,
        72.78475120691678,
        59.86852275610681,
        49.1420181393114,
        40.28644641977576,
        33.0013083145318,
        27.02090560651982,
        22.117931261740523,
        -109.17127926673652,
        -152.95584000413737,
        -156.96262939633436,
        -144.33244056620265,
        -136.65047478119106,
        -121.0850819799416,
        -103.70968656307207,
        -87.17341693225535,
        -72.48372327126151,
        -218.97578283983114,
        -179.45200876880688,
        -146.96937312440525,
        -120.32017007674972,
        -66.66184427754956,
        -57.74145242537236,
        -48.84297826535692,
        -72.58060444849991,
        -234.7841238462857,
        -216.15973415935392,
        -29.798871636576905,
        49.148651362429746,
        108.79548791998434,
        129.6696039735308,
        73.39056624026682,
        43.6954538729982,
        27.57513937066119,
        18.473634404190534,
        44.88905197207157,
        51.61453625238005,
        49.673640162289985,
        44.36385174704492,
        38.1585881456225,
        0.3329268408930375,
        -15.17147340566828,
        -51.95313956056441,
        -49.549899391152394,
        -44.062219377197266,
    ];

    const ADOSC_5_2: [f64; 80] = [
        N,
        N,
        N,
        N,
        -61.4814814814815,
        -48.14814814814817,
        -34.48559670781895,
        -190.45267489711935,
        -282.78920896204846,
        -213.7997256515775,
        -137.62434588223334,
        -90.1132957374383,
        -26.19677443027524,
        -139.50493093306682,
        -167.01675883745008,
        -124.90455196343532,
        -76.67860555511311,
        -48.92203845212748,
        34.78431833789773,
        45.655882438370554,
        87.92603391883767,
        77.7802822658665,
        58.241163617236,
        7.623323113710057,
        -5.319157690120051,
        -7.013229493166705,
        49.72436110463775,
        -115.38381011910303,
        -93.10033480902246,
        -134.1261547825552,
        -113.43719149166122,
        -83.63137931776009,
        -58.423114541835275,
        -39.83836358233293,
        -26.855449239702693,
        -18.00247955473992,
        -12.034601945917075,
        -8.034050933752724,
        -5.359694945771025,
        -3.574350293826001,
        -2.3833069725435507,
        -1.5890069072488586,
        -1.0593831355724888,
        132.62706284381625,
        132.86248131838795,
        103.38980068642888,
        73.8648048378983,
        62.00040468535849,
        45.58600361027004,
        31.808135902412573,
        21.67791287790817,
        14.609438232927687,
        176.45879092672584,
        89.87891576385312,
        50.66585111346956,
        30.692758721502287,
        -13.899652637046415,
        -0.7202656862691583,
        2.368546010852242,
        35.86193838557881,
        202.00226149427832,
        127.36627518637192,
        -84.1897829234677,
        -112.49339963155035,
        -127.11789231522425,
        -108.7860257304352,
        -24.982049660385314,
        -0.8073772758441464,
        4.744189315352628,
        4.923606487762527,
        -29.463991137871517,
        -30.558125912929768,
        -24.01057232673611,
        -17.219877679418346,
        -11.88419494014363,
        25.27577787750488,
        27.916710086425724,
        55.633203891424614,
        36.09615720555223,
        23.733223007457923,
    ];

    const LONG_ADOSC_3_10: [(usize, f64); 39] = [
        (458, -271.8803176537931),
        (459, -200.5391393979162),
        (460, -153.12328107524718),
        (461, -138.89649530004135),
        (462, -56.813128819272606),
        (463, 141.02216917915666),
        (464, 177.31641207131815),
        (465, 123.01408003586948),
        (499, 74.98838197084842),
        (500, 64.44853849523588),
        (501, 54.277826301100504),
        (502, 13.364550739762308),
        (503, -4.58765751167175),
        (504, 115.75804434107431),
        (505, 154.4669183407368),
        (506, 124.4417378550761),
        (507, 21.30036966957232),
        (508, -54.64840546718551),
        (509, -112.56850388975181),
        (510, -62.39322561809786),
        (511, -29.831227632593254),
        (512, -13.798480490107067),
        (513, 41.742050658192056),
        (514, 60.668445159024486),
        (515, 62.8957478949078),
        (516, 58.08912193277774),
        (517, 38.114672954380694),
        (518, 74.20560992191076),
        (519, 29.1938165672409),
        (700, -20.753655281061583),
        (850, 204.71206138666503),
        (1000, 125.0932078560977),
        (1150, -236.52613038611253),
        (1300, -232.63335871347272),
        (1450, -79.97381462804879),
        (1600, 42.06871077053984),
        (1750, -48.61068607211291),
        (1900, -465.8755798207694),
        (1999, 203.78594776804857),
    ];
}
