//! The outputs of a walk-forward: the windows as CSV, the whole result as JSON, the stitched out-of-sample equity
//! as Parquet, and a report page — in-sample against out-of-sample overall, the stitched curve over its drawdown,
//! and each window's winner and results.
//!
//! Design choice: the page is built from the same pieces as a run's report (inline SVG, the same styles), so a
//! walk-forward reads like a backtest of the strategy as it would really have been traded: re-optimised on each
//! training window and judged only on the data that followed.

use std::fmt::Write;
use std::path::Path;

use strata_runtime::Plan;
use strata_runtime::sweep::run::{METRICS, metric_index};
use strata_runtime::sweep::walkforward::{self, WalkForward};

use super::ReportError;
use super::calendar::date;
use super::svg::{self, esc};

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Write { path: path.to_path_buf(), source }
}

/// Writes walkforward.csv, walkforward.json, equity.parquet and report.html into `dir`.
pub fn write(
    dir: &Path,
    w: &WalkForward,
    plan: &Plan,
    swept: &[usize],
    timeline: &[i64],
    sort: usize,
    json: &serde_json::Value,
) -> Result<(), ReportError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let stage = |name: &str, bytes: Vec<u8>| -> Result<(), ReportError> {
        let (tmp, path) = (dir.join(format!(".{name}.partial")), dir.join(name));
        std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))
    };
    let ts = |i: usize| timeline.get(i).map_or(String::new(), |&t| strata_runtime::time::format_ts(t));
    let mut csv = String::from("window,train_start,train_end,test_start,test_end");
    for &p in swept {
        let _ = write!(csv, ",{}", plan.params[p].name);
    }
    for (m, _) in METRICS {
        let _ = write!(csv, ",is_{m}");
    }
    for (m, _) in METRICS {
        let _ = write!(csv, ",oos_{m}");
    }
    csv.push('\n');
    let num = |v: f64| if v.is_nan() { String::new() } else { format!("{v}") };
    for (i, r) in w.windows.iter().enumerate() {
        let _ = write!(
            csv,
            "{},{},{},{},{}",
            i + 1,
            ts(r.window.train.0),
            ts(r.window.train.1 - 1),
            ts(r.window.test.0),
            ts(r.window.test.1 - 1)
        );
        for &p in swept {
            let _ = write!(csv, ",{}", num(r.winner.params[p]));
        }
        for v in r.winner.metrics.iter().chain(&r.test) {
            let _ = write!(csv, ",{}", num(*v));
        }
        csv.push('\n');
    }
    stage("walkforward.csv", csv.into_bytes())?;
    let text = serde_json::to_vec_pretty(json).map_err(|e| ReportError::Write {
        path: dir.join("walkforward.json"),
        source: std::io::Error::other(e.to_string()),
    })?;
    stage("walkforward.json", text)?;
    strata_runtime::output::write_equity_curve(&dir.join("equity.parquet"), &w.equity).map_err(|e| {
        ReportError::Write { path: dir.join("equity.parquet"), source: std::io::Error::other(e.to_string()) }
    })?;
    stage("report.html", render(w, plan, swept, timeline, sort, json).into_bytes())
}

fn render(
    w: &WalkForward,
    plan: &Plan,
    swept: &[usize],
    timeline: &[i64],
    sort: usize,
    json: &serde_json::Value,
) -> String {
    let m = |name: &str| metric_index(name).unwrap_or(0);
    let s = &w.summary;
    let mut o = String::new();
    let title = format!("Walk-forward of {} on {}", plan.name, json["data"].as_str().unwrap_or(""));
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{}</style></head><body><main>",
        esc(&title),
        super::page::STYLE
    );
    let _ = write!(
        o,
        "<h1>{}</h1><div class=\"sub\">train {} · test {}{} · {} windows · ranked by {}</div>",
        esc(&title),
        esc(json["train"].as_str().unwrap_or("")),
        esc(json["test"].as_str().unwrap_or("")),
        if json["anchored"].as_bool() == Some(true) { " (anchored)" } else { "" },
        w.windows.len(),
        METRICS[sort].0
    );
    o.push_str("<section id=\"overall\"><h2>In sample against out of sample</h2><table class=\"list\"><tr><th></th><th>CAGR</th><th>Sharpe</th><th>total return</th></tr>");
    let _ = write!(
        o,
        "<tr><td>In sample (mean of the windows' winners)</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        super::metric("cagr", walkforward::in_sample_mean(w, m("cagr"))),
        super::metric("sharpe", walkforward::in_sample_mean(w, m("sharpe"))),
        super::metric("total_return", walkforward::in_sample_mean(w, m("total_return")))
    );
    let _ = write!(
        o,
        "<tr><td>Out of sample (stitched)</td><td>{}</td><td>{}</td><td>{}</td></tr></table>",
        super::metric("cagr", s.cagr.unwrap_or(f64::NAN)),
        super::metric("sharpe", s.sharpe.unwrap_or(f64::NAN)),
        super::metric("total_return", s.total_return)
    );
    let _ = write!(
        o,
        "<p>Out of sample: max drawdown {}, {} closed trades, win rate {}; walk-forward efficiency (OOS CAGR / IS CAGR) {}.</p></section>",
        super::metric("max_drawdown", s.max_drawdown),
        s.closed_trades,
        super::metric("win_rate", s.win_rate.unwrap_or(f64::NAN)),
        json["walk_forward_efficiency"].as_f64().map_or("n/a".into(), |v| format!("{v:.2}"))
    );
    let _ = write!(
        o,
        "<section id=\"equity\"><h2>Out-of-sample equity and drawdown</h2>{}</section>",
        svg::equity_chart(&w.equity)
    );
    o.push_str("<section id=\"windows\"><h2>Windows</h2><table class=\"list\" id=\"window-list\"><tr><th>#</th><th>train</th><th>test</th><th>winner</th>");
    let _ = write!(
        o,
        "<th>IS {}</th><th>OOS return</th><th>OOS sharpe</th><th>OOS max DD</th><th>OOS trades</th></tr>",
        METRICS[sort].0
    );
    for (i, r) in w.windows.iter().enumerate() {
        let d = |k: usize| timeline.get(k).map_or(String::new(), |&t| date(t));
        let params: Vec<String> = swept
            .iter()
            .map(|&p| format!("{}={}", plan.params[p].name, strata_runtime::fmt_num(r.winner.params[p])))
            .collect();
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{} .. {}</td><td>{} .. {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            d(r.window.train.0),
            d(r.window.train.1 - 1),
            d(r.window.test.0),
            d(r.window.test.1 - 1),
            esc(&params.join(" ")),
            super::metric(METRICS[sort].0, r.winner.metrics[sort]),
            super::metric("total_return", r.test[m("total_return")]),
            super::metric("sharpe", r.test[m("sharpe")]),
            super::metric("max_drawdown", r.test[m("max_drawdown")]),
            super::metric("trades", r.test[m("trades")])
        );
    }
    o.push_str("</table></section></main></body></html>\n");
    o
}
