//! The pre-trade risk engine inside a backtest: each limit breached once on hand-made bars, with the orders it
//! denies and the fills that remain worked out by hand; limits that are never reached change nothing.

use strata::strategy::compile_strat;
use strata_runtime::backtest;
use strata_runtime::bar::Bar;
use strata_runtime::data::VecSource;
use strata_runtime::risk::{Denial, RiskLimits, RiskRule};
use strata_runtime::session::{Report, SessionConfig};
use strata_runtime::time::DAY_MS;

mod common;
use common::Tape;

/// One bar per hour from `start`, flat within the bar at `closes[i]`; opens at the previous close.
fn bars(start: i64, closes: &[f64]) -> Vec<Bar> {
    closes
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let open = if i == 0 { c } else { closes[i - 1] };
            Bar { ts: start + 3_600_000 * i as i64, open, high: open.max(c), low: open.min(c), close: c, volume: 1.0 }
        })
        .collect()
}

fn run(src: &str, bars: Vec<Bar>, risk: RiskLimits) -> (Report, Tape) {
    let plan = compile_strat("risk.strat", src).unwrap_or_else(|e| panic!("{e}")).plan;
    let params = strata_runtime::bind::resolve_params(&plan, &[]).unwrap();
    let config = SessionConfig { cash: 10_000.0, risk, ..SessionConfig::default() };
    let mut rec = Tape::default();
    let report = backtest::run(&plan, &params, config, &mut VecSource::new(bars), &mut rec, "test").unwrap();
    (report, rec)
}

fn denied(report: &Report) -> Vec<(u64, RiskRule)> {
    report.denials.iter().map(|d: &Denial| (d.order_seq, d.rule)).collect()
}

fn counts(report: &Report) -> Vec<(String, usize)> {
    report.summary.risk_denied.clone().into_iter().collect()
}

/// Buys 1, 2, 3, … units on successive bars (order seq = bar number + 1).
const LADDER: &str = "var n = 0\nwhen true { n := n + 1\n buy n }";

#[test]
fn max_order_qty_denies_the_first_order_over_it() {
    let (report, rec) = run(LADDER, bars(0, &[10.0; 5]), RiskLimits { max_order_qty: Some(3.0), ..Default::default() });
    assert_eq!(rec.fills.iter().map(|f| f.qty).collect::<Vec<_>>(), vec![1.0, 2.0, 3.0]);
    assert_eq!(denied(&report), vec![(4, RiskRule::MaxOrderQty), (5, RiskRule::MaxOrderQty)]);
    assert_eq!(report.denials[0].detail, "quantity 4 is over the limit 3");
    assert_eq!(report.denials[0].ts, 3 * 3_600_000, "denied at the close of the bar that placed it");
    assert_eq!(counts(&report), vec![("max_order_qty".to_string(), 2)]);
}

#[test]
fn max_order_notional_prices_the_order_at_the_close() {
    // 1 × 100, 2 × 100, then 3 × 100 = 300 > 250.
    let (report, rec) =
        run(LADDER, bars(0, &[100.0; 4]), RiskLimits { max_order_notional: Some(250.0), ..Default::default() });
    assert_eq!(rec.fills.len(), 2);
    assert_eq!(denied(&report), vec![(3, RiskRule::MaxOrderNotional), (4, RiskRule::MaxOrderNotional)]);
    assert_eq!(report.denials[0].detail, "notional 300 is over the limit 250");
}

#[test]
fn max_position_counts_orders_accepted_earlier_on_the_same_bar() {
    let src = "var n = 0\nwhen n == 0 { n := 1\n buy 2\n buy 2\n buy 2 }";
    let (report, rec) = run(src, bars(0, &[10.0; 3]), RiskLimits { max_position: Some(5.0), ..Default::default() });
    assert_eq!(rec.fills.iter().map(|f| f.qty).collect::<Vec<_>>(), vec![2.0, 2.0]);
    assert_eq!(denied(&report), vec![(3, RiskRule::MaxPosition)]);
    assert_eq!(report.denials[0].detail, "the position would be 6, the limit is 5");
}

#[test]
fn max_open_orders_bounds_the_orders_waiting_for_a_fill() {
    let src = "var n = 0\nwhen n == 0 { n := 1\n buy 1\n buy 1\n buy 1 }";
    let (report, rec) = run(src, bars(0, &[10.0; 3]), RiskLimits { max_open_orders: Some(2), ..Default::default() });
    assert_eq!(rec.fills.len(), 2);
    assert_eq!(denied(&report), vec![(3, RiskRule::MaxOpenOrders)]);
}

