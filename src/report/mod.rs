//! The HTML report of a run (`strata backtest --report DIR`, `strata report RUN_DIR`): metrics, the equity curve
//! over its drawdown, the distribution of trade returns, monthly and yearly returns, a weekday × hour heatmap and
//! the trade list, in one file that works offline.
//!
//! Design choice: the report is drawn from a run directory's files ([`strata_runtime::run_dir`]), never from a run in
//! memory, and its charts are inline SVG drawn here ([`svg`]) — no chart library, no CDN — so the same run always
//! renders to the same bytes, anywhere, forever.

pub mod calendar;
pub mod page;
pub mod svg;
pub mod sweep;
pub mod walkforward;

use std::path::{Path, PathBuf};

pub use page::money;
use strata_runtime::run_dir::{self, RunDirError};

/// A metric of a sweep or a walk-forward row as a report shows it: fractions as percent, counts whole, ratios to
/// three decimals, `n/a` when undefined.
pub fn metric(name: &str, v: f64) -> String {
    if v.is_nan() {
        "n/a".into()
    } else if matches!(
        name,
        "total_return"
            | "cagr"
            | "volatility"
            | "max_drawdown"
            | "win_rate"
            | "avg_trade_return"
            | "exposure"
            | "probabilistic_sharpe"
    ) {
        format!("{:.2}%", v * 100.0)
    } else if matches!(name, "trades" | "max_drawdown_bars") {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Run(#[from] RunDirError),
    #[error("{}: {source}", .path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// Renders the run in `run_dir` to `out_dir/report.html` (written under a temporary name, then renamed, so a
/// failure never leaves half a page). Returns the page's path.
pub fn write(run_dir: &Path, out_dir: &Path) -> Result<PathBuf, ReportError> {
    let run = run_dir::read(run_dir)?;
    let html = page::render(&run);
    std::fs::create_dir_all(out_dir).map_err(|source| ReportError::Write { path: out_dir.to_path_buf(), source })?;
    let path = out_dir.join("report.html");
    let staging = out_dir.join(".report.html.partial");
    std::fs::write(&staging, html).map_err(|source| ReportError::Write { path: staging.clone(), source })?;
    std::fs::rename(&staging, &path).map_err(|source| ReportError::Write { path: path.clone(), source })?;
    Ok(path)
}
