//! Run outputs: `fills.parquet` and `equity.parquet`, written so that a failed run leaves nothing behind.
//!
//! Design choice: outputs are staged under hidden names in the output directory and renamed into place only when
//! the run has succeeded ([`Recorder::commit`]); on any error (or a drop without commit) the staged files are
//! removed, and so is the directory if this run created it. The equity curve is streamed to disk in row groups, so
//! recording a ten-million-bar run costs a bounded buffer, not the whole curve.
//!
//! Layout: `fills.parquet` — `ts` Int64 epoch ms (the bar the fill happened on), `side` String (`buy`/`sell`),
//! `qty`, `price`, `fee` Float64, `kind` String (`market`, `limit`, `stop`, `stop_limit`, `stop_loss`,
//! `take_profit`, `trail`), `order` Int64 (the order's sequence number; an attached exit's is its entry's);
//! `equity.parquet` — `ts` Int64 epoch ms, `equity` Float64 (marked at each close);
//! `trades.parquet` — `entry_ts`, `exit_ts` (null while open) Int64 epoch ms, `side` String (`long`/`short`), `qty`
//! (largest position), `entry_price`, `exit_price` (null while open), `pnl` (net of fees), `return` Float64,
//! `bars_held` Int64.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use thiserror::Error;

use crate::order::Fill;
use crate::portfolio::Trade;

mod series;
pub use series::SeriesWriter;

/// Equity rows buffered before a row group is written.
const EQUITY_BATCH: usize = 1 << 18;

#[derive(Debug, Error)]
pub enum OutputError {
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: writing Parquet failed: {detail}", .path.display())]
    Parquet { path: PathBuf, detail: String },
}

/// Receives a run's fills and equity curve.
pub trait Recorder {
    fn fill(&mut self, fill: &Fill) -> Result<(), OutputError>;
    fn equity(&mut self, ts: i64, equity: f64) -> Result<(), OutputError>;
    /// The run succeeded: make the outputs visible.
    fn commit(&mut self) -> Result<(), OutputError>;
}

/// Records nothing.
#[derive(Debug, Default)]
pub struct NoRecorder;

impl Recorder for NoRecorder {
    fn fill(&mut self, _: &Fill) -> Result<(), OutputError> {
        Ok(())
    }
    fn equity(&mut self, _: i64, _: f64) -> Result<(), OutputError> {
        Ok(())
    }
    fn commit(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// Writes `fills.parquet` and `equity.parquet` into a directory.
pub struct ParquetRecorder {
    dir: PathBuf,
    created_dir: bool,
    fills: Vec<Fill>,
    /// A universe run's: the symbol of each fill (an index into `symbols`), written as a `symbol` column.
    fill_symbols: Vec<usize>,
    symbols: Vec<String>,
    eq_ts: Vec<i64>,
    eq_val: Vec<f64>,
    equity_writer: Option<polars::io::parquet::write::BatchedWriter<File>>,
    staged: Vec<(PathBuf, PathBuf)>,
    committed: bool,
}

impl std::fmt::Debug for ParquetRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetRecorder").field("dir", &self.dir).finish_non_exhaustive()
    }
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io { path: path.to_path_buf(), source }
}

fn pq_err(path: &Path) -> impl FnOnce(PolarsError) -> OutputError + '_ {
    move |e| OutputError::Parquet { path: path.to_path_buf(), detail: e.to_string() }
}

impl ParquetRecorder {
    /// Prepares `dir` (created if missing) for a run's outputs.
    pub fn create(dir: &Path) -> Result<Self, OutputError> {
        let created_dir = !dir.exists();
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let mut rec = Self {
            dir: dir.to_path_buf(),
            created_dir,
            fills: Vec::new(),
            fill_symbols: Vec::new(),
            symbols: Vec::new(),
            eq_ts: Vec::with_capacity(EQUITY_BATCH),
            eq_val: Vec::with_capacity(EQUITY_BATCH),
            equity_writer: None,
            staged: Vec::new(),
            committed: false,
        };
        let staging = rec.stage("equity.parquet");
        let file = File::create(&staging).map_err(io_err(&staging))?;
        let schema = Schema::from_iter([
            Field::new("ts".into(), DataType::Int64),
            Field::new("equity".into(), DataType::Float64),
        ]);
        let writer = ParquetWriter::new(file).batched(&schema).map_err(pq_err(&staging))?;
        rec.equity_writer = Some(writer);
        Ok(rec)
    }

    fn stage(&mut self, name: &str) -> PathBuf {
        let staging = self.dir.join(format!(".{name}.partial"));
        self.staged.push((staging.clone(), self.dir.join(name)));
        staging
    }

