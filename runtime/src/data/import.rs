//! `strata data import`: bars in the layouts data arrives in — Yahoo CSV, timestamped CSV with or without volume,
//! gzip, JSON kline arrays, Feather (Arrow IPC), Parquet — read into the canonical rows (`ts` epoch ms UTC, open,
//! high, low, close, and volume when the source has any).
//!
//! Design choice: the format is recognised from the bytes (gzip and Arrow magic numbers, a leading `[`, Parquet's
//! `PAR1`), not from the file name, and every value is parsed strictly: a row that cannot be read is an error naming
//! the file, the line and the column (or, with `skip_bad`, a counted omission) — an import never guesses silently.

use std::io::Read;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use thiserror::Error;

use crate::bar::Bar;
use crate::time::days_from_civil;

/// Why a file could not be imported.
#[derive(Debug, Error)]
pub enum ImportError {
    #[error("{}: no such file", .path.display())]
    NotFound { path: PathBuf },
    #[error("{}: {detail}", .path.display())]
    Unreadable { path: PathBuf, detail: String },
    #[error("{}:{line}: {detail}", .path.display())]
    BadRow { path: PathBuf, line: usize, detail: String },
    #[error("{}: no column for {what} (the file has: {found})", .path.display())]
    MissingColumn { path: PathBuf, what: &'static str, found: String },
    #[error("{}: --adjust needs an `Adj Close` column (the file has: {found})", .path.display())]
    NothingToAdjust { path: PathBuf, found: String },
    #[error("{}: no rows", .path.display())]
    Empty { path: PathBuf },
}

/// How to import.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Scale open, high and low by each row's `Adj Close / Close`, make the close the adjusted close, and divide the
    /// volume by the same ratio (backtrader's `adjclose`), so that splits and dividends do not show as jumps.
    pub adjust: bool,
    /// Drop rows that cannot be read (counted in [`Imported::skipped`]) instead of stopping at the first.
    pub skip_bad: bool,
}

/// The bars of a file, in file order.
#[derive(Debug, Clone)]
pub struct Imported {
    pub bars: Vec<Bar>,
    /// False when the source has no volume column, or only zeros in it.
    pub has_volume: bool,
    /// What the file was read as (`Yahoo CSV`, `CSV`, `gzip CSV`, `JSON klines`, `Feather`, `Parquet`).
    pub format: &'static str,
    /// Rows dropped under `skip_bad`, with the first reason.
    pub skipped: usize,
    pub first_skip: Option<String>,
}

/// Names the time column goes by.
const TIME_NAMES: [&str; 8] = ["ts", "timestamp", "timestamp_utc", "time", "date", "datetime", "open_time", "dt"];
const ADJ_NAMES: [&str; 3] = ["adj close", "adj_close", "adjclose"];

/// Reads `path` into bars. Timestamps must increase strictly from row to row.
pub fn import(path: &Path, options: ImportOptions) -> Result<Imported, ImportError> {
    let unreadable = |detail: String| ImportError::Unreadable { path: path.to_path_buf(), detail };
    let mut bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ImportError::NotFound { path: path.to_path_buf() },
        _ => unreadable(e.to_string()),
    })?;
    let mut gzip = false;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| unreadable(format!("not valid gzip: {e}")))?;
        bytes = out;
        gzip = true;
    }
    let imported = if bytes.starts_with(b"ARROW1") {
        let df = IpcReader::new(std::io::Cursor::new(bytes))
            .finish()
            .map_err(|e| unreadable(format!("not a readable Feather (Arrow IPC) file: {e}")))?;
        from_frame(path, &df, "Feather", options)?
    } else if bytes.starts_with(b"PAR1") {
        let df = ParquetReader::new(std::io::Cursor::new(bytes))
            .finish()
            .map_err(|e| unreadable(format!("not a readable Parquet file: {e}")))?;
        from_frame(path, &df, "Parquet", options)?
    } else {
        let text =
            String::from_utf8(bytes).map_err(|_| unreadable("neither text, gzip, Feather nor Parquet".into()))?;
        if text.trim_start().starts_with('[') {
            klines(path, &text, options)?
        } else {
            let mut imp = csv(path, &text, options)?;
            if gzip {
                imp.format = if imp.format == "Yahoo CSV" { "gzip Yahoo CSV" } else { "gzip CSV" };
            }
            imp
        }
    };
    if imported.bars.is_empty() {
        return Err(ImportError::Empty { path: path.to_path_buf() });
    }
    Ok(imported)
}

