//! `strata report RUN_DIR`: the HTML report of an earlier run's outputs.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A run directory written by `strata backtest --out` (summary.json, equity.parquet, trades.parquet).
    pub run_dir: PathBuf,
    /// Write report.html here instead of into the run directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let out = a.out.as_deref().unwrap_or(&a.run_dir);
    let page = crate::report::write(&a.run_dir, out)?;
    println!("{}", page.display());
    Ok(ExitCode::SUCCESS)
}
