//! `strata ta`'s output: named series per bar, streamed to one Parquet file a row group at a time.
//!
//! Design choice: the columns are encoded here, one by one, with polars' Parquet encoder called directly instead of
//! through a DataFrame writer. A feature column is a column of distinct floats, so it is written PLAIN and without
//! min/max statistics: a DataFrame writer first estimates every float column's cardinality for a dictionary that
//! never pays, and computes min/max nobody prunes feature row groups by — together about a third of the writer's
//! time. Nor are they compressed: Snappy found nothing to squeeze in feature floats (six over 1M bars made a file
//! of 53.94 MB either way) and took ~5 % of the command's CPU time. `ts` keeps its min/max (readers prune time
//! ranges by it) and is delta-encoded (`DELTA_BINARY_PACKED`, which every Parquet reader reads): regular bars make
//! ~1 KB of a 65,536-row group's timestamps, where Snappy over PLAIN spent more time for a ~6 MB larger file.
//! Every column keeps its null count.
//! Encoding runs on a writer thread fed by a bounded channel, so the engine computes the next batch meanwhile.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use polars::prelude::PolarsError;
use polars_arrow::array::{Array, PrimitiveArray};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::{ArrowDataType, ArrowSchema, Field};
use polars_parquet::read::ParquetError;
use polars_parquet::write::{
    CompressionOptions, Compressor, DynIter, DynStreamingIterator, Encoding, FallibleStreamingIterator, FileWriter,
    ParquetType, StatisticsOptions, Version, WriteOptions, array_to_columns, to_parquet_schema,
};

use super::{OutputError, io_err};

/// Rows per row group: small enough that the encoding left after the last bar is short.
pub(super) const SERIES_BATCH: usize = 1 << 16;

/// Writes named series per bar to one Parquet file (`ts` Int64 epoch ms, then one nullable Float64 column per
/// series, null where the value is undefined), staged under a hidden name and renamed into place on commit.
pub struct SeriesWriter {
    target: PathBuf,
    staging: PathBuf,
    ts: Vec<i64>,
    /// Values with NaN for undefined; nulls are made on the writer thread.
    columns: Vec<Vec<f64>>,
    sender: Option<std::sync::mpsc::SyncSender<SeriesBatch>>,
    /// Emptied buffers coming back from the writer thread, to be filled again (no fresh pages per batch).
    recycled: std::sync::mpsc::Receiver<SeriesBatch>,
    worker: Option<std::thread::JoinHandle<Result<(), OutputError>>>,
    committed: bool,
    rows: usize,
    /// Series written (the number of value columns).
    names: usize,
    /// Buffer sets made so far (at most three circulate).
    buffer_sets: usize,
}

