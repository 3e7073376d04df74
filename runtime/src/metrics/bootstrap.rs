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
///
/// Resample `k` draws its trades from its own stretch of one SplitMix64 stream ([`Draws`]), so the resamples are
/// independent of each other: they run four at a time (their chains of multiplications side by side) on two
/// threads, and give the same numbers as drawing them one after another.
pub fn bootstrap(initial: f64, returns: &[f64], resamples: usize, seed: u64) -> Option<MonteCarlo> {
    if returns.is_empty() || resamples == 0 || initial.is_nan() || initial <= 0.0 {
        return None;
    }
    let growth: Vec<f64> = returns.iter().map(|r| 1.0 + r).collect();
    let mut finals = vec![0.0; resamples];
    let mut drawdowns = vec![0.0; resamples];
    let mid = resamples / 2;
    let ((f0, f1), (d0, d1)) = (finals.split_at_mut(mid), drawdowns.split_at_mut(mid));
    std::thread::scope(|s| {
        s.spawn(|| resample(initial, &growth, seed, 0, f0, d0));
        resample(initial, &growth, seed, mid, f1, d1);
    });
    Some(MonteCarlo {
        resamples,
        seed,
        final_equity: Percentiles::of(&mut finals),
        max_drawdown: Percentiles::of(&mut drawdowns),
    })
}

/// Resamples side by side.
const LANES: usize = 4;

/// Resamples `first .. first + finals.len()` of the growth factors `growth` (`1 + r` for each trade's return `r`):
/// each one's final equity and largest drawdown.
///
/// The drawdown is kept as the lowest equity since the last peak, settled into the largest drawdown when a new peak
/// comes and at the end: `(peak − e) / peak` only grows as `e` falls, rounding included, so that is exactly the
/// largest of the per-trade values — with one division per peak instead of one per trade. Without a trade that
/// loses more than everything (`r < −1`) equity cannot go below zero, and the loop skips the ruin check.
fn resample(initial: f64, growth: &[f64], seed: u64, first: usize, finals: &mut [f64], drawdowns: &mut [f64]) {
    let n = growth.len();
    let can_ruin = growth.iter().any(|g| g.is_nan() || *g < 0.0);
    for (c, (f, d)) in finals.chunks_mut(LANES).zip(drawdowns.chunks_mut(LANES)).enumerate() {
        let mut draws: [Draws; LANES] = std::array::from_fn(|l| Draws::of_resample(seed, first + c * LANES + l, n));
        let mut paths = Paths::new(initial);
        for _ in 0..n / 2 {
            let pairs: [(usize, usize); LANES] = std::array::from_fn(|l| draws[l].pair());
            paths.step(growth, std::array::from_fn(|l| pairs[l].0), can_ruin);
            paths.step(growth, std::array::from_fn(|l| pairs[l].1), can_ruin);
        }
        if n % 2 == 1 {
            paths.step(growth, std::array::from_fn(|l| draws[l].pair().0), can_ruin);
        }
        for l in 0..f.len() {
            f[l] = paths.equity[l];
            d[l] = paths.drawdown(l);
        }
    }
}

/// [`LANES`] equity paths compounded side by side, with what their drawdowns need.
struct Paths {
    equity: [f64; LANES],
    peak: [f64; LANES],
    low: [f64; LANES],
    dd: [f64; LANES],
}

impl Paths {
    fn new(initial: f64) -> Self {
        Paths { equity: [initial; LANES], peak: [initial; LANES], low: [initial; LANES], dd: [0.0; LANES] }
    }

    /// Each path takes the trade `picks[l]`. Plain comparisons rather than `f64::min`/`max`: nothing here is NaN,
    /// and they keep the four chains in registers.
    #[inline(always)]
    fn step(&mut self, growth: &[f64], picks: [usize; LANES], can_ruin: bool) {
        let g: [f64; LANES] = std::array::from_fn(|l| growth[picks[l]]);
        let e: [f64; LANES] = if can_ruin {
            std::array::from_fn(|l| match self.equity[l] * g[l] {
                _ if self.equity[l] <= 0.0 => self.equity[l],
                x if x < 0.0 => 0.0,
                x => x,
            })
        } else {
            std::array::from_fn(|l| self.equity[l] * g[l])
        };
        // Lane by lane with no branch but one, rare: the compiler keeps the four paths in one vector register.
        let rising = e.iter().zip(&self.peak).fold(false, |any, (x, p)| any | (x > p));
        if rising {
            for (l, &x) in e.iter().enumerate() {
                if x > self.peak[l] {
                    self.dd[l] = self.drawdown(l);
                    (self.peak[l], self.low[l]) = (x, x);
                }
            }
        }
        self.low = std::array::from_fn(|l| if e[l] < self.low[l] { e[l] } else { self.low[l] });
        self.equity = e;
    }

