//! `strata backtest` over a universe: one strategy on many symbols, one portfolio with shared cash.

use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use strata_runtime::backtest::{RunError, params_json};
use strata_runtime::basket::{self, UniverseReport};
use strata_runtime::broker::FinerPath;
use strata_runtime::data::universe::Universe;
use strata_runtime::data::{ReadOptions, RejectCounts};
use strata_runtime::metrics::RunFacts;
use strata_runtime::output::{ParquetRecorder, Recorder};

use super::Reported;
use super::backtest::{Args, Prepared};

pub(crate) fn backtest(a: &Args, p: &Prepared, data: &str, options: ReadOptions) -> anyhow::Result<ExitCode> {
    if !p.warmup.is_empty() {
        bail!("--warmup-data is one symbol's history; a universe's warm-up is a universe of the same symbols");
    }
    let plan = &p.loaded.plan;
    let first = p.engine(&a.run, &a.strategy)?;
    let universe = open(data, options, &a.symbols, plan, first.reads_volume())?;
    // The warm-up history of exactly these symbols, in the same order.
    let warmup = match &p.warmup_universe {
        Some(w) => {
            let mut w = w.clone();
            w.select(&universe.symbols).map_err(|e| anyhow::anyhow!("--warmup-data: {e}"))?;
            Some(w)
        }
        None => None,
    };
    let mut engines = Vec::with_capacity(universe.symbols.len());
    engines.push(first);
    for _ in 1..universe.symbols.len() {
        engines.push(p.engine(&a.run, &a.strategy)?);
    }
    let facts = RunFacts {
        strategy: plan.name.clone(),
        data: format!("{data} ({} symbols)", universe.symbols.len()),
        params: params_json(plan, &p.params),
        rejected_rows: universe.total_rejected(),
        ..RunFacts::default()
    };
    let finer = match &a.intrabar {
        Some(path) => intrabar(path, &universe)?,
        None => Vec::new(),
    };
    let result = match basket::run_warmed(warmup.as_ref(), &finer, &universe, engines, p.config, facts) {
        Ok(r) => r,
        Err(RunError::Strategy(e)) => {
            eprint!("{}", e.message);
            return Err(Reported.into());
        }
        Err(RunError::Bind(e)) => bail!("{}:{e}", a.strategy.display()),
        Err(e) => return Err(e.into()),
    };
    let r = &a.run;
    if let Some(dir) = r.outputs_dir() {
        write_outputs(dir, &universe.symbols, &result, &[])?;
    }
    print_result(&result, r)?;
    r.write_report()?;
    Ok(ExitCode::SUCCESS)
}

/// Writes a universe run's files to `dir`: `fills.parquet` (with a `symbol` column), `equity.parquet`,
/// `trades.parquet`, `summary.json` (with a `symbols` array), and `extra` files (a live run's `live.json`). No Monte
/// Carlo of the trades: it resamples them as one position after another, and a universe holds several at once.
pub(crate) fn write_outputs(
    dir: &Path,
    symbols: &[String],
    result: &UniverseReport,
    extra: &[(&str, Vec<u8>)],
) -> anyhow::Result<()> {
    let mut rec = ParquetRecorder::create(dir)?.with_symbols(symbols.to_vec());
    for f in &result.fills {
        rec.symbol_fill(f.symbol, &f.fill);
    }
    for &(ts, equity) in &result.equity {
        rec.equity(ts, equity)?;
    }
    let summary = summary_json(result)?;
    rec.attach("summary.json", serde_json::to_vec_pretty(&summary).context("encoding the summary")?)?;
    for (name, bytes) in extra {
        rec.attach(name, bytes.clone())?;
    }
    rec.attach_trades(&result.report.trades)?;
    rec.commit()?;
    Ok(())
}

/// Prints a universe run's summary: one JSON object with `--json`, else the portfolio's summary and a line per
/// symbol.
pub(crate) fn print_result(result: &UniverseReport, r: &super::backtest::RunArgs) -> anyhow::Result<()> {
    if r.json {
        println!("{}", serde_json::to_string_pretty(&summary_json(result)?).context("encoding the summary")?);
    } else {
        print!("{}", super::summary::render(&result.report, RejectCounts::default(), r.outputs_dir()));
        print!("{}", symbols_table(result));
    }
    Ok(())
}

