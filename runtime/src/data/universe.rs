//! A universe: many symbols' bars, stepped together one timestamp at a time.
//!
//! Design choice: each symbol's bars are held apart, as read, and [`Groups`] hands out each timestamp with the
//! symbols that have a bar at it, in symbol order. That is the one order every universe run steps in: events from
//! all symbols merge deterministically (ties by symbol, symbols sorted by name), and one group is one cross-section.
//! A group costs a pass over the symbols' cursors, so aligned data (every symbol at every time) costs O(1) per bar.

use std::path::{Path, PathBuf};

use super::parquet::{SymbolBars, has_symbol_column, read_bars, read_universe};
use super::{DataError, ReadOptions, RejectCounts};
use crate::bar::Bar;

/// Many symbols' bars.
#[derive(Debug, Clone)]
pub struct Universe {
    /// Where the bars came from (a file or a folder).
    pub label: PathBuf,
    /// Sorted by name.
    pub symbols: Vec<String>,
    /// Per symbol, its bars in time order.
    pub bars: Vec<Vec<Bar>>,
    /// Per symbol, the rows the bad-row policy dropped.
    pub rejected: Vec<RejectCounts>,
    /// Whether every symbol's bars carry volume.
    pub has_volume: bool,
}

impl Universe {
    /// A Parquet file with a symbol column (`symbol`, `ticker` or `instrument`), or a folder of Parquet files, one
    /// symbol each (its name the file name's first word, upper case: `nvda-1999-2014.1d.parquet` is `NVDA`).
    pub fn open(path: &Path, options: ReadOptions) -> Result<Self, DataError> {
        let (mut parts, has_volume) =
            if path.is_dir() { read_folder(path, options)? } else { read_universe(path, options)? };
        parts.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        if let Some(w) = parts.windows(2).find(|w| w[0].symbol == w[1].symbol) {
            return Err(DataError::UniverseOrder {
                path: path.to_path_buf(),
                symbol: w[0].symbol.clone(),
                row: 0,
                detail: "two files hold this symbol".into(),
            });
        }
        if parts.iter().all(|p| p.bars.is_empty()) {
            return Err(DataError::Empty { path: path.to_path_buf() });
        }
        Ok(Universe {
            label: path.to_path_buf(),
            symbols: parts.iter().map(|p| p.symbol.clone()).collect(),
            rejected: parts.iter().map(|p| p.rejected).collect(),
            bars: parts.into_iter().map(|p| p.bars).collect(),
            has_volume,
        })
    }

    /// A universe of bars already in hand (a live run's warm-up history, tests): `symbols` sorted by name, each with
    /// its bars in time order.
    pub fn from_bars(symbols: Vec<String>, bars: Vec<Vec<Bar>>) -> Universe {
        let has_volume = bars.iter().flatten().all(|b| b.volume.is_finite());
        Universe {
            label: PathBuf::from("(bars)"),
            rejected: vec![RejectCounts::default(); symbols.len()],
            symbols,
            bars,
            has_volume,
        }
    }

    /// True when `path` holds a universe: a folder, or a Parquet file with a symbol column.
    pub fn is_universe(path: &Path) -> bool {
        path.is_dir() || has_symbol_column(path)
    }

    /// Keeps only `wanted` (in any case), which must all be there; an empty list keeps every symbol.
    pub fn select(&mut self, wanted: &[String]) -> Result<(), DataError> {
        if wanted.is_empty() {
            return Ok(());
        }
        let mut keep = Vec::with_capacity(wanted.len());
        for w in wanted {
            let upper = w.trim().to_ascii_uppercase();
            match self.symbols.iter().position(|s| s.eq_ignore_ascii_case(&upper)) {
                Some(i) => keep.push(i),
                None => {
                    return Err(DataError::UnknownSymbol {
                        path: self.label.clone(),
                        symbol: w.clone(),
                        detail: format!(
                            "{} (the data has {})",
                            crate::suggest::hint(&upper, self.symbols.iter().map(String::as_str)),
                            self.symbols.join(", ")
                        ),
                    });
                }
            }
        }
        keep.sort_unstable();
        keep.dedup();
        fn take<T: Default>(v: &mut [T], keep: &[usize]) -> Vec<T> {
            keep.iter().map(|&i| std::mem::take(&mut v[i])).collect()
        }
        self.symbols = take(&mut self.symbols, &keep);
        self.bars = take(&mut self.bars, &keep);
        self.rejected = keep.iter().map(|&i| self.rejected[i]).collect();
        Ok(())
    }

