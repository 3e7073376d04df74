//! Backtest: a session fed from a bar source, its outputs sent to a recorder.
//!
//! Design choice: this is only the loop — bars in, [`Session::on_bar`], outputs out — so that a live run, which
//! feeds the same session from a WebSocket, differs from a backtest in nothing that touches orders or fills.

use thiserror::Error;

use crate::bar::Bar;
use crate::bind::BindError;
use crate::data::{BarSource, DataError};
use crate::decide::DecideError;
use crate::engine::Engine;
use crate::metrics::RunFacts;
use crate::output::{OutputError, Recorder};
use crate::plan::{ParamType, Plan};
use crate::session::{BarOutcome, Report, Session, SessionConfig};

#[derive(Debug, Error)]
pub enum RunError {
    #[error(transparent)]
    Bind(#[from] BindError),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The strategy's script failed on a bar.
    #[error(transparent)]
    Strategy(#[from] DecideError),
    /// A killed live run could not be resumed safely from its journal.
    #[error("resuming the run: {0}")]
    Resume(String),
}

/// The parameter values as a JSON object (whole numbers for `Int` params), in declaration order of names.
pub fn params_json(plan: &Plan, values: &[f64]) -> serde_json::Map<String, serde_json::Value> {
    plan.params
        .iter()
        .zip(values)
        .map(|(p, &v)| {
            let json = match p.ty {
                ParamType::Int => serde_json::Value::from(v as i64),
                ParamType::Float => serde_json::Value::from(v),
            };
            (p.name.clone(), json)
        })
        .collect()
}

/// Runs `plan` with `params` over every bar of `source`, sending fills and equity to `recorder`.
/// The caller commits the recorder (after attaching anything else it wants written) when it accepts the result.
pub fn run(
    plan: &Plan,
    params: &[f64],
    config: SessionConfig,
    source: &mut dyn BarSource,
    recorder: &mut dyn Recorder,
    data_label: &str,
) -> Result<Report, RunError> {
    let engine = Engine::new(plan, params)?;
    run_engine(plan, params, engine, config, source, recorder, data_label)
}

/// [`run`] with an engine the caller built — a scripted plan's, with its decider plugged in.
pub fn run_engine(
    plan: &Plan,
    params: &[f64],
    engine: Engine,
    config: SessionConfig,
    source: &mut dyn BarSource,
    recorder: &mut dyn Recorder,
    data_label: &str,
) -> Result<Report, RunError> {
    run_with_warmup(plan, params, engine, config, &[], source, recorder, data_label)
}

/// [`run_engine`] after stepping `warmup` bars with [`Session::warm`] (history before the traded bars; the caller
/// makes `source` start after them).
#[allow(clippy::too_many_arguments)]
pub fn run_with_warmup(
    plan: &Plan,
    params: &[f64],
    engine: Engine,
    config: SessionConfig,
    warmup: &[Bar],
    source: &mut dyn BarSource,
    recorder: &mut dyn Recorder,
    data_label: &str,
) -> Result<Report, RunError> {
    run_session(plan, params, Session::new(engine, config), warmup, source, recorder, data_label)
}

/// [`run_with_warmup`] with a session the caller set up (finer intrabar data plugged in, say).
pub fn run_session(
    plan: &Plan,
    params: &[f64],
    mut session: Session,
    warmup: &[Bar],
    source: &mut dyn BarSource,
    recorder: &mut dyn Recorder,
    data_label: &str,
) -> Result<Report, RunError> {
    if session.engine().reads_volume() && !source.has_volume() {
        return Err(DataError::NoVolume { path: data_label.into() }.into());
    }
    let mut warmed = false;
    while let Some(batch) = source.next_batch()? {
        if !warmed {
            // Longer timeframes are built from bars as far apart as the data's first ones.
            session.engine_mut().fit_bar_interval(warmup.iter().chain(batch).map(|b| b.ts))?;
            for bar in warmup {
                session.warm(bar)?;
            }
            warmed = true;
        }
        for bar in batch {
            step(&mut session, bar, recorder)?;
        }
    }
    if !warmed {
        session.engine_mut().fit_bar_interval(warmup.iter().map(|b| b.ts))?;
        for bar in warmup {
            session.warm(bar)?;
        }
    }
    let facts = RunFacts {
        strategy: plan.name.clone(),
        data: data_label.to_string(),
        params: params_json(plan, params),
        rejected_rows: source.rejected().total(),
        ..RunFacts::default()
    };
    Ok(session.finish(facts))
}

/// One traded bar, the same in every mode: the session steps on it and its fills and equity go to the recorder.
#[inline]
pub fn step<'s>(session: &'s mut Session, bar: &Bar, recorder: &mut dyn Recorder) -> Result<BarOutcome<'s>, RunError> {
    let out = session.on_bar(bar)?;
    for f in out.fills {
        recorder.fill(f)?;
    }
    recorder.equity(bar.ts, out.equity)?;
    Ok(out)
}
