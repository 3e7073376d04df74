//! Running a sweep: every combination backtested over the same bars, in parallel, each result a row of metrics.
//!
//! Design choice: the bars are read once and shared; each combination gets its own engine and session (over a
//! universe: one engine per symbol and one basket) on one worker thread (rayon, `jobs` threads), and results are
//! collected in combination order, so the outcome does not depend on the number of threads or on which finished
//! first.

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::grid::Combo;
use super::shared::Shared;
use crate::backtest::{RunError, params_json};
use crate::bar::Bar;
use crate::data::universe::Universe;
use crate::engine::{Engine, Feed};
use crate::metrics::{RunFacts, Summary};
use crate::plan::{NodeId, Plan};
use crate::session::{Session, SessionConfig};

/// Which way a metric is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

/// The metrics a sweep records for each combination, in column order, with the direction `--sort` ranks them in.
pub const METRICS: &[(&str, Better)] = &[
    ("total_return", Better::Higher),
    ("cagr", Better::Higher),
    ("sharpe", Better::Higher),
    ("sortino", Better::Higher),
    ("calmar", Better::Higher),
    ("volatility", Better::Lower),
    ("max_drawdown", Better::Lower),
    ("max_drawdown_bars", Better::Lower),
    ("trades", Better::Higher),
    ("win_rate", Better::Higher),
    ("profit_factor", Better::Higher),
    ("expectancy", Better::Higher),
    ("avg_trade_return", Better::Higher),
    ("trade_t_stat", Better::Higher),
    ("probabilistic_sharpe", Better::Higher),
    ("exposure", Better::Higher),
    ("fees", Better::Lower),
    ("final_equity", Better::Higher),
];

/// The index of a metric in [`METRICS`].
pub fn metric_index(name: &str) -> Option<usize> {
    METRICS.iter().position(|(m, _)| *m == name)
}

/// One combination's result: its number, every param's value, and [`METRICS`] (NaN where undefined).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub combo: usize,
    pub params: Vec<f64>,
    pub metrics: Vec<f64>,
}

/// A summary's values of [`METRICS`], in order (NaN where undefined).
pub fn metrics_of(s: &Summary) -> Vec<f64> {
    let o = |v: Option<f64>| v.unwrap_or(f64::NAN);
    vec![
        s.total_return,
        o(s.cagr),
        o(s.sharpe),
        o(s.sortino),
        o(s.calmar),
        o(s.volatility),
        s.max_drawdown,
        s.max_drawdown_bars as f64,
        s.closed_trades as f64,
        o(s.win_rate),
        o(s.profit_factor),
        o(s.expectancy),
        o(s.avg_trade_return),
        o(s.trade_t_stat),
        o(s.probabilistic_sharpe),
        s.exposure,
        s.fees,
        s.final_equity,
    ]
}

/// A combination could not run.
#[derive(Debug, thiserror::Error)]
#[error("combination {combo} ({params}): {source}")]
pub struct ComboError {
    pub combo: usize,
    pub params: String,
    #[source]
    pub source: RunError,
}

/// Backtests one combination over `bars`: its full summary.
pub fn run_one(
    plan: &Plan,
    engine: Engine,
    params: &[f64],
    config: SessionConfig,
    bars: &[Bar],
    data_label: &str,
) -> Result<Summary, RunError> {
    let mut engine = engine;
    engine.fit_bar_interval(bars.iter().map(|b| b.ts))?;
    let mut session = Session::new(engine, config);
    for bar in bars {
        session.on_bar(bar)?;
    }
    let facts = RunFacts {
        strategy: plan.name.clone(),
        data: data_label.to_string(),
        params: params_json(plan, params),
        ..RunFacts::default()
    };
    Ok(session.finish(facts).summary)
}

/// Builds a combination's engine from its params and the feeds of its shared indicators
/// ([`Engine::with_feeds`]), a script's decider plugged in.
pub type MakeEngine<'a> = dyn Fn(&[f64], &[(NodeId, Feed)]) -> Result<Engine, RunError> + Sync + 'a;

/// Backtests one combination over a universe — `make_engine` builds each symbol's engine — as `strata backtest`
/// does: its full summary.
pub fn run_one_universe(
    plan: &Plan,
    make_engine: &MakeEngine<'_>,
    params: &[f64],
    config: SessionConfig,
    universe: &Universe,
    data_label: &str,
) -> Result<Summary, RunError> {
    let engines = universe.symbols.iter().map(|_| make_engine(params, &[])).collect::<Result<Vec<_>, _>>()?;
    let facts = RunFacts {
        strategy: plan.name.clone(),
        data: data_label.to_string(),
        params: params_json(plan, params),
        rejected_rows: universe.total_rejected(),
        ..RunFacts::default()
    };
    Ok(crate::basket::run(universe, engines, config, facts)?.report.summary)
}

