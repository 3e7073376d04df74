//! A sweep's outputs: `sweep.parquet` and `sweep.csv` (one row per combination: `combo`, the params, then the
//! metrics, best first), and `sweep.json`, the manifest that says which sweep and which shard they are.
//!
//! Design choice: the manifest carries a fingerprint of everything that decides the results — the compiled plan,
//! the bars, the grid, the constraint and the run settings — so shards of one sweep are recognised anywhere and
//! shards of different sweeps are refused, and a merge writes exactly what one unsharded run would have, byte for
//! byte. Files are staged and renamed into place, so a failed sweep leaves nothing half-written.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::run::{METRICS, Row, metric_index, sort};

#[derive(Debug, Error)]
pub enum ResultsError {
    #[error("{}: {detail}", .path.display())]
    Io { path: PathBuf, detail: String },
    #[error("{}: not a sweep's output ({detail})", .path.display())]
    NotSweep { path: PathBuf, detail: String },
    #[error("{}: from a different sweep than {} (the strategy, data, grid or settings differ); refusing to merge", .path.display(), .first.display())]
    DifferentSweep { path: PathBuf, first: PathBuf },
    #[error("{}: shard {index}/{count} is already in the merge (from {})", .path.display(), .other.display())]
    DuplicateShard { path: PathBuf, other: PathBuf, index: usize, count: usize },
    #[error("shard {missing}/{count} is missing from the merge")]
    MissingShard { missing: usize, count: usize },
    #[error("{}: an unsharded sweep; merge combines the outputs of --shard I/N runs", .path.display())]
    NotShard { path: PathBuf },
}

/// Most shards a sweep may be split into.
pub const MAX_SHARDS: usize = 1_000_000;

/// Which of N deterministic slices of the grid a run covers: combinations whose number ≡ index − 1 (mod count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 1-based.
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses `I/N` (1 ≤ I ≤ N).
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {s}: expected I/N with 1 <= I <= N, e.g. 2/8");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) =
            (i.trim().parse::<usize>().map_err(|_| bad())?, n.trim().parse::<usize>().map_err(|_| bad())?);
        if count == 0 || index == 0 || index > count {
            return Err(format!("--shard {s}: shard {index} of {count} is out of range (1..={count})"));
        }
        if count > MAX_SHARDS {
            return Err(format!("--shard {s}: at most {MAX_SHARDS} shards"));
        }
        Ok(Shard { index, count })
    }

    pub fn holds(&self, combo: usize) -> bool {
        combo % self.count == self.index - 1
    }
}

/// `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub strategy: String,
    pub data: String,
    /// Fingerprint of plan, bars, grid, constraint and settings (hex).
    pub sweep_id: String,
    pub grid: Vec<String>,
    #[serde(rename = "where")]
    pub condition: Option<String>,
    pub sort: String,
    /// Combinations in the whole grid (after `--where`).
    pub combinations: usize,
    pub params: Vec<String>,
    pub metrics: Vec<String>,
    pub shard: Option<Shard>,
}

/// FNV-1a, 64 bits: a stable fingerprint (not for security).
#[derive(Debug, Clone)]
pub struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint(0xcbf2_9ce4_8422_2325)
    }
}