/// One row group on its way to the writer thread.
struct SeriesBatch {
    ts: Vec<i64>,
    columns: Vec<Vec<f64>>,
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
        let encoder = Encoder::new(file, names).map_err(pq_err(&staging))?;
        let (sender, receiver) = std::sync::mpsc::sync_channel::<SeriesBatch>(1);
        let (giver, recycled) = std::sync::mpsc::sync_channel::<SeriesBatch>(2);
        let thread_path = staging.clone();
        let worker = std::thread::Builder::new()
            .name("series-writer".into())
            .spawn(move || write_series(encoder, receiver, giver, &thread_path))
            .map_err(io_err(&staging))?;
        Ok(Self {
            target: path.to_path_buf(),
            staging,
            ts: Vec::with_capacity(SERIES_BATCH),
            columns: vec![Vec::with_capacity(SERIES_BATCH); names.len()],
            sender: Some(sender),
            recycled,
            worker: Some(worker),
            committed: false,
            rows: 0,
            names: names.len(),
            buffer_sets: 1,
        })
    }

    /// Appends a run of bars: `ts[i]` with `columns[k][i]` for each series (NaN is written as null).
    pub fn push_rows(&mut self, ts: &[i64], columns: &[&[f64]]) -> Result<(), OutputError> {
        let mut start = 0;
        while start < ts.len() {
            let take = (SERIES_BATCH - self.ts.len()).min(ts.len() - start);
            let end = start + take;
            self.ts.extend_from_slice(&ts[start..end]);
            for (col, src) in self.columns.iter_mut().zip(columns) {
                col.extend_from_slice(src.get(start..end).unwrap_or(&[]));
            }
            self.rows += take;
            start = end;
            if self.ts.len() >= SERIES_BATCH {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Hands the buffered rows to the writer thread.
    fn flush(&mut self) -> Result<(), OutputError> {
        if self.ts.is_empty() {
            return Ok(());
        }
        let batch = SeriesBatch { ts: std::mem::take(&mut self.ts), columns: std::mem::take(&mut self.columns) };
        let sent = self.sender.as_ref().is_some_and(|s| s.send(batch).is_ok());
        if !sent {
            // The writer thread stopped: its error says why.
            return Err(self.join().err().unwrap_or_else(|| OutputError::Parquet {
                path: self.target.clone(),
                detail: "the writer stopped".into(),
            }));
        }
        // Three sets of buffers go round (filling here, queued, being written): once they exist, wait for one to
        // come back rather than allocate — fresh memory costs the kernel a page clear per 4 KiB touched.
        let recycled = if self.buffer_sets < 3 { self.recycled.try_recv().ok() } else { self.recycled.recv().ok() };
        let (ts, columns) = match recycled {
            Some(b) => (b.ts, b.columns),
            None => {
                self.buffer_sets += 1;
                (Vec::with_capacity(SERIES_BATCH), (0..self.names).map(|_| Vec::with_capacity(SERIES_BATCH)).collect())
            }
        };
        (self.ts, self.columns) = (ts, columns);
        Ok(())
    }

    /// Closes the channel and waits for the writer thread.
    fn join(&mut self) -> Result<(), OutputError> {
        self.sender = None;
        match self.worker.take().map(|w| w.join()) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(e))) => Err(e),
            Some(Err(_)) => {
                Err(OutputError::Parquet { path: self.target.clone(), detail: "the writer panicked".into() })
            }
        }
    }

    /// The run succeeded: finish the file and move it into place.
    pub fn commit(&mut self) -> Result<(), OutputError> {
        self.flush()?;
        self.join()?;
        fs::rename(&self.staging, &self.target).map_err(io_err(&self.target))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for SeriesWriter {
    fn drop(&mut self) {
        if !self.committed {
            let _ = self.join();
            let _ = fs::remove_file(&self.staging);
        }
    }
}

fn pq_err(path: &Path) -> impl FnOnce(PolarsError) -> OutputError + '_ {
    move |e| OutputError::Parquet { path: path.to_path_buf(), detail: e.to_string() }
}

/// The Parquet file being written: the column types and the options of `ts` and of the value columns.
struct Encoder {
    file: FileWriter<File>,
    types: Vec<ParquetType>,
    ts: WriteOptions,
    values: WriteOptions,
}

impl Encoder {
    fn new(file: File, names: &[String]) -> Result<Self, PolarsError> {
        let mut fields = vec![Field::new("ts".into(), ArrowDataType::Int64, true)];
        fields.extend(names.iter().map(|n| Field::new(n.as_str().into(), ArrowDataType::Float64, true)));
        let schema = ArrowSchema::from_iter(fields);
        let types = to_parquet_schema(&schema)?.fields().to_vec();
        let ts = WriteOptions {
            statistics: StatisticsOptions::default(),
            compression: CompressionOptions::Uncompressed,
            version: Version::V1,
            data_page_size: None,
        };
        let values = WriteOptions {
            statistics: StatisticsOptions {
                min_value: false,
                max_value: false,
                distinct_count: false,
                null_count: true,
                binary_statistics_truncate_length: None,
            },
            ..ts
        };
        Ok(Self { file: FileWriter::try_new(file, schema, ts)?, types, ts, values })
    }

