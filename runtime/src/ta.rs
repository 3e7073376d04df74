//! Computing named series over bars — `strata ta`, the feature-engineering use of the engine.
//!
//! Design choice: no second evaluator. A set of expressions is a plan with no rules whose `outputs` name the
//! series; the same engine steps it over a flat, empty account — in columns, a batch of bars per step, when the
//! series depend on the bars alone (they always do for `strata ta`), else bar by bar — and a sink receives each
//! bar's values.

use crate::backtest::RunError;
use crate::bar::AccountView;
use crate::data::universe::Universe;
use crate::data::{BarSource, DataError};
use crate::engine::{Columns, CrossSlot, Engine};
use crate::output::OutputError;
use crate::plan::Plan;

/// Receives each bar's timestamp and output values.
pub type Sink<'a> = dyn FnMut(i64, &[f64]) -> Result<(), OutputError> + 'a;

/// Receives each symbol's bar of a universe: its timestamp, the symbol's index, and the output values.
pub type SymbolSink<'a> = dyn FnMut(i64, usize, &[f64]) -> Result<(), OutputError> + 'a;

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

/// Runs `plan`'s outputs over every symbol of `universe`, one timestamp at a time (its symbols in order, each with
/// its own series; cross-sectional functions across the symbols with a bar at that time), calling
/// `sink(ts, symbol, values)` for each bar. Returns the number of bars.
pub fn run_universe(plan: &Plan, universe: &Universe, sink: &mut SymbolSink<'_>) -> Result<usize, RunError> {
    let label = universe.label.display().to_string();
    let mut engines = Vec::with_capacity(universe.symbols.len());
    for bars in &universe.bars {
        let mut e = Engine::new(plan, &plan.default_params())?;
        e.fit_bar_interval(bars.iter().map(|b| b.ts))?;
        if e.reads_volume() && !universe.has_volume {
            return Err(DataError::NoVolume { path: label.into() }.into());
        }
        engines.push(e);
    }
    let nodes: Vec<usize> = plan.outputs.iter().map(|o| o.node).collect();
    let (mut intents, mut rejected) = (Vec::new(), Vec::new());
    let account = AccountView::default();
    let mut values = vec![0.0; nodes.len()];
    let mut cross = CrossBuffers::default();
    let functions = engines.first().map(|e| e.cross_functions().to_vec()).unwrap_or_default();
    let mut groups = universe.groups();
    let mut members = Vec::new();
    let mut n = 0;
    while let Some((ts, m)) = groups.next_group() {
        members.clear();
        members.extend_from_slice(m);
        for &s in &members {
            engines[s].begin_bar(groups.bar(s), &account)?;
        }
        cross.apply_on(&functions, &mut engines, &members);
        for &s in &members {
            engines[s].end_bar(groups.bar(s), &account, &mut intents, &mut rejected)?;
            for (v, &node) in values.iter_mut().zip(&nodes) {
                *v = engines[s].value(node);
            }
            sink(ts, s, &values)?;
            intents.clear();
            rejected.clear();
            n += 1;
        }
    }
    Ok(n)
}

/// Buffers for computing a universe's cross-sections (reused from timestamp to timestamp).
#[derive(Debug, Default)]
pub struct CrossBuffers {
    inputs: Vec<f64>,
    outputs: Vec<f64>,
    order: Vec<i128>,
}

impl CrossBuffers {
    /// Computes each of the plan's cross-sectional `functions` across `members` (each symbol's engine, reached
    /// through `items`, after `begin_bar`) and hands each symbol its value.
    pub fn apply_on<T: AsMut<Engine>>(&mut self, functions: &[CrossSlot], items: &mut [T], members: &[usize]) {
        for (k, c) in functions.iter().enumerate() {
            self.inputs.clear();
            self.inputs.extend(members.iter().map(|&s| items[s].as_mut().cross_input(k)));
            self.outputs.clear();
            self.outputs.resize(members.len(), f64::NAN);
            crate::cross::cross_section_in(c.f, c.count, &self.inputs, &mut self.outputs, &mut self.order);
            for (&s, &v) in members.iter().zip(&self.outputs) {
                items[s].as_mut().set_cross(k, v);
            }
        }
    }
}

/// Bars stepped in columns at a time: a few dozen slots of this many values each stay in the second-level cache,
/// where a whole decoded chunk's columns (262,144 rows) would stream through memory — and be fresh pages to clear.
const COLUMN_RUN: usize = 16_384;

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
            // In runs short enough that every slot's column stays in cache (and the columns' memory stays small).
            for run in batch.chunks(COLUMN_RUN) {
                engine.on_bars(run, &mut columns);
                let cols: Vec<&[f64]> = nodes.iter().map(|&n| engine.column(&columns, n)).collect();
                ts.clear();
                ts.extend(run.iter().map(|b| b.ts));
                sink(&ts, &cols)?;
                bars += run.len();
            }
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
