//! Property tests over generated bar sequences — gaps, flat runs, extreme moves, tiny and huge prices — for every
//! reference strategy: the run is deterministic, orders fill strictly after the bar that placed them and at that
//! bar's open (slipped), cash never goes below zero beyond rounding, and final equity is cash plus the marked
//! position. The bracket strategy (stop entries, stop-losses, take-profits, trailing stops, shorts) is held to the
//! order rules instead: every fill inside its bar's range, strictly after the bar that placed it, exits never
//! reversing the position, the run deterministic. `STRATA_PROPTEST_CASES` raises the case count.

mod common;
use common::Tape;

use proptest::prelude::*;
use strata::strategy;
use strata_runtime::backtest;
use strata_runtime::bar::Bar;
use strata_runtime::broker::FillModel;
use strata_runtime::data::VecSource;
use strata_runtime::order::{FillKind, Side};
use strata_runtime::session::SessionConfig;

fn config() -> ProptestConfig {
    common::proptest_config(64)
}

/// A bar sequence: a random walk in log space with flat runs, jumps and time gaps, at a random price scale.
fn bars() -> impl Strategy<Value = Vec<Bar>> {
    let step = prop_oneof![
        6 => -0.01f64..0.01,
        1 => Just(0.0),
        1 => -0.3f64..0.3,
    ];
    (
        prop::collection::vec((step, 0u8..4, 1i64..5), 40..300),
        prop_oneof![Just(1e-6), Just(1.0), Just(100.0), Just(1e7)],
    )
        .prop_map(|(steps, scale)| {
            let mut price = 1.0f64;
            let mut ts = 1_600_000_000_000i64;
            steps
                .into_iter()
                .map(|(r, wick, gap)| {
                    let open = price * scale;
                    price *= r.exp();
                    let close = price * scale;
                    let w = 1.0 + wick as f64 * 0.001;
                    ts += gap * 60_000;
                    Bar { ts, open, high: open.max(close) * w, low: open.min(close) / w, close, volume: 10.0 }
                })
                .collect()
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn reference_strategies_behave(bars in bars(), fee_bps in prop_oneof![Just(0.0), 0.0f64..50.0], slip in prop_oneof![Just(0.0), 0.0f64..20.0]) {
        for name in ["sma_cross", "rsi_revert", "bb_break"] {
            let path = common::root().join(format!("strategies/{name}.strat"));
            let plan = strategy::load(&path).unwrap().plan;
            let config = SessionConfig { cash: 100_000.0, fill: FillModel { fee_bps, slippage_bps: slip, ..FillModel::default() }, ..SessionConfig::default() };
            let run = || {
                let mut tape = Tape::default();
                let report = backtest::run(&plan, &plan.default_params(), config, &mut VecSource::new(bars.clone()), &mut tape, "gen").unwrap();
                (report, tape)
            };
            let (a, ta) = run();
            let (b, tb) = run();
            prop_assert_eq!(serde_json::to_string(&a.summary).unwrap(), serde_json::to_string(&b.summary).unwrap());
            prop_assert_eq!(&ta.fills, &tb.fills);

            let mut cash = 100_000.0f64;
            let mut qty = 0.0f64;
            for f in &ta.fills {
                let i = bars.iter().position(|b| b.ts == f.ts).unwrap();
                prop_assert!(i > 0, "a fill on the first bar");
                let open = bars[i].open;
                let want = match f.side {
                    Side::Buy => open * (1.0 + slip / 10_000.0),
                    Side::Sell => open * (1.0 - slip / 10_000.0),
                };
                let expected = if slip == 0.0 { open } else { want };
                prop_assert!((f.price - expected).abs() <= 1e-12 * expected.abs(), "fill at {} for open {}", f.price, open);
                match f.side {
                    Side::Buy => { cash -= f.qty * f.price + f.fee; qty += f.qty; }
                    Side::Sell => { cash += f.qty * f.price - f.fee; qty -= f.qty; }
                }
                prop_assert!(cash >= -1e-9 * 100_000.0, "cash went negative: {}", cash);
                prop_assert!(qty >= -1e-12, "short position: {}", qty);
            }
            let last = bars.last().unwrap().close;
            let marked = cash + qty * last;
            prop_assert!((a.summary.final_equity - marked).abs() <= 1e-9 * marked.abs().max(1.0));
            prop_assert_eq!(ta.equity.len(), bars.len());
        }
    }

    #[test]
    fn bracket_orders_fill_inside_their_bars(bars in bars(), fee_bps in prop_oneof![Just(0.0), 0.0f64..50.0]) {
        let path = common::root().join("strategies/breakout_bracket.strat");
        let plan = strategy::load(&path).unwrap().plan;
        let mut params = plan.default_params();
        params[0] = 5.0; // len: short enough to trade in a few hundred bars
        let config = SessionConfig { cash: 100_000.0, fill: FillModel { fee_bps, ..FillModel::default() }, ..SessionConfig::default() };
        let run = || {
            let mut tape = Tape::default();
            let report = backtest::run(&plan, &params, config, &mut VecSource::new(bars.clone()), &mut tape, "gen").unwrap();
            (report, tape)
        };
        let (a, ta) = run();
        let (b, tb) = run();
        prop_assert_eq!(serde_json::to_string(&a.summary).unwrap(), serde_json::to_string(&b.summary).unwrap());
        prop_assert_eq!(&ta.fills, &tb.fills);
        let mut qty = 0.0f64;
        for f in &ta.fills {
            let i = bars.iter().position(|b| b.ts == f.ts).unwrap();
            prop_assert!(i > 0, "a fill on the first bar");
            let bar = &bars[i];
            prop_assert!(f.price >= bar.low && f.price <= bar.high, "fill at {} outside {}..{}", f.price, bar.low, bar.high);
            let after = qty + f.position_delta();
            if matches!(f.kind, FillKind::StopLoss | FillKind::TakeProfit | FillKind::Trail) {
                prop_assert!(qty != 0.0 && after * qty >= -1e-9 * qty.abs(), "an exit reversed {} to {}", qty, after);
            }
            qty = after;
        }
        let last = bars.last().unwrap().close;
        prop_assert!((a.summary.final_equity - (a.summary.realized_pnl + a.summary.unrealized_pnl + 100_000.0 - a.summary.fees)).abs()
            <= 1e-6 * a.summary.final_equity.abs().max(1.0) + 1e-9 * last.abs() * qty.abs());
    }
}
