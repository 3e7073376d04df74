//! Parquet bars via polars, read a bounded chunk at a time.
//!
//! Design choice: the file's metadata is read once; then each row group (split further when large) is read on its
//! own with a row slice, so peak memory is one chunk however long the file. Columns are found by name
//! (case-insensitive; `ts` also as `timestamp`, `time`, `date`, `datetime`, `open_time`) and converted once per
//! chunk: timestamps to epoch ms (Int64 is taken as ms; Datetime and Date columns are converted from their unit),
//! prices to f64. Each row then passes the shared bad-row policy ([`Cleaner`]).
//!
//! Decoding runs on a reader thread one chunk ahead of the consumer (a bounded channel, buffers recycled), so a
//! backtest's engine and its Parquet decoding overlap instead of taking turns.

use std::borrow::Cow;
use std::fs::File;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use polars::io::mmap::MmapBytesReader;
use polars::prelude::*;

use super::{BarSource, Cleaner, DataError, ReadOptions, RejectCounts};
use crate::bar::Bar;

/// Most rows read at once.
const CHUNK_ROWS: usize = 1 << 18;

const TS_NAMES: [&str; 6] = ["ts", "timestamp", "time", "date", "datetime", "open_time"];

/// Where the bytes are.
#[derive(Debug)]
enum Input {
    File(File),
    Bytes(&'static [u8]),
}

impl Input {
    fn reader(&self) -> std::io::Result<Box<dyn MmapBytesReader>> {
        Ok(match self {
            Input::File(f) => Box::new(f.try_clone()?),
            Input::Bytes(b) => Box::new(Cursor::new(*b)),
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum TsKind {
    Millis,
    Datetime(TimeUnit),
    Date,
}

/// The synchronous reader: opens and checks the file, then decodes and cleans one chunk at a time.
struct Reader {
    path: PathBuf,
    input: Input,
    metadata: polars::io::parquet::metadata::FileMetadataRef,
    ts: (String, TsKind),
    prices: [String; 4],
    volume: Option<String>,
    chunks: Vec<(usize, usize)>,
    next: usize,
    cleaner: Cleaner,
    kept: u64,
    range: (Option<i64>, Option<i64>),
}

impl ParquetBars {
    /// Opens a Parquet file and checks its columns; decoding starts in the background.
    pub fn open(path: &Path, options: ReadOptions) -> Result<Self, DataError> {
        Self::start(Reader::open(path, options)?)
    }

    /// Reads Parquet bytes held in memory (the bundled datasets); `label` names them in messages.
    pub fn from_static(label: &str, bytes: &'static [u8], options: ReadOptions) -> Result<Self, DataError> {
        Self::start(Reader::with_input(PathBuf::from(label), Input::Bytes(bytes), options)?)
    }

    fn start(mut reader: Reader) -> Result<Self, DataError> {
        let (tx, rx) = mpsc::sync_channel(1);
        let (recycle, recycled) = mpsc::channel::<Vec<Bar>>();
        let path = reader.path.clone();
        let has_volume = reader.volume.is_some();
        let total_rows = reader.metadata.num_rows;
        let worker = std::thread::Builder::new()
            .name("parquet-reader".into())
            .spawn(move || {
                loop {
                    let mut buf = recycled.try_recv().unwrap_or_default();
                    let msg = match reader.next_into(&mut buf) {
                        Ok(true) => Msg::Batch(buf, *reader.cleaner.counts()),
                        Ok(false) => Msg::End(*reader.cleaner.counts()),
                        Err(e) => Msg::Error(e),
                    };
                    let last = !matches!(msg, Msg::Batch(..));
                    if tx.send(msg).is_err() || last {
                        return;
                    }
                }
            })
            .map_err(|e| DataError::Io { path: path.clone(), source: e })?;
        Ok(Self {
            path,
            has_volume,
            total_rows,
            rx,
            recycle,
            current: Vec::new(),
            rejected: RejectCounts::default(),
            done: false,
            worker: Some(worker),
        })
    }

    /// The path (or label) being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rows in the file.
    pub fn total_rows(&self) -> usize {
        self.total_rows
    }
}

/// What the reader thread sends.
enum Msg {
    Batch(Vec<Bar>, RejectCounts),
    End(RejectCounts),
    Error(DataError),
}

/// Bars from a Parquet file, decoded one chunk ahead on a reader thread.
pub struct ParquetBars {
    path: PathBuf,
    has_volume: bool,
    total_rows: usize,
    rx: mpsc::Receiver<Msg>,
    recycle: mpsc::Sender<Vec<Bar>>,
    current: Vec<Bar>,
    rejected: RejectCounts,
    done: bool,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for ParquetBars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetBars").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Drop for ParquetBars {
    fn drop(&mut self) {
        // Closing the channel stops the reader after at most the chunk it is decoding.
        let (_, dead) = mpsc::sync_channel(0);
        drop(std::mem::replace(&mut self.rx, dead));
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

impl BarSource for ParquetBars {
    fn next_batch(&mut self) -> Result<Option<&[Bar]>, DataError> {
        if self.done {
            return Ok(None);
        }
        if self.current.capacity() > 0 {
            // Give the last batch's buffer back for reuse; if the reader has stopped, it is simply dropped.
            let _ = self.recycle.send(std::mem::take(&mut self.current));
        }
        match self.rx.recv() {
            Ok(Msg::Batch(bars, rejected)) => {
                self.current = bars;
                self.rejected = rejected;
                Ok(Some(&self.current))
            }
            Ok(Msg::End(rejected)) => {
                self.rejected = rejected;
                self.done = true;
                Ok(None)
            }
            Ok(Msg::Error(e)) => {
                self.done = true;
                Err(e)
            }
            Err(_) => {
                self.done = true;
                Err(DataError::Read {
                    path: self.path.clone(),
                    first: 0,
                    last: 0,
                    detail: "the reader thread stopped unexpectedly".into(),
                })
            }
        }
    }

    fn rejected(&self) -> RejectCounts {
        self.rejected
    }

    fn has_volume(&self) -> bool {
        self.has_volume
    }
}

impl Reader {
    fn open(path: &Path, options: ReadOptions) -> Result<Self, DataError> {
        let file = File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => DataError::NotFound { path: path.to_path_buf() },
            _ => DataError::Io { path: path.to_path_buf(), source: e },
        })?;
        if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return Err(DataError::NotParquet { path: path.to_path_buf(), detail: "it is a directory".into() });
        }
        Self::with_input(path.to_path_buf(), Input::File(file), options)
    }

    fn with_input(path: PathBuf, input: Input, options: ReadOptions) -> Result<Self, DataError> {
        let not_parquet = |detail: String| DataError::NotParquet { path: path.clone(), detail };
        let reader = input.reader().map_err(|e| DataError::Io { path: path.clone(), source: e })?;
        let (metadata, schema) = guarded(|| {
            let mut r = ParquetReader::new(reader);
            let md = r.get_metadata()?.clone();
            // From the footer alone: `finish()` on an empty slice would decode every column of the file.
            let schema = Schema::from_arrow_schema(r.schema()?.as_ref());
            Ok((md, schema))
        })
        .map_err(not_parquet)?;

        let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
        let found = || names.join(", ");
        let find = |wanted: &[&str]| -> Option<String> {
            wanted.iter().find_map(|w| names.iter().find(|n| n.eq_ignore_ascii_case(w)).cloned())
        };
        let missing =
            |column: &str| DataError::MissingColumn { path: path.clone(), column: column.into(), found: found() };
        let ts_name = find(&TS_NAMES).ok_or_else(|| missing("ts"))?;
        let ts_kind = match schema.get(ts_name.as_str()) {
            Some(DataType::Datetime(tu, _)) => TsKind::Datetime(*tu),
            Some(DataType::Date) => TsKind::Date,
            Some(t) if t.is_integer() => TsKind::Millis,
            Some(t) => {
                return Err(DataError::WrongType {
                    path,
                    column: ts_name,
                    found: t.to_string(),
                    expected: "Int64 epoch milliseconds, a Datetime or a Date",
                });
            }
            None => return Err(missing("ts")),
        };
        let mut prices: [String; 4] = Default::default();
        for (slot, want) in prices.iter_mut().zip(["open", "high", "low", "close"]) {
            let name = find(&[want]).ok_or_else(|| missing(want))?;
            check_numeric(&path, &schema, &name)?;
            *slot = name;
        }
        let volume = find(&["volume"]);
        if let Some(v) = &volume {
            check_numeric(&path, &schema, v)?;
        }
        if metadata.num_rows == 0 {
            return Err(DataError::Empty { path });
        }
        let mut chunks = Vec::new();
        let mut offset = 0usize;
        for rg in &metadata.row_groups {
            let mut left = rg.num_rows();
            while left > 0 {
                let n = left.min(CHUNK_ROWS);
                chunks.push((offset, n));
                offset += n;
                left -= n;
            }
        }
        let has_volume = volume.is_some();
        Ok(Self {
            path,
            input,
            metadata,
            ts: (ts_name, ts_kind),
            prices,
            volume,
            chunks,
            next: 0,
            cleaner: Cleaner::new(options.strict, options.from, options.to, has_volume),
            kept: 0,
            range: (options.from, options.to),
        })
    }

    /// Decodes rows `offset..offset + len` and appends the clean ones to `batch`; `columns_in_parallel` decodes the
    /// columns on polars' threads (not when the caller reads many files on threads of its own).
    fn read_chunk(
        &mut self,
        offset: usize,
        len: usize,
        batch: &mut Vec<Bar>,
        columns_in_parallel: bool,
    ) -> Result<(), DataError> {
        let mut columns = vec![self.ts.0.clone()];
        columns.extend(self.prices.iter().cloned());
        columns.extend(self.volume.iter().cloned());
        let read_err = |detail: String| DataError::Read {
            path: self.path.clone(),
            first: offset as u64 + 1,
            last: (offset + len) as u64,
            detail,
        };
        let reader = self.input.reader().map_err(|e| read_err(e.to_string()))?;
        let md = self.metadata.clone();
        let df = guarded(move || {
            let mut r = ParquetReader::new(reader);
            r.set_metadata(md);
            r.with_columns(Some(columns))
                .with_slice(Some((offset, len)))
                .read_parallel(if columns_in_parallel { ParallelStrategy::Columns } else { ParallelStrategy::None })
                .finish()
        })
        .map_err(read_err)?;
        if df.height() != len {
            return Err(read_err(format!("expected {len} rows, got {}", df.height())));
        }
        let err = |e: PolarsError| read_err(e.to_string());
        let (ts, ts_valid) = timestamps(&df, &self.ts.0, self.ts.1).map_err(err)?;
        let o = floats(&df, &self.prices[0]).map_err(err)?;
        let h = floats(&df, &self.prices[1]).map_err(err)?;
        let l = floats(&df, &self.prices[2]).map_err(err)?;
        let c = floats(&df, &self.prices[3]).map_err(err)?;
        let v = match &self.volume {
            Some(name) => Some(floats(&df, name).map_err(err)?),
            None => None,
        };
        let (o, h, l, c) = (&o[..len], &h[..len], &l[..len], &c[..len]);
        batch.reserve(len);
        for i in 0..len {
            let bar = Bar {
                ts: ts[i],
                open: o[i],
                high: h[i],
                low: l[i],
                close: c[i],
                volume: v.as_ref().map_or(f64::NAN, |v| v[i]),
            };
            let present = ts_valid.as_ref().is_none_or(|m| m[i]);
            let row = (offset + i) as u64 + 1;
            match self.cleaner.check(row, present.then_some(ts[i]), &bar) {
                Ok(true) => batch.push(bar),
                Ok(false) => {}
                Err(bad) => {
                    return Err(DataError::BadRow {
                        path: self.path.clone(),
                        row: bad.row,
                        reason: bad.reason,
                        column: bad.reason.column(),
                    });
                }
            }
        }
        Ok(())
    }

    fn end_of_data_error(&self) -> Option<DataError> {
        if self.kept > 0 {
            return None;
        }
        let counts = self.cleaner.counts();
        if counts.total() > 0 && counts.total() == self.metadata.num_rows as u64 {
            let detail = counts.nonzero().iter().map(|(r, n)| format!("{n} × {r}")).collect::<Vec<_>>().join(", ");
            let first = self.cleaner.first_bad().map(|b| format!("; first at row {}", b.row)).unwrap_or_default();
            return Some(DataError::NoValidRows { path: self.path.clone(), detail: format!("{detail}{first}") });
        }
        let show = |t: Option<i64>| t.map_or_else(|| "the start".to_string(), crate::time::format_ts);
        Some(DataError::NoBarsInRange {
            path: self.path.clone(),
            from: show(self.range.0),
            to: show(self.range.1).replace("the start", "the end"),
        })
    }
}

impl Reader {
    /// Decodes the next chunk with any bars left after cleaning into `batch`; false at the end of the file.
    fn next_into(&mut self, batch: &mut Vec<Bar>) -> Result<bool, DataError> {
        loop {
            let Some(&(offset, len)) = self.chunks.get(self.next) else {
                return match self.end_of_data_error() {
                    Some(e) => Err(e),
                    None => Ok(false),
                };
            };
            self.next += 1;
            batch.clear();
            self.read_chunk(offset, len, batch, true)?;
            if !batch.is_empty() {
                self.kept += batch.len() as u64;
                return Ok(true);
            }
        }
    }
}

fn check_numeric(path: &Path, schema: &Schema, name: &str) -> Result<(), DataError> {
    match schema.get(name) {
        Some(t) if t.is_primitive_numeric() => Ok(()),
        Some(t) => Err(DataError::WrongType {
            path: path.to_path_buf(),
            column: name.to_string(),
            found: t.to_string(),
            expected: "a number (Float64)",
        }),
        None => {
            Err(DataError::MissingColumn { path: path.to_path_buf(), column: name.to_string(), found: String::new() })
        }
    }
}

/// A numeric column as f64, nulls as NaN; borrowed from polars (no copy) when it already is one.
fn floats<'a>(df: &'a DataFrame, name: &str) -> PolarsResult<Cow<'a, [f64]>> {
    let s = df.column(name)?.as_materialized_series();
    if let Ok(ca) = s.f64()
        && ca.null_count() == 0
        && let Ok(slice) = ca.cont_slice()
    {
        return Ok(Cow::Borrowed(slice));
    }
    let cast = s.cast(&DataType::Float64)?;
    Ok(Cow::Owned(cast.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect()))
}

/// Epoch-ms timestamps of a chunk, and which rows have one (`None`: all of them).
type Timestamps<'a> = (Cow<'a, [i64]>, Option<Vec<bool>>);

/// The timestamp column as epoch milliseconds (borrowed when it already is Int64 ms without nulls), and which
/// rows have one (`None`: all of them).
fn timestamps<'a>(df: &'a DataFrame, name: &str, kind: TsKind) -> PolarsResult<Timestamps<'a>> {
    let s = df.column(name)?.as_materialized_series();
    if matches!(kind, TsKind::Millis)
        && let Ok(ca) = s.i64()
        && ca.null_count() == 0
        && let Ok(slice) = ca.cont_slice()
    {
        return Ok((Cow::Borrowed(slice), None));
    }
    let physical = s.to_physical_repr().cast(&DataType::Int64)?;
    let ca = physical.i64()?;
    let scale = |v: i64| -> i64 {
        match kind {
            TsKind::Millis | TsKind::Datetime(TimeUnit::Milliseconds) => v,
            TsKind::Datetime(TimeUnit::Microseconds) => v.div_euclid(1_000),
            TsKind::Datetime(TimeUnit::Nanoseconds) => v.div_euclid(1_000_000),
            TsKind::Date => v.saturating_mul(crate::time::DAY_MS),
        }
    };
    let values = ca.iter().map(|v| v.map_or(0, scale)).collect();
    let valid = (ca.null_count() > 0).then(|| ca.iter().map(|v| v.is_some()).collect());
    Ok((Cow::Owned(values), valid))
}

