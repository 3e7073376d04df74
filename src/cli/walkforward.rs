//! `strata walkforward`: optimise on each training window, trade the winner on the next test window, and report
//! in-sample against out-of-sample, per window and overall.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use strata_runtime::sweep::run::{METRICS, metric_index};
use strata_runtime::sweep::walkforward::{self, Span, WalkForward};

use super::sweep::{GridArgs, Progress};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub grid: GridArgs,
    /// Length of each training window: a count and a unit, H, D, W, M (calendar months) or Y, e.g. 6M.
    #[arg(long, value_name = "SPAN", required = true)]
    pub train: String,
    /// Length of each test window, which is also the step between windows, e.g. 1M.
    #[arg(long, value_name = "SPAN", required = true)]
    pub test: String,
    /// Train on all history from the first bar (an expanding window) instead of a rolling one.
    #[arg(long)]
    pub anchored: bool,
    /// Write walkforward.csv, walkforward.json, equity.parquet (the stitched out-of-sample curve) and report.html.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

use crate::report::metric;

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let train = Span::parse("--train", &a.train)?;
    let test = Span::parse("--test", &a.test)?;
    let setup = a.grid.prepare()?;
    // The walk's clock: one symbol's bars, or every timestamp of a universe.
    let timeline: Vec<i64> = match &setup.universe {
        Some(u) => u.timeline(),
        None => setup.bars.iter().map(|b| b.ts).collect(),
    };
    let windows = walkforward::windows_of(&timeline, train, test, a.anchored)?;
    let plan = &setup.plan;
    eprintln!(
        "walkforward: {} windows × {} combinations of {} on {} threads",
        windows.len(),
        setup.combos.len(),
        plan.name,
        setup.jobs
    );
    let progress = Progress::new(windows.len() * setup.combos.len(), "walkforward");
    let started = Instant::now();
    let make_engine = |p: &[f64], f: &[(usize, strata_runtime::engine::Feed)]| setup.make_engine(p, f);
    let tick = |d| progress.tick(d);
    let walk = match &setup.universe {
        Some(u) => walkforward::walk_universe(
            plan,
            &setup.combos,
            u,
            &timeline,
            &windows,
            setup.config,
            setup.sort,
            &setup.label,
            setup.jobs,
            &make_engine,
            &tick,
        )?,
        None => walkforward::walk(
            plan,
            &setup.combos,
            &setup.bars,
            &windows,
            setup.config,
            setup.sort,
            &setup.label,
            setup.jobs,
            !a.grid.no_share,
            &make_engine,
            &tick,
        )?,
    };
    progress.finish(started);
    let swept: Vec<usize> = setup.grid.axes.iter().map(|x| x.param).collect();
    let text = render(&walk, plan, &swept, &timeline, setup.sort);
    if let Some(dir) = &a.out {
        let json = json(&walk, plan, &swept, &setup, &timeline, &a);
        crate::report::walkforward::write(dir, &walk, plan, &swept, &timeline, setup.sort, &json)
            .with_context(|| format!("writing {}", dir.display()))?;
        eprintln!("wrote {}/walkforward.csv, walkforward.json, equity.parquet, report.html", dir.display());
    }
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// The text table: one line per window, then in-sample against out-of-sample overall.
fn render(w: &WalkForward, plan: &strata_runtime::Plan, swept: &[usize], timeline: &[i64], sort: usize) -> String {
    let m = |name: &str| metric_index(name).unwrap_or(0);
    let date = |i: usize| timeline.get(i).map_or("-".to_string(), |&t| crate::report::calendar::date(t));
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:>3}  {:<23}  {:<23}  {:<20} {:>12} {:>12} {:>10} {:>10} {:>8}",
        "#",
        "train",
        "test",
        "winner",
        format!("IS {}", METRICS[sort].0),
        "OOS return",
        "OOS sharpe",
        "OOS maxDD",
        "trades"
    );
    for (i, r) in w.windows.iter().enumerate() {
        let params: Vec<String> = swept
            .iter()
            .map(|&p| format!("{}={}", plan.params[p].name, strata_runtime::fmt_num(r.winner.params[p])))
            .collect();
        let _ = writeln!(
            o,
            "{:>3}  {:<23}  {:<23}  {:<20} {:>12} {:>12} {:>10} {:>10} {:>8}",
            i + 1,
            format!("{} .. {}", date(r.window.train.0), date(r.window.train.1 - 1)),
            format!("{} .. {}", date(r.window.test.0), date(r.window.test.1 - 1)),
            params.join(" "),
            metric(METRICS[sort].0, r.winner.metrics[sort]),
            metric("total_return", r.test[m("total_return")]),
            metric("sharpe", r.test[m("sharpe")]),
            metric("max_drawdown", r.test[m("max_drawdown")]),
            r.test[m("trades")]
        );
    }
    let s = &w.summary;
    let is_sharpe = walkforward::in_sample_mean(w, m("sharpe"));
    let is_cagr = walkforward::in_sample_mean(w, m("cagr"));
    let oos_cagr = s.cagr.unwrap_or(f64::NAN);
    let _ = writeln!(
        o,
        "out of sample: total return {}  CAGR {}  sharpe {}  max drawdown {}  {} trades",
        metric("total_return", s.total_return),
        metric("cagr", oos_cagr),
        metric("sharpe", s.sharpe.unwrap_or(f64::NAN)),
        metric("max_drawdown", s.max_drawdown),
        s.closed_trades
    );
    let _ = writeln!(
        o,
        "in sample (mean of winners): CAGR {}  sharpe {}   walk-forward efficiency (OOS CAGR / IS CAGR) {}",
        metric("cagr", is_cagr),
        metric("sharpe", is_sharpe),
        metric("walk_forward_efficiency", oos_cagr / is_cagr)
    );
    o
}

