//! Embedding Strata from Rust: compile a strategy from source text, run it over a bundled dataset with a recorder
//! of your own, and read the results.
//!
//! Run: `cargo run --release --example embed_backtest`

use strata::bundled;
use strata::strategy::compile_strat;
use strata_runtime::backtest;
use strata_runtime::bind::resolve_params;
use strata_runtime::broker::FillModel;
use strata_runtime::data::ReadOptions;
use strata_runtime::data::parquet::ParquetBars;
use strata_runtime::order::Fill;
use strata_runtime::output::{OutputError, Recorder};
use strata_runtime::session::SessionConfig;

const STRATEGY: &str = r#"
strategy "EMA trend with a stop"
param fast = 12
param slow = 48
let trend = ema(close, fast) > ema(close, slow)
when trend and position == 0 { buy 100% }
when position > 0 and (not trend or close < entry_price * 0.97) { exit }
"#;

/// Counts fills and remembers the worst equity seen.
#[derive(Default)]
struct Watch {
    fills: usize,
    low: f64,
}

impl Recorder for Watch {
    fn fill(&mut self, _: &Fill) -> Result<(), OutputError> {
        self.fills += 1;
        Ok(())
    }

    fn equity(&mut self, _: i64, equity: f64) -> Result<(), OutputError> {
        if self.low == 0.0 || equity < self.low {
            self.low = equity;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let plan = compile_strat("embedded.strat", STRATEGY)?.plan;
    let params = resolve_params(&plan, &[("fast".into(), "10".into())])?;
    let data = bundled::lookup("btc-2017-11.1m").ok_or("bundled dataset missing")?;
    let mut source = ParquetBars::from_static("bundled:btc-2017-11.1m", data.bytes, ReadOptions::default())?;
    let config = SessionConfig {
        cash: 10_000.0,
        fill: FillModel { fee_bps: 7.5, slippage_bps: 1.0, ..FillModel::default() },
        ..SessionConfig::default()
    };
    let mut watch = Watch::default();
    let report = backtest::run(&plan, &params, config, &mut source, &mut watch, "bundled:btc-2017-11.1m")?;
    let s = &report.summary;
    println!("{} on {}: {} bars, {} trades, {} fills", s.strategy, s.data, s.bars, s.trades, watch.fills);
    println!(
        "final equity {:.2} (lowest {:.2}), max drawdown {:.1}%",
        s.final_equity,
        watch.low,
        s.max_drawdown * 100.0
    );
    for t in report.trades.iter().take(3) {
        println!("  trade: entry {:.8} exit {:.8} pnl {:.2}", t.entry_price, t.exit_price, t.pnl);
    }
    Ok(())
}
