//! A Monte Carlo bootstrap of the closed trades: how lucky was the order and the mix of trades this run happened to
//! get?
//!
//! Design choice: a trade is resampled as its return *on the equity it was entered with* (net PnL over the equity
//! before it), and a resample compounds the returns it drew from the initial equity. That is what a trade did to
//! the account, whether it was sized in units, cash or percent of equity — replaying cash PnL instead would let a
//! compounding strategy's late, large trades land on a small early account and "lose" more than it had. Drawdown
//! is measured between trade closes; an account that reaches zero is ruined (drawdown 100%) and stays there. The
//! generator is SplitMix64 with a fixed, reported seed: the same run always gives the same percentiles.

use serde::Serialize;

/// Resamples a report draws.
pub const RESAMPLES: usize = 1000;
/// The seed a report uses (reported next to the results).
pub const SEED: u64 = 0x05EE_D0F5_7A7A;

/// The 5th, 25th, 50th, 75th and 95th percentiles of a distribution (linear interpolation between order
/// statistics, numpy's default).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

impl Percentiles {
    /// The percentiles of `values` (sorted here). `values` must not be empty.
    fn of(values: &mut [f64]) -> Percentiles {
        values.sort_by(f64::total_cmp);
        let at = |q: f64| {
            let pos = q * (values.len() - 1) as f64;
            let (lo, frac) = (pos.floor() as usize, pos - pos.floor());
            let hi = (lo + 1).min(values.len() - 1);
            values[lo] + (values[hi] - values[lo]) * frac
        };
        Percentiles { p5: at(0.05), p25: at(0.25), p50: at(0.5), p75: at(0.75), p95: at(0.95) }
    }
}

/// The bootstrap's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonteCarlo {
    pub resamples: usize,
    pub seed: u64,
    /// Final equity of the resampled trade sequences.
    pub final_equity: Percentiles,
    /// Largest peak-to-trough fall of each resampled equity path (at trade closes), as a fraction of the peak.
    pub max_drawdown: Percentiles,
}

/// Each closed trade's return on the equity it was entered with, for trades that follow one another (one position
/// at a time): the equity before trade `i` is `initial` plus the net PnL of the trades before it.
pub fn equity_returns(initial: f64, pnls: &[f64]) -> Vec<f64> {
    let mut equity = initial;
    pnls.iter()
        .map(|&p| {
            let r = if equity > 0.0 { p / equity } else { f64::NAN };
            equity += p;
            r
        })
        .filter(|r| r.is_finite())
        .collect()
}

/// Draws `resamples` sequences of `returns.len()` trades from `returns` (each a return on equity) with replacement
/// and compounds each from `initial`. `None` without trades or resamples.
pub fn bootstrap(initial: f64, returns: &[f64], resamples: usize, seed: u64) -> Option<MonteCarlo> {
    if returns.is_empty() || resamples == 0 || initial.is_nan() || initial <= 0.0 {
        return None;
    }
    let mut rng = SplitMix64(seed);
    let n = returns.len();
    let mut finals = Vec::with_capacity(resamples);
    let mut drawdowns = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let (mut equity, mut peak, mut dd) = (initial, initial, 0.0f64);
        for _ in 0..n {
            let r = returns[rng.below(n)];
            if equity > 0.0 {
                equity = (equity * (1.0 + r)).max(0.0);
            }
            peak = peak.max(equity);
            dd = dd.max((peak - equity) / peak);
        }
        finals.push(equity);
        drawdowns.push(dd);
    }
    Some(MonteCarlo {
        resamples,
        seed,
        final_equity: Percentiles::of(&mut finals),
        max_drawdown: Percentiles::of(&mut drawdowns),
    })
}

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, well-mixed generator, fully determined by its seed.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is below 2⁻⁴⁰ for any trade count).
    fn below(&mut self, n: usize) -> usize {
        ((self.next() as u128 * n as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // The published SplitMix64 sequence for seed 0.
        let mut r = SplitMix64(0);
        assert_eq!(r.next(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn one_trade_has_no_spread() {
        let mc = bootstrap(100.0, &[0.5], 50, 1).unwrap();
        assert_eq!(mc.final_equity, Percentiles { p5: 150.0, p25: 150.0, p50: 150.0, p75: 150.0, p95: 150.0 });
        assert_eq!(mc.max_drawdown.p95, 0.0);
    }

    #[test]
    fn returns_on_equity_by_hand() {
        // From 100: +10 on 100 is 10%, −22 on 110 is −20%, +8.8 on 88 is 10%.
        let r = equity_returns(100.0, &[10.0, -22.0, 8.8]);
        assert!((r[0] - 0.1).abs() < 1e-15 && (r[1] + 0.2).abs() < 1e-15 && (r[2] - 0.1).abs() < 1e-15, "{r:?}");
    }

    #[test]
    fn two_trades_by_hand() {
        // From 100 with trades of +10% and −20%, four equally likely sequences:
        // +10% +10% → 121, dd 0; +10% −20% → 88, dd 0.2; −20% +10% → 88, dd 0.2; −20% −20% → 64, dd 0.36.
        let mc = bootstrap(100.0, &[0.1, -0.2], RESAMPLES, SEED).unwrap();
        let f = mc.final_equity;
        assert!((f.p5 - 64.0).abs() < 1e-9 && (f.p50 - 88.0).abs() < 1e-9 && (f.p95 - 121.0).abs() < 1e-9, "{f:?}");
        let d = mc.max_drawdown;
        assert!(d.p5 == 0.0 && (d.p50 - 0.2).abs() < 1e-12 && (d.p95 - 0.36).abs() < 1e-12, "{d:?}");
        // The same seed gives the same answer.
        assert_eq!(bootstrap(100.0, &[0.1, -0.2], RESAMPLES, SEED), Some(mc));
        assert_eq!(bootstrap(100.0, &[], RESAMPLES, SEED), None);
    }

    #[test]
    fn ruin_is_total_and_final() {
        let mc = bootstrap(100.0, &[-1.5], 10, 3).unwrap();
        assert_eq!((mc.final_equity.p50, mc.max_drawdown.p50), (0.0, 1.0));
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let p = Percentiles::of(&mut [4.0, 1.0, 3.0, 2.0, 5.0]);
        // numpy.percentile([1,2,3,4,5], [5,25,50,75,95]) = [1.2, 2, 3, 4, 4.8]
        assert!((p.p5 - 1.2).abs() < 1e-12 && (p.p95 - 4.8).abs() < 1e-12);
        assert_eq!((p.p25, p.p50, p.p75), (2.0, 3.0, 4.0));
    }
}