/// Every clean bar of a Parquet file, read on the calling thread alone straight into one vector sized for the file (no
/// reader thread, no batches: for reading many files, as a universe does), with the rows the policy dropped and
/// whether the bars carry volume.
pub fn read_bars(path: &Path, options: ReadOptions) -> Result<(Vec<Bar>, RejectCounts, bool), DataError> {
    let mut reader = Reader::open(path, options)?;
    let mut out = Vec::with_capacity(reader.metadata.num_rows);
    while let Some(&(offset, len)) = reader.chunks.get(reader.next) {
        reader.next += 1;
        let before = out.len();
        reader.read_chunk(offset, len, &mut out, false)?;
        reader.kept += (out.len() - before) as u64;
    }
    if let Some(e) = reader.end_of_data_error() {
        return Err(e);
    }
    Ok((out, *reader.cleaner.counts(), reader.volume.is_some()))
}

/// Names a universe file's symbol column may have.
const SYMBOL_NAMES: [&str; 3] = ["symbol", "ticker", "instrument"];

/// True when the Parquet file at `path` has a symbol column (`symbol`, `ticker` or `instrument`): a universe.
pub fn has_symbol_column(path: &Path) -> bool {
    let Ok(file) = File::open(path) else { return false };
    let schema = guarded(|| ParquetReader::new(file).schema().map(|s| Schema::from_arrow_schema(s.as_ref())));
    schema.is_ok_and(|s| s.iter_names().any(|n| SYMBOL_NAMES.iter().any(|w| n.eq_ignore_ascii_case(w))))
}

