//! Run outputs: `fills.parquet` and `equity.parquet`, written so that a failed run leaves nothing behind.
//!
//! Design choice: outputs are staged under hidden names in the output directory and renamed into place only when
//! the run has succeeded ([`Recorder::commit`]); on any error (or a drop without commit) the staged files are
//! removed, and so is the directory if this run created it. The equity curve is streamed to disk in row groups, so
//! recording a ten-million-bar run costs a bounded buffer, not the whole curve.
//!
//! Layout: `fills.parquet` — `ts` Int64 epoch ms (the bar the fill happened on), `side` String (`buy`/`sell`),
//! `qty`, `price`, `fee` Float64; `equity.parquet` — `ts` Int64 epoch ms, `equity` Float64 (marked at each close).

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use thiserror::Error;

use crate::order::Fill;

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

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
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

    fn write_fills(&mut self) -> Result<(), OutputError> {
        let staging = self.stage("fills.parquet");
        let f = &self.fills;
        let mut df = DataFrame::new_infer_height(vec![
            Column::new("ts".into(), f.iter().map(|x| x.ts).collect::<Vec<i64>>()),
            Column::new("side".into(), f.iter().map(|x| x.side.name()).collect::<Vec<&str>>()),
            Column::new("qty".into(), f.iter().map(|x| x.qty).collect::<Vec<f64>>()),
            Column::new("price".into(), f.iter().map(|x| x.price).collect::<Vec<f64>>()),
            Column::new("fee".into(), f.iter().map(|x| x.fee).collect::<Vec<f64>>()),
        ])
        .map_err(pq_err(&staging))?;
        let file = File::create(&staging).map_err(io_err(&staging))?;
        ParquetWriter::new(file).finish(&mut df).map_err(pq_err(&staging))?;
        Ok(())
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

/// Writes named series per bar to one Parquet file (`ts` Int64 epoch ms, then one nullable Float64 column per
/// series, null where the value is undefined), staged under a hidden name and renamed into place on commit.
pub struct SeriesWriter {
    target: PathBuf,
    staging: PathBuf,
    names: Vec<String>,
    ts: Vec<i64>,
    /// Values with NaN for undefined; nulls are made at flush.
    columns: Vec<Vec<f64>>,
    writer: Option<polars::io::parquet::write::BatchedWriter<File>>,
    committed: bool,
    rows: usize,
}

impl std::fmt::Debug for SeriesWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeriesWriter").field("target", &self.target).finish_non_exhaustive()
    }
}

impl SeriesWriter {
    /// Prepares `path` for series called `names`; the parent directory must exist.
    pub fn create(path: &Path, names: &[String]) -> Result<Self, OutputError> {
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
        let staging = path.with_file_name(format!(".{file_name}.partial"));
        let file = File::create(&staging).map_err(io_err(&staging))?;
        let mut fields = vec![Field::new("ts".into(), DataType::Int64)];
        fields.extend(names.iter().map(|n| Field::new(n.as_str().into(), DataType::Float64)));
        let schema = Schema::from_iter(fields);
        let writer = ParquetWriter::new(file)
            .with_compression(ParquetCompression::Snappy)
            .batched(&schema)
            .map_err(pq_err(&staging))?;
        Ok(Self {
            target: path.to_path_buf(),
            staging,
            names: names.to_vec(),
            ts: Vec::with_capacity(EQUITY_BATCH),
            columns: vec![Vec::with_capacity(EQUITY_BATCH); names.len()],
            writer: Some(writer),
            committed: false,
            rows: 0,
        })
    }

    /// Appends one bar's values (NaN is written as null).
    #[inline]
    pub fn push(&mut self, ts: i64, values: &[f64]) -> Result<(), OutputError> {
        self.ts.push(ts);
        for (col, &v) in self.columns.iter_mut().zip(values) {
            col.push(v);
        }
        self.rows += 1;
        if self.ts.len() >= EQUITY_BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    fn flush(&mut self) -> Result<(), OutputError> {
        if self.ts.is_empty() {
            return Ok(());
        }
        let mut cols = vec![Column::new("ts".into(), std::mem::take(&mut self.ts))];
        for (name, col) in self.names.iter().zip(self.columns.iter_mut()) {
            let values = std::mem::take(col);
            let has_nan = values.iter().any(|v| v.is_nan());
            let mut ca = Float64Chunked::from_vec(name.as_str().into(), values);
            if has_nan {
                ca = ca.set(&ca.is_nan(), None).map_err(pq_err(&self.target))?;
            }
            cols.push(ca.into_column());
            col.reserve(EQUITY_BATCH);
        }
        let df = DataFrame::new_infer_height(cols).map_err(pq_err(&self.target))?;
        if let Some(w) = self.writer.as_mut() {
            w.write_batch(&df).map_err(pq_err(&self.target))?;
        }
        Ok(())
    }

    /// The run succeeded: finish the file and move it into place.
    pub fn commit(&mut self) -> Result<(), OutputError> {
        self.flush()?;
        if let Some(w) = self.writer.take() {
            w.finish().map_err(pq_err(&self.target))?;
        }
        fs::rename(&self.staging, &self.target).map_err(io_err(&self.target))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for SeriesWriter {
    fn drop(&mut self) {
        if !self.committed {
            self.writer = None;
            let _ = fs::remove_file(&self.staging);
        }
    }
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