    /// Writes one row group: `ts`, then each value column with its NaNs as nulls.
    fn write(&mut self, batch: &SeriesBatch) -> Result<(), PolarsError> {
        let mut arrays: Vec<(Box<dyn Array>, WriteOptions, Encoding)> = Vec::with_capacity(1 + batch.columns.len());
        arrays.push((PrimitiveArray::<i64>::from_slice(&batch.ts).boxed(), self.ts, Encoding::DeltaBinaryPacked));
        for values in &batch.columns {
            let validity = values
                .iter()
                .any(|v| v.is_nan())
                .then(|| Bitmap::from_trusted_len_iter(values.iter().map(|v| !v.is_nan())));
            let array = PrimitiveArray::<f64>::from_slice(values).with_validity(validity).boxed();
            arrays.push((array, self.values, Encoding::Plain));
        }
        let mut columns = Vec::with_capacity(arrays.len());
        for ((array, options, encoding), type_) in arrays.iter().zip(&self.types) {
            for pages in array_to_columns(array, type_.clone(), *options, &[*encoding])? {
                let pages = pages.map(|page| page.map_err(|e| ParquetError::FeatureNotSupported(e.to_string())));
                let compressed = Compressor::new_from_vec(pages, options.compression, Vec::new());
                columns.push(Ok(DynStreamingIterator::new(compressed.map_err(PolarsError::from))));
            }
        }
        self.file.write(batch.ts.len() as u64, DynIter::new(columns.into_iter()))
    }

    fn finish(mut self) -> Result<(), PolarsError> {
        self.file.end(None).map(|_| ())
    }
}

/// The writer thread: turns batches into row groups until the channel closes, then finishes the file.
fn write_series(
    mut encoder: Encoder,
    batches: std::sync::mpsc::Receiver<SeriesBatch>,
    recycle: std::sync::mpsc::SyncSender<SeriesBatch>,
    path: &Path,
) -> Result<(), OutputError> {
    for mut batch in batches {
        encoder.write(&batch).map_err(pq_err(path))?;
        batch.ts.clear();
        batch.columns.iter_mut().for_each(Vec::clear);
        // Nobody may be waiting for buffers any more; then they are simply dropped.
        let _ = recycle.try_send(batch);
    }
    encoder.finish().map_err(pq_err(path))
}
#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn series_rows_pushed_in_runs_cross_row_groups_intact() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.parquet");
        let n = 2 * SERIES_BATCH + 1234;
        let ts: Vec<i64> = (0..n as i64).collect();
        let a: Vec<f64> = (0..n).map(|i| if i % 7 == 0 { f64::NAN } else { i as f64 * 0.5 }).collect();
        let b: Vec<f64> = (0..n).map(|i| -(i as f64)).collect();
        let mut w = SeriesWriter::create(&path, &["a".into(), "b".into()]).expect("create");
        // Runs of odd sizes, straddling the row-group boundary.
        let mut start = 0;
        for size in [1usize, 999, SERIES_BATCH, 70_001].into_iter().cycle() {
            if start >= n {
                break;
            }
            let end = (start + size).min(n);
            w.push_rows(&ts[start..end], &[&a[start..end], &b[start..end]]).expect("push");
            start = end;
        }
        assert_eq!(w.rows(), n);
        w.commit().expect("commit");
        let df = ParquetReader::new(File::open(&path).expect("open")).finish().expect("read");
        assert_eq!(df.height(), n);
        let got_ts: Vec<i64> = df.column("ts").unwrap().i64().unwrap().into_no_null_iter().collect();
        assert_eq!(got_ts, ts);
        let got_a: Vec<Option<f64>> = df.column("a").unwrap().f64().unwrap().iter().collect();
        let want_a: Vec<Option<f64>> = a.iter().map(|v| (!v.is_nan()).then_some(*v)).collect();
        assert_eq!(got_a, want_a, "NaN written as null");
        let got_b: Vec<f64> = df.column("b").unwrap().f64().unwrap().into_no_null_iter().collect();
        assert_eq!(got_b, b);
    }
}