#[test]
fn orders_per_second_are_measured_on_bar_time() {
    // Three orders on one bar (one instant), then one per hour.
    let src = "var n = 0\nwhen n == 0 { n := 1\n buy 1\n buy 1\n buy 1 }\nwhen n > 0 { buy 1 }";
    let (report, rec) = run(src, bars(0, &[10.0; 3]), RiskLimits { max_orders_per_sec: Some(2), ..Default::default() });
    // Bar 0: seq 1, 2 accepted, 3 denied, and seq 4 (the second rule, same bar) denied; bars 1 and 2: one each.
    assert_eq!(denied(&report), vec![(3, RiskRule::MaxOrdersPerSec), (4, RiskRule::MaxOrdersPerSec)]);
    assert_eq!(rec.fills.len(), 3, "two from bar 0, one from bar 1 (bar 2's has no next open)");
}

#[test]
fn the_price_collar_leaves_a_gapping_open_unfilled() {
    // Buy at every close; the third bar opens 10 % above the second's close.
    let closes = [100.0, 100.0, 110.0, 111.0, 112.0];
    let mut b = bars(0, &closes);
    b[2].open = 110.0;
    let (report, rec) = run("when true { buy 1 }", b, RiskLimits { price_collar_pct: Some(5.0), ..Default::default() });
    // seq 1 fills at bar 1's open (100); seq 2 (placed at 100) would fill at 110: outside ±5 %.
    assert_eq!(
        rec.fills.iter().map(|f| (f.order_seq, f.price)).collect::<Vec<_>>(),
        vec![(1, 100.0), (3, 110.0), (4, 111.0)]
    );
    assert_eq!(denied(&report), vec![(2, RiskRule::PriceCollar)]);
    assert_eq!(report.denials[0].ts, 2 * 3_600_000, "denied at the open it would have filled at");
    assert!(
        report.denials[0].detail.contains("outside the 5% collar around the last price 100"),
        "{:?}",
        report.denials
    );
}

#[test]
fn the_daily_loss_limit_allows_only_exits_until_the_next_utc_day() {
    // Day 1: buy 10 at 100, the price falls to 80 (loss 200 ≥ 150): the buy placed then is denied, the exit is not.
    // Day 2 starts a new budget: buying is allowed again.
    let src = "when position == 0 and close >= 100 { buy 10 }\nwhen position > 0 and close < 85 { exit }\n\
               when position == 0 and close < 85 { buy 1 }";
    let day = DAY_MS;
    let mut b = bars(day, &[100.0, 100.0, 80.0, 80.0]);
    b.extend(bars(2 * day, &[80.0, 80.0, 80.0]));
    let (report, rec) = run(src, b, RiskLimits { daily_loss_limit: Some(150.0), ..Default::default() });
    let fills: Vec<(i64, u64)> = rec.fills.iter().map(|f| (f.ts, f.order_seq)).collect();
    // seq 1 buy 10 (bar 0) fills at bar 1; bar 2 (80): exit seq 2 allowed; bar 3: buy 1 seq 3 denied (locked).
    // Day 2, bar 0: buy 1 seq 4 accepted, fills at day 2's bar 1; its exit (seq 5) at bar 2.
    assert_eq!(
        fills,
        vec![(day + 3_600_000, 1), (day + 3 * 3_600_000, 2), (2 * day + 3_600_000, 4), (2 * day + 7_200_000, 5)]
    );
    assert_eq!(denied(&report), vec![(3, RiskRule::DailyLossLimit)]);
    assert_eq!(report.denials[0].detail, "today's loss 200 reached the daily loss limit 150");
}

#[test]
fn limits_never_reached_change_nothing() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/strategies/sma_cross.strat")).unwrap();
    let closes: Vec<f64> = (0..600).map(|i| 100.0 + 10.0 * ((i as f64) / 17.0).sin() + (i as f64) / 50.0).collect();
    let (plain, plain_rec) = run(&src, bars(0, &closes), RiskLimits::default());
    let generous = RiskLimits {
        max_order_qty: Some(1e6),
        max_order_notional: Some(1e9),
        max_position: Some(1e6),
        max_open_orders: Some(10),
        max_orders_per_sec: Some(10),
        price_collar_pct: Some(50.0),
        daily_loss_limit: Some(1e9),
    };
    let (limited, limited_rec) = run(&src, bars(0, &closes), generous);
    assert!(plain.summary.fills > 4, "the strategy trades: {}", plain.summary.fills);
    assert_eq!(plain_rec.fills, limited_rec.fills);
    assert_eq!(plain.summary.final_equity.to_bits(), limited.summary.final_equity.to_bits());
    assert!(limited.denials.is_empty() && limited.summary.risk_denied.is_empty());
}