/// One symbol's bars in a universe file, with the rows the bad-row policy dropped.
#[derive(Debug, Clone)]
pub struct SymbolBars {
    pub symbol: String,
    pub bars: Vec<Bar>,
    pub rejected: RejectCounts,
}

/// Reads a universe file: bars of many symbols in one table with a symbol column. Each symbol's rows must be in
/// time order (the file may interleave symbols in any way); a row at or before its symbol's previous one is an error
/// naming the symbol and the row. Other bad rows follow the bad-row policy per symbol. Symbols come out sorted.
pub fn read_universe(path: &Path, options: ReadOptions) -> Result<(Vec<SymbolBars>, bool), DataError> {
    let reader = Reader::open(path, options)?;
    let not_parquet = |detail: String| DataError::NotParquet { path: path.to_path_buf(), detail };
    let file = File::open(path).map_err(|e| DataError::Io { path: path.to_path_buf(), source: e })?;
    let df = guarded(|| ParquetReader::new(file).finish()).map_err(not_parquet)?;
    let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    let symbol_col =
        SYMBOL_NAMES.iter().find_map(|w| names.iter().find(|n| n.eq_ignore_ascii_case(w))).ok_or_else(|| {
            DataError::MissingColumn { path: path.to_path_buf(), column: "symbol".into(), found: names.join(", ") }
        })?;
    let read_err = |e: PolarsError| DataError::Read {
        path: path.to_path_buf(),
        first: 1,
        last: df.height() as u64,
        detail: e.to_string(),
    };
    let symbols = df.column(symbol_col).and_then(|c| c.cast(&DataType::String)).map_err(read_err)?;
    let symbols = symbols.str().map_err(read_err)?;
    let (ts, ts_valid) = timestamps(&df, &reader.ts.0, reader.ts.1).map_err(read_err)?;
    let [o, h, l, c] = [0, 1, 2, 3].map(|k| floats(&df, &reader.prices[k]));
    let (o, h, l, c) = (o.map_err(read_err)?, h.map_err(read_err)?, l.map_err(read_err)?, c.map_err(read_err)?);
    let v = reader.volume.as_ref().map(|name| floats(&df, name)).transpose().map_err(read_err)?;
    let has_volume = v.is_some();
    let mut by_symbol: std::collections::BTreeMap<String, (Vec<Bar>, Cleaner)> = std::collections::BTreeMap::new();
    for i in 0..df.height() {
        let row = i as u64 + 1;
        let Some(symbol) = symbols.get(i).map(str::trim).filter(|s| !s.is_empty()) else {
            return Err(DataError::BadTrade { path: path.to_path_buf(), row, detail: "no symbol".into() });
        };
        let (bars, cleaner) = by_symbol
            .entry(symbol.to_string())
            .or_insert_with(|| (Vec::new(), Cleaner::new(options.strict, options.from, options.to, has_volume)));
        let bar = Bar {
            ts: ts[i],
            open: o[i],
            high: h[i],
            low: l[i],
            close: c[i],
            volume: v.as_ref().map_or(f64::NAN, |v| v[i]),
        };
        let present = ts_valid.as_ref().is_none_or(|m| m[i]);
        if present && bars.last().is_some_and(|last| bar.ts <= last.ts) {
            let prev = bars.last().map_or(0, |b| b.ts);
            return Err(DataError::UniverseOrder {
                path: path.to_path_buf(),
                symbol: symbol.to_string(),
                row,
                detail: format!(
                    "{} is not after the symbol's previous row at {}",
                    crate::time::format_ts(bar.ts),
                    crate::time::format_ts(prev)
                ),
            });
        }
        match cleaner.check(row, present.then_some(bar.ts), &bar) {
            Ok(true) => bars.push(bar),
            Ok(false) => {}
            Err(bad) => {
                return Err(DataError::BadRow {
                    path: path.to_path_buf(),
                    row: bad.row,
                    reason: bad.reason,
                    column: bad.reason.column(),
                });
            }
        }
    }
    let out = by_symbol
        .into_iter()
        .map(|(symbol, (bars, cleaner))| SymbolBars { symbol, bars, rejected: *cleaner.counts() })
        .collect();
    Ok((out, has_volume))
}