    /// Every timestamp with the symbols that have a bar at it, in time order.
    pub fn groups(&self) -> Groups<'_> {
        // About 128 KiB of windows in all, so they stay in a core's cache beside the run's own state.
        let window = WINDOW_BYTES / (self.bars.len().max(1) * std::mem::size_of::<Bar>());
        self.groups_copying(window.clamp(8, 256))
    }

    /// [`Universe::groups`] copying `window` bars of a symbol at a time.
    fn groups_copying(&self, window: usize) -> Groups<'_> {
        let n = self.bars.len();
        let window = window.max(1);
        let mut groups = Groups {
            universe: self,
            cursor: vec![0; n],
            windows: vec![Vec::with_capacity(window + 1); n],
            at: vec![0; n],
            window,
            members: Vec::with_capacity(n),
            next: None,
        };
        for s in 0..n {
            groups.refill(s, None);
        }
        groups.next = groups.windows.iter().filter_map(|w| w.first().map(|bar| bar.ts)).min();
        groups
    }

    /// The same symbols with only their bars from `from` (inclusive) to `to` (exclusive).
    pub fn between(&self, from: i64, to: i64) -> Universe {
        let span = |b: &Vec<Bar>| {
            let start = b.partition_point(|x| x.ts < from);
            b[start..b.partition_point(|x| x.ts < to).max(start)].to_vec()
        };
        Universe { bars: self.bars.iter().map(span).collect(), ..self.clone_without_bars() }
    }

    fn clone_without_bars(&self) -> Universe {
        Universe {
            label: self.label.clone(),
            symbols: self.symbols.clone(),
            bars: Vec::new(),
            rejected: self.rejected.clone(),
            has_volume: self.has_volume,
        }
    }

    /// Every timestamp any symbol has a bar at, in order: the universe's own clock.
    pub fn timeline(&self) -> Vec<i64> {
        let mut ts: Vec<i64> = self.bars.iter().flatten().map(|b| b.ts).collect();
        ts.sort_unstable();
        ts.dedup();
        ts
    }

    /// Bars of all symbols.
    pub fn total_bars(&self) -> usize {
        self.bars.iter().map(Vec::len).sum()
    }

    /// Rows dropped by the bad-row policy, over all symbols.
    pub fn total_rejected(&self) -> u64 {
        self.rejected.iter().map(RejectCounts::total).sum()
    }
}

/// The bytes of bars a [`Groups`] cursor copies ahead, over all symbols.
const WINDOW_BYTES: usize = 128 << 10;

/// A cursor over a universe's timestamps ([`Universe::groups`]).
///
/// Each symbol's next bars are copied ahead into a small window, dozens to hundreds at a time: a run reads one bar of
/// every symbol per timestamp, and a hundred symbols' arrays read a bar at a time, round robin, defeat the
/// processor's prefetching (a miss to memory on most bars), while one sequential copy per window does not.
#[derive(Debug)]
pub struct Groups<'a> {
    universe: &'a Universe,
    /// Per symbol, the bars copied so far.
    cursor: Vec<usize>,
    /// Per symbol, the bars copied ahead (after the bar last handed out, kept readable across a refill).
    windows: Vec<Vec<Bar>>,
    /// Per symbol, its next bar's place in its window.
    at: Vec<usize>,
    /// Bars per window.
    window: usize,
    members: Vec<usize>,
    /// The timestamp of the next group (the earliest bar not yet handed out).
    next: Option<i64>,
}

impl Groups<'_> {
    /// Copies symbol `s`'s next bars into its window, after `kept` (the bar just handed out, which must stay
    /// readable until the next group).
    fn refill(&mut self, s: usize, kept: Option<Bar>) {
        let bars = &self.universe.bars[s];
        let from = self.cursor[s];
        let to = (from + self.window).min(bars.len());
        let w = &mut self.windows[s];
        w.clear();
        w.extend(kept);
        w.extend_from_slice(&bars[from..to]);
        self.cursor[s] = to;
        self.at[s] = w.len() - (to - from);
    }

    /// The next timestamp and the symbols (indices, in order) with a bar at it; `None` at the end.
    ///
    /// One pass over the symbols both hands out this group and finds the next group's timestamp.
    pub fn next_group(&mut self) -> Option<(i64, &[usize])> {
        let ts = self.next?;
        self.members.clear();
        let mut next: Option<i64> = None;
        for s in 0..self.windows.len() {
            let Some(&bar) = self.windows[s].get(self.at[s]) else { continue };
            let mut after = bar.ts;
            if after == ts {
                self.members.push(s);
                self.at[s] += 1;
                if self.at[s] == self.windows[s].len() {
                    self.refill(s, Some(bar));
                }
                match self.windows[s].get(self.at[s]) {
                    Some(b) => after = b.ts,
                    None => continue,
                }
            }
            next = Some(next.map_or(after, |n: i64| n.min(after)));
        }
        self.next = next;
        Some((ts, &self.members))
    }

    /// Symbol `s`'s bar in the group just handed out (valid for a member of it).
    pub fn bar(&self, s: usize) -> &Bar {
        &self.windows[s][self.at[s] - 1]
    }
}

