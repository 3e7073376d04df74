//! Computing named series over bars — `strata ta`, the feature-engineering use of the engine.
//!
//! Design choice: no second evaluator. A set of expressions is a plan with no rules whose `outputs` name the
//! series; the same engine steps it over a flat, empty account — in columns, a batch of bars per step, when the
//! series depend on the bars alone (they always do for `strata ta`), else bar by bar — and a sink receives each
//! bar's values.

use crate::backtest::RunError;
use crate::bar::AccountView;
use crate::data::{BarSource, DataError};
use crate::engine::{Columns, Engine};
use crate::output::OutputError;
use crate::plan::Plan;

/// Receives each bar's timestamp and output values.
pub type Sink<'a> = dyn FnMut(i64, &[f64]) -> Result<(), OutputError> + 'a;

/// Receives runs of bars: their timestamps, and one column of values per output.
pub type ColumnSink<'a> = dyn FnMut(&[i64], &[&[f64]]) -> Result<(), OutputError> + 'a;

/// Runs `plan`'s outputs over every bar of `source`, calling `sink(ts, values)` once per bar (one value per output,
/// NaN while undefined). Returns the number of bars.
pub fn run(plan: &Plan, source: &mut dyn BarSource, data_label: &str, sink: &mut Sink<'_>) -> Result<usize, RunError> {
    let mut values = Vec::new();
    run_columns(plan, source, data_label, &mut |ts, cols| {
        for (i, &t) in ts.iter().enumerate() {
            values.clear();
            values.extend(cols.iter().map(|c| c.get(i).copied().unwrap_or(f64::NAN)));
            sink(t, &values)?;
        }
        Ok(())
    })
}

/// [`run`] handing the values over a batch of bars at a time, as columns (`strata ta`'s path: no per-row calls).
pub fn run_columns(
    plan: &Plan,
    source: &mut dyn BarSource,
    data_label: &str,
    sink: &mut ColumnSink<'_>,
) -> Result<usize, RunError> {
    let mut engine = Engine::new(plan, &plan.default_params())?;
    if engine.reads_volume() && !source.has_volume() {
        return Err(DataError::NoVolume { path: data_label.into() }.into());
    }
    let nodes: Vec<usize> = plan.outputs.iter().map(|o| o.node).collect();
    let (mut intents, mut rejected) = (Vec::new(), Vec::new());
    let account = AccountView::default();
    let mut bars = 0;
    let mut ts: Vec<i64> = Vec::new();
    if engine.steps_in_columns() {
        let mut columns = Columns::new();
        while let Some(batch) = source.next_batch()? {
            engine.on_bars(batch, &mut columns);
            let cols: Vec<&[f64]> = nodes.iter().map(|&n| engine.column(&columns, n)).collect();
            ts.clear();
            ts.extend(batch.iter().map(|b| b.ts));
            sink(&ts, &cols)?;
            bars += batch.len();
        }
        return Ok(bars);
    }
    let mut out: Vec<Vec<f64>> = vec![Vec::new(); nodes.len()];
    let mut first = true;
    while let Some(batch) = source.next_batch()? {
        if std::mem::take(&mut first) {
            engine.fit_bar_interval(batch.iter().map(|b| b.ts))?;
        }
        ts.clear();
        out.iter_mut().for_each(Vec::clear);
        for bar in batch {
            engine.on_bar(bar, &account, &mut intents, &mut rejected)?;
            for (col, &n) in out.iter_mut().zip(&nodes) {
                col.push(engine.value(n));
            }
            ts.push(bar.ts);
        }
        let cols: Vec<&[f64]> = out.iter().map(Vec::as_slice).collect();
        sink(&ts, &cols)?;
        bars += batch.len();
    }
    Ok(bars)
}