/// Collects rows, checking time order; `skip_bad` turns row errors into counted omissions.
struct Rows<'a> {
    path: &'a Path,
    options: ImportOptions,
    bars: Vec<Bar>,
    any_volume: bool,
    skipped: usize,
    first_skip: Option<String>,
}

impl<'a> Rows<'a> {
    fn new(path: &'a Path, options: ImportOptions) -> Self {
        Self { path, options, bars: Vec::new(), any_volume: false, skipped: 0, first_skip: None }
    }

    /// One row (`line` from 1), or why it cannot be read.
    fn push(&mut self, line: usize, row: Result<Bar, String>) -> Result<(), ImportError> {
        let checked = row.and_then(|bar| match self.bars.last() {
            Some(prev) if bar.ts <= prev.ts => Err(format!(
                "timestamp {} is not after the previous row's {}: rows must be in time order, once each",
                crate::time::format_ts(bar.ts),
                crate::time::format_ts(prev.ts)
            )),
            _ => Ok(bar),
        });
        match checked {
            Ok(bar) => {
                self.any_volume |= bar.volume != 0.0;
                self.bars.push(bar);
                Ok(())
            }
            Err(detail) if self.options.skip_bad => {
                self.skipped += 1;
                self.first_skip.get_or_insert_with(|| format!("line {line}: {detail}"));
                Ok(())
            }
            Err(detail) => Err(ImportError::BadRow { path: self.path.to_path_buf(), line, detail }),
        }
    }

    fn done(self, format: &'static str, has_volume_column: bool) -> Imported {
        Imported {
            bars: self.bars,
            has_volume: has_volume_column && self.any_volume,
            format,
            skipped: self.skipped,
            first_skip: self.first_skip,
        }
    }
}

/// A bar from raw values, adjusted when asked (`adj` is the row's adjusted close).
fn bar(ts: i64, ohlcv: [f64; 5], adj: Option<f64>) -> Result<Bar, String> {
    let [open, high, low, close, volume] = ohlcv;
    match adj {
        None => Ok(Bar { ts, open, high, low, close, volume }),
        Some(a) => {
            if !(close.is_finite() && close != 0.0 && a.is_finite()) {
                return Err(format!("cannot adjust: close {close}, adjusted close {a}"));
            }
            let r = a / close;
            Ok(Bar { ts, open: open * r, high: high * r, low: low * r, close: a, volume: volume / r })
        }
    }
}

/// A header's column for one of `names` (case-insensitive, surrounding spaces and quotes ignored).
fn column(header: &[String], names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| header.iter().position(|h| h.eq_ignore_ascii_case(n)))
}

fn clean(field: &str) -> &str {
    field.trim().trim_matches('"').trim()
}

/// Where a table's columns are: the time, open/high/low/close, and the optional volume and adjusted close.
struct Layout {
    t: usize,
    cols: [usize; 4],
    vol: Option<usize>,
    adj: Option<usize>,
}

