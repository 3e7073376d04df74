//! Running totals over the equity curve: return moments, drawdown and its duration, exposure.
//!
//! Design choice: every statistic is a running total (shifted power sums for the return moments, a running peak for
//! drawdown), so a ten-million-bar run keeps no equity curve in memory. Annualization comes from the data itself:
//! periods per year = (bars − 1) / years spanned, which gives ~252 for exchange-day bars and 525,960 for 24/7
//! minute bars without being told which market it is.

const MS_PER_YEAR: f64 = 365.25 * 86_400_000.0;

/// Running totals over the equity curve.
#[derive(Debug, Clone, Default)]
pub struct EquityStats {
    pub(crate) bars: usize,
    pub(crate) first_ts: i64,
    pub(crate) last_ts: i64,
    pub(crate) initial: f64,
    prev: f64,
    peak: f64,
    pub(crate) max_dd: f64,
    pub(crate) below_since: Option<usize>,
    pub(crate) max_dd_bars: usize,
    pub(crate) n_ret: usize,
    /// Returns are accumulated shifted by the first one (`r - shift`), which keeps the sum-of-squares variance
    /// accurate when the mean is large against the spread, without a division per bar.
    shift: f64,
    sum: f64,
    sum_sq: f64,
    sum_cube: f64,
    sum_fourth: f64,
    pub(crate) downside_sq: f64,
    pub(crate) exposed_bars: usize,
}

impl EquityStats {
    pub fn new(initial: f64) -> Self {
        Self { initial, prev: initial, peak: initial, ..Default::default() }
    }

    /// Records a bar's closing equity and whether a position was held at that close.
    #[inline]
    pub fn on_bar(&mut self, ts: i64, equity: f64, exposed: bool) {
        if self.bars == 0 {
            self.first_ts = ts;
        }
        self.last_ts = ts;
        self.bars += 1;
        self.exposed_bars += usize::from(exposed);
        if self.prev > 0.0 && equity.is_finite() {
            let r = equity / self.prev - 1.0;
            if self.n_ret == 0 {
                self.shift = r;
            }
            self.n_ret += 1;
            let d = r - self.shift;
            let d2 = d * d;
            self.sum += d;
            self.sum_sq += d2;
            self.sum_cube += d2 * d;
            self.sum_fourth += d2 * d2;
            let down = r.min(0.0);
            self.downside_sq += down * down;
        }
        self.prev = equity;
        if equity >= self.peak {
            self.peak = equity;
            if let Some(start) = self.below_since.take() {
                self.max_dd_bars = self.max_dd_bars.max(self.bars - 1 - start);
            }
        } else {
            if self.below_since.is_none() {
                self.below_since = Some(self.bars - 1);
            }
            if self.peak > 0.0 {
                self.max_dd = self.max_dd.max((self.peak - equity) / self.peak);
            }
        }
    }

    /// Skewness and kurtosis (3 for a normal distribution) of the per-bar returns, from their central moments
    /// (population form, as the probabilistic Sharpe ratio uses them). NaN with fewer than 2 returns or none spread.
    pub(crate) fn shape(&self) -> (f64, f64) {
        if self.n_ret < 2 {
            return (f64::NAN, f64::NAN);
        }
        let n = self.n_ret as f64;
        let (s1, s2, s3, s4) = (self.sum / n, self.sum_sq / n, self.sum_cube / n, self.sum_fourth / n);
        let m2 = s2 - s1 * s1;
        let m3 = s3 - 3.0 * s1 * s2 + 2.0 * s1 * s1 * s1;
        let m4 = s4 - 4.0 * s1 * s3 + 6.0 * s1 * s1 * s2 - 3.0 * s1.powi(4);
        if m2 <= 0.0 {
            return (f64::NAN, f64::NAN);
        }
        (m3 / m2.powf(1.5), m4 / (m2 * m2))
    }

    /// Mean and sample standard deviation of the per-bar returns.
    pub(crate) fn moments(&self) -> (f64, f64) {
        if self.n_ret == 0 {
            return (f64::NAN, f64::NAN);
        }
        let n = self.n_ret as f64;
        let mean_d = self.sum / n;
        let std =
            if self.n_ret >= 2 { ((self.sum_sq - self.sum * mean_d) / (n - 1.0)).max(0.0).sqrt() } else { f64::NAN };
        (self.shift + mean_d, std)
    }

    pub fn bars(&self) -> usize {
        self.bars
    }

    pub(crate) fn years(&self) -> f64 {
        (self.last_ts - self.first_ts) as f64 / MS_PER_YEAR
    }

    /// Bars per year, from the span of the data.
    pub fn periods_per_year(&self) -> Option<f64> {
        let years = self.years();
        (self.bars >= 2 && years > 0.0).then(|| (self.bars - 1) as f64 / years)
    }
}