    fn flush_equity(&mut self) -> Result<(), OutputError> {
        if self.eq_ts.is_empty() {
            return Ok(());
        }
        let path = self.dir.join("equity.parquet");
        let df = DataFrame::new_infer_height(vec![
            Column::new("ts".into(), std::mem::take(&mut self.eq_ts)),
            Column::new("equity".into(), std::mem::take(&mut self.eq_val)),
        ])
        .map_err(pq_err(&path))?;
        if let Some(w) = self.equity_writer.as_mut() {
            w.write_batch(&df).map_err(pq_err(&path))?;
        }
        self.eq_ts.reserve(EQUITY_BATCH);
        self.eq_val.reserve(EQUITY_BATCH);
        Ok(())
    }

    /// Stages another file (e.g. `summary.json`) to appear with the others on commit.
    pub fn attach(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), OutputError> {
        let staging = self.stage(name);
        fs::write(&staging, bytes).map_err(io_err(&staging))
    }

    /// Stages `trades.parquet`: the run's round trips, the still-open one last.
    pub fn attach_trades(&mut self, trades: &[Trade]) -> Result<(), OutputError> {
        let staging = self.stage("trades.parquet");
        let t = trades;
        let mut df = DataFrame::new_infer_height(vec![
            Column::new("entry_ts".into(), t.iter().map(|x| x.entry_ts).collect::<Vec<i64>>()),
            Column::new("exit_ts".into(), t.iter().map(|x| x.exit_ts).collect::<Vec<Option<i64>>>()),
            Column::new(
                "side".into(),
                t.iter().map(|x| if x.direction > 0.0 { "long" } else { "short" }).collect::<Vec<&str>>(),
            ),
            Column::new("qty".into(), t.iter().map(|x| x.max_qty).collect::<Vec<f64>>()),
            Column::new("entry_price".into(), t.iter().map(|x| x.entry_price).collect::<Vec<f64>>()),
            Column::new(
                "exit_price".into(),
                t.iter().map(|x| x.exit_price.is_finite().then_some(x.exit_price)).collect::<Vec<Option<f64>>>(),
            ),
            Column::new("pnl".into(), t.iter().map(|x| x.pnl).collect::<Vec<f64>>()),
            Column::new("return".into(), t.iter().map(|x| x.return_pct).collect::<Vec<f64>>()),
            Column::new("bars_held".into(), t.iter().map(|x| x.bars_held as i64).collect::<Vec<i64>>()),
        ])
        .map_err(pq_err(&staging))?;
        let file = File::create(&staging).map_err(io_err(&staging))?;
        ParquetWriter::new(file).finish(&mut df).map_err(pq_err(&staging))?;
        Ok(())
    }

    fn write_fills(&mut self) -> Result<(), OutputError> {
        let staging = self.stage("fills.parquet");
        let f = &self.fills;
        let mut cols = vec![Column::new("ts".into(), f.iter().map(|x| x.ts).collect::<Vec<i64>>())];
        if !self.symbols.is_empty() {
            let names: Vec<&str> =
                self.fill_symbols.iter().map(|&s| self.symbols.get(s).map_or("", String::as_str)).collect();
            cols.push(Column::new("symbol".into(), names));
        }
        cols.extend([
            Column::new("side".into(), f.iter().map(|x| x.side.name()).collect::<Vec<&str>>()),
            Column::new("qty".into(), f.iter().map(|x| x.qty).collect::<Vec<f64>>()),
            Column::new("price".into(), f.iter().map(|x| x.price).collect::<Vec<f64>>()),
            Column::new("fee".into(), f.iter().map(|x| x.fee).collect::<Vec<f64>>()),
            Column::new("kind".into(), f.iter().map(|x| x.kind.name()).collect::<Vec<&str>>()),
            Column::new("order".into(), f.iter().map(|x| x.order_seq as i64).collect::<Vec<i64>>()),
        ]);
        let mut df = DataFrame::new_infer_height(cols).map_err(pq_err(&staging))?;
        let file = File::create(&staging).map_err(io_err(&staging))?;
        ParquetWriter::new(file).finish(&mut df).map_err(pq_err(&staging))?;
        Ok(())
    }
}

impl ParquetRecorder {
    /// A universe run's recorder: fills carry a symbol ([`ParquetRecorder::symbol_fill`]), written as a `symbol`
    /// column after `ts`.
    pub fn with_symbols(mut self, symbols: Vec<String>) -> Self {
        self.symbols = symbols;
        self
    }