/// Runs every combination on `jobs` threads, the indicators in `shared` (computed over these `bars`) fed instead of
/// computed. `progress` is called with the number of combinations finished so far, from worker threads.
#[allow(clippy::too_many_arguments)]
pub fn run(
    plan: &Plan,
    combos: &[Combo],
    bars: &[Bar],
    config: SessionConfig,
    data_label: &str,
    jobs: usize,
    shared: &Shared,
    make_engine: &MakeEngine<'_>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Row>, ComboError> {
    let summary = |c: &Combo| {
        let engine = make_engine(&c.params, &shared.feeds(plan, &c.params))?;
        run_one(plan, engine, &c.params, config, bars, data_label)
    };
    run_each(plan, combos, jobs, &summary, progress)
}

/// [`run`] over a universe: each combination is one basket of every symbol, with one pool of cash (no indicators
/// are shared: each symbol's series are its own).
#[allow(clippy::too_many_arguments)]
pub fn run_universe(
    plan: &Plan,
    combos: &[Combo],
    universe: &Universe,
    config: SessionConfig,
    data_label: &str,
    jobs: usize,
    make_engine: &MakeEngine<'_>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Row>, ComboError> {
    let summary = |c: &Combo| run_one_universe(plan, make_engine, &c.params, config, universe, data_label);
    run_each(plan, combos, jobs, &summary, progress)
}

/// A combination's summary, or why it could not run.
type RunCombo<'a> = dyn Fn(&Combo) -> Result<Summary, RunError> + Sync + 'a;

/// A combination's params as `name=value` words, for messages.
pub fn params_text(plan: &Plan, params: &[f64]) -> String {
    params_json(plan, params).iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
}

/// Runs `summary` of every combination on `jobs` threads, rows in combination order.
fn run_each(
    plan: &Plan,
    combos: &[Combo],
    jobs: usize,
    summary: &RunCombo<'_>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Row>, ComboError> {
    let done = AtomicUsize::new(0);
    let one = |c: &Combo| -> Result<Row, ComboError> {
        let fail = |source| ComboError { combo: c.index, params: params_text(plan, &c.params), source };
        let summary = summary(c).map_err(fail)?;
        progress(done.fetch_add(1, Ordering::Relaxed) + 1);
        Ok(Row { combo: c.index, params: c.params.clone(), metrics: metrics_of(&summary) })
    };
    match rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build() {
        Ok(pool) => pool.install(|| combos.par_iter().map(one).collect()),
        // No threads to be had: run them here, one after another.
        Err(_) => combos.iter().map(one).collect(),
    }
}

/// Sorts rows best first by metric `m` (NaN last), ties by combination number.
pub fn sort(rows: &mut [Row], m: usize) {
    let better = METRICS.get(m).map_or(Better::Higher, |x| x.1);
    rows.sort_by(|a, b| {
        let (x, y) = (a.metrics[m], b.metrics[m]);
        let order = match (x.is_nan(), y.is_nan()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            (false, false) => match better {
                Better::Higher => y.total_cmp(&x),
                Better::Lower => x.total_cmp(&y),
            },
        };
        order.then(a.combo.cmp(&b.combo))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(combo: usize, sharpe: f64, dd: f64) -> Row {
        let mut metrics = vec![0.0; METRICS.len()];
        metrics[metric_index("sharpe").unwrap()] = sharpe;
        metrics[metric_index("max_drawdown").unwrap()] = dd;
        Row { combo, params: vec![], metrics }
    }

    #[test]
    fn sorts_best_first_nan_last_ties_by_number() {
        let mut rows = vec![row(0, 1.0, 0.3), row(1, f64::NAN, 0.1), row(2, 2.0, 0.2), row(3, 1.0, 0.1)];
        sort(&mut rows, metric_index("sharpe").unwrap());
        assert_eq!(rows.iter().map(|r| r.combo).collect::<Vec<_>>(), vec![2, 0, 3, 1]);
        sort(&mut rows, metric_index("max_drawdown").unwrap());
        assert_eq!(rows.iter().map(|r| r.combo).collect::<Vec<_>>(), vec![1, 3, 2, 0], "lower drawdown is better");
    }
}
