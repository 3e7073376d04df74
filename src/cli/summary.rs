//! The human-readable backtest summary.

use std::fmt::Write;
use std::path::Path;

use strata_runtime::data::RejectCounts;
use strata_runtime::session::Report;

fn pct(v: f64) -> String {
    format!("{:.2}%", v * 100.0)
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "n/a".to_string(), f)
}

pub use crate::report::money;

pub fn render(report: &Report, rejected: RejectCounts, out: Option<&Path>) -> String {
    let s = &report.summary;
    let mut o = String::new();
    let params = s.params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
    let _ = writeln!(o, "{}  on {}", s.strategy, s.data);
    let range = match (&s.first_bar, &s.last_bar) {
        (Some(a), Some(b)) => format!("{a} .. {b}"),
        _ => "no bars".into(),
    };
    let _ = writeln!(o, "  bars        {} ({range}), warm-up {} bars", s.bars, s.warmup_bars);
    if !params.is_empty() {
        let _ = writeln!(o, "  params      {params}");
    }
    let _ = writeln!(
        o,
        "  equity      {} -> {}   total return {}   CAGR {}",
        money(s.initial_cash),
        money(s.final_equity),
        pct(s.total_return),
        opt(s.cagr, pct)
    );
    let _ = writeln!(
        o,
        "  risk        max drawdown {} ({} bars)   volatility {}   sharpe {}   sortino {}   calmar {}",
        pct(s.max_drawdown),
        s.max_drawdown_bars,
        opt(s.volatility, pct),
        opt(s.sharpe, |v| format!("{v:.2}")),
        opt(s.sortino, |v| format!("{v:.2}")),
        opt(s.calmar, |v| format!("{v:.2}"))
    );
    let _ = writeln!(
        o,
        "  trades      {} entries, {} closed   win rate {}   profit factor {}   avg trade {}",
        s.trades,
        s.closed_trades,
        opt(s.win_rate, pct),
        opt(s.profit_factor, |v| format!("{v:.2}")),
        opt(s.avg_trade_return, pct)
    );
    if s.closed_trades > 0 {
        let _ = writeln!(
            o,
            "              avg win {}   avg loss {}   expectancy {}   max losing streak {}   avg bars held {}",
            opt(s.avg_win, pct),
            opt(s.avg_loss, pct),
            opt(s.expectancy, money),
            s.max_consecutive_losses,
            opt(s.avg_bars_held, |v| format!("{v:.1}"))
        );
    }
    let _ = writeln!(
        o,
        "  edge        trade t-stat {}   probabilistic sharpe {}",
        opt(s.trade_t_stat, |v| format!("{v:.2}")),
        opt(s.probabilistic_sharpe, pct)
    );
    if let Some(mc) = &s.monte_carlo {
        let _ = writeln!(
            o,
            "  monte carlo {} trade resamples: final equity {} / {} / {} (5th / median / 95th), max drawdown {} / {} (median / 95th)",
            mc.resamples,
            money(mc.final_equity.p5),
            money(mc.final_equity.p50),
            money(mc.final_equity.p95),
            pct(mc.max_drawdown.p50),
            pct(mc.max_drawdown.p95)
        );
    }
    let _ = writeln!(
        o,
        "  activity    exposure {}   fills {}   fees {}   realized {}   unrealized {}",
        pct(s.exposure),
        s.fills,
        money(s.fees),
        money(s.realized_pnl),
        money(s.unrealized_pnl)
    );
    if s.orders_rejected > 0 || s.orders_unfilled_at_end > 0 {
        let _ = writeln!(
            o,
            "  orders      {} rejected, {} placed on the last bar and never filled",
            s.orders_rejected, s.orders_unfilled_at_end
        );
        for r in report.rejections.iter().take(3) {
            let _ = writeln!(o, "                {}: {}", strata_runtime::time::format_ts(r.ts), r.reason);
        }
    }
    if s.orders_cancelled > 0 || s.orders_expired > 0 {
        let _ = writeln!(o, "  working     {} cancelled or replaced, {} expired", s.orders_cancelled, s.orders_expired);
    }
    if s.ambiguous_fills > 0 {
        let _ = writeln!(
            o,
            "  intrabar    {} bars filled differently had the other extreme come first: final equity {} to {}",
            s.ambiguous_fills,
            money(s.equity_band[0]),
            money(s.equity_band[1])
        );
    }
    if !s.risk_denied.is_empty() {
        let parts: Vec<String> = s.risk_denied.iter().map(|(rule, n)| format!("{n} {rule}")).collect();
        let total: usize = s.risk_denied.values().sum();
        let _ = writeln!(o, "  risk        {total} orders denied: {}", parts.join(", "));
        for d in report.denials.iter().take(3) {
            let _ = writeln!(o, "                {}: {}", strata_runtime::time::format_ts(d.ts), d.detail);
        }
    }
    if rejected.total() > 0 {
        let parts: Vec<String> = rejected.nonzero().iter().map(|(r, n)| format!("{n} {r}")).collect();
        let _ = writeln!(o, "  data        {} rows rejected: {}", rejected.total(), parts.join(", "));
    }
    if let Some(dir) = out {
        let d = dir.display();
        let _ =
            writeln!(o, "  wrote       {d}/fills.parquet, {d}/equity.parquet, {d}/trades.parquet, {d}/summary.json");
    }
    o
}
