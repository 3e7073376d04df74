//! Performance metrics, accumulated one bar at a time.
//!
//! Design choice: every metric is computed from running totals (shifted sums for return moments, running peak for
//! drawdown), so a ten-million-bar run keeps no equity curve in memory. Annualization comes from the data itself:
//! periods per year = (bars − 1) / years spanned, which gives ~252 for exchange-day bars and 525,960 for 24/7
//! minute bars without being told which market it is.
//!
//! Definitions (r = per-bar simple return of equity, marked at each close):
//! - total return = final / initial − 1; CAGR = (final / initial)^(1 / years) − 1
//! - volatility = sample std of r × √(periods per year)
//! - Sharpe = mean(r) / sample std(r) × √(periods per year) (risk-free rate 0)
//! - Sortino = mean(r) / √(mean(min(r, 0)²)) × √(periods per year)
//! - max drawdown = max over bars of (peak − equity) / peak, peak = running maximum of equity; its duration is the
//!   longest run of bars spent below a previous peak
//! - exposure = share of bars that close with a position
//! - win rate = winning closed trades / closed trades; profit factor = gross profit / gross loss of closed trades

use std::collections::BTreeMap;

use serde::Serialize;

use crate::portfolio::Trade;

const MS_PER_YEAR: f64 = 365.25 * 86_400_000.0;

/// Running totals over the equity curve.
#[derive(Debug, Clone, Default)]
pub struct EquityStats {
    bars: usize,
    first_ts: i64,
    last_ts: i64,
    initial: f64,
    prev: f64,
    peak: f64,
    max_dd: f64,
    below_since: Option<usize>,
    max_dd_bars: usize,
    n_ret: usize,
    /// Returns are accumulated shifted by the first one (`r - shift`), which keeps the sum-of-squares variance
    /// accurate when the mean is large against the spread, without a division per bar.
    shift: f64,
    sum: f64,
    sum_sq: f64,
    downside_sq: f64,
    exposed_bars: usize,
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
            self.sum += d;
            self.sum_sq += d * d;
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

    /// Mean and sample standard deviation of the per-bar returns.
    fn moments(&self) -> (f64, f64) {
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

    fn years(&self) -> f64 {
        (self.last_ts - self.first_ts) as f64 / MS_PER_YEAR
    }

    /// Bars per year, from the span of the data.
    pub fn periods_per_year(&self) -> Option<f64> {
        let years = self.years();
        (self.bars >= 2 && years > 0.0).then(|| (self.bars - 1) as f64 / years)
    }
}

/// The results of a run: what `--json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub strategy: String,
    pub data: String,
    pub params: serde_json::Map<String, serde_json::Value>,
    pub first_bar: Option<String>,
    pub last_bar: Option<String>,
    pub bars: usize,
    pub rejected_rows: u64,
    pub warmup_bars: usize,
    pub trades: usize,
    pub closed_trades: usize,
    pub initial_cash: f64,
    pub final_equity: f64,
    pub total_return: f64,
    pub cagr: Option<f64>,
    pub volatility: Option<f64>,
    pub sharpe: Option<f64>,
    pub sortino: Option<f64>,
    pub max_drawdown: f64,
    pub max_drawdown_bars: usize,
    pub win_rate: Option<f64>,
    pub profit_factor: Option<f64>,
    pub avg_trade_return: Option<f64>,
    pub exposure: f64,
    pub fees: f64,
    pub realized_pnl: f64,
    pub unrealized_pnl: f64,
    pub fills: usize,
    pub orders_rejected: usize,
    pub orders_unfilled_at_end: usize,
    /// Orders the pre-trade risk limits denied, by rule (rules that denied none left out).
    pub risk_denied: BTreeMap<String, usize>,
    pub periods_per_year: Option<f64>,
}