impl Layout {
    /// Finds the columns in `header`; `--adjust` needs an adjusted close.
    fn find(path: &Path, header: &[String], options: ImportOptions) -> Result<Self, ImportError> {
        let found = || header.join(", ");
        let need = |names: &[&str], what: &'static str| {
            column(header, names).ok_or_else(|| ImportError::MissingColumn {
                path: path.to_path_buf(),
                what,
                found: found(),
            })
        };
        let t = need(&TIME_NAMES, "the time (ts, timestamp, date, ...)")?;
        let cols =
            [need(&["open"], "open")?, need(&["high"], "high")?, need(&["low"], "low")?, need(&["close"], "close")?];
        let vol = column(header, &["volume", "vol"]);
        let adj = column(header, &ADJ_NAMES);
        if options.adjust && adj.is_none() {
            return Err(ImportError::NothingToAdjust { path: path.to_path_buf(), found: found() });
        }
        Ok(Self { t, cols, vol, adj })
    }
}

fn csv(path: &Path, text: &str, options: ImportOptions) -> Result<Imported, ImportError> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((_, head)) = lines.next() else { return Err(ImportError::Empty { path: path.to_path_buf() }) };
    let header: Vec<String> = head.trim_start_matches('\u{feff}').split(',').map(|h| clean(h).to_string()).collect();
    let Layout { t, cols, vol, adj } = Layout::find(path, &header, options)?;
    let yahoo = adj.is_some() && header.first().is_some_and(|h| h.eq_ignore_ascii_case("date"));
    let mut rows = Rows::new(path, options);
    for (i, line) in lines {
        let fields: Vec<&str> = line.split(',').map(clean).collect();
        let row = (|| {
            let field = |c: usize| -> Result<&str, String> {
                fields.get(c).copied().ok_or_else(|| format!("no value for column '{}'", header[c]))
            };
            let num = |c: usize| -> Result<f64, String> {
                let s = field(c)?;
                s.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| format!("column '{}': '{s}' is not a number", header[c]))
            };
            let ts = parse_timestamp(field(t)?).map_err(|e| format!("column '{}': {e}", header[t]))?;
            let ohlc = [num(cols[0])?, num(cols[1])?, num(cols[2])?, num(cols[3])?];
            let v = match vol {
                Some(c) => num(c)?,
                None => 0.0,
            };
            let a = if options.adjust { adj.map(num).transpose()? } else { None };
            bar(ts, [ohlc[0], ohlc[1], ohlc[2], ohlc[3], v], a)
        })();
        rows.push(i + 1, row)?;
    }
    Ok(rows.done(if yahoo { "Yahoo CSV" } else { "CSV" }, vol.is_some()))
}

fn klines(path: &Path, text: &str, options: ImportOptions) -> Result<Imported, ImportError> {
    if options.adjust {
        return Err(ImportError::NothingToAdjust { path: path.to_path_buf(), found: "JSON kline rows".into() });
    }
    let rows_json: Vec<Vec<serde_json::Value>> = serde_json::from_str(text).map_err(|e| ImportError::BadRow {
        path: path.to_path_buf(),
        line: e.line(),
        detail: format!("not a JSON array of kline rows: {e}"),
    })?;
    let mut rows = Rows::new(path, options);
    for (i, r) in rows_json.iter().enumerate() {
        let row = (|| {
            let num = |k: usize, what: &str| -> Result<f64, String> {
                let v = r.get(k).ok_or_else(|| format!("row {}: no {what} (field {k})", i + 1))?;
                // Binance sends prices as strings; other sources as numbers.
                let x = match v {
                    serde_json::Value::Number(n) => n.as_f64(),
                    serde_json::Value::String(s) => s.parse::<f64>().ok(),
                    _ => None,
                };
                x.filter(|x| x.is_finite()).ok_or_else(|| format!("row {}: {what} {v} is not a number", i + 1))
            };
            let ts = r
                .first()
                .and_then(serde_json::Value::as_i64)
                .ok_or_else(|| format!("row {}: the open time is not an integer of epoch milliseconds", i + 1))?;
            let v = if r.len() > 5 { num(5, "volume")? } else { 0.0 };
            bar(ts, [num(1, "open")?, num(2, "high")?, num(3, "low")?, num(4, "close")?, v], None)
        })();
        // JSON rows have no lines of their own: the row number stands in.
        rows.push(i + 1, row)?;
    }
    let has_volume = rows_json.first().is_some_and(|r| r.len() > 5);
    Ok(rows.done("JSON klines", has_volume))
}

