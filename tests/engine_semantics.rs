//! What a strategy does, bar by bar: fill timing, sizing, fees, vars, warm-up, history — on small hand-made bar
//! series whose expected fills are worked out by hand.

use strata::strategy::compile_strat;
use strata_runtime::backtest;
use strata_runtime::bar::Bar;
use strata_runtime::broker::FillModel;
use strata_runtime::data::VecSource;
use strata_runtime::order::Side;
use strata_runtime::session::{Report, SessionConfig};

mod common;
use common::Tape;

/// Bars with the given closes; open = previous close + 0.5 (so fills at the open are recognisable).
fn bars(closes: &[f64]) -> Vec<Bar> {
    closes
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let open = if i == 0 { c } else { closes[i - 1] + 0.5 };
            Bar { ts: 1_000 * i as i64, open, high: open.max(c) + 1.0, low: open.min(c) - 1.0, close: c, volume: 10.0 }
        })
        .collect()
}

fn run_with(src: &str, bars: Vec<Bar>, config: SessionConfig, set: &[(&str, &str)]) -> (Report, Tape) {
    let plan = compile_strat("test.strat", src).unwrap_or_else(|e| panic!("{e}")).plan;
    let set: Vec<(String, String)> = set.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let params = strata_runtime::bind::resolve_params(&plan, &set).unwrap();
    let mut rec = Tape::default();
    let report = backtest::run(&plan, &params, config, &mut VecSource::new(bars), &mut rec, "test").unwrap();
    (report, rec)
}

fn run(src: &str, bars: Vec<Bar>) -> (Report, Tape) {
    run_with(src, bars, SessionConfig::default(), &[])
}

#[test]
fn market_orders_fill_at_the_next_open_and_never_after_the_last_bar() {
    let b = bars(&[10.0, 11.0, 12.0, 13.0]);
    let (report, rec) = run("when close > 0 { buy 1 }", b.clone());
    let got: Vec<(i64, f64)> = rec.fills.iter().map(|f| (f.ts, f.price)).collect();
    let want: Vec<(i64, f64)> = b[1..].iter().map(|x| (x.ts, x.open)).collect();
    assert_eq!(got, want);
    assert_eq!(report.summary.orders_unfilled_at_end, 1, "the last bar's order has no next open");
    assert_eq!(report.summary.trades, 1, "one entry; the later buys add to it");
    assert_eq!(report.summary.final_equity, 100_000.0 - (10.5 + 11.5 + 12.5) + 3.0 * 13.0);
}

#[test]
fn fees_and_slippage_are_charged_against_the_trader() {
    let config = SessionConfig {
        cash: 10_000.0,
        fill: FillModel { fee_bps: 10.0, slippage_bps: 5.0, ..FillModel::default() },
        ..SessionConfig::default()
    };
    let src = "var done = false\nwhen position == 0 and not done { buy 10 }\nwhen position > 0 { exit\n done := true }";
    let (_, rec) = run_with(src, bars(&[100.0, 101.0, 102.0, 103.0]), config, &[]);
    let (buy, sell) = (rec.fills[0], rec.fills[1]);
    assert_eq!(buy.side, Side::Buy);
    assert_eq!(buy.price, 100.5 * (1.0 + 5.0 / 10_000.0));
    assert_eq!(buy.fee, 10.0 * buy.price * 0.001);
    assert_eq!(sell.side, Side::Sell);
    assert_eq!(sell.price, 101.5 * (1.0 - 5.0 / 10_000.0));
    let cash = 10_000.0 - (10.0 * buy.price + buy.fee) + (10.0 * sell.price - sell.fee);
    assert_eq!(rec.equity.last().unwrap().1, cash);
}

