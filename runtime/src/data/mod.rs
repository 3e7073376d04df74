//! Market data in: bar sources, the bad-row policy, and the Parquet reader.
//!
//! Design choice: a source hands the engine *batches* of clean bars ([`BarSource`]), so a file is read a bounded
//! chunk at a time (memory stays flat however long the history) while the engine still sees one bar at a time.

pub mod aggregate;
pub mod clean;
pub mod import;
pub mod parquet;
pub mod universe;

use std::path::PathBuf;

use thiserror::Error;

use crate::bar::Bar;
pub use clean::{Cleaner, Reason, RejectCounts};

/// Where bars come from, a batch at a time.
pub trait BarSource {
    /// The next batch of clean bars, or `None` at the end.
    fn next_batch(&mut self) -> Result<Option<&[Bar]>, DataError>;

    /// Rows rejected so far by the bad-row policy.
    fn rejected(&self) -> RejectCounts;

    /// Whether the bars carry volume.
    fn has_volume(&self) -> bool;
}

/// Why market data could not be read.
#[derive(Debug, Error)]
pub enum DataError {
    #[error("{}: no such file", .path.display())]
    NotFound { path: PathBuf },
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: not a readable Parquet file ({detail})", .path.display())]
    NotParquet { path: PathBuf, detail: String },
    #[error("{}: missing column '{column}' (the file has: {found})", .path.display())]
    MissingColumn { path: PathBuf, column: String, found: String },
    #[error("{}: column '{column}' has type {found}, expected {expected}", .path.display())]
    WrongType { path: PathBuf, column: String, found: String, expected: &'static str },
    #[error("{}: the file has no rows", .path.display())]
    Empty { path: PathBuf },
    #[error("{}: no bars between {from} and {to}", .path.display())]
    NoBarsInRange { path: PathBuf, from: String, to: String },
    #[error("{}: every row was rejected ({detail})", .path.display())]
    NoValidRows { path: PathBuf, detail: String },
    #[error("{}: row {row}: {reason} (column {column}); rejected under --strict", .path.display())]
    BadRow { path: PathBuf, row: u64, reason: Reason, column: &'static str },
    #[error("{}: reading failed at rows {first}..{last}: {detail}", .path.display())]
    Read { path: PathBuf, first: u64, last: u64, detail: String },
    #[error("{}: the strategy reads volume, but the data has no volume column", .path.display())]
    NoVolume { path: PathBuf },
    #[error("{}: row {row}: {detail}", .path.display())]
    BadTrade { path: PathBuf, row: u64, detail: String },
    /// A universe's rows of one symbol out of time order.
    #[error(
        "{}: symbol {symbol}, row {row}: {detail}; each symbol's rows must be in time order (sort by symbol, then ts)",
        .path.display()
    )]
    UniverseOrder { path: PathBuf, symbol: String, row: u64, detail: String },
    /// A symbol asked for that the data does not have.
    #[error("{}: no symbol '{symbol}'{detail}", .path.display())]
    UnknownSymbol { path: PathBuf, symbol: String, detail: String },
}

/// Options every bar source honours.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// Fail on the first bad row instead of dropping it.
    pub strict: bool,
    /// Inclusive lower bound, epoch ms.
    pub from: Option<i64>,
    /// Inclusive upper bound, epoch ms.
    pub to: Option<i64>,
}

/// An in-memory bar source (tests, embedding, live warm-up).
#[derive(Debug, Clone)]
pub struct VecSource {
    bars: Vec<Bar>,
    done: bool,
    has_volume: bool,
}

impl VecSource {
    pub fn new(bars: Vec<Bar>) -> Self {
        let has_volume = bars.iter().all(|b| !b.volume.is_nan());
        Self { bars, done: false, has_volume }
    }
}

impl BarSource for VecSource {
    fn next_batch(&mut self) -> Result<Option<&[Bar]>, DataError> {
        if self.done {
            return Ok(None);
        }
        self.done = true;
        Ok(Some(&self.bars))
    }

    fn rejected(&self) -> RejectCounts {
        RejectCounts::default()
    }

    fn has_volume(&self) -> bool {
        self.has_volume
    }
}

/// The smallest positive step between consecutive timestamps: the bar interval of data with gaps.
pub fn smallest_step(ts: &[i64]) -> Option<i64> {
    ts.windows(2).map(|w| w[1] - w[0]).filter(|d| *d > 0).min()
}