/// A folder of Parquet files, one symbol each.
fn read_folder(dir: &Path, options: ReadOptions) -> Result<(Vec<SymbolBars>, bool), DataError> {
    let entries = std::fs::read_dir(dir).map_err(|e| DataError::Io { path: dir.to_path_buf(), source: e })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("parquet")))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(DataError::Empty { path: dir.to_path_buf() });
    }
    // The files are read on a few threads, each taking the next file not yet taken; the results land in file order.
    type Read = Result<(Vec<Bar>, RejectCounts, bool), DataError>;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Read>>> = files.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4).min(files.len());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(file) = files.get(i) else { break };
                    let read = read_bars(file, options);
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(read);
                    }
                }
            });
        }
    });
    let mut parts = Vec::with_capacity(files.len());
    let mut has_volume = true;
    for (file, result) in files.into_iter().zip(results) {
        let stem = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let symbol = stem.split(['-', '_', '.']).next().unwrap_or_default().to_ascii_uppercase();
        let read = result.into_inner().ok().flatten().ok_or_else(|| DataError::Read {
            path: file.clone(),
            first: 0,
            last: 0,
            detail: "the reading thread stopped".into(),
        })?;
        let (bars, rejected, volume) = read?;
        if rejected.out_of_order + rejected.duplicate > 0 {
            return Err(DataError::UniverseOrder {
                path: file.clone(),
                symbol,
                row: 0,
                detail: format!("{} rows repeat or go back in time", rejected.out_of_order + rejected.duplicate),
            });
        }
        has_volume &= volume;
        parts.push(SymbolBars { symbol, bars, rejected });
    }
    Ok((parts, has_volume))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(ts: i64) -> Bar {
        Bar { ts, open: 1.0, high: 1.0, low: 1.0, close: 1.0, volume: 1.0 }
    }

    #[test]
    fn groups_merge_symbols_in_time_order_ties_by_symbol() {
        let u = Universe {
            label: PathBuf::from("u"),
            symbols: vec!["A".into(), "B".into(), "C".into()],
            bars: vec![vec![bar(1), bar(3)], vec![bar(1), bar(2), bar(3)], vec![bar(2)]],
            rejected: vec![RejectCounts::default(); 3],
            has_volume: true,
        };
        let mut g = u.groups();
        let mut seen = Vec::new();
        while let Some((ts, members)) = g.next_group() {
            seen.push((ts, members.to_vec()));
        }
        assert_eq!(seen, vec![(1, vec![0, 1]), (2, vec![1, 2]), (3, vec![0, 1])]);
    }

    /// Windows of any size hand out the groups a brute-force merge finds, with each member's own bar.
    #[test]
    fn windows_of_any_size_hand_out_every_bar_once_in_order() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        for _ in 0..50 {
            let symbols = 1 + next(6) as usize;
            let bars: Vec<Vec<Bar>> = (0..symbols)
                .map(|s| {
                    let mut ts = next(5) as i64;
                    (0..next(40))
                        .map(|i| {
                            ts += 1 + next(3) as i64;
                            Bar { close: (s * 1000 + i as usize) as f64, ..bar(ts) }
                        })
                        .collect()
                })
                .collect();
            let u = Universe {
                label: PathBuf::from("u"),
                symbols: (0..symbols).map(|s| format!("S{s}")).collect(),
                rejected: vec![RejectCounts::default(); symbols],
                bars,
                has_volume: true,
            };
            let mut want: Vec<(i64, usize, f64)> =
                u.bars.iter().enumerate().flat_map(|(s, b)| b.iter().map(move |b| (b.ts, s, b.close))).collect();
            want.sort_by_key(|&(ts, s, _)| (ts, s));
            for window in [1, 2, 3, 7, 64] {
                let mut g = u.groups_copying(window);
                let mut got = Vec::new();
                while let Some((ts, members)) = g.next_group() {
                    let members = members.to_vec();
                    got.extend(members.iter().map(|&s| (ts, s, g.bar(s).close)));
                }
                assert_eq!(got, want, "window {window}");
            }
        }
    }
}