    /// The largest drawdown of path `l` so far.
    #[inline(always)]
    fn drawdown(&self, l: usize) -> f64 {
        let here = (self.peak[l] - self.low[l]) / self.peak[l];
        if here > self.dd[l] { here } else { self.dd[l] }
    }
}

/// The trade indices one resample draws: each SplitMix64 output gives two, one from each 32-bit half (Lemire's
/// multiply-shift: uniform in `0..n` up to a bias of `n / 2³²`, far below a thousand resamples' own noise).
/// Resample `k` of `n` trades starts `k · ⌈n/2⌉` outputs into the stream.
struct Draws {
    rng: SplitMix64,
    n: u64,
}

impl Draws {
    fn of_resample(seed: u64, k: usize, n: usize) -> Self {
        let outputs = (n as u64).div_ceil(2);
        // More than 2³² trades cannot be held in memory; the clamp only keeps the arithmetic total.
        Draws { rng: SplitMix64::after(seed, (k as u64).wrapping_mul(outputs)), n: (n as u64).min(1 << 32) }
    }

    fn pair(&mut self) -> (usize, usize) {
        let x = self.rng.next();
        ((((x & 0xFFFF_FFFF) * self.n) >> 32) as usize, (((x >> 32) * self.n) >> 32) as usize)
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, well-mixed generator, fully determined by its seed.
struct SplitMix64(u64);

impl SplitMix64 {
    /// The generator seeded with `seed` after `draws` draws (its state advances by a constant per draw).
    fn after(seed: u64, draws: u64) -> Self {
        SplitMix64(seed.wrapping_add(draws.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
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

    /// The bootstrap as first written: one resample after another, a division per trade.
    fn one_after_another(initial: f64, returns: &[f64], resamples: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let n = returns.len();
        let (mut finals, mut drawdowns) = (Vec::new(), Vec::new());
        for k in 0..resamples {
            let mut draws = Draws::of_resample(seed, k, n);
            let picks: Vec<usize> = (0..n.div_ceil(2)).flat_map(|_| <[usize; 2]>::from(draws.pair())).take(n).collect();
            let (mut equity, mut peak, mut dd) = (initial, initial, 0.0f64);
            for i in picks {
                let r = returns[i];
                if equity > 0.0 {
                    equity = (equity * (1.0 + r)).max(0.0);
                }
                peak = peak.max(equity);
                dd = dd.max((peak - equity) / peak);
            }
            finals.push(equity);
            drawdowns.push(dd);
        }
        (finals, drawdowns)
    }

    #[test]
    fn side_by_side_equals_one_after_another_bit_for_bit() {
        let mut rng = SplitMix64(7);
        for case in 0..60 {
            let n = 1 + (rng.next() % if case % 4 == 0 { 5 } else { 400 }) as usize;
            let resamples = 1 + (rng.next() % 23) as usize;
            // The last scale reaches below −1: trades that ruin the account.
            let scale = [0.01, 0.2, 1.5, 3.0][case % 4];
            let returns: Vec<f64> =
                (0..n).map(|_| (rng.next() as f64 / u64::MAX as f64 - 0.45) * scale).map(|r| r.max(-1.2)).collect();
            let seed = rng.next();
            let (mut f, mut d) = one_after_another(1000.0, &returns, resamples, seed);
            let got = bootstrap(1000.0, &returns, resamples, seed).unwrap();
            assert_eq!(got.final_equity, Percentiles::of(&mut f), "case {case}");
            assert_eq!(got.max_drawdown, Percentiles::of(&mut d), "case {case}");
            // Each resample on its own, too.
            let (mut finals, mut drawdowns) = (vec![0.0; resamples], vec![0.0; resamples]);
            let growth: Vec<f64> = returns.iter().map(|r| 1.0 + r).collect();
            resample(1000.0, &growth, seed, 0, &mut finals, &mut drawdowns);
            let (f, d) = one_after_another(1000.0, &returns, resamples, seed);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!((bits(&finals), bits(&drawdowns)), (bits(&f), bits(&d)), "case {case}");
        }
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