fn json(
    w: &WalkForward,
    plan: &strata_runtime::Plan,
    swept: &[usize],
    setup: &super::sweep::Setup,
    timeline: &[i64],
    a: &Args,
) -> serde_json::Value {
    let m = |name: &str| metric_index(name).unwrap_or(0);
    let metrics = |v: &[f64]| -> serde_json::Map<String, serde_json::Value> {
        METRICS
            .iter()
            .zip(v)
            .map(|((k, _), x)| (k.to_string(), if x.is_nan() { serde_json::Value::Null } else { (*x).into() }))
            .collect()
    };
    let windows: Vec<serde_json::Value> = w
        .windows
        .iter()
        .map(|r| {
            let ts = |i: usize| timeline.get(i).map_or(serde_json::Value::Null, |&t| strata_runtime::time::format_ts(t).into());
            serde_json::json!({
                "train": [ts(r.window.train.0), ts(r.window.train.1 - 1)],
                "test": [ts(r.window.test.0), ts(r.window.test.1 - 1)],
                "params": swept.iter().map(|&p| (plan.params[p].name.clone(), serde_json::Value::from(r.winner.params[p]))).collect::<serde_json::Map<_, _>>(),
                "in_sample": metrics(&r.winner.metrics),
                "out_of_sample": metrics(&r.test),
            })
        })
        .collect();
    let is_cagr = walkforward::in_sample_mean(w, m("cagr"));
    serde_json::json!({
        "strategy": plan.name,
        "data": setup.label,
        "grid": setup.grid.axes.iter().map(|x| x.spec.clone()).collect::<Vec<_>>(),
        "where": setup.grid.condition.as_ref().map(|c| c.text().to_string()),
        "train": a.train,
        "test": a.test,
        "anchored": a.anchored,
        "sort": METRICS[setup.sort].0,
        "windows": windows,
        "out_of_sample": w.summary,
        "in_sample_mean": {
            "sharpe": walkforward::in_sample_mean(w, m("sharpe")),
            "cagr": is_cagr,
            "total_return": walkforward::in_sample_mean(w, m("total_return")),
        },
        "walk_forward_efficiency": w.summary.cagr.map(|c| c / is_cagr).filter(|v| v.is_finite()),
    })
}