#[test]
fn percent_and_cash_sizes_include_the_fee() {
    let config = SessionConfig {
        cash: 1_000.0,
        fill: FillModel { fee_bps: 25.0, slippage_bps: 0.0, ..FillModel::default() },
        ..SessionConfig::default()
    };
    let (_, rec) = run_with("when position == 0 { buy 100% }", bars(&[50.0, 60.0, 70.0]), config, &[]);
    let f = rec.fills[0];
    assert_eq!(f.qty, 1_000.0 / (50.5 * 1.0025));
    let cash_left = 1_000.0 - (f.qty * f.price + f.fee);
    assert!(cash_left.abs() < 1e-9, "all cash spent, fee included: {cash_left}");

    let (_, rec) = run_with("when position == 0 { buy $250 }", bars(&[50.0, 60.0, 70.0]), config, &[]);
    assert_eq!(rec.fills[0].qty, 250.0 / (50.5 * 1.0025));

    let (_, rec) = run_with("when position == 0 { buy 50% }", bars(&[50.0, 60.0, 70.0]), config, &[]);
    assert_eq!(rec.fills[0].qty, 500.0 / (50.5 * 1.0025));

    // Percent sizes are of the cash for a buy, of the position for a sell.
    let src = "var k = 0\nk := k + 1\nwhen k == 1 { buy 50% }\nwhen k == 2 { buy 50% }\nwhen k == 3 { sell 50% }";
    let (_, rec) = run_with(src, bars(&[50.0, 60.0, 70.0, 80.0, 90.0]), config, &[]);
    let q1 = 500.0 / (50.5 * 1.0025);
    let cash = 1_000.0 - (q1 * 50.5 + q1 * 50.5 * 0.0025);
    let q2 = cash * 0.5 / (60.5 * 1.0025);
    assert_eq!(rec.fills[1].qty, q2);
    assert_eq!(rec.fills[2].qty, (q1 + q2) * 0.5);
}

#[test]
fn sells_reduce_the_position_and_exit_closes_it() {
    let src =
        "var step = 0\nstep := step + 1\nwhen step == 1 { buy 10 }\nwhen step == 2 { sell 4 }\nwhen step == 3 { exit }";
    let (report, rec) = run(src, bars(&[10.0, 10.0, 10.0, 10.0, 10.0]));
    let q: Vec<(Side, f64)> = rec.fills.iter().map(|f| (f.side, f.qty)).collect();
    assert_eq!(q, vec![(Side::Buy, 10.0), (Side::Sell, 4.0), (Side::Sell, 6.0)]);
    assert_eq!(report.summary.closed_trades, 1);
    assert_eq!(report.summary.trades, 1);
}

#[test]
fn impossible_orders_are_rejected_with_a_reason() {
    let (report, rec) = run("when position == 0 { sell 1 }", bars(&[10.0, 11.0, 12.0]));
    assert!(rec.fills.is_empty());
    assert_eq!(report.summary.orders_rejected, 2);
    assert!(report.rejections[0].reason.contains("nothing to sell"), "{}", report.rejections[0].reason);
    // A size that is undefined at the close is refused there.
    let (report, _) = run("when close > 0 { buy close[5] }", bars(&[10.0, 11.0, 12.0]));
    assert_eq!(report.summary.orders_rejected, 0, "warm-up gates the rule until close[5] is defined");
    let (report, _) = run("when close > 0 { buy 1 / (close - close) }", bars(&[10.0, 11.0, 12.0]));
    assert_eq!(report.summary.orders_rejected, 3, "x / 0 is undefined, so the size is refused");
    assert!(report.rejections[0].reason.contains("undefined"));
}

#[test]
fn vars_persist_and_assignments_take_effect_at_once() {
    // Bar 0: n 0 -> 1 -> 2 (two assignments in order); the rule that reads n sees 2 on bar 0, 4 on bar 1.
    let src = "var n = 0\nn := n + 1\nwhen n >= 1 { n := n + 1 }\nwhen n == 4 { buy 1 }";
    let (_, rec) = run(src, bars(&[10.0, 11.0, 12.0, 13.0]));
    assert_eq!(rec.fills.len(), 1);
    assert_eq!(rec.fills[0].ts, 2_000, "signal on bar 1, fill on bar 2");
}

