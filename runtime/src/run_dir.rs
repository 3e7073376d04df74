//! Reading back a run's output directory (`--out`): its summary, equity curve and trades — what `strata report`
//! renders.
//!
//! Design choice: a report is made from the files a run wrote, never from the run in memory, so `strata backtest
//! --report` and a later `strata report RUN_DIR` draw the same page from the same bytes. Every problem names the
//! file and, for a column, the column.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum RunDirError {
    #[error("{}: not found — is this a run directory written by `strata backtest --out`?", .path.display())]
    Missing { path: PathBuf },
    #[error("{}: {detail}", .path.display())]
    Read { path: PathBuf, detail: String },
    #[error("{}: column '{column}': {detail}", .path.display())]
    Column { path: PathBuf, column: String, detail: String },
}

/// One round trip, as `trades.parquet` holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeRow {
    pub entry_ts: i64,
    /// `None` while still open at the end of the run.
    pub exit_ts: Option<i64>,
    pub long: bool,
    pub qty: f64,
    pub entry_price: f64,
    pub exit_price: Option<f64>,
    pub pnl: f64,
    pub ret: f64,
    pub bars_held: i64,
}

/// A run's outputs.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub dir: PathBuf,
    /// `summary.json` as written (the fields of [`crate::metrics::Summary`]).
    pub summary: serde_json::Map<String, serde_json::Value>,
    /// `equity.parquet`: (epoch ms, equity) at each bar's close.
    pub equity: Vec<(i64, f64)>,
    pub trades: Vec<TradeRow>,
}

/// Reads `summary.json`, `equity.parquet` and `trades.parquet` from `dir`.
pub fn read(dir: &Path) -> Result<RunDir, RunDirError> {
    let path = dir.join("summary.json");
    let text = std::fs::read(&path).map_err(|e| missing_or(&path, e))?;
    let summary = match serde_json::from_slice::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(m)) => m,
        Ok(_) => return Err(RunDirError::Read { path, detail: "expected a JSON object".into() }),
        Err(e) => return Err(RunDirError::Read { path, detail: e.to_string() }),
    };
    let path = dir.join("equity.parquet");
    let df = frame(&path)?;
    let ts = ints(&df, &path, "ts")?;
    let eq = floats(&df, &path, "equity")?;
    let equity = ts
        .into_iter()
        .zip(eq)
        .map(|(t, e)| match (t, e) {
            (Some(t), Some(e)) => Ok((t, e)),
            _ => {
                Err(RunDirError::Column { path: path.clone(), column: "ts/equity".into(), detail: "null value".into() })
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let path = dir.join("trades.parquet");
    let df = frame(&path)?;
    let entry_ts = ints(&df, &path, "entry_ts")?;
    let exit_ts = ints(&df, &path, "exit_ts")?;
    let side = df
        .column("side")
        .and_then(|c| c.str().map(|s| s.iter().map(|v| v.map(str::to_string)).collect::<Vec<_>>()))
        .map_err(|e| col_err(&path, "side", e))?;
    let qty = floats(&df, &path, "qty")?;
    let entry_price = floats(&df, &path, "entry_price")?;
    let exit_price = floats(&df, &path, "exit_price")?;
    let pnl = floats(&df, &path, "pnl")?;
    let ret = floats(&df, &path, "return")?;
    let bars = ints(&df, &path, "bars_held")?;
    let mut trades = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let bad = |column: &str| RunDirError::Column {
            path: path.clone(),
            column: column.into(),
            detail: format!("null or invalid value in row {i}"),
        };
        trades.push(TradeRow {
            entry_ts: entry_ts[i].ok_or_else(|| bad("entry_ts"))?,
            exit_ts: exit_ts[i],
            long: match side[i].as_deref() {
                Some("long") => true,
                Some("short") => false,
                _ => return Err(bad("side")),
            },
            qty: qty[i].ok_or_else(|| bad("qty"))?,
            entry_price: entry_price[i].ok_or_else(|| bad("entry_price"))?,
            exit_price: exit_price[i],
            pnl: pnl[i].ok_or_else(|| bad("pnl"))?,
            ret: ret[i].ok_or_else(|| bad("return"))?,
            bars_held: bars[i].ok_or_else(|| bad("bars_held"))?,
        });
    }
    Ok(RunDir { dir: dir.to_path_buf(), summary, equity, trades })
}

fn missing_or(path: &Path, e: std::io::Error) -> RunDirError {
    if e.kind() == std::io::ErrorKind::NotFound {
        RunDirError::Missing { path: path.to_path_buf() }
    } else {
        RunDirError::Read { path: path.to_path_buf(), detail: e.to_string() }
    }
}

fn frame(path: &Path) -> Result<DataFrame, RunDirError> {
    let file = File::open(path).map_err(|e| missing_or(path, e))?;
    ParquetReader::new(file).finish().map_err(|e| RunDirError::Read {
        path: path.to_path_buf(),
        detail: format!("not a readable Parquet file: {e}"),
    })
}

fn col_err(path: &Path, column: &str, e: PolarsError) -> RunDirError {
    RunDirError::Column { path: path.to_path_buf(), column: column.into(), detail: e.to_string() }
}

fn ints(df: &DataFrame, path: &Path, column: &str) -> Result<Vec<Option<i64>>, RunDirError> {
    df.column(column).and_then(|c| c.i64().map(|a| a.iter().collect())).map_err(|e| col_err(path, column, e))
}

fn floats(df: &DataFrame, path: &Path, column: &str) -> Result<Vec<Option<f64>>, RunDirError> {
    df.column(column).and_then(|c| c.f64().map(|a| a.iter().collect())).map_err(|e| col_err(path, column, e))
}