/// Inputs to [`summarize`] that come from outside the equity curve.
#[derive(Debug, Clone, Default)]
pub struct RunFacts {
    pub strategy: String,
    pub data: String,
    pub params: serde_json::Map<String, serde_json::Value>,
    pub rejected_rows: u64,
    pub warmup_bars: usize,
    pub entries: usize,
    pub fees: f64,
    pub realized_pnl: f64,
    pub unrealized_pnl: f64,
    pub fills: usize,
    pub orders_rejected: usize,
    pub orders_unfilled_at_end: usize,
    pub risk_denied: BTreeMap<String, usize>,
    pub final_equity: f64,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Computes the summary from the equity statistics and the closed trades.
pub fn summarize(stats: &EquityStats, closed: &[Trade], facts: RunFacts) -> Summary {
    let ppy = stats.periods_per_year();
    let (mean, std) = stats.moments();
    let ann = ppy.map_or(f64::NAN, f64::sqrt);
    let sharpe = if std > 0.0 { mean / std * ann } else { f64::NAN };
    let downside = if stats.n_ret > 0 { (stats.downside_sq / stats.n_ret as f64).sqrt() } else { f64::NAN };
    let sortino = if downside > 0.0 { mean / downside * ann } else { f64::NAN };
    let growth = facts.final_equity / stats.initial;
    let years = stats.years();
    let cagr = if years > 0.0 && growth > 0.0 { growth.powf(1.0 / years) - 1.0 } else { f64::NAN };
    let wins = closed.iter().filter(|t| t.pnl > 0.0).count();
    let gross_win: f64 = closed.iter().filter(|t| t.pnl > 0.0).map(|t| t.pnl).sum();
    let gross_loss: f64 = closed.iter().filter(|t| t.pnl < 0.0).map(|t| -t.pnl).sum();
    let still_open = stats.below_since.map_or(0, |s| stats.bars - s);
    Summary {
        strategy: facts.strategy,
        data: facts.data,
        params: facts.params,
        first_bar: (stats.bars > 0).then(|| crate::time::format_ts(stats.first_ts)),
        last_bar: (stats.bars > 0).then(|| crate::time::format_ts(stats.last_ts)),
        bars: stats.bars,
        rejected_rows: facts.rejected_rows,
        warmup_bars: facts.warmup_bars,
        trades: facts.entries,
        closed_trades: closed.len(),
        initial_cash: stats.initial,
        final_equity: facts.final_equity,
        total_return: growth - 1.0,
        cagr: finite(cagr),
        volatility: finite(std * ann),
        sharpe: finite(sharpe),
        sortino: finite(sortino),
        max_drawdown: stats.max_dd,
        max_drawdown_bars: stats.max_dd_bars.max(still_open),
        win_rate: (!closed.is_empty()).then(|| wins as f64 / closed.len() as f64),
        profit_factor: finite(if gross_loss > 0.0 { gross_win / gross_loss } else { f64::NAN }),
        avg_trade_return: (!closed.is_empty())
            .then(|| closed.iter().map(|t| t.return_pct).sum::<f64>() / closed.len() as f64)
            .and_then(finite),
        exposure: if stats.bars > 0 { stats.exposed_bars as f64 / stats.bars as f64 } else { 0.0 },
        fees: facts.fees,
        realized_pnl: facts.realized_pnl,
        unrealized_pnl: facts.unrealized_pnl,
        fills: facts.fills,
        orders_rejected: facts.orders_rejected,
        orders_unfilled_at_end: facts.orders_unfilled_at_end,
        risk_denied: facts.risk_denied,
        periods_per_year: ppy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trade(pnl: f64) -> Trade {
        Trade {
            entry_ts: 0,
            exit_ts: Some(1),
            direction: 1.0,
            max_qty: 1.0,
            entry_price: 1.0,
            exit_price: 1.0,
            pnl,
            return_pct: pnl / 100.0,
            bars_held: 1,
        }
    }

    #[test]
    fn hand_computed_equity_metrics() {
        // Daily bars over exactly 4 days: 100 -> 110 -> 99 -> 108.9 -> 108.9
        let mut s = EquityStats::new(100.0);
        let day = 86_400_000;
        for (i, eq) in [100.0, 110.0, 99.0, 108.9, 108.9].into_iter().enumerate() {
            s.on_bar(i as i64 * day, eq, i > 0);
        }
        let facts = RunFacts { final_equity: 108.9, ..Default::default() };
        let sum = summarize(&s, &[trade(10.0), trade(-5.0), trade(2.5)], facts);
        // The first bar's return is measured from the initial cash.
        let r: [f64; 5] = [0.0, 0.1, -0.1, 0.1, 0.0];
        let mean = r.iter().sum::<f64>() / 5.0;
        let var = r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 4.0;
        let ppy = 4.0 / (4.0 / 365.25);
        assert!((s.periods_per_year().unwrap() - ppy).abs() < 1e-9);
        assert!((sum.sharpe.unwrap() - mean / var.sqrt() * ppy.sqrt()).abs() < 1e-9);
        let dd = (0.01f64 / 5.0).sqrt();
        assert!((sum.sortino.unwrap() - mean / dd * ppy.sqrt()).abs() < 1e-9);
        assert!((sum.max_drawdown - 0.1).abs() < 1e-12);
        assert_eq!(sum.max_drawdown_bars, 3); // below the 110 peak on bars 2, 3 and 4, still under water at the end
        assert!((sum.total_return - 0.089).abs() < 1e-12);
        assert_eq!(sum.exposure, 0.8);
        assert_eq!(sum.win_rate, Some(2.0 / 3.0));
        assert_eq!(sum.profit_factor, Some(12.5 / 5.0));
    }
}