fn from_frame(
    path: &Path,
    df: &DataFrame,
    format: &'static str,
    options: ImportOptions,
) -> Result<Imported, ImportError> {
    let header: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    let Layout { t, cols, vol, adj } = Layout::find(path, &header, options)?;
    let unreadable = |e: PolarsError| ImportError::Unreadable { path: path.to_path_buf(), detail: e.to_string() };
    let floats = |c: usize| -> Result<Vec<Option<f64>>, ImportError> {
        let s = df
            .column(&header[c])
            .map_err(unreadable)?
            .as_materialized_series()
            .cast(&DataType::Float64)
            .map_err(unreadable)?;
        Ok(s.f64().map_err(unreadable)?.iter().collect())
    };
    let ts_col = df.column(&header[t]).map_err(unreadable)?.as_materialized_series().clone();
    let scale: Box<dyn Fn(i64) -> i64> = match ts_col.dtype() {
        DataType::Datetime(TimeUnit::Nanoseconds, _) => Box::new(|v| v.div_euclid(1_000_000)),
        DataType::Datetime(TimeUnit::Microseconds, _) => Box::new(|v| v.div_euclid(1_000)),
        DataType::Datetime(TimeUnit::Milliseconds, _) => Box::new(|v| v),
        DataType::Date => Box::new(|v| v.saturating_mul(crate::time::DAY_MS)),
        t if t.is_integer() => Box::new(|v| v),
        other => {
            return Err(ImportError::Unreadable {
                path: path.to_path_buf(),
                detail: format!("column '{}' has type {other}, expected a datetime or epoch milliseconds", header[t]),
            });
        }
    };
    let ts: Vec<Option<i64>> = ts_col
        .to_physical_repr()
        .cast(&DataType::Int64)
        .map_err(unreadable)?
        .i64()
        .map_err(unreadable)?
        .iter()
        .collect();
    let (o, h, l, c) = (floats(cols[0])?, floats(cols[1])?, floats(cols[2])?, floats(cols[3])?);
    let v = vol.map(floats).transpose()?;
    let a = if options.adjust { adj.map(floats).transpose()? } else { None };
    let mut rows = Rows::new(path, options);
    for i in 0..df.height() {
        let get = |col: &[Option<f64>], name: &str| -> Result<f64, String> {
            col.get(i).copied().flatten().filter(|x| x.is_finite()).ok_or_else(|| format!("column '{name}': no number"))
        };
        let row = (|| {
            let stamp = ts.get(i).copied().flatten().ok_or_else(|| format!("column '{}': no timestamp", header[t]))?;
            let volume = match &v {
                Some(v) => get(v, "volume")?,
                None => 0.0,
            };
            let adjusted = a.as_ref().map(|a| get(a, "adj close")).transpose()?;
            let ohlc = [get(&o, "open")?, get(&h, "high")?, get(&l, "low")?, get(&c, "close")?];
            bar(scale(stamp), [ohlc[0], ohlc[1], ohlc[2], ohlc[3], volume], adjusted)
        })();
        // Row numbers count the header as line 1, as in a CSV.
        rows.push(i + 2, row)?;
    }
    Ok(rows.done(format, vol.is_some()))
}