    /// A fill of symbol number `symbol` (of [`ParquetRecorder::with_symbols`]).
    pub fn symbol_fill(&mut self, symbol: usize, fill: &Fill) {
        self.fills.push(*fill);
        self.fill_symbols.push(symbol);
    }
}

impl Recorder for ParquetRecorder {
    fn fill(&mut self, fill: &Fill) -> Result<(), OutputError> {
        self.fills.push(*fill);
        Ok(())
    }

    #[inline]
    fn equity(&mut self, ts: i64, equity: f64) -> Result<(), OutputError> {
        self.eq_ts.push(ts);
        self.eq_val.push(equity);
        if self.eq_ts.len() >= EQUITY_BATCH {
            self.flush_equity()?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), OutputError> {
        self.flush_equity()?;
        if let Some(w) = self.equity_writer.take() {
            let path = self.dir.join("equity.parquet");
            w.finish().map_err(pq_err(&path))?;
        }
        self.write_fills()?;
        for (staging, target) in &self.staged {
            fs::rename(staging, target).map_err(io_err(target))?;
        }
        self.committed = true;
        Ok(())
    }
}

/// Writes an equity curve — `ts` Int64 epoch ms, `equity` Float64 — to `path` (staged, then renamed into place).
pub fn write_equity_curve(path: &Path, points: &[(i64, f64)]) -> Result<(), OutputError> {
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "equity".into());
    let staging = path.with_file_name(format!(".{file_name}.partial"));
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("ts".into(), points.iter().map(|p| p.0).collect::<Vec<i64>>()),
        Column::new("equity".into(), points.iter().map(|p| p.1).collect::<Vec<f64>>()),
    ])
    .map_err(pq_err(&staging))?;
    let file = File::create(&staging).map_err(io_err(&staging))?;
    ParquetWriter::new(file).finish(&mut df).map_err(pq_err(&staging))?;
    fs::rename(&staging, path).map_err(io_err(path))
}

/// Writes bars as canonical Parquet (`ts` Int64 epoch ms, `open`, `high`, `low`, `close` and, with `volume`,
/// `volume` Float64), staged under a hidden name and renamed into place, so a failure leaves any earlier file whole.
pub fn write_bars(path: &Path, bars: &[crate::bar::Bar], volume: bool) -> Result<(), OutputError> {
    let col =
        |name: &str, f: fn(&crate::bar::Bar) -> f64| Column::new(name.into(), bars.iter().map(f).collect::<Vec<f64>>());
    let mut cols = vec![
        Column::new("ts".into(), bars.iter().map(|b| b.ts).collect::<Vec<i64>>()),
        col("open", |b| b.open),
        col("high", |b| b.high),
        col("low", |b| b.low),
        col("close", |b| b.close),
    ];
    if volume {
        cols.push(col("volume", |b| b.volume));
    }
    write_staged(path, cols)
}

/// Writes `columns` as one Parquet file at `path`, staged under a hidden name and renamed into place, so a failure
/// leaves any earlier file whole (and no partial file behind).
fn write_staged(path: &Path, columns: Vec<Column>) -> Result<(), OutputError> {
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let staging = path.with_file_name(format!(".{file_name}.partial"));
    let mut df = DataFrame::new_infer_height(columns).map_err(pq_err(&staging))?;
    let file = File::create(&staging).map_err(io_err(&staging))?;
    let written = ParquetWriter::new(file).finish(&mut df).map_err(pq_err(&staging));
    if let Err(e) = written {
        let _ = fs::remove_file(&staging);
        return Err(e);
    }
    fs::rename(&staging, path).map_err(io_err(path))
}

/// Writes named series of a universe, one row per symbol's bar in the order run (`ts` Int64 epoch ms, `symbol`
/// String, then one nullable Float64 column per series), staged under a hidden name and renamed into place.
pub fn write_symbol_series(
    path: &Path,
    ts: &[i64],
    symbols: &[&str],
    names: &[String],
    columns: &[Vec<f64>],
) -> Result<(), OutputError> {
    let mut cols = vec![Column::new("ts".into(), ts), Column::new("symbol".into(), symbols)];
    for (name, values) in names.iter().zip(columns) {
        let ca: Float64Chunked = values.iter().map(|&v| (!v.is_nan()).then_some(v)).collect();
        cols.push(ca.with_name(name.as_str().into()).into_column());
    }
    write_staged(path, cols)
}

impl Drop for ParquetRecorder {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        self.equity_writer = None;
        for (staging, _) in &self.staged {
            let _ = fs::remove_file(staging);
        }
        if self.created_dir {
            // Only removes the directory if nothing else is in it.
            let _ = fs::remove_dir(&self.dir);
        }
    }
}