impl Fingerprint {
    pub fn add(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        // Length-delimited, so ("ab", "c") and ("a", "bc") differ.
        for b in (bytes.len() as u64).to_le_bytes() {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ResultsError + '_ {
    move |e| ResultsError::Io { path: path.to_path_buf(), detail: e.to_string() }
}

fn pq(path: &Path) -> impl FnOnce(PolarsError) -> ResultsError + '_ {
    move |e| ResultsError::Io { path: path.to_path_buf(), detail: e.to_string() }
}

/// A float as the CSV writes it: shortest round-trip form, empty for undefined.
fn csv_num(v: f64) -> String {
    if v.is_nan() { String::new() } else { format!("{v}") }
}

/// Writes `rows` (sorted here by the manifest's metric) and the manifest into `dir`.
pub fn write(dir: &Path, manifest: &Manifest, mut rows: Vec<Row>) -> Result<(), ResultsError> {
    let m = metric_index(&manifest.sort).unwrap_or(0);
    sort(&mut rows, m);
    fs::create_dir_all(dir).map_err(io(dir))?;
    let stage = |name: &str| (dir.join(format!(".{name}.partial")), dir.join(name));

    let mut columns = vec![Column::new("combo".into(), rows.iter().map(|r| r.combo as i64).collect::<Vec<i64>>())];
    for (k, name) in manifest.params.iter().enumerate() {
        columns.push(Column::new(name.as_str().into(), rows.iter().map(|r| r.params[k]).collect::<Vec<f64>>()));
    }
    for (k, (name, _)) in METRICS.iter().enumerate() {
        let values: Vec<Option<f64>> = rows.iter().map(|r| Some(r.metrics[k]).filter(|v| !v.is_nan())).collect();
        columns.push(Column::new((*name).into(), values));
    }
    let (parquet_tmp, parquet) = stage("sweep.parquet");
    let mut df = DataFrame::new_infer_height(columns).map_err(pq(&parquet))?;
    let file = File::create(&parquet_tmp).map_err(io(&parquet_tmp))?;
    ParquetWriter::new(file).finish(&mut df).map_err(pq(&parquet_tmp))?;

    let mut csv = String::with_capacity(rows.len() * 200);
    let header: Vec<&str> = std::iter::once("combo")
        .chain(manifest.params.iter().map(String::as_str))
        .chain(METRICS.iter().map(|m| m.0))
        .collect();
    csv.push_str(&header.join(","));
    csv.push('\n');
    for r in &rows {
        let fields: Vec<String> = std::iter::once(r.combo.to_string())
            .chain(r.params.iter().map(|&v| csv_num(v)))
            .chain(r.metrics.iter().map(|&v| csv_num(v)))
            .collect();
        csv.push_str(&fields.join(","));
        csv.push('\n');
    }
    let (csv_tmp, csv_path) = stage("sweep.csv");
    fs::write(&csv_tmp, csv).map_err(io(&csv_tmp))?;
    let (json_tmp, json_path) = stage("sweep.json");
    let json = serde_json::to_vec_pretty(manifest)
        .map_err(|e| ResultsError::Io { path: json_tmp.clone(), detail: e.to_string() })?;
    fs::write(&json_tmp, json).map_err(io(&json_tmp))?;
    for (tmp, target) in [(parquet_tmp, parquet), (csv_tmp, csv_path), (json_tmp, json_path)] {
        fs::rename(&tmp, &target).map_err(io(&target))?;
    }
    Ok(())
}

/// Reads a sweep's manifest and rows back from `dir`.
pub fn read(dir: &Path) -> Result<(Manifest, Vec<Row>), ResultsError> {
    let path = dir.join("sweep.json");
    let text = fs::read(&path).map_err(|e| ResultsError::NotSweep { path: path.clone(), detail: e.to_string() })?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| ResultsError::NotSweep { path: path.clone(), detail: e.to_string() })?;
    if let Some(s) = manifest.shard
        && (s.index == 0 || s.index > s.count || s.count > MAX_SHARDS)
    {
        return Err(ResultsError::NotSweep { path, detail: format!("shard {}/{} is out of range", s.index, s.count) });
    }
    let path = dir.join("sweep.parquet");
    let file = File::open(&path).map_err(|e| ResultsError::NotSweep { path: path.clone(), detail: e.to_string() })?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| ResultsError::NotSweep { path: path.clone(), detail: e.to_string() })?;
    let bad = |detail: String| ResultsError::NotSweep { path: path.clone(), detail };
    let combo: Vec<Option<i64>> =
        df.column("combo").and_then(|c| c.i64().map(|a| a.iter().collect())).map_err(|e| bad(e.to_string()))?;
    let floats = |name: &str| -> Result<Vec<f64>, ResultsError> {
        df.column(name)
            .and_then(|c| c.f64().map(|a| a.iter().map(|v| v.unwrap_or(f64::NAN)).collect()))
            .map_err(|e| bad(format!("column '{name}': {e}")))
    };
    let params: Vec<Vec<f64>> = manifest.params.iter().map(|p| floats(p)).collect::<Result<_, _>>()?;
    let metrics: Vec<Vec<f64>> = METRICS.iter().map(|m| floats(m.0)).collect::<Result<_, _>>()?;
    let mut rows = Vec::with_capacity(df.height());
    for (i, c) in combo.iter().enumerate() {
        let combo =
            c.and_then(|c| usize::try_from(c).ok()).ok_or_else(|| bad(format!("row {i}: no combination number")))?;
        rows.push(Row {
            combo,
            params: params.iter().map(|col| col[i]).collect(),
            metrics: metrics.iter().map(|col| col[i]).collect(),
        });
    }
    Ok((manifest, rows))
}

/// Merges the outputs of every shard of one sweep (in `dirs`) into one result: the manifest of the unsharded sweep
/// and all its rows.
pub fn merge(dirs: &[PathBuf]) -> Result<(Manifest, Vec<Row>), ResultsError> {
    let mut first: Option<(PathBuf, Manifest)> = None;
    let mut seen: Vec<Option<PathBuf>> = Vec::new();
    let mut rows = Vec::new();
    for dir in dirs {
        let (m, r) = read(dir)?;
        let Some(shard) = m.shard else {
            return Err(ResultsError::NotShard { path: dir.clone() });
        };
        match &first {
            None => {
                seen = vec![None; shard.count];
                first = Some((dir.clone(), m.clone()));
            }
            Some((first_dir, f)) => {
                if f.sweep_id != m.sweep_id || f.shard.map(|s| s.count) != Some(shard.count) {
                    return Err(ResultsError::DifferentSweep { path: dir.clone(), first: first_dir.clone() });
                }
            }
        }
        if let Some(other) = seen.get(shard.index - 1).cloned().flatten() {
            return Err(ResultsError::DuplicateShard {
                path: dir.clone(),
                other,
                index: shard.index,
                count: shard.count,
            });
        }
        if let Some(slot) = seen.get_mut(shard.index - 1) {
            *slot = Some(dir.clone());
        }
        rows.extend(r);
    }
    let Some((_, mut manifest)) = first else {
        return Err(ResultsError::MissingShard { missing: 1, count: 1 });
    };
    if let Some(missing) = seen.iter().position(Option::is_none) {
        return Err(ResultsError::MissingShard { missing: missing + 1, count: seen.len() });
    }
    manifest.shard = None;
    Ok((manifest, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition() {
        assert_eq!(Shard::parse("2/8"), Ok(Shard { index: 2, count: 8 }));
        for bad in ["0/3", "4/3", "1/0", "x/3", "3", "-1/3", "1/2000000"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert!(Shard::parse("4/3").unwrap_err().contains("out of range"));
        let shards: Vec<Shard> = (1..=3).map(|i| Shard { index: i, count: 3 }).collect();
        for combo in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.holds(combo)).count(), 1, "each combination in exactly one shard");
        }
    }

    #[test]
    fn fingerprint_is_stable_and_delimited() {
        let f = |parts: &[&[u8]]| {
            let mut h = Fingerprint::default();
            parts.iter().for_each(|p| h.add(p));
            h.hex()
        };
        assert_eq!(f(&[b"ab", b"c"]), f(&[b"ab", b"c"]));
        assert_ne!(f(&[b"ab", b"c"]), f(&[b"a", b"bc"]));
    }
}
