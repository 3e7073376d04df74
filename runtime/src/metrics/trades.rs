//! Statistics of closed trades: win rate, average win and loss, profit factor, expectancy, streaks, holding time,
//! and the t-statistic of per-trade returns.
//!
//! Design choice: one pass over the closed trades in the order they closed, so streaks are the streaks a trader
//! lived through; averages of returns are per trade (each trade weighs the same, whatever its size), while profit
//! factor and expectancy are in cash (they answer "what did the strategy earn").

use serde::Serialize;

use crate::portfolio::Trade;

/// Statistics over a run's closed trades. Fields are `None` when they are undefined (no trades of that kind).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TradeStats {
    pub closed_trades: usize,
    /// Winning trades (net PnL > 0) over closed trades.
    pub win_rate: Option<f64>,
    /// Mean return of the winning trades.
    pub avg_win: Option<f64>,
    /// Mean return of the losing trades (net PnL < 0), a negative number.
    pub avg_loss: Option<f64>,
    /// Gross profit over gross loss, in cash.
    pub profit_factor: Option<f64>,
    /// Mean net PnL per closed trade, in cash.
    pub expectancy: Option<f64>,
    /// Mean return per closed trade.
    pub avg_trade_return: Option<f64>,
    /// The longest run of consecutive losing trades.
    pub max_consecutive_losses: usize,
    /// Mean bars from entry to exit.
    pub avg_bars_held: Option<f64>,
    /// t-statistic of the per-trade returns: mean / (sample std / √n); needs two trades and some spread.
    pub t_stat: Option<f64>,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn mean(xs: impl Iterator<Item = f64>) -> Option<f64> {
    let (n, s) = xs.fold((0usize, 0.0), |(n, s), x| (n + 1, s + x));
    (n > 0).then(|| s / n as f64).and_then(finite)
}

impl TradeStats {
    /// Statistics of `closed` (in the order the trades closed).
    pub fn of(closed: &[Trade]) -> TradeStats {
        let n = closed.len();
        let wins = || closed.iter().filter(|t| t.pnl > 0.0);
        let losses = || closed.iter().filter(|t| t.pnl < 0.0);
        let gross_win: f64 = wins().map(|t| t.pnl).sum();
        let gross_loss: f64 = losses().map(|t| -t.pnl).sum();
        let (mut streak, mut longest) = (0usize, 0usize);
        for t in closed {
            streak = if t.pnl < 0.0 { streak + 1 } else { 0 };
            longest = longest.max(streak);
        }
        let avg_return = mean(closed.iter().map(|t| t.return_pct));
        let t_stat = avg_return.filter(|_| n >= 2).and_then(|m| {
            let var = closed.iter().map(|t| (t.return_pct - m).powi(2)).sum::<f64>() / (n - 1) as f64;
            let se = (var / n as f64).sqrt();
            (se > 0.0).then(|| m / se).and_then(finite)
        });
        TradeStats {
            closed_trades: n,
            win_rate: (n > 0).then(|| wins().count() as f64 / n as f64),
            avg_win: mean(wins().map(|t| t.return_pct)),
            avg_loss: mean(losses().map(|t| t.return_pct)),
            profit_factor: finite(if gross_loss > 0.0 { gross_win / gross_loss } else { f64::NAN }),
            expectancy: mean(closed.iter().map(|t| t.pnl)),
            avg_trade_return: avg_return,
            max_consecutive_losses: longest,
            avg_bars_held: mean(closed.iter().map(|t| t.bars_held as f64)),
            t_stat,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn trade(pnl: f64, return_pct: f64, bars_held: usize) -> Trade {
        Trade {
            entry_ts: 0,
            exit_ts: Some(1),
            direction: 1.0,
            max_qty: 1.0,
            entry_price: 1.0,
            exit_price: 1.0,
            pnl,
            return_pct,
            bars_held,
        }
    }

    #[test]
    fn hand_computed_trade_statistics() {
        // PnL 10, -5, -2, 4, -1, -1, -3 with returns a tenth of the PnL in percent.
        let pnls = [10.0, -5.0, -2.0, 4.0, -1.0, -1.0, -3.0];
        let trades: Vec<Trade> = pnls.iter().enumerate().map(|(i, &p)| trade(p, p / 100.0, i + 1)).collect();
        let s = TradeStats::of(&trades);
        assert_eq!(s.closed_trades, 7);
        assert_eq!(s.win_rate, Some(2.0 / 7.0));
        assert_eq!(s.avg_win, Some(0.07)); // (0.10 + 0.04) / 2
        assert!((s.avg_loss.unwrap() - (-0.024)).abs() < 1e-15); // (-0.05 - 0.02 - 0.01 - 0.01 - 0.03) / 5
        assert_eq!(s.profit_factor, Some(14.0 / 12.0));
        assert!((s.expectancy.unwrap() - 2.0 / 7.0).abs() < 1e-15); // (14 - 12) / 7
        assert_eq!(s.max_consecutive_losses, 3); // -1, -1, -3 at the end
        assert_eq!(s.avg_bars_held, Some(4.0)); // (1 + ... + 7) / 7
        // Returns r = pnl / 100: mean 2/700, sample variance from the squared deviations.
        let r: Vec<f64> = pnls.iter().map(|p| p / 100.0).collect();
        let m = r.iter().sum::<f64>() / 7.0;
        let var = r.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 6.0;
        let t = m / (var / 7.0).sqrt();
        assert!((s.t_stat.unwrap() - t).abs() < 1e-12);
        assert!((t - 0.148522).abs() < 1e-6, "t = {t}"); // worked by hand: 0.0028571 / (0.0508967 / √7)
    }

    #[test]
    fn undefined_without_trades_of_a_kind() {
        let s = TradeStats::of(&[]);
        assert_eq!((s.win_rate, s.avg_win, s.expectancy, s.t_stat), (None, None, None, None));
        let s = TradeStats::of(&[trade(5.0, 0.05, 3)]);
        assert_eq!((s.avg_loss, s.profit_factor, s.t_stat), (None, None, None));
        assert_eq!(s.max_consecutive_losses, 0);
    }
}