/// Quantity columns a trades file may have, in the order they are looked for.
const QTY_NAMES: [&str; 4] = ["qty", "quantity", "amount", "size"];

/// The trades of a Parquet file as `(ts, price)`, in file order: a time column (as for bars), `price`, and
/// optionally a quantity (`qty`, `quantity`, `amount` or `size`), which must not be negative. Timestamps must not go
/// back; each problem names the file and the row (from 1).
pub fn read_trade_prices(path: &Path) -> Result<Vec<(i64, f64)>, DataError> {
    Ok(read_trades(path)?.trades.into_iter().map(|(t, p, _)| (t, p)).collect())
}

/// Trades read from a file: `(ts, price, qty)` (qty 0 when the file has no quantity column).
#[derive(Debug, Clone)]
pub struct Trades {
    pub trades: Vec<(i64, f64, f64)>,
    pub has_qty: bool,
}

/// [`read_trade_prices`] with the quantities.
pub fn read_trades(path: &Path) -> Result<Trades, DataError> {
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DataError::NotFound { path: path.to_path_buf() },
        _ => DataError::Io { path: path.to_path_buf(), source: e },
    })?;
    let not_parquet = |detail: String| DataError::NotParquet { path: path.to_path_buf(), detail };
    // The columns are found from the footer alone, so a bar file (no `price`) is turned away without decoding it.
    let mut reader = ParquetReader::new(file);
    let schema = guarded(|| reader.schema().map(|s| Schema::from_arrow_schema(s.as_ref()))).map_err(not_parquet)?;
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    let find = |wanted: &[&str]| wanted.iter().find_map(|w| names.iter().find(|n| n.eq_ignore_ascii_case(w)).cloned());
    let missing = |column: &str| DataError::MissingColumn {
        path: path.to_path_buf(),
        column: column.into(),
        found: names.join(", "),
    };
    let ts_name = find(&TS_NAMES).ok_or_else(|| missing("ts"))?;
    let price_name = find(&["price"]).ok_or_else(|| missing("price"))?;
    let kind = match schema.get(ts_name.as_str()) {
        Some(DataType::Datetime(tu, _)) => TsKind::Datetime(*tu),
        Some(DataType::Date) => TsKind::Date,
        Some(t) if t.is_integer() => TsKind::Millis,
        Some(t) => {
            return Err(DataError::WrongType {
                path: path.to_path_buf(),
                column: ts_name,
                found: t.to_string(),
                expected: "Int64 epoch milliseconds, a Datetime or a Date",
            });
        }
        None => return Err(missing("ts")),
    };
    let qty_name = find(&QTY_NAMES);
    let mut columns = vec![ts_name.clone(), price_name.clone()];
    columns.extend(qty_name.iter().cloned());
    let df = guarded(move || reader.with_columns(Some(columns)).finish()).map_err(not_parquet)?;
    let read =
        |detail: String| DataError::Read { path: path.to_path_buf(), first: 1, last: df.height() as u64, detail };
    let (ts, valid) = timestamps(&df, &ts_name, kind).map_err(|e| read(e.to_string()))?;
    let prices = floats(&df, &price_name).map_err(|e| read(e.to_string()))?;
    let qty = match qty_name {
        Some(q) => Some(floats(&df, &q).map_err(|e| read(e.to_string()))?),
        None => None,
    };
    let bad =
        |row: usize, detail: String| DataError::BadTrade { path: path.to_path_buf(), row: row as u64 + 1, detail };
    let mut out = Vec::with_capacity(df.height());
    for (i, (&t, &p)) in ts.iter().zip(prices.iter()).enumerate() {
        if valid.as_ref().is_some_and(|v| !v.get(i).copied().unwrap_or(false)) {
            return Err(bad(i, format!("no timestamp (column {ts_name})")));
        }
        if !(p.is_finite() && p > 0.0) {
            return Err(bad(i, format!("price {} is not a positive number", crate::fmt_num(p))));
        }
        if let Some(q) = qty.as_ref().and_then(|q| q.get(i)).filter(|q| q.is_nan() || **q < 0.0) {
            return Err(bad(i, format!("quantity {} is negative or not a number", crate::fmt_num(*q))));
        }
        if let Some(&(prev, _, _)) = out.last()
            && t < prev
        {
            return Err(bad(
                i,
                format!(
                    "timestamp {} is before the previous row's {}: trades must be sorted by time",
                    crate::time::format_ts(t),
                    crate::time::format_ts(prev)
                ),
            ));
        }
        out.push((t, p, qty.as_ref().and_then(|q| q.get(i).copied()).unwrap_or(0.0)));
    }
    if out.is_empty() {
        return Err(DataError::Empty { path: path.to_path_buf() });
    }
    Ok(Trades { trades: out, has_qty: qty.is_some() })
}

/// Runs a polars call, turning both its errors and any panic inside it into a message.
fn guarded<T>(f: impl FnOnce() -> PolarsResult<T>) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(first_line(&e.to_string())),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown failure".into());
            Err(format!("the Parquet decoder failed: {}", first_line(&msg)))
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}
