//! The reference strategies reproduce every row of tests/data/golden/strategies.txt (computed independently by the
//! reference implementation; backtrader and vectorbt agree with it): entries exactly, final equity to 1e-6 relative.

use std::path::Path;

use strata::strategy;
use strata_runtime::backtest;
use strata_runtime::broker::FillModel;
use strata_runtime::data::ReadOptions;
use strata_runtime::data::parquet::ParquetBars;
use strata_runtime::output::NoRecorder;
use strata_runtime::session::SessionConfig;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn reference_strategies_reproduce_every_golden_row() {
    let table = std::fs::read_to_string(root().join("tests/data/golden/strategies.txt")).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in table.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (dataset, fees, name, trades, equity) = (f[0], f[1], f[2], f[3], f[4]);
        let fee_bps: f64 = fees.trim_start_matches("fees=").parse().unwrap();
        let want_trades: usize = trades.parse().unwrap();
        let want_equity: f64 = equity.parse().unwrap();

        let plan = strategy::load(&root().join(format!("strategies/{name}.strat"))).unwrap().plan;
        let data = root().join(format!("data/{dataset}.parquet"));
        let mut source = ParquetBars::open(&data, ReadOptions::default()).unwrap();
        let config = SessionConfig {
            cash: 100_000.0,
            fill: FillModel { fee_bps, slippage_bps: 0.0, ..FillModel::default() },
            ..SessionConfig::default()
        };
        let report =
            backtest::run(&plan, &plan.default_params(), config, &mut source, &mut NoRecorder, dataset).unwrap();
        let s = &report.summary;
        let rel = (s.final_equity - want_equity).abs() / want_equity;
        if s.trades != want_trades || rel > 1e-6 {
            failures.push(format!(
                "{line}: got {} trades, final equity {:.6} (relative error {rel:.2e})",
                s.trades, s.final_equity
            ));
        }
        checked += 1;
    }
    assert_eq!(checked, 30, "the golden table has 30 rows");
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
}