/// A timestamp as written in data files, to epoch milliseconds UTC: `YYYY-MM-DD` (midnight), with `T` or a space
/// and `HH:MM[:SS[.fraction]]`, then optionally `Z` or an offset `±HH:MM` / `±HHMM`; or a number of epoch seconds
/// (up to 11 digits), milliseconds (12–14), microseconds (15–17) or nanoseconds (18 and more).
pub fn parse_timestamp(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let v: i64 = s.parse().map_err(|_| format!("'{s}' is out of range"))?;
        return Ok(match s.len() {
            0..=11 => v.saturating_mul(1000),
            12..=14 => v,
            15..=17 => v / 1_000,
            _ => v / 1_000_000,
        });
    }
    let bad = || format!("'{s}' is not a date or time (YYYY-MM-DD[ HH:MM[:SS[.fff]]][Z|±HH:MM] or epoch numbers)");
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(range)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok()).flatten()
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let (y, m, d) = (digits(0..4).ok_or_else(bad)?, digits(5..7).ok_or_else(bad)?, digits(8..10).ok_or_else(bad)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let mut ms = days_from_civil(y, m as u32, d as u32) * crate::time::DAY_MS;
    let mut rest = &s[10..];
    if let Some(r) = rest.strip_prefix(['T', ' ']) {
        let hh = r.get(0..2).and_then(|x| x.parse::<i64>().ok()).ok_or_else(bad)?;
        if r.as_bytes().get(2) != Some(&b':') {
            return Err(bad());
        }
        let mm = r.get(3..5).and_then(|x| x.parse::<i64>().ok()).ok_or_else(bad)?;
        let mut pos = 5;
        let mut secs = 0i64;
        let mut frac_ms = 0i64;
        if r.as_bytes().get(5) == Some(&b':') {
            secs = r.get(6..8).and_then(|x| x.parse::<i64>().ok()).ok_or_else(bad)?;
            pos = 8;
            if r.as_bytes().get(8) == Some(&b'.') {
                let frac: String = r[9..].chars().take_while(|c| c.is_ascii_digit()).collect();
                if frac.is_empty() {
                    return Err(bad());
                }
                let padded = format!("{frac:0<3}");
                frac_ms = padded[..3].parse().map_err(|_| bad())?;
                pos = 9 + frac.len();
            }
        }
        if hh > 23 || mm > 59 || secs > 60 {
            return Err(bad());
        }
        ms += ((hh * 60 + mm) * 60 + secs) * 1000 + frac_ms;
        rest = &r[pos..];
    }
    match rest {
        "" | "Z" | "z" => Ok(ms),
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return Err(bad()),
            };
            let off = rest[1..].replace(':', "");
            if off.len() != 4 || !off.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            let (oh, om): (i64, i64) = (off[..2].parse().map_err(|_| bad())?, off[2..].parse().map_err(|_| bad())?);
            // 10:00+02:00 is 08:00 UTC.
            Ok(ms - sign * (oh * 60 + om) * 60_000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_the_layouts_data_comes_in() {
        let day = 1_640_995_200_000; // 2022-01-01
        assert_eq!(parse_timestamp("2022-01-01"), Ok(day));
        assert_eq!(parse_timestamp("2022-01-01 00:01:00.000000"), Ok(day + 60_000));
        assert_eq!(parse_timestamp("2022-01-01T00:01:02.5Z"), Ok(day + 62_500));
        assert_eq!(parse_timestamp("2022-01-01 02:00:00+02:00"), Ok(day));
        assert_eq!(parse_timestamp("2022-01-01 00:00:00-0130"), Ok(day + 90 * 60_000));
        assert_eq!(parse_timestamp("2022-01-01 00:01"), Ok(day + 60_000));
        assert_eq!(parse_timestamp("1640995200"), Ok(day));
        assert_eq!(parse_timestamp("1640995200000"), Ok(day));
        assert_eq!(parse_timestamp("1640995200000000"), Ok(day));
        for bad in ["", "2022-13-01", "2022-01-01 25:00", "01/02/2022", "2022-01-01 00:00+2", "2022-01-01x"] {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn adjusting_scales_prices_and_keeps_the_notional() {
        let b = bar(0, [10.0, 12.0, 9.0, 11.0, 1000.0], Some(5.5)).expect("adjusts");
        assert_eq!((b.open, b.high, b.low, b.close), (5.0, 6.0, 4.5, 5.5));
        assert_eq!(b.volume, 2000.0);
        assert!(bar(0, [1.0, 1.0, 1.0, 0.0, 1.0], Some(1.0)).is_err());
    }
}
