//! Performance metrics of a run: equity statistics accumulated one bar at a time, trade statistics, significance,
//! and a Monte Carlo bootstrap of the trades.
//!
//! Design choice: the equity curve is never kept — every equity metric is a running total ([`equity`]) — and
//! everything else is computed once, at the end, from the closed trades. Annualization comes from the data itself
//! (periods per year = (bars − 1) / years spanned).
//!
//! Definitions (r = per-bar simple return of equity, marked at each close; n = number of returns; trade returns are
//! net PnL over the cash the trade's entries cost):
//! - total return = final / initial − 1; CAGR = (final / initial)^(1 / years) − 1
//! - volatility = sample std of r × √(periods per year)
//! - Sharpe = mean(r) / sample std(r) × √(periods per year) (risk-free rate 0)
//! - Sortino = mean(r) / √(mean(min(r, 0)²)) × √(periods per year)
//! - max drawdown = max over bars of (peak − equity) / peak, peak = running maximum of equity; its duration is the
//!   longest run of bars spent below a previous peak
//! - Calmar = CAGR / max drawdown
//! - exposure = share of bars that close with a position
//! - win rate = winning closed trades / closed trades; average win / loss = mean return of winning / losing trades;
//!   profit factor = gross profit / gross loss (cash); expectancy = mean net PnL per trade (cash); max consecutive
//!   losses; average bars held ([`trades`])
//! - trade t-statistic = mean trade return / (sample std / √trades)
//! - probabilistic Sharpe ratio = P(true Sharpe > 0) from the per-bar Sharpe, n, skewness and kurtosis of r
//!   ([`significance`])
//! - Monte Carlo: 1,000 seeded resamples of the closed trades (each as its return on the equity it was entered
//!   with, compounded) → percentiles of final equity and of max drawdown between trade closes ([`bootstrap`])

pub mod bootstrap;
pub mod equity;
pub mod significance;
pub mod trades;

pub use bootstrap::{MonteCarlo, Percentiles};
pub use equity::EquityStats;
pub use trades::TradeStats;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::portfolio::Trade;

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
    pub calmar: Option<f64>,
    pub win_rate: Option<f64>,
    pub profit_factor: Option<f64>,
    pub avg_trade_return: Option<f64>,
    pub avg_win: Option<f64>,
    pub avg_loss: Option<f64>,
    pub expectancy: Option<f64>,
    pub max_consecutive_losses: usize,
    pub avg_bars_held: Option<f64>,
    pub trade_t_stat: Option<f64>,
    pub probabilistic_sharpe: Option<f64>,
    pub exposure: f64,
    pub fees: f64,
    pub realized_pnl: f64,
    pub unrealized_pnl: f64,
    pub fills: usize,
    pub orders_rejected: usize,
    pub orders_unfilled_at_end: usize,
    /// Working orders cancelled (`cancel NAME`, or replaced by an order under the same name).
    pub orders_cancelled: usize,
    /// Limit and stop orders whose time in force ran out unfilled.
    pub orders_expired: usize,
    /// Bars whose fills depended on which extreme the price reached first (a position's stop and target both in
    /// the bar's range, say).
    pub ambiguous_fills: usize,
    /// Bars ambiguous by their own open, high, low and close that the finer data of `--intrabar` decided.
    pub ambiguous_resolved: usize,
    /// The lowest and highest final equity over the run as made and the runs assuming each bar went open → high →
    /// low → close and open → low → high → close (both ends the final equity when no fill was ambiguous).
    pub equity_band: [f64; 2],
    /// Orders the pre-trade risk limits denied, by rule (rules that denied none left out).
    pub risk_denied: BTreeMap<String, usize>,
    pub periods_per_year: Option<f64>,
    /// The trade bootstrap ([`add_monte_carlo`]; none without closed trades, and not computed in sweeps).
    pub monte_carlo: Option<MonteCarlo>,
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
    pub orders_cancelled: usize,
    pub orders_expired: usize,
    pub ambiguous_fills: usize,
    pub ambiguous_resolved: usize,
    pub risk_denied: BTreeMap<String, usize>,
    pub final_equity: f64,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Adds the Monte Carlo bootstrap of `trades`' closed ones to `summary` ([`bootstrap::RESAMPLES`] resamples, the