#[test]
fn else_branches_and_undefined_conditions() {
    // close[1] is undefined on bar 0: neither branch runs there. After that, up -> ups, otherwise downs.
    let src = "var ups = 0\nvar downs = 0\nwhen close > close[1] { ups := ups + 1 } else { downs := downs + 1 }\n\
               when ups == 2 and downs == 1 and position == 0 { buy 1 }";
    let (_, rec) = run(src, bars(&[10.0, 11.0, 10.5, 12.0, 13.0, 14.0]));
    assert_eq!(rec.fills.len(), 1);
    assert_eq!(rec.fills[0].ts, 4_000, "ups=2, downs=1 first on bar 3");
}

#[test]
fn var_history_reads_earlier_closes() {
    let src = "var n = 0\nn := n + 1\nwhen n[1] == 2 and n == 3 { buy 1 }";
    let (_, rec) = run(src, bars(&[1.0, 2.0, 3.0, 4.0, 5.0]));
    assert_eq!(rec.fills.iter().map(|f| f.ts).collect::<Vec<_>>(), vec![3_000]);
}

#[test]
fn warm_up_gates_rules_until_their_series_are_defined() {
    let (_, rec) = run("when sma(close, 5) > 0 and position == 0 { buy 1 }", bars(&[1.0; 8]));
    assert_eq!(rec.fills[0].ts, 5_000, "sma(5) is first defined on bar 4; the fill is at bar 5's open");
    let (_, rec) = run("when close > close[3] and position == 0 { buy 1 }", bars(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    assert_eq!(rec.fills[0].ts, 4_000);
}

#[test]
fn account_values_track_the_position() {
    let src = "when position == 0 { buy 2 }\nwhen bars_in_trade >= 2 and close > entry_price { exit }";
    let (report, rec) = run(src, bars(&[10.0, 20.0, 30.0, 40.0, 50.0, 60.0]));
    // Entry at bar 1's open (10.5); on bar 3 bars_in_trade = 2 -> exit at bar 4's open (40.5).
    assert_eq!(rec.fills[0].ts, 1_000);
    assert_eq!(rec.fills[1].ts, 4_000);
    assert_eq!(rec.fills[1].price, 40.5);
    assert_eq!(report.trades[0].bars_held, 3);
    assert_eq!(report.trades[0].pnl, 2.0 * (40.5 - 10.5));
}

#[test]
fn params_can_be_overridden() {
    let src = "param n = 3\nwhen close > close[n] and position == 0 { buy 1 }";
    let closes = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let (_, rec) = run_with(src, bars(&closes), SessionConfig::default(), &[("n", "1")]);
    assert_eq!(rec.fills[0].ts, 2_000);
    let (_, rec) = run_with(src, bars(&closes), SessionConfig::default(), &[]);
    assert_eq!(rec.fills[0].ts, 4_000);
}

#[test]
fn each_distinct_computation_is_one_node() {
    let a = compile_strat("a.strat", "when sma(close, 5) > sma(close, 5)[1] and sma(close, 5) > 1 { buy 1 }").unwrap();
    let sma_nodes = a.plan.nodes.iter().filter(|n| matches!(&n.op, strata_runtime::plan::Op::Indicator { .. })).count();
    assert_eq!(sma_nodes, 1);
}

#[test]
fn conditional_and_math_functions() {
    let src = "let dir = close > open ? 1 : -1\nwhen dir > 0 and abs(close - open) >= 1 and max(close, open) == close and position == 0 { buy 1 }";
    // Bar 2: open 11.5, close 13 -> up by 1.5.
    let (_, rec) = run(src, bars(&[10.0, 11.0, 13.0, 13.2]));
    assert_eq!(rec.fills[0].ts, 3_000);
}