/// The universe at `data` with the symbols `--symbols` names, else the strategy's `symbols` line, else all; checked
/// to carry volume when the strategy reads it.
pub(crate) fn open(
    data: &str,
    options: ReadOptions,
    symbols: &[String],
    plan: &strata_runtime::Plan,
    reads_volume: bool,
) -> anyhow::Result<Universe> {
    let mut universe = Universe::open(Path::new(data), options)?;
    universe.select(if symbols.is_empty() { &plan.symbols } else { symbols })?;
    if reads_volume && !universe.has_volume {
        bail!("{data}: the strategy reads volume, but not every symbol's data has a volume column");
    }
    Ok(universe)
}

/// Refuses what names a universe when the data is one symbol's: `--symbols`, and a strategy's `symbols` line.
pub(crate) fn refuse_on_one_symbol(
    symbols: &[String],
    plan: &strata_runtime::Plan,
    strategy: &Path,
) -> anyhow::Result<()> {
    if !symbols.is_empty() {
        bail!("--symbols picks symbols of a universe: give --data a folder of files, or a file with a symbol column");
    }
    if !plan.symbols.is_empty() {
        bail!(
            "{}: the strategy trades symbols {}: give --data a universe (a folder of files, or a file with a symbol \
             column)",
            strategy.display(),
            plan.symbols.join(", ")
        );
    }
    Ok(())
}

/// `--intrabar` over a universe: a universe of finer bars (a folder, or a file with a symbol column) — per symbol of
/// the run, its finer bars where it has some, each symbol's no coarser than that symbol's own bars.
fn intrabar(path: &Path, universe: &Universe) -> anyhow::Result<Vec<Option<Arc<FinerPath>>>> {
    let shown = path.display();
    if !Universe::is_universe(path) {
        bail!(
            "--intrabar: {shown}: over a universe, finer data is a universe too (a folder of files, or a file with a symbol column)"
        );
    }
    let fine = Universe::open(path, ReadOptions { strict: true, ..ReadOptions::default() })
        .map_err(|e| anyhow::anyhow!("--intrabar: {e}"))?;
    let mut out = Vec::with_capacity(universe.symbols.len());
    for (symbol, bars) in universe.symbols.iter().zip(&universe.bars) {
        let Some(k) = fine.symbols.iter().position(|s| s == symbol) else {
            out.push(None);
            continue;
        };
        let step = |b: &[strata_runtime::bar::Bar]| {
            strata_runtime::data::smallest_step(&b.iter().map(|b| b.ts).collect::<Vec<_>>())
        };
        // A symbol with too few bars to tell an interval (either side) has no path to walk.
        let (Some(interval), Some(finer)) = (step(bars), step(&fine.bars[k])) else {
            out.push(None);
            continue;
        };
        if finer >= interval {
            bail!(
                "--intrabar: {shown}: {symbol}'s bars are {} s apart, no finer than the data's {} s",
                finer / 1000,
                interval / 1000
            );
        }
        out.push(Some(Arc::new(FinerPath::from_bars(&fine.bars[k], interval))));
    }
    if out.iter().all(Option::is_none) {
        bail!("--intrabar: {shown} has none of the run's symbols ({})", universe.symbols.join(", "));
    }
    Ok(out)
}

/// The summary with a `symbols` array: each symbol's bars, fills, closed trades, PnL and end position.
fn summary_json(result: &UniverseReport) -> anyhow::Result<serde_json::Value> {
    let mut v = serde_json::to_value(&result.report.summary).context("encoding the summary")?;
    let symbols: Vec<serde_json::Value> = result
        .symbols
        .iter()
        .map(|s| {
            serde_json::json!({
                "symbol": s.symbol, "bars": s.bars, "fills": s.fills, "closed_trades": s.closed_trades,
                "pnl": s.pnl, "position": s.position, "value": s.value,
            })
        })
        .collect();
    if let Some(o) = v.as_object_mut() {
        o.insert("symbols".into(), symbols.into());
    }
    Ok(v)
}

/// One line per symbol, under the portfolio's summary.
fn symbols_table(result: &UniverseReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "  symbols     {:<10} {:>8} {:>7} {:>7} {:>14} {:>14}",
        "", "bars", "fills", "trades", "pnl", "held value"
    );
    for s in &result.symbols {
        let _ = writeln!(
            o,
            "              {:<10} {:>8} {:>7} {:>7} {:>14.2} {:>14.2}",
            s.symbol, s.bars, s.fills, s.closed_trades, s.pnl, s.value
        );
    }
    o
}