/// fixed [`bootstrap::SEED`]). Kept out of [`summarize`]: a sweep of thousands of runs does not need it.
pub fn add_monte_carlo(summary: &mut Summary, trades: &[Trade]) {
    let pnls: Vec<f64> = trades.iter().filter(|t| t.exit_ts.is_some()).map(|t| t.pnl).collect();
    let returns = bootstrap::equity_returns(summary.initial_cash, &pnls);
    summary.monte_carlo = bootstrap::bootstrap(summary.initial_cash, &returns, bootstrap::RESAMPLES, bootstrap::SEED);
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
    let trades = TradeStats::of(closed);
    let (skew, kurt) = stats.shape();
    let psr = if std > 0.0 { significance::probabilistic_sharpe(mean / std, stats.n_ret, skew, kurt) } else { None };
    let calmar = if stats.max_dd > 0.0 { cagr / stats.max_dd } else { f64::NAN };
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
        calmar: finite(calmar),
        win_rate: trades.win_rate,
        profit_factor: trades.profit_factor,
        avg_trade_return: trades.avg_trade_return,
        avg_win: trades.avg_win,
        avg_loss: trades.avg_loss,
        expectancy: trades.expectancy,
        max_consecutive_losses: trades.max_consecutive_losses,
        avg_bars_held: trades.avg_bars_held,
        trade_t_stat: trades.t_stat,
        probabilistic_sharpe: psr,
        exposure: if stats.bars > 0 { stats.exposed_bars as f64 / stats.bars as f64 } else { 0.0 },
        fees: facts.fees,
        realized_pnl: facts.realized_pnl,
        unrealized_pnl: facts.unrealized_pnl,
        fills: facts.fills,
        orders_rejected: facts.orders_rejected,
        orders_unfilled_at_end: facts.orders_unfilled_at_end,
        orders_cancelled: facts.orders_cancelled,
        orders_expired: facts.orders_expired,
        ambiguous_fills: facts.ambiguous_fills,
        ambiguous_resolved: facts.ambiguous_resolved,
        equity_band: [facts.final_equity; 2],
        risk_denied: facts.risk_denied,
        periods_per_year: ppy,
        monte_carlo: None,
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
        let trades = [trade(10.0), trade(-5.0), trade(2.5)];
        let mut sum = summarize(&s, &trades, facts);
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
        // Calmar: CAGR over 4 days of +8.9% (= 1.089^(365.25 / 4) − 1) over the 10% drawdown.
        let cagr = 1.089f64.powf(365.25 / 4.0) - 1.0;
        assert!((sum.calmar.unwrap() - cagr / 0.1).abs() < 1e-9 * cagr);
        // Returns 0, .1, −.1, .1, 0: skewness −0.343622, kurtosis 1.846939, per-bar Sharpe 0.239046,
        // z = 0.239046 × 2 / √(1 + 0.343622 × 0.239046 + 0.846939 / 4 × 0.239046²) = 0.457040 → PSR 0.676179.
        let (skew, kurt) = s.shape();
        assert!((skew - -0.3436216).abs() < 1e-6 && (kurt - 1.8469388).abs() < 1e-6, "{skew} {kurt}");
        assert!((sum.probabilistic_sharpe.unwrap() - 0.676179).abs() < 1e-6);
        // The trade bootstrap, on the three closed trades.
        assert_eq!(sum.monte_carlo, None);
        add_monte_carlo(&mut sum, &trades);
        let mc = sum.monte_carlo.clone().unwrap();
        assert_eq!((mc.resamples, mc.final_equity.p50.is_finite()), (bootstrap::RESAMPLES, true));
        // Trade returns on equity: +10%, −5/110, +2.5/105; three draws lie between (1 − 5/110)³ and 1.1³.
        assert!(
            mc.final_equity.p5 >= 100.0 * (1.0f64 - 5.0 / 110.0).powi(3) - 1e-9 && mc.final_equity.p95 <= 133.1 + 1e-9
        );
    }
}
